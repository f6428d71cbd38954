/**
 * to_char(number, template) for each of PostgreSQL's number types, as formatting.c's
 * int4_to_char, int8_to_char, numeric_to_char, float4_to_char and float8_to_char prepare the
 * number before NUM_processor (number-format.ts) prints it:
 *
 * - integers and numerics arrive as their exact text; numerics round half away from zero on
 *   that text (numeric_round), never through a double;
 * - floats arrive as the double itself and print through C's printf (query/c-printf.ts), their
 *   decimals capped so that digits before and after the point stay within DBL_DIG (15) or
 *   FLT_DIG (6);
 * - EEEE: int4 and floats through printf("%+.*e") (ties to even), int8 and numeric through
 *   numeric_out_sci (ties away from zero, and 9.995 with two decimals is "10.00e+00");
 * - RN: the value rounded to an integer, and 1..3999 only (else fifteen '#'); an int8 or a
 *   numeric outside int4 fails as PostgreSQL 17 fails (22003, or 0A000 for NaN and infinity);
 * - a number wider than the template's digits prints as '#' in every digit position.
 */
import { PgError, SqlState } from '../../../errors.js';
import { printExponent, printFixed } from '../../c-printf.js';
import { formatNumber, type PreparedNumber } from './number-format.js';
import { Flag, type NumberDesc, type NumberTemplate, parseNumberPattern } from './number-pattern.js';
import { numericOutSci, roundNumericText, shiftNumericText } from './numeric-text-ops.js';

export type ExactKind = 'int4' | 'int8' | 'numeric';
export type FloatKind = 'float4' | 'float8';

const INT4_MAX = 2147483647;
const INT4_MIN = -2147483648;
const INT8_MAX = (1n << 63n) - 1n;
const INT8_MIN = -(1n << 63n);

const templates = new Map<string, NumberTemplate>();

/** Parsed templates, kept: a query prints many rows with one template. */
function parsed(template: string): NumberTemplate {
  let found = templates.get(template);
  if (found === undefined) {
    found = parseNumberPattern(template);
    if (templates.size >= 256) templates.clear();
    templates.set(template, found);
  }
  return found;
}

/** to_char of an integer or numeric given as its exact text (smallint prints as a double: the emitter). */
export function exactToChar(kind: ExactKind, value: string, template: string): string {
  if (template === '') return '';
  const t = parsed(template);
  const desc = { ...t.desc };
  return formatNumber(t, kind === 'numeric' ? numericNumber(value, desc) : integerNumber(kind, value, desc));
}

/** to_char of a real or double precision value. */
export function floatToChar(kind: FloatKind, value: number, template: string): string {
  if (template === '') return '';
  const t = parsed(template);
  return formatNumber(t, floatNumber(kind, value, { ...t.desc }));
}

const is = (desc: NumberDesc, flag: number) => (desc.flag & flag) !== 0;

function outOfRange(type: 'integer' | 'bigint'): PgError {
  return new PgError(SqlState.numericValueOutOfRange, `${type} out of range`);
}

/** int_to_roman: 1..3999 in upper-case numerals, anything else fifteen '#'. */
export function toRoman(value: number): string {
  if (!(value >= 1 && value <= 3999)) return '#'.repeat(15);
  const ones = ['', 'I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX'];
  const tens = ['', 'X', 'XX', 'XXX', 'XL', 'L', 'LX', 'LXX', 'LXXX', 'XC'];
  const hundreds = ['', 'C', 'CC', 'CCC', 'CD', 'D', 'DC', 'DCC', 'DCCC', 'CM'];
  const d = (n: number) => Math.floor(value / n) % 10;
  return 'M'.repeat(Math.floor(value / 1000)) + hundreds[d(100)]! + tens[d(10)]! + ones[d(1)]!;
}

/**
 * The shared end of the preparations: the sign split off, blanks for missing digits, or '#'
 * in every digit position when the number has more digits before the point than the template.
 */
function finish(text: string, desc: NumberDesc): PreparedNumber {
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  const point = digits.indexOf('.');
  const preLength = point < 0 ? digits.length : point;
  const sign = negative ? '-' : '+';
  if (preLength > desc.pre)
    return { number: `${'#'.repeat(desc.pre)}.${'#'.repeat(desc.post)}`, sign, outPreSpaces: 0, desc };
  return { number: digits, sign, outPreSpaces: desc.pre - preLength, desc };
}

/** numeric_out_sci's text with a blank where a positive number has no sign; '#' for NaN and infinities. */
function scientific(text: string, desc: NumberDesc): PreparedNumber {
  if (text === 'NaN' || text.endsWith('Infinity'))
    return { number: hashedExponent(desc), sign: '', outPreSpaces: 0, desc };
  return { number: text.startsWith('-') ? text : ` ${text}`, sign: '', outPreSpaces: 0, desc };
}

