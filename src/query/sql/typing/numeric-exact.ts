/**
 * Exact numeric arithmetic on values whose display scale varies by row, in DuckDB SQL.
 *
 * PostgreSQL's numeric carries a display scale per value (dscale): `1.0` and `1.00` are
 * equal but print differently, a quotient's scale depends on the operands' values
 * (select_div_scale), and `avg()` is such a quotient. DuckDB's DECIMAL has one scale per
 * column, so values of varying scale travel as PostgreSQL's text of the numeric (VARCHAR,
 * the type stage's `heldAsText`).
 *
 * The scalar operations (+ - * / %, round, trunc, abs, ceil, floor, sign) are calls of the
 * pga_numeric_* functions (query/numeric/): exact in BigInt within PostgreSQL's own limits,
 * and a few bytes of SQL each. Written in SQL they took kilobytes per operation and DuckDB
 * tens of milliseconds to plan a query with a few of them.
 *
 * sum() (an aggregate) and the comparison key stay in SQL, on HUGEINT parts of the text: what
 * HUGEINT cannot hold (38 digits) is never rounded, the query fails with 0A000 for an operand
 * past what they hold (or NaN/Infinity) and 22003 for a sum that overflows. DuckDB has no LET: a
 * value used several times is bound once through a one-element list and list_transform
 * (bind()). Lambda parameters are named pga_* so no column is shadowed.
 */
import { type NumericFunctionName, numericFunction } from '../../numeric/duckdb-numeric-functions.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';

/** The most integer digits sumText and numericKey hold (HUGEINT holds every 38-digit integer). */
export const EXACT_DIGITS = 38;
/** Decimals each value's fraction is aligned to when summed (sumText, pga_numeric_sum_parts). */
const SUM_FRACTION_DIGITS = 30;

const FINITE = `finite values of at most ${EXACT_DIGITS} integer digits`;

let lambdaCounter = 0;

/** `body` with `param` bound to the value of `value` (evaluated once). */
export function bind(value: string, body: (param: string) => string): string {
  const param = `pga_b${(lambdaCounter++ % 1000).toString(36)}`;
  return `list_transform([${value}], lambda ${param}: ${body(param)})[1]`;
}

/** error() raising 0A000 (through duckdb-errors.ts): `what` the value `x` (SQL) needs more than it `holds`. */
function operandError(x: string, what: string, holds: string): string {
  const before = `${unsupportedMarker}${what} the numeric value `;
  const after = `: it computes this exactly only for ${holds}`;
  return `error(${quoteLiteral(before)} || ${x} || ${quoteLiteral(after)})`;
}

/** Numeric text of a DuckDB-exact value (integer, DECIMAL, or numeric text already): its own digits. */
export function asNumericText(sql: string): string {
  return `CAST(${sql} AS VARCHAR)`;
}

/** A pga_numeric_ function call on SQL arguments. */
function call(name: NumericFunctionName, ...args: string[]): string {
  return `${numericFunction(name)}(${args.join(', ')})`;
}

const ARITHMETIC = { '+': 'add', '-': 'sub', '*': 'mul' } as const;

/** a + b, a - b (add_var/sub_var: the larger display scale), a * b (mul_var: the sum of the scales). */
export function arithmeticText(op: '+' | '-' | '*', a: string, b: string): string {
  return call(ARITHMETIC[op], a, b);
}

/** -a (the same display scale). */
export function negateText(a: string): string {
  return call('neg', a);
}

/** abs(a) (the same display scale). */
export function absText(a: string): string {
  return call('abs', a);
}

/** ceil(a) / floor(a) (numeric_ceil, numeric_floor): an integer, display scale 0. */
export function ceilFloorText(a: string, mode: 'ceil' | 'floor'): string {
  return call(mode, a);
}

/** sign(a) (numeric_sign): -1, 0 or 1, display scale 0. */
export function signText(a: string): string {
  return call('sign', a);
}

/**
 * round(a, n) / trunc(a, n) on numeric text (numeric_round, numeric_trunc): rounded at the
 * n-th decimal (n < 0: left of the point), printed with max(n, 0) decimals.
 */
export function roundText(a: string, n: string, mode: 'round' | 'trunc'): string {
  return call(mode, a, `CAST(${n} AS INTEGER)`);
}

/**
 * a / b on numeric text, as numeric_div: exactly, rounded half away from zero to the scale
 * select_div_scale() picks — at least 16 significant digits (NUMERIC_MIN_SIG_DIGITS), never
 * fewer decimals than either operand's display scale, at most 1000. A zero divisor is
 * PostgreSQL's 22012, or NULL when `zeroIsNull` (avg of no rows).
 */
export function divideText(a: string, b: string, zeroIsNull: boolean): string {
  return call('div', a, b, zeroIsNull ? 'true' : 'false');
}

