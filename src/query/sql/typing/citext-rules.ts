/**
 * citext where the engine cannot treat it as a text with a key (value-keys.ts's citextKey):
 * LIKE, which citext matches case-insensitively, is emitted over the keys; its regular
 * expression operators and the string functions it overloads are refused (0A000).
 */
import type { A_Expr, FuncCall } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { operandType } from './typed-operands.js';
import { citextKey, isCitext } from './value-keys.js';

/**
 * citext LIKE: citext's operators call ILIKE (texticlike), which lowercases the value and the
 * pattern by the ctype (ASCII letters under C, see value-keys.ts) and matches them. ILIKE over a
 * citext is the same match; so are NOT LIKE and NOT ILIKE.
 */
export function citextLike(keyword: string, value: string, pattern: string, escapeChar: string): string {
  const not = keyword.startsWith('NOT ') ? 'NOT ' : '';
  return `(${citextKey(value)} ${not}LIKE ${citextKey(pattern)} ESCAPE ${escapeChar})`;
}

/** citext's regular expression operators match case-insensitively (by the ctype): refused. */
export function refuseCitextRegex(ctx: EmitContext, expr: A_Expr, operator: string): void {
  if (!isCitext(operandType(ctx, expr.lexpr))) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `operator ${operator} on a citext value is not supported by pg_analytica`,
    expr.location,
    'citext matches regular expressions case-insensitively; cast the value to text to match case-sensitively, or use LIKE.',
  );
}

/**
 * Functions the citext extension overloads to match case-insensitively (citext--1.6.sql):
 * with a citext argument PostgreSQL calls those, which the engine does not have.
 */
const CITEXT_OVERLOADS = new Set([
  'regexp_match',
  'regexp_matches',
  'regexp_replace',
  'regexp_split_to_array',
  'regexp_split_to_table',
  'replace',
  'split_part',
  'strpos',
  'translate',
]);

export function refuseCitextFunction(ctx: EmitContext, call: FuncCall, name: string): void {
  if (!CITEXT_OVERLOADS.has(name) || ctx.types === undefined) return;
  if (!(call.args ?? []).some((a) => isCitext(operandType(ctx, a)))) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `${name}() of a citext value is not supported by pg_analytica`,
    call.location,
    `citext's ${name}() matches case-insensitively; cast the value to text to match case-sensitively.`,
  );
}