/** A blank, pre '#', the point, post '#' and four more for the exponent ("e+00"). */
function hashedExponent(desc: NumberDesc): string {
  return ` ${'#'.repeat(desc.pre)}.${'#'.repeat(desc.post + 4)}`;
}

function roman(value: number, desc: NumberDesc): PreparedNumber {
  return { number: toRoman(value), sign: '', outPreSpaces: 0, desc };
}

function integerNumber(kind: 'int4' | 'int8', value: string, desc: NumberDesc): PreparedNumber {
  const big = BigInt(value);
  if (is(desc, Flag.roman)) {
    if (big > BigInt(INT4_MAX) || big < BigInt(INT4_MIN)) throw outOfRange('integer');
    return roman(Number(big), desc);
  }
  if (is(desc, Flag.eeee)) {
    if (kind === 'int8') return scientific(numericOutSci(value, desc.post), desc);
    const text = printExponent(Number(big), desc.post);
    return { number: text.startsWith('+') ? ` ${text.slice(1)}` : text, sign: '', outPreSpaces: 0, desc };
  }
  let text = value;
  if (is(desc, Flag.multi)) {
    text =
      kind === 'int4'
        ? String(Math.imul(Number(big), int4Power(desc.multi)))
        : String(int8Multiply(big, desc.multi));
    desc.pre += desc.multi;
  }
  if (desc.post > 0) text += `.${'0'.repeat(desc.post)}`;
  return finish(text, desc);
}

/** (int32) pow(10, multi): past int4 the conversion gives INT_MIN on x86, as PostgreSQL's binary does. */
function int4Power(multi: number): number {
  const power = 10 ** multi;
  return power > INT4_MAX ? INT4_MIN : power;
}

/** int8mul(value, dtoi8(pow(10, multi))), with their 22003 errors. */
function int8Multiply(value: bigint, multi: number): bigint {
  if (10 ** multi >= 2 ** 63) throw outOfRange('bigint');
  const product = value * 10n ** BigInt(multi);
  if (product > INT8_MAX || product < INT8_MIN) throw outOfRange('bigint');
  return product;
}

function numericNumber(value: string, desc: NumberDesc): PreparedNumber {
  if (is(desc, Flag.roman)) return roman(numericToInt4(value), desc);
  if (is(desc, Flag.eeee)) return scientific(numericOutSci(value, desc.post), desc);
  let text = value;
  if (is(desc, Flag.multi)) {
    text = shiftNumericText(value, desc.multi);
    desc.pre += desc.multi;
  }
  return finish(roundNumericText(text, desc.post), desc);
}

/** numeric_int4(numeric_round(value, 0)) with PostgreSQL 17's errors. */
function numericToInt4(value: string): number {
  if (value === 'NaN') throw new PgError(SqlState.featureNotSupported, 'cannot convert NaN to integer');
  if (value.endsWith('Infinity'))
    throw new PgError(SqlState.featureNotSupported, 'cannot convert infinity to integer');
  const rounded = BigInt(roundNumericText(value, 0));
  if (rounded > BigInt(INT4_MAX) || rounded < BigInt(INT4_MIN)) throw outOfRange('integer');
  return Number(rounded);
}

function floatNumber(kind: FloatKind, value: number, desc: NumberDesc): PreparedNumber {
  const narrow = kind === 'float4' ? Math.fround : (x: number) => x;
  if (is(desc, Flag.roman)) {
    // rint (ties to even) then (int): NaN and values past int4 give INT_MIN, which prints '#'.
    const rounded = roundHalfEven(value);
    return roman(rounded >= INT4_MIN && rounded <= INT4_MAX ? rounded : INT4_MIN, desc);
  }
  if (is(desc, Flag.eeee)) {
    if (!Number.isFinite(value)) return { number: hashedExponent(desc), sign: '', outPreSpaces: 0, desc };
    const text = printExponent(value, desc.post);
    return { number: text.startsWith('+') ? ` ${text.slice(1)}` : text, sign: '', outPreSpaces: 0, desc };
  }
  let scaled = value;
  if (is(desc, Flag.multi)) {
    scaled = narrow(value * narrow(10 ** desc.multi));
    desc.pre += desc.multi;
  }
  // Digits a float holds: DBL_DIG (15) or FLT_DIG (6) in all, counting those before the point.
  const limit = kind === 'float4' ? 6 : 15;
  const preLength = printFixed(Math.abs(scaled), 0).length;
  if (preLength >= limit) desc.post = 0;
  else if (preLength + desc.post > limit) desc.post = limit - preLength;
  return finish(printFixed(scaled, desc.post), desc);
}

/** rint() under the default rounding mode. */
function roundHalfEven(value: number): number {
  if (!Number.isFinite(value)) return Number.NaN;
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5 || (diff === 0.5 && floor % 2 !== 0)) return floor + 1;
  return floor;
}
