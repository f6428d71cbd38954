/**
 * C's printf("%.*f"), printf("%+.*e") and printf("%.*g") of a double, as PostgreSQL's psprintf
 * prints them (to_char's numbers; float4out and float8out under extra_float_digits 0 or less):
 * finite values go to the C library, which prints the double's exact binary value rounded to the
 * precision with ties to even (2.5 → "2", 0.125 → "0.12"); NaN prints "NaN" and infinities
 * "Infinity" with their sign (src/port/snprintf.c), and minus zero keeps its sign.
 * JavaScript's toFixed/toExponential round ties away from zero, so the digits are computed here
 * from the double's exact decimal expansion instead.
 */

/** |value| as digits × 10^-scale, exactly (a double is m × 2^e, and 2^-k = 5^k / 10^k). */
function exactDecimal(value: number): { digits: bigint; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(value));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** digits × 10^-drop rounded to an integer, ties to even. */
function roundHalfEven(digits: bigint, drop: number): bigint {
  if (drop <= 0) return digits * 10n ** BigInt(-drop);
  const divisor = 10n ** BigInt(drop);
  const quotient = digits / divisor;
  const twice = (digits % divisor) * 2n;
  return twice > divisor || (twice === divisor && quotient % 2n === 1n) ? quotient + 1n : quotient;
}

/** Signs: C prints '-' for negative values and for minus zero. */
function isNegative(value: number): boolean {
  return value < 0 || Object.is(value, -0);
}

function special(value: number): string | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value < 0 ? '-Infinity' : 'Infinity';
  return undefined;
}

/** printf("%.*f", precision, value). */
export function printFixed(value: number, precision: number): string {
  const other = special(value);
  if (other !== undefined) return other;
  const { digits, scale } = exactDecimal(value);
  const text = roundHalfEven(digits, scale - precision)
    .toString()
    .padStart(precision + 1, '0');
  const integer = text.slice(0, text.length - precision);
  const body = precision > 0 ? `${integer}.${text.slice(text.length - precision)}` : integer;
  return (isNegative(value) ? '-' : '') + body;
}

/**
 * |value| rounded to `count` significant digits (ties to even): the digits, `count` of them
 * (zeros for zero), and the decimal exponent of the first.
 */
function significantDigits(value: number, count: number): { text: string; exponent: number } {
  const { digits, scale } = exactDecimal(value);
  if (digits === 0n) return { text: '0'.repeat(count), exponent: 0 };
  const length = digits.toString().length;
  let exponent = length - 1 - scale;
  let significand = roundHalfEven(digits, length - count);
  // 9.99 rounded to two digits is 10.0: one more digit than asked, and the exponent grows.
  if (significand.toString().length > count) {
    significand /= 10n;
    exponent++;
  }
  return { text: significand.toString(), exponent };
}

/** printf("%+.*e", precision, value): d.ddd followed by e±XX (at least two exponent digits). */
export function printExponent(value: number, precision: number): string {
  const other = special(value);
  if (other !== undefined) return value > 0 || Number.isNaN(value) ? `+${other}` : other;
  const { text, exponent } = significantDigits(value, precision + 1);
  const mantissa = precision > 0 ? `${text[0]}.${text.slice(1)}` : text;
  const power = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${isNegative(value) ? '-' : '+'}${mantissa}e${power}`;
}

/**
 * printf("%.*g", precision, value): `precision` significant digits (at least one), in fixed
 * notation when the exponent X of the rounded value lies in -4 <= X < precision, otherwise as
 * d.ddde±XX; trailing zeros of the fraction are dropped, and the point with them.
 */
export function printGeneral(value: number, precision: number): string {
  const other = special(value);
  if (other !== undefined) return other;
  const count = Math.max(precision, 1);
  const { text, exponent } = significantDigits(value, count);
  const sign = isNegative(value) ? '-' : '';
  if (exponent >= -4 && exponent < count) {
    const padded = exponent < 0 ? '0'.repeat(-exponent) + text : text;
    const integerLength = Math.max(exponent, 0) + 1;
    return sign + withoutTrailingZeros(padded.slice(0, integerLength), padded.slice(integerLength));
  }
  const power = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${sign}${withoutTrailingZeros(text.slice(0, 1), text.slice(1))}e${power}`;
}

function withoutTrailingZeros(integer: string, fraction: string): string {
  const kept = fraction.replace(/0+$/, '');
  return kept === '' ? integer : `${integer}.${kept}`;
}
