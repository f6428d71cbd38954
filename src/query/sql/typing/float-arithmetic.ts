/**
 * double precision and real arithmetic as PostgreSQL checks it (float.h's float8_mul and
 * friends): a finite computation whose result overflows to ±Infinity, or underflows to zero
 * from non-zero operands, fails with 22003 "value out of range: overflow/underflow". DuckDB
 * answers Infinity or 0 instead, so each such operation is emitted with PostgreSQL's check, and
 * so are sum() and avg() (float8_accum: a sum that overflows from finite values) and exp() and
 * power() (their overflow, underflow and domain errors).
 */
import type { A_Expr } from 'libpg-query';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { typeOf } from './expr-types.js';
import type { PgType } from './pg-types.js';

export const FLOAT_OVERFLOW = 'value out of range: overflow';
export const FLOAT_UNDERFLOW = 'value out of range: underflow';
export const ZERO_TO_NEGATIVE_POWER = 'zero raised to a negative power is undefined';
export const COMPLEX_POWER = 'a negative number raised to a non-integer power yields a complex result';

/** float.c's RADIANS_PER_DEGREE, 0.0174532925199432957692 as a double. */
const RADIANS_PER_DEGREE = 'CAST(0.017453292519943295 AS DOUBLE)';

const raise = (message: string) => `error(${quoteLiteral(message)})`;

export function isFloat(type: PgType | undefined): boolean {
  return type?.name === 'float8' || type?.name === 'float4';
}

/** The expression's type is double precision or real. */
export function isFloatResult(ctx: EmitContext, expr: A_Expr): boolean {
  return ctx.types !== undefined && isFloat(typeOf(ctx.types, { A_Expr: expr }));
}

/**
 * `result`, the text of `left operator right` (+, -, *, /; a quotient with its zero check
 * already), with PostgreSQL's overflow and underflow checks when the expression is float
 * arithmetic; undefined otherwise.
 */
export function checkedFloatResult(
  ctx: EmitContext,
  expr: A_Expr,
  operator: string,
  operands: { result: string; left: string; right: string },
): string | undefined {
  if (operator.length !== 1 || !'+-*/'.includes(operator) || !isFloatResult(ctx, expr)) return undefined;
  const { result, left, right } = operands;
  const finite = (x: string) => `NOT isinf(${x})`;
  const overflow =
    operator === '/'
      ? `isinf(${result}) AND ${finite(left)}`
      : `isinf(${result}) AND ${finite(left)} AND ${finite(right)}`;
  const underflow =
    operator === '*'
      ? `${result} = 0 AND ${left} <> 0 AND ${right} <> 0`
      : operator === '/'
        ? `${result} = 0 AND ${left} <> 0 AND ${finite(right)}`
        : undefined;
  const checks = [`WHEN ${overflow} THEN ${raise(FLOAT_OVERFLOW)}`];
  if (underflow !== undefined) checks.push(`WHEN ${underflow} THEN ${raise(FLOAT_UNDERFLOW)}`);
  return `(CASE ${checks.join(' ')} ELSE ${result} END)`;
}

/**
 * sum()/avg() of floats: `call(fn, argument)` writes the aggregate with its FILTER and OVER.
 * PostgreSQL adds value by value and fails once a sum of finite values overflows; the check
 * here is that the finite values' sum overflows (in DuckDB's order of addition, which, as for
 * any float sum, may differ from the heap's).
 */
export function checkedFloatSum(
  value: string,
  call: (fn: string, argument: string) => string,
  text: string,
): string {
  const finiteSum = call('sum', `(CASE WHEN isinf(${value}) THEN 0 ELSE ${value} END)`);
  return `(CASE WHEN isinf(${finiteSum}) THEN ${raise(FLOAT_OVERFLOW)} ELSE ${text} END)`;
}

/** exp(), power(), degrees() and radians() of double precision, with PostgreSQL's errors; undefined for other calls. */
export function checkedFloatFunction(name: string, args: readonly string[]): string | undefined {
  // degrees and radians divide and multiply by RADIANS_PER_DEGREE (float.c), checked as float8_div
  // and float8_mul are; DuckDB's x * 180 / pi rounds otherwise in the last digit.
  if (name === 'degrees' && args.length === 1) {
    const [x] = args as [string];
    const result = `(CAST(${x} AS DOUBLE) / ${RADIANS_PER_DEGREE})`;
    return `(CASE WHEN isinf(${result}) AND NOT isinf(${x}) THEN ${raise(FLOAT_OVERFLOW)} WHEN ${result} = 0 AND ${x} <> 0 THEN ${raise(FLOAT_UNDERFLOW)} ELSE ${result} END)`;
  }
  if (name === 'radians' && args.length === 1) {
    const [x] = args as [string];
    const result = `(CAST(${x} AS DOUBLE) * ${RADIANS_PER_DEGREE})`;
    return `(CASE WHEN ${result} = 0 AND ${x} <> 0 THEN ${raise(FLOAT_UNDERFLOW)} ELSE ${result} END)`;
  }
  if (name === 'exp' && args.length === 1) {
    const [x] = args as [string];
    return `(CASE WHEN isinf(exp(${x})) AND NOT isinf(${x}) THEN ${raise(FLOAT_OVERFLOW)} WHEN exp(${x}) = 0 AND NOT isinf(${x}) THEN ${raise(FLOAT_UNDERFLOW)} ELSE exp(${x}) END)`;
  }
  if ((name === 'power' || name === 'pow') && args.length === 2) {
    const [x, y] = args as [string, string];
    const result = `power(${x}, ${y})`;
    return `(CASE WHEN ${x} = 0 AND ${y} < 0 THEN ${raise(ZERO_TO_NEGATIVE_POWER)} WHEN ${x} < 0 AND NOT isinf(${x}) AND floor(${y}) <> ${y} AND NOT isinf(${y}) THEN ${raise(COMPLEX_POWER)} WHEN isinf(${result}) AND NOT isinf(${x}) AND NOT isinf(${y}) THEN ${raise(FLOAT_OVERFLOW)} WHEN ${result} = 0 AND ${x} <> 0 AND NOT isinf(${x}) AND NOT isinf(${y}) THEN ${raise(FLOAT_UNDERFLOW)} ELSE ${result} END)`;
  }
  return undefined;
}
