/**
 * Binary numeric (numeric_send / numeric_recv in src/backend/utils/adt/numeric.c):
 *   int16 ndigits, int16 weight, uint16 sign, int16 dscale, ndigits × int16 digit
 * Digits are base 10000, the first one worth 10000^weight; dscale is the
 * number of decimal digits shown after the point. PostgreSQL stores values
 * without leading or trailing zero digits, and zero as ndigits 0, weight 0,
 * positive, so "0.00" is [0, 0, 0x0000, 2].
 */
import { type BinaryCodec, badText, malformed } from './binary-codec.js';

const POSITIVE = 0x0000;
const NEGATIVE = 0x4000;
const NAN = 0xc000;
const PLUS_INFINITY = 0xd000;
const MINUS_INFINITY = 0xf000;
const SPECIALS: Readonly<Record<string, number>> = {
  NaN: NAN,
  Infinity: PLUS_INFINITY,
  '-Infinity': MINUS_INFINITY,
};
/** NUMERIC_MAX_PRECISION + NUMERIC_MAX_RESULT_SCALE: numeric_recv's bound on ndigits. */
const MAX_NDIGITS = 3000;
const DSCALE_MASK = 0x3fff;
const NUMBER = /^([+-])?(\d+)(?:\.(\d*))?$/;

function header(ndigits: number, weight: number, sign: number, dscale: number): Buffer {
  const out = Buffer.alloc(8 + ndigits * 2);
  out.writeInt16BE(ndigits, 0);
  out.writeInt16BE(weight, 2);
  out.writeUInt16BE(sign, 4);
  out.writeInt16BE(dscale, 6);
  return out;
}

function encodeNumeric(text: string): Buffer {
  const special = SPECIALS[text];
  // numeric_send reads the header fields of the stored short-format value, so
  // the infinities carry dscale 32 (0xD000/0xF000 & 0x1F80 >> 7) and NaN 0.
  if (special !== undefined) return header(0, 0, special, special === NAN ? 0 : 32);
  const m = NUMBER.exec(text);
  if (!m) throw badText('numeric', text);
  const intDigits = (m[2] ?? '').replace(/^0+/, '');
  const fracDigits = m[3] ?? '';
  // Align both parts on the decimal point in groups of four digits.
  const intPadded = intDigits.padStart(Math.ceil(intDigits.length / 4) * 4, '0');
  const fracPadded = fracDigits.padEnd(Math.ceil(fracDigits.length / 4) * 4, '0');
  const all = intPadded + fracPadded;
  const groups: number[] = [];
  for (let i = 0; i < all.length; i += 4) groups.push(Number(all.slice(i, i + 4)));
  let weight = intPadded.length / 4 - 1;
  let first = 0;
  while (first < groups.length && groups[first] === 0) {
    first++;
    weight--;
  }
  let end = groups.length;
  while (end > first && groups[end - 1] === 0) end--;
  const digits = groups.slice(first, end);
  const dscale = fracDigits.length;
  if (dscale > DSCALE_MASK || weight > 0x7fff || weight < -0x8000) throw badText('numeric', text);
  if (digits.length === 0) return header(0, 0, POSITIVE, dscale);
  const out = header(digits.length, weight, m[1] === '-' ? NEGATIVE : POSITIVE, dscale);
  digits.forEach((digit, i) => {
    out.writeInt16BE(digit, 8 + i * 2);
  });
  return out;
}

/** Exact decimal text with dscale digits after the point; extra digits are truncated as numeric_recv does. */
function decodeNumeric(bytes: Buffer): string {
  if (bytes.length < 8) throw malformed('numeric', `expected at least 8 bytes, got ${bytes.length}`);
  const ndigits = bytes.readInt16BE(0);
  const weight = bytes.readInt16BE(2);
  const sign = bytes.readUInt16BE(4);
  const dscale = bytes.readInt16BE(6);
  if (ndigits < 0 || ndigits > MAX_NDIGITS) throw malformed('numeric', `invalid length ${ndigits}`);
  if (bytes.length !== 8 + ndigits * 2) {
    throw malformed('numeric', `${ndigits} digits need ${8 + ndigits * 2} bytes, got ${bytes.length}`);
  }
  if (![POSITIVE, NEGATIVE, NAN, PLUS_INFINITY, MINUS_INFINITY].includes(sign)) {
    throw malformed('numeric', `invalid sign 0x${sign.toString(16)}`);
  }
  if ((dscale & DSCALE_MASK) !== dscale) throw malformed('numeric', `invalid scale ${dscale}`);
  const digits: number[] = [];
  for (let i = 0; i < ndigits; i++) {
    const digit = bytes.readInt16BE(8 + i * 2);
    if (digit < 0 || digit > 9999) throw malformed('numeric', `invalid digit ${digit}`);
    digits.push(digit);
  }
  if (sign === NAN) return 'NaN';
  if (sign === PLUS_INFINITY) return 'Infinity';
  if (sign === MINUS_INFINITY) return '-Infinity';
  // Digit group k (0 = the first) is worth 10000^(weight - k).
  const group = (k: number): string => String(digits[k] ?? 0).padStart(4, '0');
  let intPart = '';
  for (let k = 0; k <= weight; k++) intPart += group(k);
  intPart = intPart.replace(/^0+/, '') || '0';
  let fracPart = '';
  for (let k = weight + 1; fracPart.length < dscale; k++) fracPart += k < 0 ? '0000' : group(k);
  fracPart = fracPart.slice(0, dscale);
  const isZero = /^[0.]*$/.test(intPart + fracPart);
  const body = dscale > 0 ? `${intPart}.${fracPart}` : intPart;
  return sign === NEGATIVE && !isZero ? `-${body}` : body;
}

export const numericCodec: BinaryCodec = { name: 'numeric', encode: encodeNumeric, decode: decodeNumeric };
