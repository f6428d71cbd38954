/**
 * How each PostgreSQL column type is stored in Parquet and carried there, exactly.
 *
 * Rows travel in COPY's text format from `COPY (SELECT <copyExpression>, …) TO STDOUT`, and are
 * read by DuckDB, which casts each field with `loadExpression`. The rules:
 * - numbers, text, booleans, uuid: PostgreSQL's text output is parsed as is
 *   (float text is shortest-exact, so doubles round-trip bit for bit);
 * - numeric(p,s) with p ≤ 38 → DECIMAL(p,s); numeric with no precision or
 *   p > 38 → VARCHAR holding PostgreSQL's exact text (never rounded; it sorts
 *   and compares as text in the columnar engine — documented in docs/types.md);
 * - json/jsonb → VARCHAR (PostgreSQL's own text form); enums → VARCHAR, read
 *   back as a DuckDB ENUM with the labels in declaration order so that ordering
 *   matches PostgreSQL;
 * - date/timestamp/timestamptz → DuckDB's types; ' BC' years become DuckDB's
 *   negative years (year 1 BC is year 0);
 * - interval → STRUCT(months, days, micros), the three fields both systems keep
 *   (Parquet's own INTERVAL holds milliseconds and no negative values), turned
 *   back into an INTERVAL by readExpression() when queried;
 * - bytea → BLOB from the hex output;
 * - arrays → LIST, nested as deep as the column's declared dimensions (array-columns.ts),
 *   carried as a JSON array of the elements' text.
 * The registration check in sql/ accepts the same set of types.
 */
import { PgError, SqlState } from '../errors.js';
import { arrayCopyExpression, arrayLoadExpression } from './array-columns.js';
import { intervalArrayColumn } from './interval-array.js';

export interface SourceColumn {
  name: string;
  /** format_type(atttypid, atttypmod), e.g. "numeric(12,2)". */
  typeName: string;
  typeOid: number;
  typeModifier: number;
  /** pg_type.typname of the type, or of the element type for arrays. */
  baseTypeName: string;
  baseTypeOid: number;
  isArray: boolean;
  /** An array declared with more than one dimension: how many (pg_attribute.attndims). */
  ndims?: number;
  /** Labels in declaration order when the (element) type is an enum. */
  enumLabels: string[] | undefined;
  /**
   * The type the values have, when the column's type is a domain (or an array of a domain):
   * the domain's base type, through domains over domains, with the typmod the domain gives it
   * (getBaseTypeAndTypmod); an array of a domain has the array type of the element's base.
   * `baseTypeName` and `baseTypeOid` already name the resolved (element) type.
   */
  valueType?: ValueType;
}

/** A column's type after its domains: the type its values are stored and computed as. */
export interface ValueType {
  oid: number;
  typmod: number;
  /** format_type(oid, typmod). */
  name: string;
}

/** A column of the columnar copy, as kept in analytica.tables.columns. */
export interface ColumnSpec {
  name: string;
  pgType: string;
  pgTypeOid: number;
  pgTypeModifier: number;
  /** Type in Parquet/DuckDB. */
  storageType: string;
  /** Type the query engine exposes (differs for enums). */
  queryType: string;
  /**
   * A domain column: the type its values have (see SourceColumn.valueType). pgTypeOid and
   * pgTypeModifier stay the attribute's own (the domain), as the stream's relation messages
   * name it; the query engine types the column by this one, as PostgreSQL does.
   */
  valueType?: ValueType;
  /** The citext extension's type (or a domain over it): compared case-insensitively. */
  citext?: true;
  /**
   * An array column declared with more than one dimension: how many, the depth of its nested
   * LIST (array-columns.ts). Absent: one (a LIST), as catalogs written before 0.9 have it.
   */
  ndims?: number;
  /**
   * Streamed tables: the column's name in segments and in the delta when it differs from `name`
   * (after a RENAME COLUMN, or an added column whose name an older column had).
   */
  storedAs?: string;
  /** Streamed tables: a dropped column, kept so that no later column is stored under its name. */
  dropped?: boolean;
  /**
   * Streamed tables: a column added with a constant default (PostgreSQL's attmissingval). Rows
   * written before it was added, which lack it in segments and in the delta, read `sql` (a DuckDB
   * constant of storageType); rows written since read what they hold, an explicit NULL included.
   */
  missing?: MissingValue;
}

