/**
 * The pattern and flags of one regexp_*() call, made ready for DuckDB: the pattern rewritten
 * for RE2 (pg-regex.ts), the flags as DuckDB's options, and the value guarded where RE2's
 * character classes or case folding would answer otherwise (regex-rules.ts). Shared by the
 * functions of regexp-functions.ts and regexp-sets.ts.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';
import { guardCaseInsensitiveMatch } from '../typing/case-folding.js';
import { RegexRefusal, type TranslatedPattern, translateFlags, translatePattern } from './pg-regex.js';
import { classGuarded, literalText, matchLiteral, refused, textArgument } from './regex-rules.js';

/**
 * How much of a match the function reads: `match` only whether there is one; `extent` where it
 * starts and ends (leftmost-first and leftmost-longest must agree); `groups` its capture groups
 * too, which must take part in every match (RE2 reads a group that took no part as '', PostgreSQL
 * as NULL).
 */
export type PatternUse = 'match' | 'extent' | 'groups';

export interface PreparedPattern {
  /** The value emitted as text and guarded. */
  readonly value: string;
  /** The RE2 pattern as a SQL literal. */
  readonly re2: string;
  /** The RE2 pattern as the literal of a boolean regexp_matches() (regex-rules.ts, matchLiteral). */
  readonly match: string;
  /** The RE2 pattern with text before and after it, as SQL. */
  readonly around: (before: string, after: string) => string;
  /** The RE2 pattern's own text ('' for a computed one). */
  readonly text: string;
  /** The pattern is computed when the query runs (computedPattern). */
  readonly computed: boolean;
  /** DuckDB's options ('s', 'is', …), without 'g'. */
  readonly options: string;
  /** Whether PostgreSQL's flags held 'g'. */
  readonly global: boolean;
  readonly groups: number;
}

/** PostgreSQL's flag letters (regexp.c, parse_re_flags); another is its 22023. */
const PG_FLAGS = new Set('bcegimnpqstwx');

export function checkFlagLetters(ctx: EmitContext, flags: string, location: number | undefined): void {
  for (const flag of flags)
    if (!PG_FLAGS.has(flag))
      throw ctx.error(
        SqlState.invalidParameterValue,
        `invalid regular expression option: "${flag}"`,
        location,
      );
}

/** The flags' DuckDB options; 'g' is refused for functions that do not take it, as PostgreSQL does. */
function flagOptions(
  ctx: EmitContext,
  name: string,
  node: Node | undefined,
  allowGlobal: boolean,
  location: number | undefined,
): { options: string; global: boolean } {
  const text = node === undefined ? '' : literalText(node);
  if (text === undefined)
    throw refused(
      ctx,
      `${name}() with flags that are not a constant`,
      location,
      'Write the flags as a constant.',
    );
  checkFlagLetters(ctx, text, location);
  if (!allowGlobal && text.includes('g'))
    throw ctx.error(
      SqlState.invalidParameterValue,
      `${name}() does not support the "global" option`,
      location,
      name === 'regexp_match' ? 'Use the regexp_matches function instead.' : undefined,
    );
  try {
    const options = translateFlags(text);
    return { options: options.replace('g', ''), global: options.includes('g') };
  } catch (error) {
    if (error instanceof RegexRefusal) throw refused(ctx, `${name}() with ${error.message}`, location);
    throw error;
  }
}

/** The pattern rewritten for RE2, or 0A000 naming the function. */
function patternFor(
  ctx: EmitContext,
  name: string,
  node: Node | undefined,
  use: PatternUse,
  location: number | undefined,
): TranslatedPattern {
  const text = literalText(node);
  if (text === undefined)
    throw refused(
      ctx,
      `${name}() with a pattern that is not a constant`,
      location,
      'Use a constant pattern, or run the query in PostgreSQL.',
    );
  try {
    const pattern = translatePattern(text, use === 'match' ? 'match' : 'replace');
    if (use === 'groups' && pattern.groups > 0 && hasQuantifiedGroup(text))
      throw new RegexRefusal('a capture group that may take no part in the match');
    return pattern;
  } catch (error) {
    if (error instanceof RegexRefusal) throw refused(ctx, `${name}() with ${error.message}`, location);
    throw error;
  }
}

