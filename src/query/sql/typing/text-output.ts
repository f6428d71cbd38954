/**
 * Where PostgreSQL turns a value into text (a cast to text, `||`, concat()), DuckDB's own
 * conversion prints some types otherwise: a double precision -52 is "-52.0" in DuckDB and "-52"
 * in PostgreSQL (float8out), an interval "1 year 2 months" where PostgreSQL writes "1 year 2
 * mons", a BC date "0044-03-15 (BC)"; concat() prints a boolean with its output function ("t"),
 * where DuckDB writes "true", and a char(n) with its padding, which a cast to text drops.
 * Booleans and char(n) are written here; floats, intervals, dates and timestamps through
 * functions registered in DuckDB (query/text/) that share the wire server's formatters
 * (float8out under the session's extra_float_digits: by default the shortest digits that read
 * back).
 */

import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';
import { arrayElementType } from './json-types.js';
import { formatTypeName, type PgType } from './pg-types.js';

const OUTPUT_FUNCTIONS: Readonly<Record<string, string>> = {
  float8: 'pga_text_float8',
  float4: 'pga_text_float4',
  interval: 'pga_text_interval',
  date: 'pga_text_date',
  timestamp: 'pga_text_timestamp',
};

/** Types whose text follows the session's extra_float_digits. */
const FLOAT_TYPES = new Set(['float8', 'float4']);

/**
 * `sql` (of PostgreSQL type `type`) as PostgreSQL's text of it: `cast` as `::text` and
 * `||` write it (bool is "true"), `output` as concat() writes it (the type's output
 * function: bool is "t").
 */
export function pgTextOf(
  ctx: EmitContext,
  type: PgType | undefined,
  sql: string,
  how: 'cast' | 'output',
  location?: number,
): string {
  // A cast to text drops char(n)'s padding; its output function (concat) keeps it.
  if (type?.name === 'bpchar') return how === 'cast' ? `rtrim(${sql}, ' ')` : sql;
  // byteaout with bytea_output hex, where DuckDB's cast writes '\x01\x02\xFF'.
  if (type?.name === 'bytea') return `('\\x' || lower(hex(${sql})))`;
  if (type?.name === 'bool' && how === 'output')
    return `(CASE WHEN ${sql} THEN 't' WHEN NOT ${sql} THEN 'f' END)`;
  // DuckDB writes '1 year 2 months', '0044-03-15 (BC)': PostgreSQL's output functions, in
  // functions registered in DuckDB (query/text/).
  const own = OUTPUT_FUNCTIONS[type?.name ?? ''];
  if (own !== undefined && FLOAT_TYPES.has(type?.name ?? ''))
    return `${own}(${sql}, ${ctx.extraFloatDigits ?? 1})`;
  if (own !== undefined) return `${own}(${sql})`;
  if (type?.category === 'A') return arrayText(ctx, type, sql, location);
  if (type?.name === 'timestamptz') {
    const text = `CAST(${sql} AS VARCHAR)`;
    return `(CASE WHEN contains(${text}, '(BC)') THEN error(${quoteLiteral(`${unsupportedMarker}the text of a timestamp with time zone before the year 1`)}) ELSE ${text} END)`;
  }
  return sql;
}

/**
 * array_out of a one-dimensional array: `{1,2,NULL}`, text elements in double quotes where
 * they are empty, spell NULL, or hold braces, a comma, a quote, a backslash or a blank (quote and
 * backslash escaped) — DuckDB writes `[1, 2, NULL]`. Arrays of other element types, and of
 * several dimensions, fail with 0A000.
 */
function arrayText(ctx: EmitContext, type: PgType, sql: string, location: number | undefined): string {
  // varchar(n)[] prints its elements as text[] does.
  const element = /^character varying(\(\d+\))?\[\]$/.test(type.name)
    ? 'text'
    : (arrayElementType(type)?.name ?? '');
  const text = ARRAY_ELEMENT_TEXT[element];
  if (text === undefined || (type.ndims ?? 1) > 1) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `the text of a value of type ${formatTypeName(type.name)} is not supported by pg_analytica`,
      location,
    );
  }
  const e = `pga_e${(elementCounter++ % 1000).toString(36)}`;
  return `(CASE WHEN ${sql} IS NOT NULL THEN '{' || array_to_string(list_transform(${sql}, lambda ${e}: CASE WHEN ${e} IS NULL THEN 'NULL' ELSE ${text(e)} END), ',') || '}' END)`;
}

let elementCounter = 0;

/** array_out's quoting of one element's text (array_isspace: blank, \t, \n, \r, \v, \f). */
function quotedElement(e: string): string {
  return `(CASE WHEN ${e} = '' OR upper(${e}) = 'NULL' OR regexp_matches(${e}, '[{}," \t\n\r\x0B\x0C\\\\]') THEN '"' || replace(replace(${e}, '\\', '\\\\'), '"', '\\"') || '"' ELSE ${e} END)`;
}

const ARRAY_ELEMENT_TEXT: Readonly<Record<string, (e: string) => string>> = {
  int2: (e) => `CAST(${e} AS VARCHAR)`,
  int4: (e) => `CAST(${e} AS VARCHAR)`,
  int8: (e) => `CAST(${e} AS VARCHAR)`,
  bool: (e) => `(CASE WHEN ${e} THEN 't' ELSE 'f' END)`,
  uuid: (e) => `CAST(${e} AS VARCHAR)`,
  text: quotedElement,
};