/**
 * The value a column has in rows written before it was added. Those rows are the ones of
 * transactions committing before `commit`, and of the transaction committing at `commit`
 * before its change at `seq` (`_pga_commit` and `_pga_seq` of the row, decimal LSNs).
 */
export interface MissingValue {
  commit: string;
  seq: string;
  sql: string;
}

/** The SQL of a streamed column's stored value from `stored`, with the value rows written before it existed read. */
export function storedValue(spec: ColumnSpec, stored: string): string {
  const m = spec.missing;
  if (!m) return stored;
  return `CASE WHEN _pga_commit < ${m.commit} OR (_pga_commit = ${m.commit} AND _pga_seq < ${m.seq}) THEN ${m.sql} ELSE ${stored} END`;
}

/** The type a column's values have: its domain's base type, else its own. */
export function valueTypeOf(spec: ColumnSpec): ValueType {
  return spec.valueType ?? { oid: spec.pgTypeOid, typmod: spec.pgTypeModifier, name: spec.pgType };
}

/** The name a column has in segments and in the delta. */
export function storedName(spec: ColumnSpec): string {
  return spec.storedAs ?? spec.name;
}

/** How one column travels from PostgreSQL to Parquet during a copy. */
export interface IngestColumn extends ColumnSpec {
  /** SQL over the source column in PostgreSQL's COPY. */
  copyExpression: string;
  /** DuckDB type read_csv parses the field as. */
  csvType: string;
  /** DuckDB expression over the CSV field (a quoted identifier) giving storageType. */
  load: (field: string) => string;
  /**
   * How a value in PostgreSQL's text output (as logical replication sends it) becomes the
   * field copyExpression would have produced: as is, an array as JSON of its elements' text,
   * or an interval as its three fields (see output-text.ts).
   */
  outputText: 'plain' | 'array' | 'interval' | 'interval-array';
}

export const intervalStorageType = 'STRUCT(months INTEGER, days INTEGER, micros BIGINT)';

const scalarTypes: Record<string, string> = {
  int2: 'SMALLINT',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float4: 'FLOAT',
  float8: 'DOUBLE',
  text: 'VARCHAR',
  varchar: 'VARCHAR',
  bpchar: 'VARCHAR',
  bool: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  time: 'TIME',
  interval: 'INTERVAL',
  uuid: 'UUID',
  json: 'VARCHAR',
  jsonb: 'VARCHAR',
  bytea: 'BLOB',
  numeric: 'DECIMAL',
  // The extension's case-insensitive text (table-schema.ts names only the citext extension's type so).
  citext: 'VARCHAR',
  // Kept as PostgreSQL's text: Parquet's TIME keeps no offset (DuckDB writes TIMETZ as UTC time).
  timetz: 'VARCHAR',
  // PostgreSQL's text, which is canonical (one text per value); compared through keys
  // (src/query/network/).
  inet: 'VARCHAR',
  cidr: 'VARCHAR',
  macaddr: 'VARCHAR',
  macaddr8: 'VARCHAR',
  // range_out's canonical text; ordered and tested through src/query/ranges/.
  int4range: 'VARCHAR',
  int8range: 'VARCHAR',
  daterange: 'VARCHAR',
  // Not canonicalized (continuous); tstzrange's bounds as the daemon's UTC sessions print them.
  numrange: 'VARCHAR',
  tsrange: 'VARCHAR',
  tstzrange: 'VARCHAR',
};

