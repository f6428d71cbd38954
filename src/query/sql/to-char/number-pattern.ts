/**
 * to_char's number template, parsed as PostgreSQL's formatting.c parse_format() reads it with
 * NUM_keywords: at each position the first keyword (in the table's order, among those starting
 * with the same character) that the text starts with, else one literal character or a "…"
 * quoted string. Each keyword updates the number's description (NUMDesc_prepare): digits before
 * and after the decimal point, the 'V' multiplier, the position of the first and last '0', and
 * the sign, fill and locale flags; contradictory templates fail with PostgreSQL's 42601 errors.
 */
import { PgError, SqlState } from '../../../errors.js';
import { literalAt } from './datetime-pattern.js';

export type NumberKey =
  | ','
  | '.'
  | '0'
  | '9'
  | 'B'
  | 'C'
  | 'D'
  | 'EEEE'
  | 'FM'
  | 'G'
  | 'L'
  | 'MI'
  | 'PL'
  | 'PR'
  | 'RN'
  | 'rn'
  | 'SG'
  | 'SP'
  | 'S'
  | 'TH'
  | 'th'
  | 'V';

export type NumberNode =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'key'; readonly key: NumberKey };

export const Flag = {
  decimal: 1 << 1,
  localeDecimal: 1 << 2,
  zero: 1 << 3,
  blank: 1 << 4,
  fillMode: 1 << 5,
  localeSign: 1 << 6,
  bracket: 1 << 7,
  minus: 1 << 8,
  plus: 1 << 9,
  roman: 1 << 10,
  multi: 1 << 11,
  plusPost: 1 << 12,
  minusPost: 1 << 13,
  eeee: 1 << 14,
} as const;

export const LSIGN_PRE = -1;
export const LSIGN_POST = 1;

/** NUMDesc: what the template says about the number. */
export interface NumberDesc {
  pre: number;
  post: number;
  lsign: number;
  flag: number;
  preLsignNum: number;
  multi: number;
  zeroStart: number;
  zeroEnd: number;
  needLocale: boolean;
}

export interface NumberTemplate {
  readonly nodes: readonly NumberNode[];
  readonly desc: Readonly<NumberDesc>;
}

/** NUM_keywords in PostgreSQL's order; lower-case spellings read as the upper-case ones except rn and th. */
const KEYWORDS: readonly [string, NumberKey][] = [
  [',', ','],
  ['.', '.'],
  ['0', '0'],
  ['9', '9'],
  ['B', 'B'],
  ['C', 'C'],
  ['D', 'D'],
  ['EEEE', 'EEEE'],
  ['FM', 'FM'],
  ['G', 'G'],
  ['L', 'L'],
  ['MI', 'MI'],
  ['PL', 'PL'],
  ['PR', 'PR'],
  ['RN', 'RN'],
  ['SG', 'SG'],
  ['SP', 'SP'],
  ['S', 'S'],
  ['TH', 'TH'],
  ['V', 'V'],
  ['b', 'B'],
  ['c', 'C'],
  ['d', 'D'],
  ['eeee', 'EEEE'],
  ['fm', 'FM'],
  ['g', 'G'],
  ['l', 'L'],
  ['mi', 'MI'],
  ['pl', 'PL'],
  ['pr', 'PR'],
  ['rn', 'rn'],
  ['sg', 'SG'],
  ['sp', 'SP'],
  ['s', 'S'],
  ['th', 'th'],
  ['v', 'V'],
];

function keywordAt(text: string, at: number): [string, NumberKey] | undefined {
  return KEYWORDS.find(([name]) => name[0] === text[at] && text.startsWith(name, at));
}

export function parseNumberPattern(text: string): NumberTemplate {
  const nodes: NumberNode[] = [];
  const desc: NumberDesc = {
    pre: 0,
    post: 0,
    lsign: 0,
    flag: 0,
    preLsignNum: 0,
    multi: 0,
    zeroStart: 0,
    zeroEnd: 0,
    needLocale: false,
  };
  let i = 0;
  while (i < text.length) {
    const keyword = keywordAt(text, i);
    if (keyword !== undefined) {
      i += keyword[0].length;
      prepare(desc, keyword[1]);
      nodes.push({ kind: 'key', key: keyword[1] });
      continue;
    }
    // One node per character, as PostgreSQL keeps them: each is copied to the output.
    i = literalAt(text, i, (ch) => nodes.push({ kind: 'text', text: ch }));
  }
  return { nodes, desc };
}

const has = (desc: NumberDesc, flag: number) => (desc.flag & flag) !== 0;

function syntaxError(message: string): PgError {
  return new PgError(SqlState.syntaxError, message);
}

