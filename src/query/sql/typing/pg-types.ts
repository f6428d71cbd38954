/**
 * The type stage's vocabulary: a PostgreSQL type as the front end knows it,
 * the built-in types by OID and name (values from PostgreSQL's
 * src/include/catalog/pg_type.dat: OID, typname, typcategory, typispreferred),
 * and the types of the columns the resolver returned.
 *
 * A type the front end does not know is `undefined`, never a guess: the
 * emitters only change what they emit for a type they know, and refuse
 * (0A000) where PostgreSQL's meaning needs a type they do not know.
 */
import type { TypeName } from 'libpg-query';
import { type ColumnSpec, valueTypeOf } from '../../../source/column-types.js';

/** pg_type.typcategory: B boolean, N numeric, S string, D date/time, T timespan, U user, E enum, A array, I network, X unknown. */
export type TypeCategory = 'B' | 'N' | 'S' | 'D' | 'T' | 'U' | 'E' | 'A' | 'I' | 'R' | 'X';

export interface PgType {
  /** pg_type.typname for built-ins; the name format_type() gives for enums and arrays. */
  readonly name: string;
  readonly oid: number;
  /** atttypmod, -1 when none. */
  readonly typmod: number;
  readonly category: TypeCategory;
  /** Enums: labels in pg_enum.enumsortorder order, and the DuckDB ENUM (arrays: LIST) the copy is read as. */
  readonly enumLabels?: readonly string[];
  readonly duckType?: string;
  /**
   * numeric without precision (or p > 38): the copy holds PostgreSQL's exact text (VARCHAR),
   * see docs/types.md; it is compared through an exact DECIMAL (numeric-text.ts).
   */
  readonly heldAsText?: boolean;
  /**
   * A table column whose collation does not order text by its bytes (the database's default
   * collation or its own is not C/POSIX): the engine, which orders text by bytes, refuses to
   * order it (typing/collation.ts).
   */
  readonly sortsByLocale?: boolean;
  /**
   * A table column with its own collation whose ctype is not C/POSIX: its case is mapped by
   * that collation, which the engine does not have (typing/case-folding.ts).
   */
  readonly foldsCaseByLocale?: boolean;
  /**
   * An array column declared with several dimensions: how many (held as nested LISTs; the
   * front end allows only what multidim-arrays.ts makes exact). Absent: one, or not known.
   */
  readonly ndims?: number;
}

interface BuiltIn {
  readonly oid: number;
  readonly category: TypeCategory;
}

/** Built-in scalar types the copy holds (pg_type.dat). */
const BUILT_INS: Readonly<Record<string, BuiltIn>> = {
  bool: { oid: 16, category: 'B' },
  bytea: { oid: 17, category: 'U' },
  int8: { oid: 20, category: 'N' },
  int2: { oid: 21, category: 'N' },
  int4: { oid: 23, category: 'N' },
  text: { oid: 25, category: 'S' },
  json: { oid: 114, category: 'U' },
  cidr: { oid: 650, category: 'I' },
  macaddr8: { oid: 774, category: 'U' },
  macaddr: { oid: 829, category: 'U' },
  inet: { oid: 869, category: 'I' },
  float4: { oid: 700, category: 'N' },
  float8: { oid: 701, category: 'N' },
  unknown: { oid: 705, category: 'X' },
  bpchar: { oid: 1042, category: 'S' },
  varchar: { oid: 1043, category: 'S' },
  date: { oid: 1082, category: 'D' },
  time: { oid: 1083, category: 'D' },
  timetz: { oid: 1266, category: 'D' },
  timestamp: { oid: 1114, category: 'D' },
  timestamptz: { oid: 1184, category: 'D' },
  interval: { oid: 1186, category: 'T' },
  numeric: { oid: 1700, category: 'N' },
  uuid: { oid: 2950, category: 'U' },
  int4range: { oid: 3904, category: 'R' },
  numrange: { oid: 3906, category: 'R' },
  tsrange: { oid: 3908, category: 'R' },
  tstzrange: { oid: 3910, category: 'R' },
  daterange: { oid: 3912, category: 'R' },
  int8range: { oid: 3926, category: 'R' },
  jsonb: { oid: 3802, category: 'U' },
  // No column holds one: the (key, value) pairs jsonb_each gives in a select list.
  record: { oid: 2249, category: 'U' },
};

const BY_OID = new Map(Object.entries(BUILT_INS).map(([name, t]) => [t.oid, name]));

/** A built-in type by typname, or undefined. */
export function builtIn(name: string, typmod = -1): PgType | undefined {
  const t = BUILT_INS[name];
  return t === undefined ? undefined : { name, oid: t.oid, typmod, category: t.category };
}

/** A built-in type that exists (for the type rules' own results). */
export function known(name: keyof typeof BUILT_INS): PgType {
  return builtIn(name)!;
}

export const UNKNOWN = known('unknown');