/** Types held in one DuckDB type and queried as another (readExpression casts). */
const queryTypes: Record<string, string> = {
  timetz: 'TIMETZ',
};

/** Types whose COPY text DuckDB's reader parses directly, with the same value (they never contain escapes). */
const directText = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'uuid', 'time', 'numeric']);

/** Types whose text can contain characters COPY's text format escapes (backslash, tab, newline, …). */
const escapedText = new Set(['text', 'varchar', 'bpchar', 'json', 'jsonb', 'citext']);

/**
 * Undoes COPY's text-format escapes (\\ \n \t \r \b \f \v) in a DuckDB
 * string expression. Escaped backslashes are swapped for NUL first — NUL cannot
 * occur in PostgreSQL text — so "\\n" stays a backslash followed by "n".
 * Only strings that contain a backslash pay for the replacements.
 */
export function unescapeCopyText(v: string): string {
  const steps: [string, string][] = [
    ['\\n', 'chr(10)'],
    ['\\t', 'chr(9)'],
    ['\\r', 'chr(13)'],
    ['\\b', 'chr(8)'],
    ['\\f', 'chr(12)'],
    ['\\v', 'chr(11)'],
  ];
  let expression = `replace(${v}, '\\\\', chr(0))`;
  for (const [sequence, character] of steps)
    expression = `replace(${expression}, '${sequence}', ${character})`;
  return `CASE WHEN contains(${v}, '\\') THEN replace(${expression}, chr(0), '\\') ELSE ${v} END`;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** DECIMAL(p,s) for numeric(p,s) that fits DuckDB's 38 digits, else undefined (stored as text). */
function decimalType(typeModifier: number): string | undefined {
  if (typeModifier < 4) return undefined;
  const precision = ((typeModifier - 4) >> 16) & 0xffff;
  const scale = (typeModifier - 4) & 0xffff;
  // PostgreSQL 15 allows negative scales and scales above precision; DuckDB does not.
  if (precision < 1 || precision > 38 || scale > precision || scale > 0x7fff) return undefined;
  return `DECIMAL(${precision},${scale})`;
}

function elementStorageType(column: SourceColumn): string {
  if (column.enumLabels) return 'VARCHAR';
  if (column.baseTypeName === 'numeric')
    return decimalType(column.valueType?.typmod ?? column.typeModifier) ?? 'VARCHAR';
  const type = scalarTypes[column.baseTypeName];
  if (!type) {
    throw new PgError(
      SqlState.featureNotSupported,
      `column ${quoteIdent(column.name)} has unsupported type ${column.typeName}`,
    );
  }
  return type;
}

/** DuckDB expression turning PostgreSQL text `x` of a scalar type into the storage type. */
function scalarLoad(baseTypeName: string, storageType: string, x: string): string {
  switch (baseTypeName) {
    case 'date':
    case 'timestamp':
    case 'timestamptz':
      return `CASE WHEN suffix(${x}, ' BC') THEN CAST(${bcToNegativeYear(x)} AS ${storageType}) ELSE CAST(${x} AS ${storageType}) END`;
    case 'bytea':
      // "\x00ff"; scalars arrive as "\\x00ff" from COPY's text format (escaped backslash).
      return `from_hex(${x}[strpos(${x}, 'x') + 1:])`;
    default:
      return `CAST(${x} AS ${storageType})`;
  }
}

/** '0044-03-15 10:00:00+00 BC' → '-0043-03-15 10:00:00+00' (astronomical year numbering). */
function bcToNegativeYear(x: string): string {
  const year = `CAST(split_part(${x}, '-', 1) AS INTEGER)`;
  const rest = `substr(${x}[:-4], strpos(${x}, '-'))`;
  return `(CASE WHEN ${year} = 1 THEN '0000' ELSE printf('%05d', 1 - ${year}) END || ${rest})`;
}

/** The interval's three fields, as DuckDB's interval parser reads them. */
export function intervalCopyExpression(col: string): string {
  const months = `(extract(year FROM ${col}) * 12 + extract(month FROM ${col}))::bigint`;
  const days = `extract(day FROM ${col})::bigint`;
  const micros = `((extract(hour FROM ${col}) * 60 + extract(minute FROM ${col})) * 60000000 + extract(microseconds FROM ${col}))::bigint`;
  return `CASE WHEN ${col} IS NOT NULL THEN format('%s months %s days %s microseconds', ${months}, ${days}, ${micros}) END`;
}

/**
 * The array `col` for to_json(), so that each element is written as its output function's text:
 * cast to text[], except where that cast is not the output (inet and cidr's network_show adds the
 * mask length: to_json() of the built-in type writes its output) or could be the table owner's
 * own function (a cast from an enum, or from an array of it, to text or json can be created by
 * the enum's owner): an enum array goes through array_out and back in as text[], built-in
 * functions only.
 */
function elementsAsText(column: SourceColumn, col: string): string {
  if (column.enumLabels !== undefined)
    return `pg_catalog.textin(pg_catalog.array_out(${col}))::pg_catalog.text[]`;
  if (column.baseTypeName === 'inet' || column.baseTypeName === 'cidr') return col;
  return `${col}::pg_catalog.text[]`;
}

export function ingestColumn(column: SourceColumn): IngestColumn {
  const col = quoteIdent(column.name);
  const element = elementStorageType(column);
  const enumType = column.enumLabels ? `ENUM(${column.enumLabels.map(quoteLiteral).join(', ')})` : undefined;
  const base = {
    name: column.name,
    pgType: column.typeName,
    pgTypeOid: column.typeOid,
    pgTypeModifier: column.typeModifier,
    ...(column.valueType === undefined ? {} : { valueType: column.valueType }),
    ...(column.baseTypeName === 'citext' && !column.isArray ? { citext: true as const } : {}),
    ...(column.isArray && (column.ndims ?? 1) > 1 ? { ndims: column.ndims } : {}),
  };
  if (column.isArray) {
    if (column.baseTypeName === 'interval') return { ...base, ...intervalArrayColumn(column.name) };
    const ndims = column.ndims ?? 1;
    const lists = '[]'.repeat(ndims);
    return {
      ...base,
      storageType: `${element}${lists}`,
      queryType: `${enumType ?? queryTypes[column.baseTypeName] ?? element}${lists}`,
      // Elements as text keep their exact PostgreSQL spelling (JSON numbers would pass through double).
      copyExpression: arrayCopyExpression(
        column.name,
        ndims,
        `pg_catalog.to_json(${elementsAsText(column, col)})::pg_catalog.text`,
      ),
      csvType: 'VARCHAR',
      outputText: 'array',
      load: (v) =>
        arrayLoadExpression(unescapeCopyText(v), ndims, (x) => scalarLoad(column.baseTypeName, element, x)),
    };
  }
  if (column.baseTypeName === 'interval') {
    return {
      ...base,
      storageType: intervalStorageType,
      queryType: 'INTERVAL',
      copyExpression: intervalCopyExpression(col),
      csvType: 'VARCHAR',
      outputText: 'interval',
      // "<months> months <days> days <micros> microseconds"
      load: (v) =>
        `CASE WHEN ${v} IS NOT NULL THEN {'months': CAST(split_part(${v}, ' ', 1) AS INTEGER), ` +
        `'days': CAST(split_part(${v}, ' ', 3) AS INTEGER), 'micros': CAST(split_part(${v}, ' ', 5) AS BIGINT)} END`,
    };
  }
  if (directText.has(column.baseTypeName)) {
    return {
      ...base,
      storageType: element,
      queryType: element,
      copyExpression: col,
      csvType: element,
      outputText: 'plain',
      load: (v) => v,
    };
  }
  const unescaped = escapedText.has(column.baseTypeName) || column.enumLabels !== undefined;
  return {
    ...base,
    storageType: element,
    queryType: enumType ?? queryTypes[column.baseTypeName] ?? element,
    copyExpression: col,
    csvType: 'VARCHAR',
    outputText: 'plain',
    load: unescaped ? unescapeCopyText : (v) => scalarLoad(column.baseTypeName, element, v),
  };
}

/** DuckDB expression reading a stored column (a quoted identifier) as its query type. */
export function readExpression(spec: ColumnSpec, column: string): string {
  if (spec.storageType === intervalStorageType) {
    return `to_months(${column}.months) + to_days(${column}.days) + to_microseconds(${column}.micros)`;
  }
  if (spec.storageType === `${intervalStorageType}[]`)
    return `list_transform(${column}, lambda pga_iv: to_months(pga_iv.months) + to_days(pga_iv.days) + to_microseconds(pga_iv.micros))`;
  return spec.queryType === spec.storageType ? column : `CAST(${column} AS ${spec.queryType})`;
}

/** The persisted part of an ingest column. */
export function columnSpec(column: IngestColumn): ColumnSpec {
  const {
    name,
    pgType,
    pgTypeOid,
    pgTypeModifier,
    storageType,
    queryType,
    valueType,
    citext,
    ndims,
    missing,
  } = column;
  return {
    name,
    pgType,
    pgTypeOid,
    pgTypeModifier,
    storageType,
    queryType,
    ...(valueType === undefined ? {} : { valueType }),
    ...(citext === undefined ? {} : { citext }),
    ...(ndims === undefined ? {} : { ndims }),
    ...(missing ? { missing } : {}),
  };
}

/** DuckDB SELECT of a file in COPY's text format (tab-separated, \\N for NULL), each field converted to its column. */
export function readCopyTextSql(
  file: string | readonly string[],
  columns: readonly IngestColumn[],
  /** The longest line there may be, when it may pass DuckDB's default limit of 2,000,000 bytes. */
  maxLineBytes?: number,
): string {
  const files = typeof file === 'string' ? quoteLiteral(file) : `[${file.map(quoteLiteral).join(', ')}]`;
  const fields = columns.map((_, i) => `c${i}`);
  const csvColumns = columns
    .map((c, i) => `${quoteLiteral(fields[i]!)}: ${quoteLiteral(c.csvType)}`)
    .join(', ');
  const select = columns
    .map((c, i) => `${c.load(quoteIdent(fields[i]!))} AS ${quoteIdent(c.name)}`)
    .join(', ');
  // The reader's buffers must hold a few of the longest lines (DuckDB 1.5 fails on a line near a buffer's size).
  const longLines =
    maxLineBytes !== undefined && maxLineBytes > 2_000_000
      ? `, max_line_size = ${maxLineBytes}, buffer_size = ${4 * maxLineBytes}`
      : '';
  return `SELECT ${select} FROM read_csv(${files}, columns = {${csvColumns}},
           header = false, auto_detect = false, delim = '\t', quote = '', escape = '', nullstr = '\\N'${longLines})`;
}

/**
 * Hidden columns of a streamed table's segments: `_pga_seq` orders every version of a row
 * (the LSN of the change; 0 for rows of the backfill), `_pga_commit` is the LSN of the commit
 * record of the transaction that wrote it (0 for the backfill).
 */
export const sequenceColumnNames = ['_pga_seq', '_pga_commit'] as const;

export function sequenceColumn(name: (typeof sequenceColumnNames)[number]): IngestColumn {
  return {
    name,
    pgType: 'bigint',
    pgTypeOid: 20,
    pgTypeModifier: -1,
    storageType: 'BIGINT',
    queryType: 'BIGINT',
    copyExpression: '0',
    csvType: 'BIGINT',
    load: (v) => v,
    outputText: 'plain',
  };
}
