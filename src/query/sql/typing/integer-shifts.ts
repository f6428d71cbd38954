/**
 * `a << n` and `a >> n` on integers as PostgreSQL computes them (int.c, int8.c: C's shifts of
 * the value, an int2 widened to int first): the count is taken modulo the width the shift runs
 * in (32 bits for int2 and int4, 64 for int8: what the CPU does with C's out-of-range counts),
 * << keeps the low bits of the product (wrapping, and an int2's truncated to 16 bits), and >> is
 * arithmetic. DuckDB refuses to shift a negative value left, answers 0 for a negative count, and
 * fails on overflow.
 */
import type { A_Expr } from 'libpg-query';
import type { EmitContext } from '../emit-context.js';
import { typeOf } from './expr-types.js';

/** The width a type's value shifts in, and the width of the result. */
const WIDTHS: Readonly<Record<string, { shift: number; result: number; duck: string }>> = {
  int2: { shift: 32, result: 16, duck: 'SMALLINT' },
  int4: { shift: 32, result: 32, duck: 'INTEGER' },
  int8: { shift: 64, result: 64, duck: 'BIGINT' },
};

export function emitIntegerShift(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  if ((operator !== '<<' && operator !== '>>') || ctx.types === undefined) return undefined;
  if (expr.lexpr === undefined || expr.rexpr === undefined) return undefined;
  const width = WIDTHS[typeOf(ctx.types, expr.lexpr)?.name ?? ''];
  if (width === undefined) return undefined;
  const value = `CAST(${ctx.expr(expr.lexpr)} AS HUGEINT)`;
  const count = `(CAST(${ctx.expr(expr.rexpr)} AS BIGINT) & ${width.shift - 1})`;
  if (operator === '>>')
    return `CAST((CASE WHEN ${value} >= 0 THEN ${value} >> ${count} ELSE ~((~${value}) >> ${count}) END) AS ${width.duck})`;
  const bits = `(CAST(1 AS HUGEINT) << ${width.result})`;
  const low = `((${value} * (CAST(1 AS HUGEINT) << ${count})) & (${bits} - 1))`;
  const signed = `(CASE WHEN ${low} >= (CAST(1 AS HUGEINT) << ${width.result - 1}) THEN ${low} - ${bits} ELSE ${low} END)`;
  return `CAST(${signed} AS ${width.duck})`;
}
