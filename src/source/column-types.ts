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
 * - arrays (one dimension) → LIST, carried as a JSON array of the elements' text.
 * The registration check in sql/ accepts the same set of types.
 */
import { PgError, SqlState } from '../errors.js';

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
  /** Labels in declaration order when the (element) type is an enum. */
  enumLabels: string[] | undefined;
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
   * Streamed tables: the column's name in segments and in the delta when it differs from `name`
   * (after a RENAME COLUMN, or an added column whose name an older column had).
   */
  storedAs?: string;
  /** Streamed tables: a dropped column, kept so that no later column is stored under its name. */
  dropped?: boolean;
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
  outputText: 'plain' | 'array' | 'interval';
}

const intervalStorageType = 'STRUCT(months INTEGER, days INTEGER, micros BIGINT)';

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
};

/** Types whose COPY text DuckDB's reader parses directly, with the same value (they never contain escapes). */
const directText = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'uuid', 'time', 'numeric']);

/** Types whose text can contain characters COPY's text format escapes (backslash, tab, newline, …). */
const escapedText = new Set(['text', 'varchar', 'bpchar', 'json', 'jsonb']);

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
  if (column.baseTypeName === 'numeric') return decimalType(column.typeModifier) ?? 'VARCHAR';
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
function intervalCopyExpression(col: string): string {
  const months = `(extract(year FROM ${col}) * 12 + extract(month FROM ${col}))::bigint`;
  const days = `extract(day FROM ${col})::bigint`;
  const micros = `((extract(hour FROM ${col}) * 60 + extract(minute FROM ${col})) * 60000000 + extract(microseconds FROM ${col}))::bigint`;
  return `CASE WHEN ${col} IS NOT NULL THEN format('%s months %s days %s microseconds', ${months}, ${days}, ${micros}) END`;
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
  };
  if (column.isArray) {
    if (column.baseTypeName === 'interval') {
      throw new PgError(
        SqlState.featureNotSupported,
        `column ${col} has unsupported type ${column.typeName}`,
        {
          hint: 'arrays of interval are not supported; store the intervals in a separate table or as text[]',
        },
      );
    }
    return {
      ...base,
      storageType: `${element}[]`,
      queryType: enumType ? `${enumType}[]` : `${element}[]`,
      // Elements as text keep their exact PostgreSQL spelling (JSON numbers would pass through double).
      copyExpression:
        `CASE WHEN pg_catalog.array_ndims(${col}) > 1 OR pg_catalog.array_lower(${col}, 1) <> 1 ` +
        `THEN analytica.copy_error(${quoteLiteral(`column ${col} holds an array of more than one dimension or not starting at index 1, which pg_analytica cannot store`)}) ` +
        `ELSE pg_catalog.to_json(${col}::pg_catalog.text[])::pg_catalog.text END`,
      csvType: 'VARCHAR',
      outputText: 'array',
      load: (v) =>
        `list_transform(CAST(CAST(${unescapeCopyText(v)} AS JSON) AS VARCHAR[]), lambda x: ${scalarLoad(column.baseTypeName, element, 'x')})`,
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
    queryType: enumType ?? element,
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
  return spec.queryType === spec.storageType ? column : `CAST(${column} AS ${spec.queryType})`;
}

/** The persisted part of an ingest column. */
export function columnSpec(column: IngestColumn): ColumnSpec {
  const { name, pgType, pgTypeOid, pgTypeModifier, storageType, queryType } = column;
  return { name, pgType, pgTypeOid, pgTypeModifier, storageType, queryType };
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
