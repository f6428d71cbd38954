/**
 * bytea values the front end writes itself. An untyped literal read as bytea (a comparison with a bytea column, `'…'::bytea`), as byteain
 * reads it: `\x` then hex digit pairs (blanks between pairs allowed), or the escape format, where
 * `\\` is a backslash, `\ooo` an octal byte and any other character its UTF-8 bytes. DuckDB's
 * own cast reads `\x01` per byte and the rest as characters, so `'\x0102ff'` would be one byte
 * and four characters: the bytes are decoded here and written as from_hex('…'). And `a || b` of
 * bytea (byteacat, an untyped literal beside a bytea read as bytea), where the front end would
 * otherwise join the values' text.
 */
import type { A_Expr, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { typeOf } from './expr-types.js';

/** `left || right` when PostgreSQL resolves it to byteacat; undefined otherwise. */
export function emitByteaConcat(ctx: EmitContext, expr: A_Expr): string | undefined {
  if (ctx.types === undefined || expr.lexpr === undefined || expr.rexpr === undefined) return undefined;
  if (typeOf(ctx.types, { A_Expr: expr })?.name !== 'bytea') return undefined;
  const operand = (node: Node) => {
    const constant = 'A_Const' in node && node.A_Const.isnull !== true ? node.A_Const : undefined;
    const text = constant?.sval?.sval;
    return text === undefined
      ? `CAST(${ctx.expr(node)} AS BLOB)`
      : byteaLiteral(ctx, text, constant?.location);
  };
  return `(${operand(expr.lexpr)} || ${operand(expr.rexpr)})`;
}

export function byteaLiteral(ctx: EmitContext, text: string, location?: number): string {
  const bytes = text.startsWith('\\x')
    ? hexBytes(ctx, text.slice(2), location)
    : escapeBytes(ctx, text, location);
  return `from_hex(${quoteLiteral(bytes.toString('hex'))})`;
}

const BLANK = /[ \n\r\t]/;
const HEX = /^[0-9a-fA-F]$/;

function hexBytes(ctx: EmitContext, digits: string, location?: number): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < digits.length) {
    if (BLANK.test(digits[i]!)) {
      i++;
      continue;
    }
    const high = digits[i]!;
    const low = digits[i + 1];
    if (!HEX.test(high))
      throw ctx.error(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${high}"`, location);
    if (low === undefined)
      throw ctx.error(
        SqlState.invalidParameterValue,
        'invalid hexadecimal data: odd number of digits',
        location,
      );
    if (!HEX.test(low))
      throw ctx.error(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${low}"`, location);
    out.push(Number.parseInt(high + low, 16));
    i += 2;
  }
  return Buffer.from(out);
}

function escapeBytes(ctx: EmitContext, text: string, location?: number): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '\\') {
      const next = text.indexOf('\\', i);
      const end = next < 0 ? text.length : next;
      parts.push(Buffer.from(text.slice(i, end), 'utf8'));
      i = end;
    } else if (text[i + 1] === '\\') {
      parts.push(Buffer.from('\\'));
      i += 2;
    } else if (/^[0-3][0-7][0-7]$/.test(text.slice(i + 1, i + 4))) {
      parts.push(Buffer.from([Number.parseInt(text.slice(i + 1, i + 4), 8)]));
      i += 4;
    } else {
      throw ctx.error(SqlState.invalidTextRepresentation, 'invalid input syntax for type bytea', location);
    }
  }
  return Buffer.concat(parts);
}
