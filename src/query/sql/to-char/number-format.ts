/**
 * The to_char half of formatting.c's NUM_processor(): the template's nodes walked left to right
 * over the number's text (`number`: its digits, perhaps a point and decimals, or '#' after an
 * overflow, or a Roman numeral), writing blanks, zeros, digits, signs, brackets, separators and
 * literal text as PostgreSQL does. The state (the current digit, whether a digit was written,
 * whether the sign was, the last decimal FM keeps) follows PostgreSQL's so that every odd
 * combination ('FM9.9' of 0, 'S' after the point, 'PR' with FM) prints the same.
 *
 * Locale symbols are the C locale's (lc_numeric and lc_monetary 'C'): '.', ',', '+', '-' and a
 * blank currency symbol; the emitter refuses D, G, L and S under any other locale.
 */
import { PgError, SqlState } from '../../../errors.js';
import { Flag, LSIGN_POST, LSIGN_PRE, type NumberDesc, type NumberTemplate } from './number-pattern.js';

const C_LOCALE = { negative: '-', positive: '+', decimal: '.', thousands: ',', currency: ' ' };

/** What the type-specific preparation hands the processor (numeric_to_char, int4_to_char, …). */
export interface PreparedNumber {
  /** The digits to print, without sign ("12.50", "####.##", "XIV", " 1.5e+02"). */
  readonly number: string;
  /** '+', '-', or '' (Roman numerals: no sign). */
  readonly sign: '+' | '-' | '';
  /** Blank positions before the first digit. */
  readonly outPreSpaces: number;
  /** The description as the preparation left it (V adds to pre; floats cap post). */
  readonly desc: NumberDesc;
}

class Processor {
  out = '';
  signWrote = false;
  numCount = 0;
  numIn = false;
  numCurr = 0;
  numberP = 0;
  lastRelevant: number | undefined;
  readonly num: NumberDesc;
  readonly number: string;
  readonly sign: string;
  readonly outPreSpaces: number;
  readonly locale = C_LOCALE;

  constructor(prepared: PreparedNumber) {
    this.num = { ...prepared.desc };
    this.number = prepared.number;
    this.sign = prepared.sign;
    this.outPreSpaces = prepared.outPreSpaces;
  }

  is(flag: number): boolean {
    return (this.num.flag & flag) !== 0;
  }

  /** The character at `i` of the number, '\0' past its end (PostgreSQL reads the terminator). */
  at(i: number | undefined): string {
    return i === undefined ? '' : (this.number[i] ?? '\0');
  }

  /** IS_PREDEC_SPACE: a leading '0' before the point prints as a blank ("9.9" of 0.1 → "  .1"). */
  predecSpace(): boolean {
    return !this.is(Flag.zero) && this.numberP === 0 && this.number[0] === '0' && this.num.post !== 0;
  }

  localeSign(): string {
    return this.sign === '-' ? this.locale.negative : this.locale.positive;
  }
}

/** Sign, counters and FM's last relevant decimal, as NUM_processor sets them up before the walk. */
function setUp(p: Processor): void {
  const num = p.num;
  if (num.zeroStart) num.zeroStart--;
  if (p.is(Flag.roman)) {
    num.lsign = num.preLsignNum = num.post = num.pre = 0;
    num.flag = (p.is(Flag.fillMode) ? Flag.fillMode : 0) | Flag.roman;
  }
  if (p.is(Flag.plus) || p.is(Flag.minus)) {
    p.signWrote = !(p.is(Flag.plus) && !p.is(Flag.minus));
  } else {
    if (p.sign !== '-' && p.is(Flag.fillMode)) num.flag &= ~Flag.bracket;
    p.signWrote = p.sign === '+' && p.is(Flag.fillMode) && !p.is(Flag.localeSign);
    if (num.lsign === LSIGN_PRE && num.pre === num.preLsignNum) num.lsign = LSIGN_POST;
  }
  p.numCount = num.post + num.pre - 1;
  if (p.is(Flag.fillMode) && p.is(Flag.decimal)) {
    p.lastRelevant = lastRelevantDecimal(p.number);
    // '0' positions after the point keep their digits even under FM.
    if (p.lastRelevant !== undefined && num.zeroEnd > p.outPreSpaces) {
      const lastZero = Math.min(p.number.length - 1, num.zeroEnd - p.outPreSpaces);
      if (p.lastRelevant < lastZero) p.lastRelevant = lastZero;
    }
  }
  if (!p.signWrote && p.outPreSpaces === 0) p.numCount++;
}

/** get_last_relevant_decnum: the last non-zero decimal, or the point itself. */
function lastRelevantDecimal(number: string): number | undefined {
  const point = number.indexOf('.');
  if (point < 0) return undefined;
  let result = point;
  for (let i = point + 1; i < number.length; i++) if (number[i] !== '0') result = i;
  return result;
}

