/**
 * The numeric operations to_char needs, done on the number's exact text as PostgreSQL's numeric.c
 * does them on its decimal digits: round to a scale (ties away from zero; the result shows
 * exactly that many decimals), multiply by a power of ten ('V'), and print in scientific
 * notation (numeric_out_sci). NaN and ±Infinity pass through as their text.
 */

interface Parsed {
  readonly negative: boolean;
  readonly integer: string;
  readonly fraction: string;
}

function parse(text: string): Parsed {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (match === null) throw new Error(`not a numeric text: ${text}`);
  return { negative: match[1] === '-', integer: match[2] ?? '', fraction: match[3] ?? '' };
}

const isSpecial = (text: string) => text === 'NaN' || text.endsWith('Infinity');

/** numeric_round(value, scale) printed by numeric_out: exactly `scale` decimals. */
export function roundNumericText(text: string, scale: number): string {
  if (isSpecial(text)) return text;
  const { negative, integer, fraction } = parse(text);
  const kept = fraction.padEnd(scale, '0').slice(0, scale);
  let magnitude = BigInt(`${integer}${kept}` || '0');
  if ((fraction[scale] ?? '0') >= '5') magnitude += 1n;
  const digits = magnitude.toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const body = scale > 0 ? `${whole}.${digits.slice(digits.length - scale)}` : whole;
  return (negative && magnitude !== 0n ? '-' : '') + body;
}

/** value × 10^power (power ≥ 0), exactly. */
export function shiftNumericText(text: string, power: number): string {
  if (isSpecial(text)) return text;
  const { negative, integer, fraction } = parse(text);
  const padded = fraction.padEnd(power, '0');
  const whole = `${integer}${padded.slice(0, power)}`.replace(/^0+(?=\d)/, '') || '0';
  const rest = padded.slice(power);
  return `${negative ? '-' : ''}${whole}${rest ? `.${rest}` : ''}`;
}

/**
 * numeric_out_sci(value, scale): d.ddd (scale decimals, rounded ties away from zero) and e±XX.
 * The significand is not renormalised after rounding: 9.995 with two decimals is "10.00e+00".
 */
export function numericOutSci(text: string, scale: number): string {
  if (isSpecial(text)) return text;
  const { negative, integer, fraction } = parse(text);
  const all = `${integer}${fraction}`;
  const first = all.search(/[1-9]/);
  let exponent = 0;
  let significand = '0';
  if (first >= 0) {
    exponent = integer.length - 1 - first;
    const digits = all.slice(first);
    significand = roundNumericText(`${digits[0]}.${digits.slice(1)}`, scale);
  } else {
    significand = roundNumericText('0', scale);
  }
  const power = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  return `${negative && first >= 0 ? '-' : ''}${significand}e${power}`;
}
