/**
 * PostgreSQL's regular expressions (ARE, regc_lex.c) rewritten for DuckDB's RE2, or refused.
 * The same text means something else in the two: `\b` is a backspace in PostgreSQL and a word
 * boundary in RE2, `\B` a backslash and a non-boundary, `\s` includes the vertical tab in
 * PostgreSQL, `\m`/`\M` are word starts and ends, and a bracket may hold `\b`. Each escape is
 * rewritten to what PostgreSQL means, and what RE2 does not have (back-references,
 * lookaround, collating elements, octal and open-ended hex escapes, `***` directors) is refused
 * with 0A000 instead of failing in RE2 or matching otherwise.
 *
 * Where a match's extent matters (regexp_replace), RE2 picks the leftmost-first match (Perl's
 * rule) and PostgreSQL the leftmost-longest (POSIX's): `regexp_replace('abcd', 'a|ab', 'X')` is
 * `Xcd` in PostgreSQL. The two agree when no alternation, quantified group or non-greedy
 * quantifier makes a choice, so `use: 'replace'` refuses those — but for alternations of literal
 * words none of which begins another, which can make no choice (alternation.ts).
 */

import { checkAlternations } from './alternation.js';

export class RegexRefusal extends Error {}

const SPACE_CLASS = '\\t\\n\\v\\f\\r ';

/** Character-entry escapes: the same character inside a bracket and out. */
const CHARACTER_ESCAPES: Readonly<Record<string, string>> = {
  a: '\\x07',
  b: '\\x08',
  B: '\\\\',
  e: '\\x1B',
  f: '\\f',
  n: '\\n',
  r: '\\r',
  t: '\\t',
  v: '\\v',
};

/** Escapes outside a bracket: PostgreSQL's meaning in RE2's spelling. */
const ESCAPES: Readonly<Record<string, string>> = {
  ...CHARACTER_ESCAPES,
  d: '\\d',
  D: '\\D',
  w: '\\w',
  W: '\\W',
  s: `[${SPACE_CLASS}]`,
  S: `[^${SPACE_CLASS}]`,
  A: '\\A',
  Z: '\\z',
  y: '\\b',
  Y: '\\B',
};

/** Escapes inside a bracket (a class escape stands for its members). */
const BRACKET_ESCAPES: Readonly<Record<string, string>> = {
  ...CHARACTER_ESCAPES,
  d: '0-9',
  w: '0-9A-Za-z_',
  s: SPACE_CLASS,
};

const CLASS_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S']);

export interface TranslatedPattern {
  /** The pattern in RE2's syntax. */
  readonly re2: string;
  /** Capture groups, for the replacement's references. */
  readonly groups: number;
  /** The pattern names character classes, whose non-ASCII members depend on the ctype. */
  readonly usesClasses: boolean;
}

export function translatePattern(pattern: string, use: 'match' | 'replace'): TranslatedPattern {
  if (pattern.startsWith('***')) throw new RegexRefusal('a "***" director');
  let out = '';
  let groups = 0;
  let usesClasses = false;
  let i = 0;
  const chars = [...pattern];
  const anchored = isAnchoredBothEnds(chars);
  // Alternation only of words none of which begins another (alternation.ts).
  if (use === 'replace') checkAlternations(chars);
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) throw new RegexRefusal('a trailing backslash');
      i += 2;
      if (next === 'u' || next === 'U') {
        const width = next === 'u' ? 4 : 8;
        const hex = chars.slice(i, i + width).join('');
        if (!new RegExp(`^[0-9A-Fa-f]{${width}}$`).test(hex))
          throw new RegexRefusal(`the escape \\${next}${hex}`);
        out += `\\x{${hex}}`;
        i += width;
        continue;
      }
      const mapped = ESCAPES[next];
      if (mapped !== undefined) {
        if (CLASS_ESCAPES.has(next)) usesClasses = true;
        out += mapped;
        continue;
      }
      if (/[0-9A-Za-z]/.test(next)) throw new RegexRefusal(`the escape \\${next}`);
      out += `\\${next}`;
      continue;
    }
    if (c === '[') {
      const bracket = translateBracket(chars, i);
      out += bracket.re2;
      usesClasses ||= bracket.usesClasses;
      i = bracket.end;
      continue;
    }
    if (c === '(') {
      if (chars[i + 1] === '?') {
        if (chars[i + 2] !== ':') throw new RegexRefusal('lookaround or embedded options "(?"');
        out += '(?:';
        i += 3;
        continue;
      }
      groups++;
    }
    if (use === 'replace') refuseChoice(chars, i, anchored);
    out += c;
    i++;
  }
  return { re2: out, groups, usesClasses };
}

