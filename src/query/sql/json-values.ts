/**
 * One value's JSON text as DuckDB SQL (a VARCHAR, NULL for NULL), per PostgreSQL type, as
 * datum_to_json (json.c) writes it for to_json, json_agg and json_build_*: numbers as their text
 * (NaN and ±Infinity as strings), booleans as true/false, strings escaped (escape_json),
 * dates and timestamps in ISO 8601 (JsonEncodeDateTime), intervals and uuids as their text in a
 * string, json as written, jsonb as it prints, arrays as JSON arrays ("," between elements).
 * As an object key (key_scalar) every value is a string; json, jsonb and arrays are refused there.
 *
 * A type not listed is refused (0A000): its text is not known to be PostgreSQL's here.
 */
import { SqlState } from '../../errors.js';
import { jsonFunction } from '../jsonb/duckdb-json-functions.js';
import type { EmitContext } from './emit-context.js';
import { quoteLiteral } from './sql-text.js';
import { arrayElementType } from './typing/json-types.js';
import { builtIn, type PgType } from './typing/pg-types.js';

/**
 * Types written as a JSON string of DuckDB's own text of the value, which is PostgreSQL's: the
 * copy holds inet, cidr, macaddr[8] and the discrete ranges, numrange and tsrange as their
 * PostgreSQL text (docs/types.md); tstzrange's is in UTC, not in the session's zone.
 */
const STRING_TYPES = new Set([
  'text',
  'varchar',
  'bpchar',
  'citext',
  'name',
  'uuid',
  'unknown',
  'inet',
  'cidr',
  'macaddr',
  'macaddr8',
  'int4range',
  'int8range',
  'daterange',
  'numrange',
  'tsrange',
]);
const NUMBER_TYPES = new Set(['int2', 'int4', 'int8', 'numeric']);
/** Values printed by a pga_json_ function of json-scalars.ts. */
const SCALAR_FUNCTIONS: Readonly<
  Record<string, 'date' | 'timestamp' | 'interval' | 'float8' | 'float4' | 'time' | 'bytea'>
> = {
  date: 'date',
  time: 'time',
  bytea: 'bytea',
  timestamp: 'timestamp',
  interval: 'interval',
  float8: 'float8',
  float4: 'float4',
};

export interface JsonValueOptions {
  /** An object key: always a JSON string. */
  readonly key?: boolean;
  readonly location?: number;
}

/** The JSON text of `sql`, a value of `type`; NULL stays NULL (callers write `null` where it is due). */
export function jsonValueSql(
  ctx: EmitContext,
  type: PgType | undefined,
  sql: string,
  options: JsonValueOptions = {},
): string {
  const value = valueText(ctx, type, sql, options);
  if (options.key !== true || value.unquoted === undefined) return value.sql;
  // A key is a string: numbers and booleans, which print unquoted, are quoted (their texts need no escapes).
  return `('"' || ${value.unquoted} || '"')`;
}

interface ValueSql {
  readonly sql: string;
  /** A value not always printed as a string: its text (no quotes) for a key. */
  readonly unquoted?: string;
}

const quoted = (sql: string): ValueSql => ({ sql });
const number = (sql: string): ValueSql => ({ sql, unquoted: sql });

function valueText(
  ctx: EmitContext,
  type: PgType | undefined,
  sql: string,
  options: JsonValueOptions,
): ValueSql {
  const name = type?.name ?? '';
  if (type?.category === 'E' || STRING_TYPES.has(name))
    return quoted(`${jsonFunction('string')}(CAST(${sql} AS VARCHAR))`);
  if (type?.heldAsText === true) {
    // numeric_out's NaN and ±Infinity are no JSON numbers: they are written as strings.
    const special = `${sql} IN ('NaN', 'Infinity', '-Infinity')`;
    return { sql: `(CASE WHEN ${special} THEN '"' || ${sql} || '"' ELSE ${sql} END)`, unquoted: sql };
  }
  if (NUMBER_TYPES.has(name)) return number(`CAST(${sql} AS VARCHAR)`);
  if (name === 'bool') return number(`(CASE WHEN ${sql} THEN 'true' WHEN NOT ${sql} THEN 'false' END)`);
  const scalar = SCALAR_FUNCTIONS[name];
  if (scalar === 'float8' || scalar === 'float4') {
    // A float's text holds no quote but the ones around NaN and ±Infinity.
    const call = `${jsonFunction(scalar)}(${sql}, ${ctx.extraFloatDigits ?? 1})`;
    return { sql: call, unquoted: `trim(${call}, '"')` };
  }
  if (scalar !== undefined) return quoted(`${jsonFunction(scalar)}(${sql})`);
  if (name === 'timestamptz') return quoted(timestampTz(ctx, sql, options));
  if (name === 'timetz') return quoted(`${jsonFunction('timetz')}(CAST(${sql} AS TIMETZ))`);
  const structured = name === 'json' || name === 'jsonb' || type?.category === 'A';
  if (structured && options.key === true) {
    // Raised for a row that has such a key, as add_json raises it (a NULL key fails as NULL).
    return quoted(`${jsonFunction('structured_key')}(CAST(${sql} AS VARCHAR))`);
  }
  if (name === 'json' || name === 'jsonb') return quoted(sql);
  if (type?.category === 'A') return quoted(arrayJson(ctx, type, sql, options));
  throw ctx.error(
    SqlState.featureNotSupported,
    `a value of type ${type === undefined || name === '' ? 'unknown to pg_analytica' : name} in JSON is not supported by pg_analytica`,
    options.location,
    'cast the value to text (or to a type JSON prints as a number) first',
  );
}

