/**
 * PostgreSQL's text output of float4, float8 and numeric.
 *
 * Since PostgreSQL 12, with extra_float_digits = 1 (the default), float4out
 * and float8out print the shortest digits that read back as the same value
 * (Ryu, src/common/d2s.c and f2s.c). Fixed notation is used when the decimal
 * exponent e (value = d.ddd × 10^e) satisfies -4 <= e < 15 for float8 and
 * -4 <= e < 6 for float4, exponent notation otherwise with at least two
 * exponent digits: '1e-05', '1e+15', '1.234567e+06'. With extra_float_digits 0 or less
 * (a session's choice, as older clients make it) they print printf("%.*g") with 15 (float8) or 6
 * (float4) digits plus extra_float_digits, at least one: 0.1 + 0.2 is '0.3'.
 */

import { printGeneral } from './c-printf.js';

/** The digits float8out and float4out print by default before PostgreSQL 12 (float.h). */
const DBL_DIG = 15;
const FLT_DIG = 6;

/** float8out under the session's extra_float_digits. */
export function formatFloat8(value: number, extraFloatDigits = 1): string {
  if (extraFloatDigits <= 0) return printGeneral(value, DBL_DIG + extraFloatDigits);
  // Fixed-notation range: JS prints the same shortest digits the same way there.
  if ((value >= 1e-4 && value < 1e15) || (value <= -1e-4 && value > -1e15)) return String(value);
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  const exponential = value.toExponential();
  const magnitude = Math.abs(value);
  if (magnitude < 2 ** 53) return withTwoDigitExponent(exponential);
  const [digits, exponent] = splitExponential(magnitude.toExponential());
  const inside = openIntervalDigits(magnitude, digits, exponent, 53);
  if (inside === undefined) return withTwoDigitExponent(exponential);
  const body = layoutDecimal(inside[0], inside[1], 15);
  return value < 0 ? `-${body}` : body;
}

/** '1.5e-5' → '1.5e-05'; JS already prints the shortest round-trip mantissa. */
function withTwoDigitExponent(exponential: string): string {
  const e = exponential.indexOf('e');
  return exponential.length - e === 3
    ? `${exponential.slice(0, e + 2)}0${exponential.slice(e + 2)}`
    : exponential;
}

/** float4out under the session's extra_float_digits, for a JS number that holds a float32 value exactly. */
export function formatFloat4(value: number, extraFloatDigits = 1): string {
  if (extraFloatDigits <= 0) return printGeneral(value, FLT_DIG + extraFloatDigits);
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  const magnitude = Math.abs(value);
  let [digits, exponent] = shortestFloat32Digits(magnitude);
  if (magnitude >= 2 ** 24)
    [digits, exponent] = openIntervalDigits(magnitude, digits, exponent, 24) ?? [digits, exponent];
  const body = layoutDecimal(digits, exponent, 6);
  return value < 0 ? `-${body}` : body;
}

/**
 * The shortest digit string (without trailing zeros) and decimal exponent
 * that read back through float32 as `value`. Among strings of one length the
 * closest to the value wins, as in Ryu; when the correctly rounded candidate
 * does not round-trip (the asymmetric gap below a power of two), its
 * neighbours are tried before taking one more digit.
 */
function shortestFloat32Digits(value: number): [string, number] {
  for (let precision = 1; precision <= 9; precision++) {
    const [mantissa, exponent] = splitExponential(value.toExponential(precision - 1));
    if (Math.fround(Number(`${mantissa}e${exponent - precision + 1}`)) === value) {
      const even = halfwayDown(value, precision, mantissa, exponent);
      return even ?? [trimZeros(mantissa), exponent];
    }
    const neighbour = roundTripNeighbour(value, BigInt(mantissa), exponent - precision + 1);
    if (neighbour !== undefined) {
      const text = neighbour.digits.toString();
      return [trimZeros(text), neighbour.scale + text.length - 1];
    }
  }
  const [mantissa, exponent] = splitExponential(value.toExponential(8));
  return [trimZeros(mantissa), exponent];
}

/**
 * JS rounds a tie (value exactly halfway between two candidates) away from
 * zero, Ryu to the even candidate. 100 digits hold every float32 value's
 * exact expansion far enough to see a tie (ties have at most 10 digits).
 */
function halfwayDown(
  value: number,
  precision: number,
  mantissa: string,
  exponent: number,
): [string, number] | undefined {
  const last = mantissa.charCodeAt(mantissa.length - 1) - 48;
  if (last % 2 === 0) return undefined;
  const exact = splitExponential(value.toExponential(99))[0];
  if (exact.charCodeAt(precision) !== 53 || !/^0*$/.test(exact.slice(precision + 1))) return undefined;
  const lower = BigInt(mantissa) - 1n;
  const scale = exponent - precision + 1;
  if (Math.fround(Number(`${lower}e${scale}`)) !== value) return undefined;
  const text = lower.toString();
  return [trimZeros(text), scale + text.length - 1];
}

