/**
 * Upper and lower case as PostgreSQL maps them: lower(), upper(), ILIKE and the case-insensitive
 * regular expressions (~*, !~*, the 'i' flag). PostgreSQL maps case by the ctype of the
 * expression's collation (str_tolower, pg_wc_tolower): under "C" and "POSIX" only ASCII letters
 * change ('É' stays 'É'); under a libc UTF-8 locale each character maps by towlower/towupper.
 * DuckDB's lower()/upper() map every Unicode letter, so the engine chooses per statement:
 *
 * | ctype                                   | lower / upper / ILIKE                                  |
 * |-----------------------------------------|--------------------------------------------------------|
 * | C, POSIX ('ascii')                      | translate() of the 26 ASCII letters                    |
 * | libc UTF-8 locale ('unicode')           | DuckDB's lower(); upper() leaving 'ß' as glibc does    |
 * | ICU, Turkic languages, other ('locale') | refused (0A000): their mappings are not DuckDB's       |
 *
 * 'unicode' rests on a measurement: for every code point, DuckDB's lower() equals glibc's
 * towlower in C.UTF-8 and upper() its towupper except for 'ß' (DuckDB gives 'ẞ'); the test
 * test/case-folding.test.ts repeats that comparison against PostgreSQL. Locales whose case
 * tables differ from the common one (tr, az: dotted and dotless i) are 'locale'.
 *
 * Regular expressions match case-insensitively in DuckDB (RE2) by Unicode case folding, where
 * 'k' also matches KELVIN SIGN and 's' LATIN SMALL LETTER LONG S, and non-ASCII letters fold
 * together; PostgreSQL folds each pattern letter by its ctype only. The answers agree when the
 * pattern is ASCII and the value holds neither of those two signs; other values fail at run
 * time with 0A000 rather than match differently.
 */
