/**
 * The safety net between PostgreSQL's Describe of a statement (source-describe.ts)
 * and what DuckDB computed: each result column is announced with PostgreSQL's
 * type, so its DuckDB type must print exactly that type's text. Where it cannot
 * (PostgreSQL says numeric and DuckDB computed a DOUBLE, PostgreSQL says date and
 * DuckDB computed a TIMESTAMP), the statement fails with 0A000 naming the
 * column at its first value that is not NULL, never sending other digits under
 * PostgreSQL's type.
 */
import { type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { PgError, SqlState } from '../errors.js';
import type { ResultColumn } from './engine-types.js';
import { type ColumnFormatter, columnFormatter, type PgTextFormatOptions } from './pg-text-format.js';
import { PgType } from './pg-type-oids.js';
import { zonedRangeText } from './ranges/range-value.js';

const T = DuckDBTypeId;

const integerIds = new Set<DuckDBTypeId>([
  T.TINYINT,
  T.SMALLINT,
  T.INTEGER,
  T.BIGINT,
  T.HUGEINT,
  T.UTINYINT,
  T.USMALLINT,
  T.UINTEGER,
  T.UBIGINT,
  T.UHUGEINT,
]);

/** PostgreSQL's integer types: the range a value must be in, and PostgreSQL's overflow message. */
const int2Fits = [T.TINYINT, T.UTINYINT, T.SMALLINT];
const int4Fits = [...int2Fits, T.USMALLINT, T.INTEGER];
const integerRanges = new Map<
  number,
  { min: bigint; max: bigint; name: string; fits: readonly DuckDBTypeId[] }
>([
  [PgType.int2.oid, { min: -(2n ** 15n), max: 2n ** 15n - 1n, name: 'smallint', fits: int2Fits }],
  [PgType.int4.oid, { min: -(2n ** 31n), max: 2n ** 31n - 1n, name: 'integer', fits: int4Fits }],
  [
    PgType.int8.oid,
    { min: -(2n ** 63n), max: 2n ** 63n - 1n, name: 'bigint', fits: [...int4Fits, T.UINTEGER, T.BIGINT] },
  ],
]);

/** Types whose text output is the value's characters, as the engine holds them in a VARCHAR. */
const textualOids = new Set<number>([
  PgType.text.oid,
  PgType.varchar.oid,
  PgType.bpchar.oid,
  PgType.name.oid,
  PgType.char.oid,
  PgType.json.oid,
  PgType.jsonb.oid,
  // The copy holds their canonical text, and the front end writes literals of them so.
  PgType.inet.oid,
  PgType.cidr.oid,
  PgType.macaddr.oid,
  PgType.macaddr8.oid,
  // range_out's canonical text, as the copy holds it and the front end writes literals.
  PgType.int4range.oid,
  PgType.int8range.oid,
  PgType.daterange.oid,
  PgType.numrange.oid,
  PgType.tsrange.oid,
]);

/** Non-text types with exactly one DuckDB type whose text is theirs. */
const exactIds = new Map<number, readonly DuckDBTypeId[]>([
  [PgType.bool.oid, [T.BOOLEAN]],
  [PgType.float4.oid, [T.FLOAT]],
  [PgType.float8.oid, [T.DOUBLE]],
  [PgType.date.oid, [T.DATE]],
  [PgType.timestamp.oid, [T.TIMESTAMP, T.TIMESTAMP_S, T.TIMESTAMP_MS, T.TIMESTAMP_NS]],
  [PgType.timestamptz.oid, [T.TIMESTAMP_TZ]],
  [PgType.time.oid, [T.TIME, T.TIME_NS]],
  [PgType.timetz.oid, [T.TIME_TZ]],
  [PgType.interval.oid, [T.INTERVAL]],
  [PgType.uuid.oid, [T.UUID]],
  [PgType.bytea.oid, [T.BLOB]],
  [PgType.varbit.oid, [T.BIT]],
  [1560, [T.BIT]],
]);

const elementOfArray = new Map<number, number>(Object.values(PgType).map((t) => [t.arrayOid, t.oid]));

/** The first OID PostgreSQL gives a user-defined object: anything below is built in. */
const firstUserOid = 16384;

/** DuckDB types whose text a PostgreSQL type that came from the source (column `carried`) prints as. */
export interface CarriedTypes {
  /** The OID the type stage says column i carries (numeric kept as text, enums …). */
  carried(i: number): number | undefined;
}

/**
 * RowDescription entries as PostgreSQL described them, with a formatter per column
 * that prints DuckDB's values as that type. A column whose DuckDB type cannot give
 * PostgreSQL's text for its described type fails (0A000) at its first value.
 */
export function describedOutput(
  described: readonly ResultColumn[],
  types: readonly DuckDBType[],
  options: PgTextFormatOptions,
  carried: CarriedTypes,
): { columns: readonly ResultColumn[]; formatters: readonly ColumnFormatter[] } {
  if (described.length !== types.length) {
    throw new PgError(
      SqlState.featureNotSupported,
      `the columnar engine returns ${types.length} columns where PostgreSQL describes ${described.length}`,
      { hint: 'run the query in PostgreSQL itself' },
    );
  }
  const formatters = described.map((column, i): ColumnFormatter => {
    const type = types[i]!;
    // The copy holds tstzrange's bounds in UTC; timestamptz_out prints them in the session's zone.
    if (column.typeOid === PgType.tstzrange.oid && type.typeId === T.VARCHAR)
      return (value) => (value === null ? null : zonedRangeText(String(value), options.timeZone));
    const format = columnFormatter(type, options);
    if (printsAs(type, column.typeOid, column.typeModifier, carried.carried(i)))
      return withRangeCheck(format, column.typeOid, type);
    // NULL prints alike whatever the type (DuckDB types a bare NULL as INTEGER): only a value fails.
    return (value) => {
      if (value === null) return null;
      throw mismatch(column, type);
    };
  });
  return { columns: described, formatters };
}

/** Whether DuckDB's `type` prints the text PostgreSQL prints for `oid` (with `typmod`). */
export function printsAs(type: DuckDBType, oid: number, typmod: number, carried?: number): boolean {
  const id = type.typeId;
  if (id === T.SQLNULL) return true;
  if (id === T.VARCHAR) return textualOids.has(oid) || oid >= firstUserOid || carried === oid;
  if (id === T.ENUM) return textualOids.has(oid) || oid >= firstUserOid;
  if (integerRanges.has(oid)) return integerIds.has(id);
  if (oid === PgType.numeric.oid) {
    if (integerIds.has(id)) return true;
    if (id !== T.DECIMAL) return false;
    // numeric(p,s) prints s fraction digits; DECIMAL(w,s) prints its own scale.
    return typmod < 4 || ((typmod - 4) & 0xffff) === (type as { scale: number }).scale;
  }
  // An array of a domain (its own OID, a user type's): the type stage says the column carries
  // that array, and the copy holds it as a LIST of the base type, which prints as the array does.
  if ((id === T.LIST || id === T.ARRAY) && oid >= firstUserOid && carried === oid) return true;
  const element = elementOfArray.get(oid);
  if (element !== undefined) {
    if (id !== T.LIST && id !== T.ARRAY) return false;
    let inner = (type as { valueType: DuckDBType }).valueType;
    // A multi-dimensional array column (nested LISTs, array-columns.ts), when the type stage says
    // the result is that column's array: nested lists print as array_out prints its dimensions.
    while (carried === oid && (inner.typeId === T.LIST || inner.typeId === T.ARRAY))
      inner = (inner as { valueType: DuckDBType }).valueType;
    return printsAs(inner, element, -1);
  }
  return exactIds.get(oid)?.includes(id) ?? false;
}

/** A wider DuckDB integer announced as int2/int4/int8 fails as PostgreSQL's overflow would (22003). */
function withRangeCheck(format: ColumnFormatter, oid: number, type: DuckDBType): ColumnFormatter {
  const range = integerRanges.get(oid);
  if (range === undefined || range.fits.includes(type.typeId)) return format;
  return (value) => {
    const text = format(value);
    if (text === null) return text;
    const n = BigInt(text);
    if (n < range.min || n > range.max)
      throw new PgError(SqlState.numericValueOutOfRange, `${range.name} out of range`);
    return text;
  };
}

function mismatch(column: ResultColumn, type: DuckDBType): PgError {
  return new PgError(
    SqlState.featureNotSupported,
    `result column "${column.name}" has type ${pgTypeName(column)} in PostgreSQL, but the columnar engine computes it as ${type.toString()}, whose text could differ`,
    {
      hint: 'cast the column to the type you want (for example ::float8 or ::text), or run the query in PostgreSQL itself',
    },
  );
}

function pgTypeName(column: ResultColumn): string {
  const entry = Object.entries(PgType).find(([, t]) => t.oid === column.typeOid);
  if (entry) return entry[0];
  const array = Object.entries(PgType).find(([, t]) => t.arrayOid === column.typeOid);
  return array ? `${array[0]}[]` : `with OID ${column.typeOid}`;
}