function roundTripNeighbour(
  value: number,
  digits: bigint,
  scale: number,
): { digits: bigint; scale: number } | undefined {
  let best: { digits: bigint; scale: number; distance: number } | undefined;
  for (const candidate of [digits - 1n, digits + 1n]) {
    if (candidate <= 0n) continue;
    const parsed = Number(`${candidate}e${scale}`);
    if (Math.fround(parsed) !== value) continue;
    const distance = Math.abs(parsed - value);
    if (best === undefined || distance < best.distance) best = { digits: candidate, scale, distance };
  }
  return best;
}

/**
 * PostgreSQL builds Ryu without STRICTLY_SHORTEST (acceptBounds = false, see
 * src/common/d2s.c): a decimal exactly halfway between the value and a
 * neighbour is never printed, although it reads back as the value (ties go
 * to the even mantissa) and JS prints it. Such a midpoint has at most 17
 * digits only when it is a whole number, i.e. for |value| >= 2^precisionBits
 * where every float is an integer, so the check runs there, exactly, on
 * BigInts (scaled by 4 to keep midpoints integral). Returns the digits to
 * print instead: the shortest strictly inside the interval, the closest to
 * the value (ties to even).
 */
function openIntervalDigits(
  magnitude: number,
  digits: string,
  exponent: number,
  precisionBits: number,
): [string, number] | undefined {
  const zeros = exponent - digits.length + 1;
  if (zeros < 0) return undefined;
  const value = BigInt(magnitude);
  const ulp = 1n << BigInt(Math.max(value.toString(2).length - precisionBits, 0));
  const high4 = 4n * value + 2n * ulp;
  // Below a power of two the gap to the neighbour is half as wide.
  const low4 = 4n * value - ((value & (value - 1n)) === 0n ? ulp : 2n * ulp);
  const candidate4 = 4n * BigInt(digits) * 10n ** BigInt(zeros);
  if (candidate4 !== high4 && candidate4 !== low4) return undefined;
  const text = value.toString();
  for (let length = digits.length + 1; length <= text.length; length++) {
    const unit = 10n ** BigInt(text.length - length);
    const best = closestInside(value, unit, low4, high4);
    if (best !== undefined) {
      const bestText = best.toString();
      return [trimZeros(bestText), bestText.length - 1 + text.length - length];
    }
  }
  return undefined;
}

/** Of the two multiples of `unit` around `value`, the one (in units) strictly inside (low, high). */
function closestInside(value: bigint, unit: bigint, low4: bigint, high4: bigint): bigint | undefined {
  const below = value / unit;
  let best: bigint | undefined;
  let bestDistance = 0n;
  for (const candidate of [below, below + 1n]) {
    const scaled4 = 4n * candidate * unit;
    if (scaled4 <= low4 || scaled4 >= high4) continue;
    const distance = candidate * unit > value ? candidate * unit - value : value - candidate * unit;
    if (
      best === undefined ||
      distance < bestDistance ||
      (distance === bestDistance && candidate % 2n === 0n)
    ) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** '1.2345e+6' → ['12345', 6]. */
function splitExponential(exponential: string): [string, number] {
  const e = exponential.indexOf('e');
  const mantissa = exponential.slice(0, e).replace('.', '');
  return [mantissa, Number(exponential.slice(e + 1))];
}

function trimZeros(digits: string): string {
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  return digits.slice(0, end);
}

/** Ryu's to_chars layout: digits d1d2…dn × 10^(exponent - n + 1). */
function layoutDecimal(digits: string, exponent: number, maxFixedExponent: number): string {
  if (exponent < -4 || exponent >= maxFixedExponent) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const magnitude = Math.abs(exponent);
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${magnitude < 10 ? '0' : ''}${magnitude}`;
  }
  if (exponent < 0) return `0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return digits + '0'.repeat(exponent + 1 - digits.length);
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/**
 * numeric_out of a DECIMAL: the unscaled integer printed with exactly
 * `scale` fraction digits ('0.50', '-0.05', '12'), as numeric(p,s) prints.
 */
export function decimalFormatter(scale: number): (unscaled: bigint) => string {
  if (scale === 0) return (unscaled) => unscaled.toString();
  return (unscaled) => {
    const negative = unscaled < 0n;
    let digits = (negative ? -unscaled : unscaled).toString();
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    const point = digits.length - scale;
    return `${negative ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
  };
}
