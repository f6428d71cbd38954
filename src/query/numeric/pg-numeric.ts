/**
 * PostgreSQL's numeric, computed exactly in BigInt: a finite value is its digits at its display
 * scale (`1.50` is 150n at scale 2), so every operation keeps the scale numeric.c gives it and
 * prints as numeric_out does. NaN and ±Infinity behave as PostgreSQL 14+'s.
 *
 * The limits are PostgreSQL's, not a machine word's: a result with more than 131072 digits
 * before the point or 16383 after fails with 22003, as make_result() does.
 */
import { PgError, SqlState } from '../../errors.js';

export type Special = 'NaN' | 'Infinity' | '-Infinity';

/** A finite numeric: digits / 10^scale, scale being the display scale (dscale). */
export interface Finite {
  readonly digits: bigint;
  readonly scale: number;
}

export type PgNumeric = Finite | Special;

export const NAN: Special = 'NaN';
export const ZERO: Finite = { digits: 0n, scale: 0 };

/** NUMERIC_DSCALE_MAX: the most decimals a numeric holds. */
export const MAX_SCALE = 0x3fff;
/** Base-10000 groups before the point a numeric holds (NUMERIC_WEIGHT_MAX + 1), in decimal digits. */
const MAX_INTEGER_DIGITS = (0x7fff + 1) * 4;

const TEXT = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;

export function isFiniteNumeric(x: PgNumeric): x is Finite {
  return typeof x !== 'string';
}

/** numeric_in of the text a column or an exact DuckDB value prints as (22P02 when not a number). */
export function parseNumeric(text: string): PgNumeric {
  const match = TEXT.exec(text);
  if (match === null || `${match[2]}${match[3] ?? ''}` === '') return parseSpecial(text);
  const decimals = match[3] ?? '';
  const magnitude = BigInt(`${match[2] || '0'}${decimals}`);
  return { digits: match[1] === '-' ? -magnitude : magnitude, scale: decimals.length };
}