import type { Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';

export type CaseFolding = 'ascii' | 'unicode' | 'locale';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

// glibc's LC_CTYPE of these languages maps i/I to dotless or dotted forms.
const TURKIC = /^(tr|az|crh|ku|tt)(_|@|\.|$)/i;

/** How a database's default ctype maps case (pg_database.datctype, datlocprovider). */
export function caseFoldingOf(ctype: string, provider: string): CaseFolding {
  if (provider !== 'c') return 'locale';
  if (ctype === 'C' || ctype === 'POSIX') return 'ascii';
  if (/\.utf-?8(@[a-z]+)?$/i.test(ctype) && !TURKIC.test(ctype)) return 'unicode';
  return 'locale';
}

/** An explicit COLLATE (the engine accepts only "C" and "POSIX") in an expression's operands. */
function hasCollateClause(node: Node | undefined): boolean {
  if (node === undefined || node === null || typeof node !== 'object') return false;
  if ('CollateClause' in node) return true;
  if ('SubLink' in node || 'SelectStmt' in node) return false;
  return Object.values(node).some((value) =>
    Array.isArray(value)
      ? value.some((item) => hasCollateClause(item as Node))
      : hasCollateClause(value as Node),
  );
}

/** The mapping for an expression over `operands`; refuses a locale the engine does not have. */
function foldingFor(
  ctx: EmitContext,
  operands: readonly (Node | undefined)[],
  what: string,
  location?: number,
) {
  // The pass that only lists tables never runs its SQL.
  if (ctx.listingOnly === true || operands.some(hasCollateClause)) return 'ascii';
  const folding = ctx.types?.caseFolding?.() ?? ctx.caseFolding ?? 'locale';
  if (folding !== 'locale') return folding;
  throw ctx.error(
    SqlState.featureNotSupported,
    `${what} under a collation whose case mapping is not C's or a libc UTF-8 locale's is not supported by pg_analytica`,
    location,
    'Write COLLATE "C" after the value to map only ASCII letters, or run the query in PostgreSQL.',
  );
}

/** lower()/upper() of text and regexp_replace() with flags, or undefined for other calls. */
export function emitCaseFunction(
  ctx: EmitContext,
  name: string,
  args: readonly Node[],
  location: number | undefined,
): string | undefined {
  if (name === 'regexp_replace' && args.length === 4) return emitRegexpReplace(ctx, args, location);
  if ((name !== 'lower' && name !== 'upper') || args.length !== 1) return undefined;
  const folding = foldingFor(ctx, args, `${name}()`, location);
  const value = ctx.expr(args[0]!);
  return name === 'lower' ? lowerSql(folding, value) : upperSql(folding, value);
}

function lowerSql(folding: 'ascii' | 'unicode', value: string): string {
  return folding === 'ascii' ? `translate(${value}, '${UPPER}', '${LOWER}')` : `lower(${value})`;
}

function upperSql(folding: 'ascii' | 'unicode', value: string): string {
  if (folding === 'ascii') return `translate(${value}, '${LOWER}', '${UPPER}')`;
  // towupper('ß') is 'ß' in glibc, DuckDB's upper() gives 'ẞ': map the parts around it.
  return `(CASE WHEN contains(${value}, 'ß') THEN array_to_string(list_transform(string_split(${value}, 'ß'), lambda part: upper(part)), 'ß') ELSE upper(${value}) END)`;
}

/**
 * ILIKE as texticlike matches in a multibyte database: the value and the pattern lowered by the
 * ctype, then LIKE. `not` for NOT ILIKE.
 */
export function emitILike(
  ctx: EmitContext,
  operands: { node: Node | undefined; sql: string }[],
  not: boolean,
  escapeChar: string,
  location?: number,
): string {
  const folding = foldingFor(
    ctx,
    operands.map((o) => o.node),
    'ILIKE',
    location,
  );
  const [value, pattern] = operands.map((o) => lowerSql(folding, o.sql));
  return `(${value} ${not ? 'NOT ' : ''}LIKE ${pattern} ESCAPE ${escapeChar})`;
}

const RE2_ONLY_FOLDS = '[\u017f\u212a]';
const NON_ASCII = '[^\\x00-\\x7f]';

/**
 * The value and pattern of a case-insensitive match, guarded: a non-ASCII pattern, or a value
 * holding a character RE2 folds with an ASCII letter and PostgreSQL does not, fails at run time.
 */
export function guardCaseInsensitiveMatch(
  ctx: EmitContext,
  value: { node: Node | undefined; sql: string },
  pattern: { node: Node | undefined; sql: string },
  location?: number,
): { value: string; pattern: string } {
  foldingFor(ctx, [value.node, pattern.node], 'a case-insensitive regular expression', location);
  const refusal = (what: string) =>
    `error(${quoteLiteral(`${unsupportedMarker}case-insensitive regular expression matching of ${what}`)})`;
  const patternSql = `(CASE WHEN regexp_matches(${pattern.sql}, '${NON_ASCII}') THEN ${refusal('a pattern with non-ASCII characters')} ELSE ${pattern.sql} END)`;
  const valueSql = `(CASE WHEN regexp_matches(${value.sql}, '${RE2_ONLY_FOLDS}') THEN ${refusal('a value holding U+017F or U+212A')} ELSE ${value.sql} END)`;
  return { value: valueSql, pattern: patternSql };
}

/** regexp_replace(value, pattern, replacement, flags): the 'i' flag matches as ~* does. */
function emitRegexpReplace(ctx: EmitContext, args: readonly Node[], location: number | undefined): string {
  const [valueNode, patternNode, replacement, flagsNode] = args;
  const flags = flagsNode !== undefined && 'A_Const' in flagsNode ? flagsNode.A_Const.sval?.sval : undefined;
  if (flags === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'regexp_replace() with flags that are not a string literal is not supported by pg_analytica',
      location,
    );
  }
  const value = { node: valueNode, sql: ctx.expr(valueNode!) };
  const pattern = { node: patternNode, sql: ctx.expr(patternNode!) };
  const guarded = flags.includes('i')
    ? guardCaseInsensitiveMatch(ctx, value, pattern, location)
    : { value: value.sql, pattern: pattern.sql };
  return `regexp_replace(${guarded.value}, ${guarded.pattern}, ${ctx.expr(replacement!)}, ${quoteLiteral(flags)})`;
}
