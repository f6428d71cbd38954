/**
 * Regular expression operators (~, ~*, !~, !~*), regexp_replace() and substring(… FROM …) →
 * DuckDB, with the pattern rewritten from PostgreSQL's syntax (pg-regex.ts); the other regexp_*
 * functions are in regexp-functions.ts. The pattern is a literal (a bound parameter is one): its
 * text is what is rewritten; the operators also take a computed pattern, checked row by row
 * (emitComputedMatch). Under a UTF-8 ctype, PostgreSQL's character classes (`\w`,
 * `[[:alpha:]]`) hold the locale's non-ASCII letters and RE2's do not, so such a pattern meets a
 * non-ASCII value with 0A000 when the row is read.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';
import { foldingFor, guardCaseInsensitiveMatch } from '../typing/case-folding.js';
import { operandType } from '../typing/typed-operands.js';
import { canMatchEmpty } from './nullable.js';
import {
  RegexRefusal,
  type TranslatedPattern,
  translateFlags,
  translatePattern,
  translateReplacement,
} from './pg-regex.js';
import { emitRegexpFunction } from './regexp-functions.js';
import { checkFlagLetters } from './regexp-pattern.js';

const NON_ASCII = '[^\\x00-\\x7f]';

/** The text of a string literal (possibly cast to a text type), or undefined. */
/**
 * An argument these functions take as text: a char(n) loses its trailing blanks, as its cast to
 * text drops them (a pattern too: `c ~ c` reads the right one as text).
 */
export function textArgument(ctx: EmitContext, node: Node): string {
  const emitted = ctx.expr(node);
  return operandType(ctx, node)?.name === 'bpchar' ? `rtrim(${emitted}, ' ')` : emitted;
}

export function literalText(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if ('CollateClause' in node) return literalText(node.CollateClause.arg);
  if ('A_Const' in node) return node.A_Const.sval?.sval ?? (node.A_Const.sval !== undefined ? '' : undefined);
  if ('TypeCast' in node) {
    const type = node.TypeCast.typeName?.names?.at(-1);
    const name = type !== undefined && 'String' in type ? type.String.sval : undefined;
    if (name === 'text' || name === 'varchar') return literalText(node.TypeCast.arg);
  }
  return undefined;
}

export function refused(
  ctx: EmitContext,
  what: string,
  location: number | undefined,
  hint = 'Run the query in PostgreSQL, or write the pattern without it.',
) {
  return ctx.error(SqlState.featureNotSupported, `${what} is not supported by pg_analytica`, location, hint);
}

/** The pattern rewritten for RE2; `fn` names the function (regexp_replace(), substring()), if any. */
export function translated(
  ctx: EmitContext,
  node: Node | undefined,
  use: 'match' | 'replace',
  location: number | undefined,
  fn?: string,
): TranslatedPattern {
  const text = literalText(node);
  if (text === undefined)
    throw refused(
      ctx,
      `${fn ?? 'a regular expression operator'} with a pattern that is not a constant`,
      location,
      'Use a constant pattern, or run the query in PostgreSQL.',
    );
  try {
    return translatePattern(text, use);
  } catch (error) {
    if (error instanceof RegexRefusal)
      throw refused(
        ctx,
        fn === undefined ? `${error.message} in a regular expression` : `${fn} with ${error.message}`,
        location,
      );
    throw error;
  }
}

/** The value, guarded where its non-ASCII characters would meet classes RE2 holds otherwise. */
export function classGuarded(
  ctx: EmitContext,
  value: { node: Node | undefined; sql: string },
  pattern: TranslatedPattern,
  location: number | undefined,
): string {
  if (!pattern.usesClasses || foldingFor(ctx, [value.node], 'a character class', location) === 'ascii')
    return value.sql;
  const message = `${unsupportedMarker}character classes of a regular expression over non-ASCII text under this ctype`;
  return `(CASE WHEN regexp_matches(${value.sql}, '${NON_ASCII}') THEN error(${quoteLiteral(message)}) ELSE ${value.sql} END)`;
}