/** sqrt_var of numeric text at its display scale, rounded (stddev of the variance). */
export function sqrtText(a: string): string {
  return call('sqrt', a);
}

/**
 * A key that orders numeric text by value and is equal for equal values whatever their
 * display scale (1.0 and 1.00): {class, floor, fraction digits} compared field by field.
 * The fraction of a negative value is taken from its floor (-1.25 = -2 + 0.75), so that the
 * digits compare as text. Classes order -Infinity < finite < Infinity < NaN, as numeric_cmp.
 * Any number of fraction digits is exact; an integer part past 38 digits fails (0A000).
 */
export function numericKey(x: string): string {
  return bind(x, (t) => {
    const negative = `starts_with(${t}, '-')`;
    const magnitude = `ltrim(${t}, '-')`;
    const integer = `CAST(split_part(${magnitude}, '.', 1) AS HUGEINT)`;
    const fraction = `rtrim(split_part(${magnitude}, '.', 2), '0')`;
    const complement =
      `translate(left(${fraction}, length(${fraction}) - 1), '0123456789', '9876543210') || ` +
      `CAST(10 - CAST(right(${fraction}, 1) AS INTEGER) AS VARCHAR)`;
    const special = (cls: number) => `{'c': ${cls}, 'i': CAST(0 AS HUGEINT), 'f': ''}`;
    const finite = `regexp_full_match(${t}, '-?[0-9]+(\\.[0-9]+)?') AND length(ltrim(split_part(${magnitude}, '.', 1), '0')) <= ${EXACT_DIGITS}`;
    return `CASE WHEN ${t} IS NULL THEN NULL WHEN ${t} = 'NaN' THEN ${special(3)}
      WHEN ${t} = 'Infinity' THEN ${special(2)} WHEN ${t} = '-Infinity' THEN ${special(0)}
      WHEN NOT (${finite}) THEN ${operandError(t, 'comparing', FINITE)}
      WHEN NOT ${negative} THEN {'c': 1, 'i': ${integer}, 'f': ${fraction}}
      WHEN ${fraction} = '' THEN {'c': 1, 'i': -${integer}, 'f': ''}
      ELSE {'c': 1, 'i': -${integer} - 1, 'f': ${complement}} END`;
  });
}

/** a % b (mod_var: a - trunc(a / b) * b, at the larger display scale); b = 0 is 22012. */
export function modText(a: string, b: string): string {
  return call('mod', a, b);
}

/**
 * Numeric text sumText can split exactly: finite, at most 38 integer digits (HUGEINT) and at
 * most 30 decimals that are not trailing zeros.
 */
const SUMMABLE = `'-?[0-9]{1,${EXACT_DIGITS}}(\\.[0-9]{0,${SUM_FRACTION_DIGITS}}0*)?'`;

/**
 * sum() of numeric text, exactly: integer parts and fractions (aligned to 30 decimals) are
 * summed apart as HUGEINT, so no value is rounded, and pga_numeric_sum_parts prints the total
 * with the largest display scale among the values, as add_var keeps it. `aggregate(fn, x)`
 * wraps x in the aggregate call (with its DISTINCT, FILTER and OVER). A value past 38 integer
 * digits or 30 significant decimals fails with 0A000; a sum past HUGEINT's range with 22003.
 *
 * Each part reads the text on its own (x is bound once per part, not parsed into a pair): the
 * SQL stays a few hundred bytes, which DuckDB plans quickly. Only the integer part checks the
 * text; the others TRY_CAST, so a bad value fails with the check's 0A000 whichever runs first.
 */
export function sumText(x: string, aggregate: (fn: string, sql: string) => string): string {
  const integer = bind(
    x,
    (t) =>
      `CASE WHEN ${t} IS NULL THEN NULL WHEN regexp_full_match(${t}, ${SUMMABLE}) THEN CAST(split_part(${t}, '.', 1) AS HUGEINT) ELSE ${operandError(t, 'sum() of', `${FINITE} and ${SUM_FRACTION_DIGITS} decimals`)} END`,
  );
  const fraction = bind(
    x,
    (t) =>
      `TRY_CAST(CASE WHEN starts_with(${t}, '-') THEN '-' ELSE '' END || rpad(split_part(${t}, '.', 2), ${SUM_FRACTION_DIGITS}, '0') AS HUGEINT)`,
  );
  const scale = `length(split_part(${x}, '.', 2))`;
  const sums = [aggregate('sum', integer), aggregate('sum', fraction)].map(
    (sum) => `CAST(${sum} AS VARCHAR)`,
  );
  return call('sum_parts', ...sums, `CAST(${aggregate('max', scale)} AS INTEGER)`);
}
