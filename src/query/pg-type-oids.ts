/**
 * Which PostgreSQL type a DuckDB result column is announced as in
 * RowDescription. The text each value is printed in (pg-text-format.ts) must
 * be what a PostgreSQL server prints for the OID chosen here, so the two files
 * change together.
 *
 * OIDs, typlen and array types are from pg_type:
 * https://github.com/postgres/postgres/blob/REL_17_STABLE/src/include/catalog/pg_type.dat
 */
import { DuckDBListType, type DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { PgError, SqlState } from '../errors.js';
import type { ResultColumn } from './engine-types.js';

/** One PostgreSQL base type: its OID, pg_type.typlen and the OID of its array type. */
export interface PgTypeEntry {
  readonly oid: number;
  readonly size: number;
  readonly arrayOid: number;
}

export const PgType = {
  bool: { oid: 16, size: 1, arrayOid: 1000 },
  bytea: { oid: 17, size: -1, arrayOid: 1001 },
  char: { oid: 18, size: 1, arrayOid: 1002 },
  name: { oid: 19, size: 64, arrayOid: 1003 },
  int8: { oid: 20, size: 8, arrayOid: 1016 },
  int2: { oid: 21, size: 2, arrayOid: 1005 },
  int4: { oid: 23, size: 4, arrayOid: 1007 },
  text: { oid: 25, size: -1, arrayOid: 1009 },
  json: { oid: 114, size: -1, arrayOid: 199 },
  cidr: { oid: 650, size: -1, arrayOid: 651 },
  macaddr8: { oid: 774, size: 8, arrayOid: 775 },
  macaddr: { oid: 829, size: 6, arrayOid: 1040 },
  inet: { oid: 869, size: -1, arrayOid: 1041 },
  float4: { oid: 700, size: 4, arrayOid: 1021 },
  float8: { oid: 701, size: 8, arrayOid: 1022 },
  bpchar: { oid: 1042, size: -1, arrayOid: 1014 },
  varchar: { oid: 1043, size: -1, arrayOid: 1015 },
  date: { oid: 1082, size: 4, arrayOid: 1182 },
  time: { oid: 1083, size: 8, arrayOid: 1183 },
  timestamp: { oid: 1114, size: 8, arrayOid: 1115 },
  timestamptz: { oid: 1184, size: 8, arrayOid: 1185 },
  interval: { oid: 1186, size: 16, arrayOid: 1187 },
  timetz: { oid: 1266, size: 12, arrayOid: 1270 },
  varbit: { oid: 1562, size: -1, arrayOid: 1563 },
  numeric: { oid: 1700, size: -1, arrayOid: 1231 },
  uuid: { oid: 2950, size: 16, arrayOid: 2951 },
  jsonb: { oid: 3802, size: -1, arrayOid: 3807 },
  int4range: { oid: 3904, size: -1, arrayOid: 3905 },
  numrange: { oid: 3906, size: -1, arrayOid: 3907 },
  tsrange: { oid: 3908, size: -1, arrayOid: 3909 },
  tstzrange: { oid: 3910, size: -1, arrayOid: 3911 },
  daterange: { oid: 3912, size: -1, arrayOid: 3913 },
  int8range: { oid: 3926, size: -1, arrayOid: 3927 },
} as const satisfies Record<string, PgTypeEntry>;

/** The PostgreSQL type of a column, as RowDescription carries it. */
export interface PgColumnType {
  readonly typeOid: number;
  readonly typeSize: number;
  readonly typeModifier: number;
}

/** What the engine knows about the PostgreSQL column a result column was read from. */
export interface SourcePgType {
  readonly typeOid: number;
  /** atttypmod of the source column; -1 or absent when none. */
  readonly typeModifier?: number;
}

const sizeByOid = new Map<number, number>();
for (const entry of Object.values(PgType)) {
  sizeByOid.set(entry.oid, entry.size);
  sizeByOid.set(entry.arrayOid, -1);
}

/**
 * numeric's atttypmod: ((precision << 16) | scale) + VARHDRSZ, see
 * make_numeric_typmod() in src/backend/utils/adt/numeric.c.
 */
export function numericTypmod(precision: number, scale: number): number {
  return ((precision << 16) | scale) + 4;
}

function column(entry: PgTypeEntry, typeModifier = -1): PgColumnType {
  return { typeOid: entry.oid, typeSize: entry.size, typeModifier };
}

/**
 * The PostgreSQL type a DuckDB type is printed as. Unsigned and 128-bit
 * integers go to the narrowest PostgreSQL type that holds every value exactly
 * (UINTEGER → int8, UBIGINT/HUGEINT/UHUGEINT → numeric). Throws 0A000 for
 * types with no faithful text form.
 */
export function pgColumnType(type: DuckDBType): PgColumnType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return column(PgType.bool);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.SMALLINT:
      return column(PgType.int2);
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.INTEGER:
      return column(PgType.int4);
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.BIGINT:
      return column(PgType.int8);
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return column(PgType.numeric);
    case DuckDBTypeId.DECIMAL:
      return column(PgType.numeric, numericTypmod(type.width, type.scale));
    case DuckDBTypeId.FLOAT:
      return column(PgType.float4);
    case DuckDBTypeId.DOUBLE:
      return column(PgType.float8);
    case DuckDBTypeId.VARCHAR:
      // DuckDB's JSON type is VARCHAR with the alias JSON.
      return column(type.alias === 'JSON' ? PgType.json : PgType.text);
    case DuckDBTypeId.BLOB:
      return column(PgType.bytea);
    case DuckDBTypeId.DATE:
      return column(PgType.date);
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return column(PgType.time);
    case DuckDBTypeId.TIME_TZ:
      return column(PgType.timetz);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return column(PgType.timestamp);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return column(PgType.timestamptz);
    case DuckDBTypeId.INTERVAL:
      return column(PgType.interval);
    case DuckDBTypeId.UUID:
      return column(PgType.uuid);
    case DuckDBTypeId.BIT:
      return column(PgType.varbit);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return arrayColumnType(type.valueType);
    // Printed as text: ENUM as its label, STRUCT as a row literal, MAP and
    // UNION in DuckDB's notation with PostgreSQL-formatted members.
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.UNION:
    case DuckDBTypeId.SQLNULL:
    case DuckDBTypeId.STRING_LITERAL:
      return column(PgType.text);
    case DuckDBTypeId.INTEGER_LITERAL:
      return column(PgType.numeric);
    default:
      throw unsupportedType(type);
  }
}