/**
 * An RE2 pattern as the SQL literal of a DuckDB regexp_matches() call. DuckDB's optimizer
 * rewrites a constant pattern of literal text and anchors into prefix/suffix/contains/LIKE, and
 * does so wrongly for an anchor inside it (`$a` becomes prefix(s, 'a'), `ab^` suffix(s, 'ab'));
 * a trailing empty group, which matches the same, keeps such a pattern out of its reach.
 */
export function matchLiteral(re2: string): string {
  return quoteLiteral(hasInnerAnchor(re2) ? `${re2}()` : re2);
}

/** An anchor (^ $ \A \z) other than a leading ^/\A or a trailing $/\z, outside brackets. */
function hasInnerAnchor(re2: string): boolean {
  let inBracket = false;
  for (let i = 0; i < re2.length; i++) {
    const c = re2[i]!;
    const last = i === re2.length - 1;
    if (c === '\\') {
      const next = re2[i + 1] ?? '';
      if (!inBracket && ((next === 'A' && i > 0) || (next === 'z' && i + 1 < re2.length - 1))) return true;
      i++;
    } else if (inBracket) {
      if (c === ']') inBracket = false;
    } else if (c === '[') {
      inBracket = true;
      if (re2[i + 1] === '^') i++;
      if (re2[i + 1] === ']') i++;
    } else if ((c === '^' && i > 0) || (c === '$' && !last)) return true;
  }
  return false;
}

/** `value ~ pattern` and its variants; `options` 's' or 'is' (case-insensitive). */
export function emitRegexMatch(
  ctx: EmitContext,
  operands: { value: { node: Node | undefined; sql: string }; pattern: Node | undefined },
  options: string,
  location: number | undefined,
): string {
  if (literalText(operands.pattern) === undefined && operands.pattern !== undefined)
    return emitComputedMatch(ctx, { value: operands.value, pattern: operands.pattern }, options, location);
  const pattern = translated(ctx, operands.pattern, 'match', location);
  const value = { node: operands.value.node, sql: classGuarded(ctx, operands.value, pattern, location) };
  const call = (v: string) => `regexp_matches(${v}, ${matchLiteral(pattern.re2)}, '${options}')`;
  return options.includes('i')
    ? caseInsensitive(ctx, value, pattern, options, location, call)
    : `regexp_matches(${value.sql}, ${matchLiteral(pattern.re2)}, '${options}')`;
}

/**
 * Characters of a pattern after which PostgreSQL's ARE and RE2 may read it otherwise (escapes,
 * brackets, bounds, `(?`, a `***` director); without them they match the same values.
 */
const COMPUTED_PATTERN_HAZARDS = String.raw`[\\[{]|\(\?|^\*\*\*`;

/**
 * `value ~ pattern` where the pattern is computed (a column, an expression): it cannot be
 * rewritten before the query runs, so a pattern holding what RE2 reads otherwise fails when
 * it is met (0A000); any other is the same in both. A case-insensitive one must be ASCII.
 */
function emitComputedMatch(
  ctx: EmitContext,
  operands: { value: { node: Node | undefined; sql: string }; pattern: Node },
  options: string,
  location: number | undefined,
): string {
  const sql = textArgument(ctx, operands.pattern);
  const insensitive = options.includes('i');
  const hazards = insensitive ? `${COMPUTED_PATTERN_HAZARDS}|${NON_ASCII}` : COMPUTED_PATTERN_HAZARDS;
  const message = `${unsupportedMarker}a regular expression that is not a constant and holds \\, [, {, (?${insensitive ? ', a non-ASCII character' : ''} or *** (use a constant pattern)`;
  const pattern = `(CASE WHEN regexp_matches(${sql}, '${hazards}') THEN error(${quoteLiteral(message)}) ELSE ${sql} END)`;
  const value = insensitive
    ? guardCaseInsensitiveMatch(ctx, operands.value, '', location)
    : operands.value.sql;
  return `regexp_matches(${value}, ${pattern}, '${options}')`;
}

export function caseInsensitive(
  ctx: EmitContext,
  value: { node: Node | undefined; sql: string },
  pattern: TranslatedPattern,
  options: string,
  location: number | undefined,
  call = (v: string, p: string) => `regexp_matches(${v}, ${p}, '${options}')`,
): string {
  const guarded = guardCaseInsensitiveMatch(ctx, value, pattern.re2, location);
  return call(guarded, quoteLiteral(pattern.re2));
}

