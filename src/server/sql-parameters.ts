/**
 * Extended-protocol parameters ($1, $2, …) substituted into the statement text
 * as SQL literals, since the engine takes SQL text. Placeholders are found
 * with a small lexer that skips string constants (standard, E'…' and
 * dollar-quoted), quoted identifiers and comments, so a "$1" inside a string
 * stays untouched. Literals are written with standard_conforming_strings
 * rules: only the single quote is doubled; backslashes are not special.
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html
 */
import { PgError, SqlState } from '../errors.js';

/** Type names for the OIDs clients commonly declare in Parse. */
const typeNames: Record<number, string> = {
  16: 'boolean',
  17: 'bytea',
  18: '"char"',
  19: 'name',
  20: 'bigint',
  21: 'smallint',
  23: 'integer',
  25: 'text',
  26: 'oid',
  114: 'json',
  700: 'real',
  701: 'double precision',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamp with time zone',
  1186: 'interval',
  1700: 'numeric',
  2950: 'uuid',
  3802: 'jsonb',
};

interface Placeholder {
  readonly start: number;
  readonly end: number;
  readonly number: number;
}

/** The highest $n used in the text; 0 when there are none. */
export function highestParameterNumber(sql: string): number {
  return findPlaceholders(sql).reduce((max, p) => Math.max(max, p.number), 0);
}

/**
 * Numbers of the parameters written with a cast at every use (`$1::jsonb`): PostgreSQL
 * infers the cast's type for them, which the cast in the text already gives.
 */
export function castParameters(sql: string): Set<number> {
  const cast = new Set<number>();
  const bare = new Set<number>();
  for (const p of findPlaceholders(sql))
    (/^\s*::/.test(sql.slice(p.end, p.end + 64)) ? cast : bare).add(p.number);
  for (const n of bare) cast.delete(n);
  return cast;
}

/** Replaces $n with the n-th value as a literal, cast to the declared type when it is known. */
export function substituteParameters(
  sql: string,
  values: readonly (string | null)[],
  typeOids: readonly number[] = [],
): string {
  let out = '';
  let last = 0;
  for (const placeholder of findPlaceholders(sql)) {
    const index = placeholder.number - 1;
    if (index >= values.length) {
      throw new PgError(SqlState.undefinedObject, `there is no parameter $${placeholder.number}`, {
        position: placeholder.start + 1,
      });
    }
    out += sql.slice(last, placeholder.start) + sqlLiteral(values[index] ?? null, typeOids[index] ?? 0);
    last = placeholder.end;
  }
  return out + sql.slice(last);
}

/** A quoted literal: 'it''s'::integer; NULL stays NULL (typed when known). */
export function sqlLiteral(value: string | null, typeOid = 0): string {
  const typeName = typeNames[typeOid];
  const cast = typeName === undefined ? '' : `::${typeName}`;
  if (value === null) return `NULL${cast}`;
  if (value.includes('\0')) {
    throw new PgError(SqlState.dataException, 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  return `'${value.replaceAll("'", "''")}'${cast}`;
}

function findPlaceholders(sql: string): Placeholder[] {
  const found: Placeholder[] = [];
  let i = 0;
  while (i < sql.length) {
    const skipped = skipNonCode(sql, i);
    if (skipped > i) {
      i = skipped;
      continue;
    }
    if (sql[i] === '$' && isDigit(sql[i + 1]) && !isIdentifierChar(sql[i - 1])) {
      let end = i + 1;
      while (isDigit(sql[end])) end++;
      found.push({ start: i, end, number: Number(sql.slice(i + 1, end)) });
      i = end;
    } else if (isIdentifierChar(sql[i])) {
      // Whole words at once, so a '$' inside an identifier (a$1) is never a placeholder.
      while (i < sql.length && isIdentifierChar(sql[i])) i++;
    } else {
      i++;
    }
  }
  return found;
}

/** If a string, quoted identifier or comment starts at `i`, the index after it; else `i`. */
function skipNonCode(sql: string, i: number): number {
  const c = sql[i];
  const next = sql[i + 1];
  if (c === "'") return skipQuoted(sql, i + 1, "'", false);
  if ((c === 'E' || c === 'e') && next === "'" && !isIdentifierChar(sql[i - 1])) {
    return skipQuoted(sql, i + 2, "'", true);
  }
  if (c === '"') return skipQuoted(sql, i + 1, '"', false);
  if (c === '-' && next === '-') {
    const end = sql.indexOf('\n', i);
    return end < 0 ? sql.length : end + 1;
  }
  if (c === '/' && next === '*') return skipBlockComment(sql, i);
  if (c === '$' && !isIdentifierChar(sql[i - 1])) return skipDollarQuoted(sql, i);
  return i;
}

function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** Block comments nest in PostgreSQL. */
function skipBlockComment(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** $tag$ … $tag$ where the tag is empty or an identifier not starting with a digit. */
function skipDollarQuoted(sql: string, from: number): number {
  const match = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(from, from + 256));
  if (match === null) return from;
  const end = sql.indexOf(match[0], from + match[0].length);
  return end < 0 ? sql.length : end + match[0].length;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isIdentifierChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}
