/**
 * octet_length and bit_length (ClickBench-style queries measure URLs in bytes): PostgreSQL's
 * textoctetlen, bpcharoctetlen and byteaoctetlen, typed int4 (pg_proc.dat). DuckDB's
 * octet_length takes only BLOB and BIT, so a string is measured with strlen, its UTF-8 bytes —
 * PostgreSQL's count in a UTF8 database. A char(n) counts its blank padding, as bpcharoctetlen
 * does (char_length does not), so its stored, padded value is measured as is; bit_length has no
 * char(n) form and measures the text without the padding. length(bytea)
 * counts bytes as octet_length does.
 */
import type { FuncCall } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { formatTypeName, type PgType } from './typing/pg-types.js';
import { operandType } from './typing/typed-operands.js';

const STRING_TYPES = new Set(['text', 'varchar', 'bpchar', 'unknown']);

/** DuckDB SQL for octet_length(x) / bit_length(x) / length(bytea), or undefined for any other call. */
export function emitByteLength(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (call.args?.length !== 1) return undefined;
  const node = call.args[0]!;
  const type = operandType(ctx, node)?.name ?? 'unknown';
  // length(bytea) counts bytes (byteaoctetlen); DuckDB's length() has no BLOB form.
  if (name === 'length' && type === 'bytea') return `CAST(octet_length(${ctx.expr(node)}) AS INTEGER)`;
  if (name !== 'octet_length' && name !== 'bit_length') return undefined;
  const value = ctx.expr(node);
  let bytes: string;
  // bit_length has no bpchar form: the implicit cast to text drops char(n)'s padding.
  if (type === 'bpchar' && name === 'bit_length') bytes = `strlen(rtrim(${value}, ' '))`;
  else if (STRING_TYPES.has(type)) bytes = `strlen(${value})`;
  else if (type === 'bytea') bytes = `octet_length(${value})`;
  else throw refusal(ctx, call, name, operandType(ctx, node));
  return `CAST(${bytes}${name === 'bit_length' ? ' * 8' : ''} AS INTEGER)`;
}

/**
 * A string type other than text, varchar and char(n), which PostgreSQL measures after an
 * implicit cast to text but the engine does not hold as it does: 0A000. Any other type has no
 * octet_length in PostgreSQL (no implicit cast to text): 42883, in PostgreSQL's words.
 */
function refusal(ctx: EmitContext, call: FuncCall, name: string, type: PgType | undefined) {
  const typeName = type?.name ?? 'unknown';
  if (type?.category === 'S') {
    return ctx.error(
      SqlState.featureNotSupported,
      `${name}(${typeName}) is not supported by pg_analytica`,
      call.location,
      `cast the argument to text first: ${name}(x::text)`,
    );
  }
  return ctx.error(
    SqlState.undefinedFunction,
    `function ${name}(${formatTypeName(typeName)}) does not exist`,
    call.location,
    'No function matches the given name and argument types. You might need to add explicit type casts.',
  );
}