/** A group followed by a quantifier (counted crudely: a bracket's ')' may be taken for one). */
function hasQuantifiedGroup(text: string): boolean {
  return /(^|[^\\])\)[*+?{]/.test(text.replace(/\\\\/g, ''));
}

/**
 * How the call's flags are read: at `index`; 'g' only where `allowGlobal`. `anchorsRefused`: the
 * function cannot take an anchor in a computed pattern (it counts every match, or starts past 1).
 */
export interface PatternOptions {
  readonly index: number;
  readonly allowGlobal: boolean;
  readonly anchorsRefused?: boolean;
}

/**
 * The call's value, pattern and flags made ready. A char(n) value loses its trailing blanks
 * (these functions take text).
 */
export function preparePattern(
  ctx: EmitContext,
  call: FuncCall,
  name: string,
  use: PatternUse,
  flags: PatternOptions,
): PreparedPattern {
  const args = call.args ?? [];
  const [valueNode, patternNode] = args;
  const { options, global } = flagOptions(ctx, name, args[flags.index], flags.allowGlobal, call.location);
  const text = textArgument(ctx, valueNode!);
  if (literalText(patternNode) === undefined) {
    const anchorsRefused = flags.anchorsRefused === true || (name === 'regexp_matches' && global);
    const computed = computedPattern(ctx, { name, node: patternNode!, use, options, anchorsRefused });
    const value = options.includes('i')
      ? guardCaseInsensitiveMatch(ctx, { node: valueNode, sql: text }, '', call.location)
      : text;
    return { ...computed, value, options, global };
  }
  const pattern = patternFor(ctx, name, patternNode, use, call.location);
  let value = classGuarded(ctx, { node: valueNode, sql: text }, pattern, call.location);
  if (options.includes('i'))
    value = guardCaseInsensitiveMatch(ctx, { node: valueNode, sql: value }, pattern.re2, call.location);
  return {
    value,
    re2: quoteLiteral(pattern.re2),
    match: matchLiteral(pattern.re2),
    around: (before, after) => quoteLiteral(`${before}${pattern.re2}${after}`),
    text: pattern.re2,
    computed: false,
    options,
    global,
    groups: pattern.groups,
  };
}

/**
 * A computed pattern (a column, an expression) cannot be rewritten before the query runs. Of the
 * characters RE2 and PostgreSQL's ARE read alike, it may hold literal characters, `.`, `*`, `+`,
 * `?`, `^` and `$` (not where `anchorsRefused`), and where only a match's existence counts groups
 * and `|` too; for 'i' only ASCII. With anything else it fails when met (0A000). Where the extent
 * counts it has no group, so regexp_match gives the whole match.
 */
function computedPattern(
  ctx: EmitContext,
  at: { name: string; node: Node; use: PatternUse; options: string; anchorsRefused: boolean },
): Pick<PreparedPattern, 're2' | 'match' | 'around' | 'text' | 'computed' | 'groups'> {
  const sql = textArgument(ctx, at.node);
  const matchOnly = at.use === 'match';
  const hazards = [
    String.raw`[\\[\]{}]|\(\?|^\*\*\*`,
    matchOnly ? undefined : String.raw`[()|]|[*+?]\?`,
    at.anchorsRefused ? '[$^]' : undefined,
    at.options.includes('i') ? '[^\\x00-\\x7f]' : undefined,
  ];
  const held = [
    '\\, brackets, braces, (?',
    matchOnly ? undefined : 'parentheses, |, a lazy quantifier',
    at.anchorsRefused ? '^ or $' : undefined,
    at.options.includes('i') ? 'a non-ASCII character' : undefined,
  ];
  const message = `${unsupportedMarker}${at.name}() with a pattern that is not a constant and holds ${held.filter((h) => h !== undefined).join(', ')} (use a constant pattern)`;
  const checked = `(CASE WHEN regexp_matches(${sql}, ${quoteLiteral(hazards.filter((h) => h !== undefined).join('|'))}) THEN error(${quoteLiteral(message)}) ELSE ${sql} END)`;
  return {
    re2: checked,
    match: checked,
    around: (before, after) => `(${quoteLiteral(before)} || ${checked} || ${quoteLiteral(after)})`,
    text: '',
    computed: true,
    groups: 0,
  };
}
