/**
 * PostgreSQL type names in casts → DuckDB type names. Only types whose casts
 * behave the same in both are mapped; a type with a modifier DuckDB would
 * ignore (varchar(3) truncates in PostgreSQL, timestamp(0) rounds) is refused
 * rather than silently giving a different value.
 */
import type { Node, TypeName } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';

const SIMPLE_TYPES: Readonly<Record<string, string>> = {
  int2: 'SMALLINT',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float4: 'REAL',
  float8: 'DOUBLE',
  bool: 'BOOLEAN',
  text: 'VARCHAR',
  varchar: 'VARCHAR',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
  time: 'TIME',
  interval: 'INTERVAL',
  bytea: 'BLOB',
  uuid: 'UUID',
};

/** Integer types: a cast to one of these makes an expression "obviously integer" for division. */
export const INTEGER_TYPES = new Set(['int2', 'int4', 'int8']);

/** The largest DECIMAL precision DuckDB has. */
const MAX_DECIMAL_PRECISION = 38;

/** The PostgreSQL type name without a pg_catalog qualifier, e.g. "int4", "numeric". */
export function baseTypeName(type: TypeName): string {
  const names = (type.names ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : ''));
  if (names.length === 2 && names[0] === 'pg_catalog') return names[1] ?? '';
  return names.length === 1 ? (names[0] ?? '') : names.join('.');
}

/**
 * DuckDB type for a cast target. Unconstrained numeric returns undefined: the
 * caller may cast a literal exactly, but DuckDB's default DECIMAL(18,3) would
 * round anything else.
 */
export function duckDbType(type: TypeName): string | undefined {
  const name = baseTypeName(type);
  const bounds = type.arrayBounds?.length ?? 0;
  if (type.setof === true || type.pct_type === true || bounds > 1) throw unsupportedType(name);
  const scalar = scalarType(name, type.typmods ?? []);
  if (scalar === undefined) return undefined;
  return bounds === 1 ? `${scalar}[]` : scalar;
}

function scalarType(name: string, typmods: readonly Node[]): string | undefined {
  if (name === 'numeric') return numericType(typmods);
  const simple = SIMPLE_TYPES[name];
  if (simple === undefined || typmods.length > 0) throw unsupportedType(name, typmods.length > 0);
  return simple;
}

function numericType(typmods: readonly Node[]): string | undefined {
  if (typmods.length === 0) return undefined;
  const [precision, scale = 0] = typmods.map(integerTypmod);
  if (precision === undefined || precision < 1 || precision > MAX_DECIMAL_PRECISION) {
    throw new PgError(
      SqlState.featureNotSupported,
      `numeric precision above ${MAX_DECIMAL_PRECISION} is not supported by pg_analytica`,
    );
  }
  if (scale < 0 || scale > precision) throw unsupportedType('numeric', true);
  return `DECIMAL(${precision},${scale})`;
}

function integerTypmod(node: Node): number {
  if ('A_Const' in node && node.A_Const.ival !== undefined) return node.A_Const.ival.ival ?? 0;
  throw unsupportedType('numeric', true);
}

export function unsupportedType(name: string, withModifier = false): PgError {
  const what = withModifier ? `type ${name} with a modifier` : `type ${name}`;
  return new PgError(SqlState.featureNotSupported, `${what} is not supported by pg_analytica`);
}
