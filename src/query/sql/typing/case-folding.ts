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

// Collations whose ctype is C ("default" is the database's, which the statement's mapping is).
const C_COLLATIONS = new Set(['C', 'POSIX', 'ucs_basic']);

/** An explicit COLLATE "C" (or "POSIX", "ucs_basic") in an expression's operands. */
function hasCollateClause(node: Node | undefined): boolean {
  if (node === undefined || node === null || typeof node !== 'object') return false;
  if ('CollateClause' in node) {
    const name = node.CollateClause.collname?.at(-1);
    if (name !== undefined && 'String' in name && C_COLLATIONS.has(name.String.sval ?? '')) return true;
  }
  if ('SubLink' in node || 'SelectStmt' in node) return false;
  return Object.values(node).some((value) =>
    Array.isArray(value)
      ? value.some((item) => hasCollateClause(item as Node))
      : hasCollateClause(value as Node),
  );
}

/**
 * How the ctype maps case for an expression over `operands` (and which characters its classes
 * hold); refuses a locale the engine does not have.
 */
export function foldingFor(
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

/** lower(), upper() and initcap() of text (the argument emitted as text already), or undefined for other calls. */
export function emitCaseFunction(
  ctx: EmitContext,
  name: string,
  args: readonly Node[],
  emitted: readonly string[],
  location: number | undefined,
): string | undefined {
  if ((name !== 'lower' && name !== 'upper' && name !== 'initcap') || args.length !== 1) return undefined;
  const folding = foldingFor(ctx, args, `${name}()`, location);
  if (name === 'initcap') {
    // Under a UTF-8 locale str_initcap goes by iswalnum and towupper: an ASCII value maps as
    // under C, any other fails when it is read (the engine does not have those tables).
    const mapped = `pga_initcap_ascii(${emitted[0]!})`;
    if (folding === 'ascii') return mapped;
    const message = `${unsupportedMarker}initcap() of a non-ASCII value under a UTF-8 locale`;
    return `(CASE WHEN regexp_matches(${emitted[0]!}, '${NON_ASCII}') THEN error(${quoteLiteral(message)}) ELSE ${mapped} END)`;
  }
  return name === 'lower' ? lowerSql(folding, emitted[0]!) : upperSql(folding, emitted[0]!);
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
 * The value of a case-insensitive match against the pattern `patternText` (RE2's text),
 * guarded: a non-ASCII pattern is refused, and a value holding a character RE2 folds with an
 * ASCII letter where PostgreSQL does not fails when it is read.
 */
export function guardCaseInsensitiveMatch(
  ctx: EmitContext,
  value: { node: Node | undefined; sql: string },
  patternText: string,
  location?: number,
): string {
  foldingFor(ctx, [value.node], 'a case-insensitive regular expression', location);
  // \x{…} is how a \u escape of the pattern reads in RE2: a character the text check cannot see.
  if (new RegExp(NON_ASCII).test(patternText) || patternText.includes('\\x{')) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'a case-insensitive regular expression with non-ASCII characters is not supported by pg_analytica',
      location,
      'DuckDB folds non-ASCII letters otherwise than PostgreSQL; match case-sensitively, or run the query in PostgreSQL.',
    );
  }
  const message = `${unsupportedMarker}case-insensitive regular expression matching of a value holding U+017F or U+212A`;
  return `(CASE WHEN regexp_matches(${value.sql}, '${RE2_ONLY_FOLDS}') THEN error(${quoteLiteral(message)}) ELSE ${value.sql} END)`;
}
