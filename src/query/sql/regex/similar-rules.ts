/**
 * `value [NOT] SIMILAR TO pattern [ESCAPE e]` and `substring(value SIMILAR pattern ESCAPE e)`:
 * the pattern rewritten as PostgreSQL rewrites it (similar-to.ts), then for RE2 (pg-regex.ts).
 * Pattern and escape must be constants (a bound parameter is one).
 *
 * substring() returns the part between the two escape-double-quote separators: PostgreSQL
 * matches the part before them as little as it can ({1,1}? makes it non-greedy as a whole) and
 * the part between them as much as it can. In RE2 the first part's quantifiers are made lazy
 * one by one, which answers the same where no alternation, quantified group or non-greedy
 * quantifier makes a choice (those are refused, as for regexp_replace).
 */
import type { A_Expr, FuncCall, Node } from 'libpg-query';
import type { SqlStateCode } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { RegexRefusal, type TranslatedPattern, translatePattern } from './pg-regex.js';
import { classGuarded, literalText, matchLiteral, refused } from './regex-rules.js';
import { SimilarToError, similarParts, similarRegex } from './similar-to.js';

/** The pattern's parts, or null for a NULL pattern or escape (the result is NULL then). */
function parts(
  ctx: EmitContext,
  what: string,
  nodes: { pattern: Node | undefined; escape: Node | undefined },
  location: number | undefined,
): string[] | null {
  if (isNullConstant(nodes.pattern) || isNullConstant(nodes.escape)) return null;
  const pattern = literalText(nodes.pattern);
  const escapeText = nodes.escape === undefined ? undefined : literalText(nodes.escape);
  if (pattern === undefined || (nodes.escape !== undefined && escapeText === undefined))
    throw refused(
      ctx,
      `${what} with a pattern or escape that is not a constant`,
      location,
      'Use a constant pattern.',
    );
  try {
    return [...similarParts(pattern, escapeText).parts];
  } catch (error) {
    if (error instanceof SimilarToError)
      throw ctx.error(error.sqlState as SqlStateCode, error.message, location, error.hint);
    throw error;
  }
}

function isNullConstant(node: Node | undefined): boolean {
  return node !== undefined && 'A_Const' in node && node.A_Const.isnull === true;
}

function translate(ctx: EmitContext, what: string, are: string, use: 'match' | 'replace', location?: number) {
  try {
    return translatePattern(are, use);
  } catch (error) {
    if (error instanceof RegexRefusal) throw refused(ctx, `${what} with ${error.message}`, location);
    throw error;
  }
}

/** `value SIMILAR TO pattern` (operator '~') or `NOT SIMILAR TO` ('!~'). */
export function emitSimilarTo(ctx: EmitContext, expr: A_Expr, operator: string): string {
  const call = expr.rexpr !== undefined && 'FuncCall' in expr.rexpr ? expr.rexpr.FuncCall : undefined;
  const [patternNode, escapeNode] = call?.args ?? [expr.rexpr];
  const found = parts(ctx, 'SIMILAR TO', { pattern: patternNode, escape: escapeNode }, expr.location);
  const value = ctx.expr(expr.lexpr!);
  if (found === null) return 'CAST(NULL AS BOOLEAN)';
  const pattern = translate(ctx, 'SIMILAR TO', similarRegex({ parts: found }), 'match', expr.location);
  const guarded = classGuarded(ctx, { node: expr.lexpr, sql: value }, pattern, expr.location);
  const match = `regexp_matches(${guarded}, ${matchLiteral(pattern.re2)}, 's')`;
  return operator === '!~' ? `(NOT ${match})` : match;
}

/** substring(value SIMILAR pattern ESCAPE e), the value emitted as text. */
export function emitSimilarSubstring(ctx: EmitContext, call: FuncCall, valueSql: string): string {
  const [valueNode, patternNode, escapeNode] = call.args ?? [];
  const what = 'substring() with SIMILAR';
  const found = parts(ctx, what, { pattern: patternNode, escape: escapeNode }, call.location);
  if (found === null) return 'CAST(NULL AS VARCHAR)';
  if (found.length === 1) {
    const pattern = translate(ctx, what, similarRegex({ parts: found }), 'match', call.location);
    const value = classGuarded(ctx, { node: valueNode, sql: valueSql }, pattern, call.location);
    return `(CASE WHEN regexp_matches(${value}, ${matchLiteral(pattern.re2)}, 's') THEN ${value} END)`;
  }
  const translated = found.map((part) => translate(ctx, what, part, 'replace', call.location));
  const [first, second, third] = translated;
  const re2 = `^(?:${lazy(first!)})(${second!.re2})(?:${third?.re2 ?? ''})$`;
  const usesClasses = translated.some((p) => p.usesClasses);
  const value = classGuarded(
    ctx,
    { node: valueNode, sql: valueSql },
    { re2, groups: 1, usesClasses },
    call.location,
  );
  return `(CASE WHEN regexp_matches(${value}, ${matchLiteral(re2)}, 's') THEN regexp_extract(${value}, ${quoteLiteral(re2)}, 1, 's') END)`;
}

/** An RE2 pattern with each quantifier outside a bracket made lazy. */
function lazy(pattern: TranslatedPattern): string {
  const text = pattern.re2;
  let out = '';
  let inBracket = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    out += c;
    if (c === '\\') {
      out += text[++i] ?? '';
      // \x{…}: copied whole so its braces are not taken for a quantifier.
      if (text[i] === 'x' && text[i + 1] === '{') {
        const close = text.indexOf('}', i);
        out += text.slice(i + 1, close + 1);
        i = close;
      }
    } else if (inBracket) {
      if (c === ']') inBracket = false;
    } else if (c === '[') {
      inBracket = true;
      if (text[i + 1] === '^') out += text[++i];
      if (text[i + 1] === ']') out += text[++i];
    } else if ('*+?}'.includes(c) && !(c === '?' && text[i - 1] === '(')) out += '?';
  }
  return out;
}