/**
 * A list of X is X's array type; nested lists are the same array type (a
 * PostgreSQL array is one type whatever its dimensions). Element types with
 * no array type of their own (text renderings) become text[].
 */
function arrayColumnType(elementType: DuckDBType): PgColumnType {
  const element = pgColumnType(elementType);
  if (elementType.typeId === DuckDBTypeId.LIST || elementType.typeId === DuckDBTypeId.ARRAY) {
    return element;
  }
  const entry = Object.values(PgType).find((candidate) => candidate.oid === element.typeOid);
  const arrayOid = entry?.arrayOid ?? PgType.text.arrayOid;
  return { typeOid: arrayOid, typeSize: -1, typeModifier: element.typeModifier };
}

export function unsupportedType(type: DuckDBType): PgError {
  return new PgError(
    SqlState.featureNotSupported,
    `result columns of DuckDB type ${type.toString()} cannot be sent to PostgreSQL clients`,
    { hint: 'Cast the column to VARCHAR in the query.' },
  );
}

/**
 * The RowDescription entry of a result column. When the column is a plain
 * reference to a source column, `source` carries that column's PostgreSQL
 * type so clients see json, jsonb, varchar(n), bpchar(n), numeric(p,s)… as
 * in PostgreSQL. The source type is used only when the DuckDB value prints
 * as that type's text: the column is VARCHAR (it holds the source's own
 * text output) or maps to the same OID (only the typmod is taken).
 */
export function resultColumn(name: string, type: DuckDBType, source?: SourcePgType): ResultColumn {
  const derived = pgColumnType(type);
  if (source === undefined) return { name, ...derived };
  const typeModifier = source.typeModifier ?? -1;
  if (printsAsSourceText(type)) {
    // Enums are 4 bytes in PostgreSQL; unknown (user-defined) array types are varlena.
    const size = type.typeId === DuckDBTypeId.ENUM ? 4 : (sizeByOid.get(source.typeOid) ?? -1);
    return { name, typeOid: source.typeOid, typeSize: size, typeModifier };
  }
  if (source.typeOid === derived.typeOid) return { name, ...derived, typeModifier };
  return { name, ...derived };
}

/**
 * VARCHAR holds the source's own text output; an ENUM prints its label, as the
 * source enum does; lists of either print as the source array does.
 */
function printsAsSourceText(type: DuckDBType): boolean {
  if (type.typeId === DuckDBTypeId.VARCHAR || type.typeId === DuckDBTypeId.ENUM) return true;
  if (type instanceof DuckDBListType) return printsAsSourceText(type.valueType);
  return false;
}
