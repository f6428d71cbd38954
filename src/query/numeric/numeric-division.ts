/**
 * Division, modulo and square root of PostgreSQL numerics in BigInt (pg-numeric.ts): the
 * quotient's scale is select_div_scale()'s, computed exactly and rounded once, as div_var does
 * for numeric_div; mod_var's remainder; sqrt_var at the display scale numeric_stddev_internal
 * asks for.
 */
import { PgError, SqlState } from '../../errors.js';
import {
  checked,
  divideRounded,
  type Finite,
  isFiniteNumeric,
  NAN,
  type PgNumeric,
  pow10,
  signOf,
  widen,
  ZERO,
} from './pg-numeric.js';

/** NUMERIC_MIN_SIG_DIGITS: a quotient has at least this many significant digits. */
const MIN_SIG_DIGITS = 16;
/** NUMERIC_MAX_DISPLAY_SCALE: the most decimals select_div_scale gives a quotient. */
const MAX_DISPLAY_SCALE = 1000;

const divisionByZero = () => new PgError(SqlState.divisionByZero, 'division by zero');

/**
 * The weight of x's first non-zero base-10000 digit group (numeric's NBASE) and that group's
 * value; 0 and 0 for zero. Groups are aligned on the decimal point: 0.05 is group 0500 at
 * weight -1, 12345 is groups 1|2345 at weight 1.
 */
function leadingGroup(x: Finite): { weight: number; first: number } {
  if (x.digits === 0n) return { weight: 0, first: 0 };
  const text = (x.digits < 0n ? -x.digits : x.digits).toString();
  const log10 = text.length - 1 - x.scale;
  const weight = Math.floor(log10 / 4);
  const width = log10 - 4 * weight + 1;
  return { weight, first: Number(text.slice(0, width).padEnd(width, '0')) };
}

/**
 * select_div_scale: enough decimals for 16 significant digits of the quotient, judged from the
 * operands' leading groups, never fewer than either operand's display scale, at most 1000.
 */
export function divisionScale(a: Finite, b: Finite): number {
  const first = leadingGroup(a);
  const second = leadingGroup(b);
  const qweight = first.weight - second.weight - (first.first <= second.first ? 1 : 0);
  const scale = Math.max(MIN_SIG_DIGITS - qweight * 4, a.scale, b.scale, 0);
  return Math.min(scale, MAX_DISPLAY_SCALE);
}

/**
 * a / b (numeric_div). A zero divisor fails with 22012, or gives NULL when `zeroIsNull` (the
 * final step of avg() over no rows, where count is 0).
 */
export function divide(a: PgNumeric, b: PgNumeric, zeroIsNull = false): PgNumeric | null {
  if (isFiniteNumeric(a) && isFiniteNumeric(b)) {
    if (b.digits === 0n) {
      if (zeroIsNull) return null;
      throw divisionByZero();
    }
    const scale = divisionScale(a, b);
    // digits = a * 10^(scale - a.scale + b.scale) / b, the shift on whichever side keeps it whole.
    const shift = scale - a.scale + b.scale;
    const numerator = shift >= 0 ? a.digits * pow10(shift) : a.digits;
    const denominator = shift >= 0 ? b.digits : b.digits * pow10(-shift);
    return checked({ digits: divideRounded(numerator, denominator, 'round'), scale });
  }
  if (a === NAN || b === NAN) return NAN;
  if (isFiniteNumeric(a)) return ZERO; // finite / ±Infinity
  if (!isFiniteNumeric(b)) return NAN; // ±Infinity / ±Infinity
  const sign = signOf(b);
  if (sign === 0) {
    if (zeroIsNull) return null;
    throw divisionByZero();
  }
  return (a === 'Infinity') === sign > 0 ? 'Infinity' : '-Infinity';
}

/** a % b (numeric_mod: a - trunc(a / b) * b, at the larger display scale). */
export function modulo(a: PgNumeric, b: PgNumeric): PgNumeric {
  if (isFiniteNumeric(a) && isFiniteNumeric(b)) {
    if (b.digits === 0n) throw divisionByZero();
    const scale = Math.max(a.scale, b.scale);
    return { digits: widen(a, scale) % widen(b, scale), scale };
  }
  if (a === NAN || b === NAN) return NAN;
  if (!isFiniteNumeric(a)) {
    if (isFiniteNumeric(b) && b.digits === 0n) throw divisionByZero();
    return NAN;
  }
  return a; // finite % ±Infinity
}

/**
 * The square root of x >= 0 at x's display scale, rounded half away from zero, as sqrt_var
 * gives stddev from the rounded variance.
 */
export function squareRoot(x: PgNumeric): PgNumeric {
  if (!isFiniteNumeric(x)) {
    if (x === '-Infinity') throw negativeRoot();
    return x;
  }
  if (x.digits < 0n) throw negativeRoot();
  // sqrt(digits / 10^s) * 10^s = sqrt(digits * 10^s).
  const radicand = x.digits * pow10(x.scale);
  const root = integerSquareRoot(radicand);
  // root + 1/2 <= sqrt(N) exactly when N - root^2 > root (both sides integers).
  return { digits: radicand - root * root > root ? root + 1n : root, scale: x.scale };
}

/** Unreachable from SQL: stddev takes the root of a positive variance only (numeric-spread.ts). */
function negativeRoot(): PgError {
  return new PgError(SqlState.internalError, 'cannot take square root of a negative number');
}

/** floor(sqrt(n)) for n >= 0, by Newton's iteration from above. */
function integerSquareRoot(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}