/** A timestamptz in the session's TimeZone, which the statement's context carries. */
function timestampTz(ctx: EmitContext, sql: string, options: JsonValueOptions): string {
  if (ctx.timeZone === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'a timestamp with time zone in JSON is not supported by pg_analytica here (the session time zone is not known)',
      options.location,
    );
  }
  return `${jsonFunction('timestamptz')}(${sql}, ${quoteLiteral(ctx.timeZone)})`;
}

/** array_to_json_internal: `[e1,e2]`, NULL elements as null, nested for several dimensions. */
function arrayJson(ctx: EmitContext, type: PgType, sql: string, options: JsonValueOptions): string {
  const element = arrayElementType(type) ?? namedElementType(type);
  const ndims = type.ndims ?? 1;
  if (element === undefined || element.category === 'A' || (ndims > 1 && element.name === 'interval')) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `an array of type ${type.name}${ndims > 1 ? ' of several dimensions' : ''} in JSON is not supported by pg_analytica`,
      options.location,
    );
  }
  return nestedLists(ctx, element, sql, ndims, options);
}

/** format_type()'s names of array elements arrayElementType() leaves out, as typnames. */
const ELEMENT_NAMES: readonly [RegExp, string][] = [
  [/^numeric(\(\d+,\d+\))?$/, 'numeric'],
  [/^character varying(\(\d+\))?$/, 'varchar'],
  [/^timestamp(\(\d\))? without time zone$/, 'timestamp'],
  [/^timestamp(\(\d\))? with time zone$/, 'timestamptz'],
  [/^time(\(\d\))? without time zone$/, 'time'],
];

/**
 * The element type of an array of numerics (DECIMAL, or PostgreSQL's text where the copy holds
 * it so), varchar, timestamps, times or an enum, from the array's name and DuckDB type. (The
 * copy holds char(n)[] elements without their padding, which JSON would print: not taken.)
 */
function namedElementType(type: PgType): PgType | undefined {
  const name = type.name.replace(/(\[\])+$/, '');
  if (type.duckType?.startsWith('ENUM(')) return { name, oid: 0, typmod: -1, category: 'E' };
  const typname = ELEMENT_NAMES.find(([pattern]) => pattern.test(name))?.[1];
  const element = typname === undefined ? undefined : builtIn(typname);
  if (element?.name !== 'numeric') return element;
  return type.duckType?.startsWith('DECIMAL') ? element : { ...element, heldAsText: true };
}

/** An array of several dimensions (nested lists): `[[1,2],[3,4]]`, "," at every level. */
function nestedLists(
  ctx: EmitContext,
  element: PgType,
  sql: string,
  ndims: number,
  options: JsonValueOptions,
): string {
  if (ndims <= 1) return jsonListSql(ctx, element, sql, options);
  const inner = nestedLists(ctx, element, `pga_jl${ndims}`, ndims - 1, options);
  return `('[' || array_to_string(list_transform(${sql}, lambda pga_jl${ndims}: ${inner}), ',') || ']')`;
}

/** A DuckDB list of `element` values (a one-dimensional array) as array_to_json writes it. */
export function jsonListSql(
  ctx: EmitContext,
  element: PgType,
  sql: string,
  options: JsonValueOptions = {},
): string {
  const item = jsonValueSql(ctx, element, 'pga_je', { location: options.location });
  return `('[' || array_to_string(list_transform(${sql}, lambda pga_je: coalesce(${item}, 'null')), ',') || ']')`;
}

/** A value, or JSON's null where it is NULL. */
export function orNull(json: string): string {
  return `coalesce(${json}, 'null')`;
}