/** NUMDesc_prepare: one keyword's effect on the description. */
function prepare(desc: NumberDesc, key: NumberKey): void {
  if (has(desc, Flag.eeee) && key !== 'EEEE') throw syntaxError('"EEEE" must be the last pattern used');
  switch (key) {
    case '9':
      digit(desc, '9');
      return;
    case '0':
      digit(desc, '0');
      return;
    case 'B':
      if (desc.pre === 0 && desc.post === 0 && !has(desc, Flag.zero)) desc.flag |= Flag.blank;
      return;
    case 'D':
      desc.flag |= Flag.localeDecimal;
      desc.needLocale = true;
      decimalPoint(desc);
      return;
    case '.':
      decimalPoint(desc);
      return;
    case 'FM':
      desc.flag |= Flag.fillMode;
      return;
    case 'S':
      localeSign(desc);
      return;
    case 'MI':
    case 'PL':
    case 'SG':
    case 'PR':
      sign(desc, key);
      return;
    case 'RN':
    case 'rn':
      desc.flag |= Flag.roman;
      return;
    case 'L':
    case 'G':
      desc.needLocale = true;
      return;
    case 'V':
      if (has(desc, Flag.decimal)) throw syntaxError('cannot use "V" and decimal point together');
      desc.flag |= Flag.multi;
      return;
    case 'EEEE':
      exponent(desc);
      return;
    default:
      return;
  }
}

function digit(desc: NumberDesc, key: '0' | '9'): void {
  if (has(desc, Flag.bracket)) throw syntaxError(`"${key}" must be ahead of "PR"`);
  if (key === '9') {
    if (has(desc, Flag.multi)) desc.multi++;
    else if (has(desc, Flag.decimal)) desc.post++;
    else desc.pre++;
    return;
  }
  if (!has(desc, Flag.zero) && !has(desc, Flag.decimal)) {
    desc.flag |= Flag.zero;
    desc.zeroStart = desc.pre + 1;
  }
  if (has(desc, Flag.decimal)) desc.post++;
  else desc.pre++;
  desc.zeroEnd = desc.pre + desc.post;
}

function decimalPoint(desc: NumberDesc): void {
  if (has(desc, Flag.decimal)) throw syntaxError('multiple decimal points');
  if (has(desc, Flag.multi)) throw syntaxError('cannot use "V" and decimal point together');
  desc.flag |= Flag.decimal;
}

function localeSign(desc: NumberDesc): void {
  if (has(desc, Flag.localeSign)) throw syntaxError('cannot use "S" twice');
  if (has(desc, Flag.plus) || has(desc, Flag.minus) || has(desc, Flag.bracket))
    throw syntaxError('cannot use "S" and "PL"/"MI"/"SG"/"PR" together');
  if (!has(desc, Flag.decimal)) {
    desc.lsign = LSIGN_PRE;
    desc.preLsignNum = desc.pre;
    desc.needLocale = true;
    desc.flag |= Flag.localeSign;
  } else if (desc.lsign === 0) {
    desc.lsign = LSIGN_POST;
    desc.needLocale = true;
    desc.flag |= Flag.localeSign;
  }
}

function sign(desc: NumberDesc, key: 'MI' | 'PL' | 'SG' | 'PR'): void {
  if (key === 'PR') {
    if (has(desc, Flag.localeSign) || has(desc, Flag.plus) || has(desc, Flag.minus))
      throw syntaxError('cannot use "PR" and "S"/"PL"/"MI"/"SG" together');
    desc.flag |= Flag.bracket;
    return;
  }
  if (has(desc, Flag.localeSign)) throw syntaxError(`cannot use "S" and "${key}" together`);
  if (key !== 'PL') desc.flag |= Flag.minus;
  if (key !== 'MI') desc.flag |= Flag.plus;
  if (key === 'MI' && has(desc, Flag.decimal)) desc.flag |= Flag.minusPost;
  if (key === 'PL' && has(desc, Flag.decimal)) desc.flag |= Flag.plusPost;
}

function exponent(desc: NumberDesc): void {
  if (has(desc, Flag.eeee)) throw syntaxError('cannot use "EEEE" twice');
  const others =
    Flag.blank |
    Flag.fillMode |
    Flag.localeSign |
    Flag.bracket |
    Flag.minus |
    Flag.plus |
    Flag.roman |
    Flag.multi;
  if ((desc.flag & others) !== 0) {
    throw new PgError(SqlState.syntaxError, '"EEEE" is incompatible with other formats', {
      detail: '"EEEE" may only be used together with digit and decimal point patterns.',
    });
  }
  desc.flag |= Flag.eeee;
}