/** regexp_replace(value, pattern, replacement [, flags]), or undefined for other calls. */
export function emitRegexpReplace(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const args = call.args ?? [];
  if (ctx.listingOnly === true) return undefined;
  if (name !== 'regexp_replace') return emitRegexpFunction(ctx, call, name);
  if (args.length !== 3 && args.length !== 4)
    throw refused(ctx, `regexp_replace() of ${args.length} arguments`, call.location);
  const [valueNode, patternNode, replacementNode, flagsNode] = args;
  const flagsText = flagsNode === undefined ? '' : literalText(flagsNode);
  if (flagsText === undefined)
    throw refused(ctx, 'regexp_replace() with flags that are not a literal', call.location);
  checkFlagLetters(ctx, flagsText, call.location);
  let options: string;
  try {
    options = translateFlags(flagsText);
  } catch (error) {
    if (error instanceof RegexRefusal)
      throw refused(ctx, `regexp_replace() with ${error.message}`, call.location);
    throw error;
  }
  const pattern = translated(ctx, patternNode, 'replace', call.location, 'regexp_replace()');
  // PostgreSQL replaces an empty match right after another match too, RE2's global replace
  // skips it: the two differ only when such a match exists and is replaced by something.
  if (options.includes('g') && literalText(replacementNode) !== '' && canMatchEmpty(pattern.re2))
    throw refused(
      ctx,
      "regexp_replace() with 'g' of a pattern that can match an empty string",
      call.location,
      'Write the pattern so that it cannot match an empty string (+ instead of *), or replace with an empty string.',
    );
  const replacement = replacementSql(ctx, replacementNode, pattern, call.location);
  // regexp_replace takes text: a char(n) value loses its trailing blanks, as in PostgreSQL.
  const value = {
    node: valueNode,
    sql: classGuarded(ctx, { node: valueNode, sql: textArgument(ctx, valueNode!) }, pattern, call.location),
  };
  const emit = (v: string, p: string) => `regexp_replace(${v}, ${p}, ${replacement}, '${options}')`;
  return options.includes('i')
    ? caseInsensitive(ctx, value, pattern, options, call.location, emit)
    : emit(value.sql, quoteLiteral(pattern.re2));
}

/** The replacement in RE2's spelling; one that is not a literal must hold no backslash. */
function replacementSql(
  ctx: EmitContext,
  node: Node | undefined,
  pattern: TranslatedPattern,
  location: number | undefined,
): string {
  const text = literalText(node);
  if (text === undefined) {
    const sql = textArgument(ctx, node!);
    const message = `${unsupportedMarker}a regexp_replace() replacement with a backslash that is not a literal`;
    return `(CASE WHEN contains(${sql}, '\\') THEN error(${quoteLiteral(message)}) ELSE ${sql} END)`;
  }
  try {
    return quoteLiteral(translateReplacement(text, pattern.groups));
  } catch (error) {
    if (error instanceof RegexRefusal) throw refused(ctx, `regexp_replace() with ${error.message}`, location);
    throw error;
  }
}

/**
 * substring(value from pattern): the text of the first match, or of its first parenthesized
 * part when the pattern has one; NULL without a match. The match's extent matters, so the
 * pattern is held to what leftmost-first and leftmost-longest agree on (as for regexp_replace).
 */
export function emitRegexSubstring(ctx: EmitContext, call: FuncCall, valueSql: string): string {
  const [valueNode, patternNode] = call.args ?? [];
  const pattern = translated(ctx, patternNode, 'replace', call.location, 'substring()');
  const value = classGuarded(ctx, { node: valueNode, sql: valueSql }, pattern, call.location);
  const re2 = quoteLiteral(pattern.re2);
  return `(CASE WHEN regexp_matches(${value}, ${matchLiteral(pattern.re2)}, 's') THEN regexp_extract(${value}, ${re2}, ${pattern.groups > 0 ? 1 : 0}, 's') END)`;
}
