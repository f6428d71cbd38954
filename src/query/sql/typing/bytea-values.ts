/**
 * bytea values the front end writes itself. An untyped literal read as bytea (a comparison with a
 * bytea column, `'…'::bytea`) is read as byteain reads it (bytea-input.ts): DuckDB's own cast
 * reads `\x01` per byte and the rest as characters, so `'\x0102ff'` would be one byte and four
 * characters; the bytes are decoded here and written as from_hex('…'). And `a || b` of bytea
 * (byteacat, an untyped literal beside a bytea read as bytea), where the front end would
 * otherwise join the values' text.
 */
import type { A_Expr, Node } from 'libpg-query';
import { byteaInput } from '../../bytea-input.js';
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
  const bytes = byteaInput(text, (code, message) => {
    throw ctx.error(code, message, location);
  });
  return `from_hex(${quoteLiteral(bytes.toString('hex'))})`;
}