/**
 * A pattern of the form ^…$ (no alternation at its top level to cut the anchors off): any match
 * is the whole value, whichever rule picks it.
 */
function isAnchoredBothEnds(chars: readonly string[]): boolean {
  if (chars[0] !== '^' || chars.at(-1) !== '$') return false;
  let backslashes = 0;
  for (let k = chars.length - 2; k >= 0 && chars[k] === '\\'; k--) backslashes++;
  return backslashes % 2 === 0;
}

/**
 * Where a match's extent would differ between leftmost-first and leftmost-longest. In a pattern
 * anchored at both ends the extent is the value; a greedy quantified group then takes, as in
 * PostgreSQL (earlier subexpressions first, each as much as it can), what Perl's rule gives it.
 */
function refuseChoice(chars: readonly string[], i: number, anchored: boolean): void {
  const c = chars[i]!;
  const next = chars[i + 1];
  if (c === ')' && !anchored && next !== undefined && '*+?{'.includes(next))
    throw new RegexRefusal('a quantified group');
  if ((c === '*' || c === '+' || c === '?' || c === '}') && next === '?')
    throw new RegexRefusal('a non-greedy quantifier');
}

/** A bracket expression from `start` (at '['): its RE2 text and the index after its ']'. */
function translateBracket(
  chars: readonly string[],
  start: number,
): { re2: string; end: number; usesClasses: boolean } {
  let i = start + 1;
  let out = '[';
  let usesClasses = false;
  if (chars[i] === '^') {
    out += '^';
    i++;
  }
  // A ']' first is a member.
  if (chars[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < chars.length && chars[i] !== ']') {
    const c = chars[i]!;
    if (c === '[' && (chars[i + 1] === '.' || chars[i + 1] === '='))
      throw new RegexRefusal('a collating element or equivalence class');
    if (c === '[' && chars[i + 1] === ':') {
      const close = chars.indexOf(':', i + 2);
      if (close < 0 || chars[close + 1] !== ']') throw new RegexRefusal('an unterminated character class');
      out += chars.slice(i, close + 2).join('');
      usesClasses = true;
      i = close + 2;
      continue;
    }
    if (c === '\\') {
      const next = chars[i + 1];
      const mapped = next === undefined ? undefined : BRACKET_ESCAPES[next];
      if (mapped !== undefined) {
        if (next === 'd' || next === 'w' || next === 's') usesClasses = true;
        out += mapped;
        i += 2;
        continue;
      }
      if (next === undefined || /[0-9A-Za-z]/.test(next))
        throw new RegexRefusal(`the escape \\${next ?? ''} in a bracket`);
      out += `\\${next}`;
      i += 2;
      continue;
    }
    out += c === '[' ? '\\[' : c;
    i++;
  }
  if (i >= chars.length) throw new RegexRefusal('an unterminated bracket expression');
  return { re2: `${out}]`, end: i + 1, usesClasses };
}

/**
 * regexp_replace's replacement: `\1`–`\9` the groups, `\&` the whole match, `\\` a backslash
 * (PostgreSQL) → `\1`–`\9`, `\0`, `\\` (RE2). A reference to a group the pattern lacks, and any
 * other backslash, are refused.
 */
export function translateReplacement(replacement: string, groups: number): string {
  let out = '';
  const chars = [...replacement];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = chars[++i];
    if (next === '&') out += '\\0';
    else if (next === '\\') out += '\\\\';
    else if (next !== undefined && /[1-9]/.test(next) && Number(next) <= groups) out += `\\${next}`;
    else throw new RegexRefusal(`the replacement's escape \\${next ?? ''}`);
  }
  return out;
}

/** regexp_replace's flags (PostgreSQL) → DuckDB's options; '.' matches a newline as in PostgreSQL. */
export function translateFlags(flags: string): string {
  let options = 's';
  for (const flag of flags) {
    if (flag === 'g' || flag === 'i' || flag === 'c') options += flag;
    else if (flag !== 't') throw new RegexRefusal(`the flag "${flag}"`);
  }
  return options;
}