/** The sign before the first digit printed (NUM_numpart_to_char's first part). */
function writeLeadingSign(p: Processor): void {
  const atStart = p.numCurr >= p.outPreSpaces || (p.is(Flag.zero) && p.num.zeroStart === p.numCurr);
  const pointOnly = p.lastRelevant !== undefined && p.at(p.lastRelevant) === '.';
  if (p.signWrote || !atStart || (p.predecSpace() && !pointOnly)) return;
  if (p.is(Flag.localeSign)) {
    if (p.num.lsign === LSIGN_PRE) {
      p.out += p.localeSign();
      p.signWrote = true;
    }
  } else if (p.is(Flag.bracket)) {
    p.out += p.sign === '+' ? ' ' : '<';
    p.signWrote = true;
  } else if (p.sign === '+') {
    if (!p.is(Flag.fillMode)) p.out += ' ';
    p.signWrote = true;
  } else if (p.sign === '-') {
    p.out += '-';
    p.signWrote = true;
  }
}

/** A digit position: blank, leading zero, the point, or the number's next character. */
function writeDigit(p: Processor, key: string): void {
  if (p.numCurr < p.outPreSpaces && (p.num.zeroStart > p.numCurr || !p.is(Flag.zero))) {
    if (!p.is(Flag.fillMode)) p.out += ' ';
    return;
  }
  if (p.is(Flag.zero) && p.numCurr < p.outPreSpaces && p.num.zeroStart <= p.numCurr) {
    p.out += '0';
    p.numIn = true;
    return;
  }
  const pointOnly = p.lastRelevant !== undefined && p.at(p.lastRelevant) === '.';
  if (p.at(p.numberP) === '.') {
    if (!pointOnly || p.is(Flag.fillMode)) p.out += p.locale.decimal;
  } else if (p.lastRelevant !== undefined && p.numberP > p.lastRelevant && key !== '0') {
    // FM drops trailing zeros of the decimals.
  } else if (p.predecSpace()) {
    if (!p.is(Flag.fillMode)) p.out += ' ';
    else if (pointOnly) p.out += '0';
  } else {
    p.out += p.at(p.numberP);
    p.numIn = true;
  }
  if (p.numberP < p.number.length) p.numberP++;
}

/** NUM_numpart_to_char: a 9, 0, '.' or D of the template. */
function numberPart(p: Processor, key: string): void {
  if (p.is(Flag.roman)) return;
  p.numIn = false;
  writeLeadingSign(p);
  writeDigit(p, key);
  let end = p.numCount + (p.outPreSpaces ? 1 : 0) + (p.is(Flag.decimal) ? 1 : 0);
  if (p.lastRelevant !== undefined && p.lastRelevant === p.numberP) end = p.numCurr;
  if (p.numCurr + 1 === end) {
    if (p.signWrote && p.is(Flag.bracket)) p.out += p.sign === '+' ? ' ' : '>';
    else if (p.is(Flag.localeSign) && p.num.lsign === LSIGN_POST) p.out += p.localeSign();
  }
  p.numCurr++;
}

/** get_th: the ordinal suffix of the number's last digit (11th-13th, else 1st 2nd 3rd, th). */
function ordinal(number: string, upper: boolean): string {
  const last = number.at(-1) ?? '';
  if (!/[0-9]/.test(last))
    throw new PgError(SqlState.invalidTextRepresentation, `"${number}" is not a number`);
  const teen = number.length > 1 && number.at(-2) === '1';
  const suffix = teen ? 'th' : ({ '1': 'st', '2': 'nd', '3': 'rd' }[last] ?? 'th');
  return upper ? suffix.toUpperCase() : suffix;
}

/** The text one keyword other than a digit position writes ('' for none). */
function keywordText(p: Processor, key: string): string {
  const fill = p.is(Flag.fillMode);
  switch (key) {
    case ',':
      return p.numIn ? ',' : fill ? '' : ' ';
    case 'G':
      return p.numIn ? p.locale.thousands : fill ? '' : ' '.repeat([...p.locale.thousands].length);
    case 'L':
      return p.locale.currency;
    case 'RN':
    case 'rn': {
      const roman = p.number.slice(p.numberP);
      const cased = key === 'rn' ? roman.toLowerCase() : roman;
      return fill ? cased : cased.padStart(15, ' ');
    }
    case 'TH':
    case 'th':
      if (p.is(Flag.roman) || p.number[0] === '#' || p.sign === '-' || p.is(Flag.decimal)) return '';
      return ordinal(p.number, key === 'TH');
    case 'MI':
      return p.sign === '-' ? '-' : fill ? '' : ' ';
    case 'PL':
      return p.sign === '+' ? '+' : fill ? '' : ' ';
    case 'SG':
      // No sign (Roman numerals) writes C's terminator: the output ends there.
      return p.sign === '' ? '\0' : p.sign;
    default:
      return '';
  }
}

/** to_char's text for a prepared number and its template. */
export function formatNumber(template: NumberTemplate, prepared: PreparedNumber): string {
  const p = new Processor(prepared);
  // EEEE prints the number alone, whatever else the template holds.
  if (p.is(Flag.eeee)) return prepared.number;
  setUp(p);
  for (const node of template.nodes) {
    if (node.kind === 'text') p.out += node.text;
    else if (node.key === '9' || node.key === '0' || node.key === '.' || node.key === 'D')
      numberPart(p, node.key);
    else p.out += keywordText(p, node.key);
  }
  const end = p.out.indexOf('\0');
  return end < 0 ? p.out : p.out.slice(0, end);
}
