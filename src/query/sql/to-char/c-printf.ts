/**
 * C's printf("%.*f") and printf("%+.*e") of a double, as PostgreSQL's psprintf prints them:
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

/** printf("%+.*e", precision, value): d.ddd followed by e±XX (at least two exponent digits). */
export function printExponent(value: number, precision: number): string {
  const other = special(value);
  if (other !== undefined) return value > 0 || Number.isNaN(value) ? `+${other}` : other;
  const { digits, scale } = exactDecimal(value);
  let significand = 0n;
  let exponent = 0;
  if (digits !== 0n) {
    const length = digits.toString().length;
    exponent = length - 1 - scale;
    significand = roundHalfEven(digits, length - precision - 1);
    // 9.99 rounded to one decimal is 10.0: one more digit than asked, and the exponent grows.
    if (significand.toString().length > precision + 1) {
      significand /= 10n;
      exponent++;
    }
  }
  const text = significand.toString().padStart(precision + 1, '0');
  const mantissa = precision > 0 ? `${text[0]}.${text.slice(1)}` : text;
  const power = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${isNegative(value) ? '-' : '+'}${mantissa}e${power}`;
}