/** The integer types in PostgreSQL's promotion order (int2 < int4 < int8). */
export const INTEGER_RANK: Readonly<Record<string, number>> = { int2: 1, int4: 2, int8: 3 };

/** The type of a column of the copy, from what the catalog keeps of it (analytica.tables.columns). */
export function columnType(spec: ColumnSpec): PgType | undefined {
  // A domain is typed as its base type, as PostgreSQL's parser types a domain column's uses.
  const value = valueTypeOf(spec);
  const name = BY_OID.get(value.oid);
  if (name !== undefined) {
    const type = builtIn(name, value.typmod)!;
    return name === 'numeric' && spec.storageType === 'VARCHAR' ? { ...type, heldAsText: true } : type;
  }
  if (spec.citext === true) return { name: 'citext', oid: value.oid, typmod: -1, category: 'S' };
  // An array of an enum is read as ENUM(…)[]: an array first.
  if (spec.queryType.startsWith('ENUM(') && !spec.queryType.endsWith('[]')) {
    return {
      name: value.name,
      oid: value.oid,
      typmod: -1,
      category: 'E',
      enumLabels: enumLabels(spec.queryType),
      duckType: spec.queryType,
    };
  }
  // An array of a domain keeps its own OID, as PostgreSQL describes it (described-columns.ts); a
  // domain over an array of several dimensions is described as the base array type, which the
  // result then carries (its nested LIST prints as that array).
  const multiDim = (spec.ndims ?? 1) > 1;
  if (spec.queryType.endsWith('[]'))
    return {
      name: value.name,
      oid:
        multiDim && spec.valueType !== undefined && !spec.pgType.endsWith('[]') ? value.oid : spec.pgTypeOid,
      typmod: -1,
      category: 'A',
      duckType: spec.queryType,
      ...(multiDim ? { ndims: spec.ndims } : {}),
    };
  return undefined;
}

/** The labels of `ENUM('a', 'it''s')` as column-types.ts writes it. */
function enumLabels(duckType: string): string[] {
  return [...duckType.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replaceAll("''", "'"));
}

/**
 * The type a cast names: a built-in by its pg_catalog name (the parser already turned `int`,
 * `char(n)`, `decimal` into int4, bpchar, numeric), or an enum of a column the statement reads.
 * An enum name is matched against format_type()'s spelling of the column's type: the last
 * part must match, and a schema given in the cast must be the one format_type printed (or
 * the type is on the search path, printed bare). Two different enums matching is ambiguous
 * and gives undefined.
 */
export function castTargetType(typeName: TypeName, enums: readonly PgType[]): PgType | undefined {
  const names = (typeName.names ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : ''));
  if ((typeName.arrayBounds?.length ?? 0) > 0) return undefined;
  const bare =
    names.length === 2 && names[0] === 'pg_catalog' ? names[1] : names.length === 1 ? names[0] : undefined;
  const builtInType = bare === undefined ? undefined : builtIn(bare);
  if (builtInType !== undefined) return builtInType;
  const wanted = names.at(-1) ?? '';
  const schema = names.length === 2 ? names[0] : undefined;
  const matches = new Map<number, PgType>();
  for (const type of enums) {
    const parts = splitQualified(type.name);
    if (parts.at(-1) !== wanted) continue;
    if (schema !== undefined && parts.length === 2 && parts[0] !== schema) continue;
    matches.set(type.oid, type);
  }
  return matches.size === 1 ? [...matches.values()][0] : undefined;
}

/**
 * An enum's name as PostgreSQL's messages print it for a type on the search path: unqualified.
 * (The catalog keeps format_type()'s spelling on the daemon's connection, whose search_path is
 * pg_catalog only, so it is schema-qualified there.)
 */
export function enumDisplayName(type: PgType): string {
  const bare = splitQualified(type.name).at(-1) ?? type.name;
  return /^[a-z_][a-z0-9_$]*$/.test(bare) ? bare : `"${bare.replaceAll('"', '""')}"`;
}

/** format_type() output split at the schema dot, double-quoted parts unquoted. */
function splitQualified(text: string): string[] {
  const parts: string[] = [];
  for (const m of text.matchAll(/"((?:[^"]|"")*)"|([^."]+)/g))
    parts.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? ''));
  return parts;
}

export function isBpchar(type: PgType | undefined): boolean {
  return type?.name === 'bpchar';
}

export function isUnknown(type: PgType | undefined): boolean {
  return type?.category === 'X';
}

/** format_type()'s name of a built-in type, as PostgreSQL's messages spell it (int4 is integer). */
export function formatTypeName(name: string): string {
  return SQL_NAMES[name] ?? name;
}

const SQL_NAMES: Readonly<Record<string, string>> = {
  int2: 'smallint',
  int4: 'integer',
  int8: 'bigint',
  float4: 'real',
  float8: 'double precision',
  bool: 'boolean',
  varchar: 'character varying',
  bpchar: 'character',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
};