function parseSpecial(text: string): Special {
  const special = /^\s*([+-]?)(nan|inf|infinity)\s*$/i.exec(text);
  if (special === null)
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type numeric: "${text}"`);
  if (special[2]?.toLowerCase() === 'nan') return NAN;
  return special[1] === '-' ? '-Infinity' : 'Infinity';
}

/** numeric_out: sign, integer digits (at least one), the display scale's decimals; never "-0". */
export function formatNumeric(x: PgNumeric): string {
  if (!isFiniteNumeric(x)) return x;
  const negative = x.digits < 0n;
  const plain = (negative ? -x.digits : x.digits).toString().padStart(x.scale + 1, '0');
  const integer = plain.slice(0, plain.length - x.scale);
  const text = x.scale === 0 ? integer : `${integer}.${plain.slice(plain.length - x.scale)}`;
  return negative ? `-${text}` : text;
}

/** make_result's check: a value numeric's storage cannot hold fails with 22003. */
export function checked(x: PgNumeric): PgNumeric {
  if (!isFiniteNumeric(x)) return x;
  const magnitude = x.digits < 0n ? -x.digits : x.digits;
  const integerDigits = magnitude.toString().length - x.scale;
  if (x.scale > MAX_SCALE || (magnitude !== 0n && integerDigits > MAX_INTEGER_DIGITS))
    throw new PgError(SqlState.numericValueOutOfRange, 'value overflows numeric format');
  return x;
}

export function signOf(x: Finite): -1 | 0 | 1 {
  return x.digits < 0n ? -1 : x.digits > 0n ? 1 : 0;
}

const powers: bigint[] = [];
export function pow10(k: number): bigint {
  if (k < 64) {
    powers[k] ??= 10n ** BigInt(k);
    return powers[k]!;
  }
  return 10n ** BigInt(k);
}

/** The digits of x at `scale` >= x.scale (no rounding needed). */
export function widen(x: Finite, scale: number): bigint {
  return x.digits * pow10(scale - x.scale);
}

/** n / d rounded half away from zero (round_var), or toward zero (trunc_var). */
export function divideRounded(n: bigint, d: bigint, mode: 'round' | 'trunc'): bigint {
  const q = n / d;
  if (mode === 'trunc') return q;
  const r = n % d;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice < (d < 0n ? -d : d)) return q;
  return n < 0n !== d < 0n ? q - 1n : q + 1n;
}

/** x at `scale` decimals, rounded (or truncated) when that drops digits. */
export function rescale(x: Finite, scale: number, mode: 'round' | 'trunc'): Finite {
  if (scale >= x.scale) return { digits: widen(x, scale), scale };
  return { digits: divideRounded(x.digits, pow10(x.scale - scale), mode), scale };
}

function infinityOfSign(sign: number): PgNumeric {
  if (sign === 0) return NAN;
  return sign > 0 ? 'Infinity' : '-Infinity';
}

function signOfAny(x: PgNumeric): number {
  if (x === 'Infinity') return 1;
  if (x === '-Infinity') return -1;
  return isFiniteNumeric(x) ? signOf(x) : 0;
}

/** a + b and a - b (add_var/sub_var: exact, at the larger display scale). */
export function addSubtract(a: PgNumeric, b: PgNumeric, op: '+' | '-'): PgNumeric {
  if (isFiniteNumeric(a) && isFiniteNumeric(b)) {
    const scale = Math.max(a.scale, b.scale);
    const right = widen(b, scale);
    return checked({ digits: op === '+' ? widen(a, scale) + right : widen(a, scale) - right, scale });
  }
  if (a === NAN || b === NAN) return NAN;
  const bSign = op === '+' ? signOfAny(b) : -signOfAny(b);
  if (!isFiniteNumeric(a)) {
    const aSign = signOfAny(a);
    // Inf - Inf and Inf + -Inf have no value.
    return !isFiniteNumeric(b) && aSign !== bSign ? NAN : a;
  }
  return infinityOfSign(bSign);
}

/** a * b (numeric_mul: exact at the sum of the display scales, rounded past 16383 decimals). */
export function multiply(a: PgNumeric, b: PgNumeric): PgNumeric {
  if (isFiniteNumeric(a) && isFiniteNumeric(b)) {
    const product = { digits: a.digits * b.digits, scale: a.scale + b.scale };
    return checked(product.scale > MAX_SCALE ? rescale(product, MAX_SCALE, 'round') : product);
  }
  if (a === NAN || b === NAN) return NAN;
  // Inf * 0 has no value.
  return infinityOfSign(signOfAny(a) * signOfAny(b));
}

export function negate(a: PgNumeric): PgNumeric {
  if (!isFiniteNumeric(a)) return a === NAN ? NAN : infinityOfSign(-signOfAny(a));
  return { digits: -a.digits, scale: a.scale };
}

export function absolute(a: PgNumeric): PgNumeric {
  if (!isFiniteNumeric(a)) return a === NAN ? NAN : 'Infinity';
  return { digits: a.digits < 0n ? -a.digits : a.digits, scale: a.scale };
}

/** sign(a): -1, 0 or 1 at scale 0; NaN for NaN. */
export function sign(a: PgNumeric): PgNumeric {
  if (a === NAN) return NAN;
  return { digits: BigInt(signOfAny(a)), scale: 0 };
}

/** ceil(a) / floor(a): the integer at or above / below, display scale 0. */
export function ceilFloor(a: PgNumeric, mode: 'ceil' | 'floor'): PgNumeric {
  if (!isFiniteNumeric(a)) return a;
  const unit = pow10(a.scale);
  const truncated = a.digits / unit;
  const rest = a.digits % unit;
  const adjust = mode === 'ceil' ? (rest > 0n ? 1n : 0n) : rest < 0n ? -1n : 0n;
  return checked({ digits: truncated + adjust, scale: 0 });
}

/**
 * The least scale round() and trunc() use (numeric_round, PostgreSQL 16+): one digit left of
 * the most integer digits a numeric holds; below it every value rounds to 0 alike.
 */
const MIN_ROUND_SCALE = -MAX_INTEGER_DIGITS - 1;

/**
 * round(a, n) / trunc(a, n) (numeric_round/numeric_trunc): rounded half away from zero (or
 * truncated) at the n-th decimal, n < 0 left of the point; display scale max(n, 0), n clamped
 * to [-131073, 16383] as PostgreSQL does.
 */
export function roundAt(a: PgNumeric, n: number, mode: 'round' | 'trunc'): PgNumeric {
  if (!isFiniteNumeric(a)) return a;
  const scale = Math.min(Math.max(n, MIN_ROUND_SCALE), MAX_SCALE);
  if (scale >= 0) return checked(rescale(a, scale, mode));
  // Left of the point: one rounding of the exact value to a multiple of 10^-n, printed as an integer.
  const unit = pow10(-scale);
  return checked({ digits: divideRounded(a.digits, unit * pow10(a.scale), mode) * unit, scale: 0 });
}

/** Decimals sumText aligns every fraction to (numeric-exact.ts). */
const SUM_FRACTION_DIGITS = 30;

/**
 * The sum sumText adds up in parts: `integers` + `fractions` / 10^30, printed at the largest
 * display scale of the values summed (each had at most 30 significant decimals, so the sum has
 * no more than `scale` and none is lost).
 */
export function fromSumParts(integers: string, fractions: string, scale: number): PgNumeric {
  const digits = BigInt(integers) * pow10(SUM_FRACTION_DIGITS) + BigInt(fractions);
  const atThirty: Finite = { digits, scale: SUM_FRACTION_DIGITS };
  return checked(rescale(atThirty, scale, 'trunc'));
}

/**
 * numeric_in of text, printed as numeric_out prints it: digits, point, exponent, NaN and Infinity
 * spellings — the display scale is the text's decimals less its exponent (`1.50` keeps 2, `1e5`
 * has 0). Bad text fails as in PostgreSQL (22P02); PostgreSQL 16's `0x1F` and `1_000`, which an
 * older server rejects, fail with 0A000.
 */
export function numericInput(text: string): string {
  const special = /^\s*([+-]?)(nan|inf|infinity)\s*$/i.exec(text);
  if (special !== null) {
    if (special[2]?.toLowerCase() === 'nan') return 'NaN';
    return `${special[1] === '-' ? '-' : ''}Infinity`;
  }
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (match === null && (/\d_\d/.test(text) || /^\s*[+-]?0[xXoObB]/.test(text)))
    throw new PgError(
      SqlState.featureNotSupported,
      'numeric input with a base prefix or underscores is not supported by pg_analytica',
    );
  if (match === null || `${match[2]}${match[3] ?? ''}` === '')
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type numeric: "${text}"`);
  const exponent = Number(match[4] ?? '0');
  let digits = `${match[2]}${match[3] ?? ''}`;
  let scale = (match[3] ?? '').length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const padded = digits.padStart(scale + 1, '0');
  const integer = padded.slice(0, padded.length - scale).replace(/^0+(?=\d)/, '');
  const sign = match[1] === '-' && /[1-9]/.test(digits) ? '-' : '';
  return `${sign}${integer}${scale > 0 ? `.${padded.slice(-scale)}` : ''}`;
}
