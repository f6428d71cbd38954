/**
 * Registers the json/jsonb functions of json-functions.ts in DuckDB as pga_json_* (through
 * duckdb-scalar-udfs.ts: strict, errors carrying their SQLSTATE). The SQL front end
 * (sql/json-rules.ts) emits calls to them.
 */
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DOUBLE,
  type DuckDBBlobValue,
  type DuckDBConnection,
  type DuckDBDateValue,
  type DuckDBIntervalValue,
  type DuckDBTimestampTZValue,
  type DuckDBTimestampValue,
  type DuckDBTimeTZValue,
  type DuckDBTimeValue,
  FLOAT,
  INTEGER,
  INTERVAL,
  LIST,
  listValue,
  STRUCT,
  structValue,
  TIME,
  TIMESTAMP,
  TIMESTAMPTZ,
  TIMETZ,
  VARCHAR,
} from '@duckdb/node-api';
import { registerScalarUdfs, type ScalarUdf, type UdfArg } from '../duckdb-scalar-udfs.js';
import * as json from './json-functions.js';
import * as scalar from './json-scalars.js';
import * as modify from './jsonb-modify.js';

type Arg = UdfArg;

const TEXT_LIST = LIST(VARCHAR);
const kindOf = (value: Arg): json.JsonKind => (value === 'json' ? 'json' : 'jsonb');
const s = (value: Arg | undefined) => value as string;
const list = (value: Arg | undefined) => value as (string | null)[];

/** The prefix of every function registered here. */
export const JSON_FUNCTION_PREFIX = 'pga_json_';

const UDFS: Readonly<Record<string, ScalarUdf>> = {
  field: {
    parameters: [VARCHAR, VARCHAR, VARCHAR, BOOLEAN],
    returns: VARCHAR,
    run: ([k, d, key, t]) => json.jsonField(kindOf(k!), s(d), s(key), t === true),
  },
  element: {
    parameters: [VARCHAR, VARCHAR, BIGINT, BOOLEAN],
    returns: VARCHAR,
    run: ([k, d, i, t]) => json.jsonElement(kindOf(k!), s(d), Number(i), t === true),
  },
  path: {
    parameters: [VARCHAR, VARCHAR, TEXT_LIST, BOOLEAN],
    returns: VARCHAR,
    run: ([k, d, p, t]) => json.jsonPath(kindOf(k!), s(d), list(p), t === true),
  },
  contains: {
    parameters: [VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([a, b]) => json.jsonbContains(s(a), s(b)),
  },
  concat: {
    parameters: [VARCHAR, VARCHAR],
    returns: VARCHAR,
    run: ([a, b]) => modify.jsonbConcat(s(a), s(b)),
  },
  delete_keys: {
    parameters: [VARCHAR, TEXT_LIST],
    returns: VARCHAR,
    run: ([d, keys]) => modify.jsonbDeleteKeys(s(d), list(keys)),
  },
  delete_index: {
    parameters: [VARCHAR, BIGINT],
    returns: VARCHAR,
    run: ([d, i]) => modify.jsonbDeleteIndex(s(d), Number(i)),
  },
  exists: {
    parameters: [VARCHAR, TEXT_LIST, VARCHAR],
    returns: BOOLEAN,
    run: ([d, keys, mode]) => json.jsonbExists(s(d), list(keys), mode as 'one' | 'any' | 'all'),
  },
  array_length: { parameters: [VARCHAR], returns: INTEGER, run: ([d]) => json.jsonbArrayLength(s(d)) },
  typeof: { parameters: [VARCHAR], returns: VARCHAR, run: ([d]) => json.jsonbTypeof(s(d)) },
  elements: {
    parameters: [VARCHAR, BOOLEAN],
    returns: TEXT_LIST,
    run: ([d, t]) => listValue(json.jsonbElements(s(d), t === true)),
  },
  each: {
    parameters: [VARCHAR, BOOLEAN],
    returns: LIST(STRUCT({ key: VARCHAR, value: VARCHAR })),
    run: ([d, t]) => listValue(json.jsonbEach(s(d), t === true).map((e) => structValue(e))),
  },
  object_keys: {
    parameters: [VARCHAR],
    returns: TEXT_LIST,
    run: ([d]) => listValue(json.jsonbObjectKeys(s(d))),
  },
  to_jsonb: { parameters: [VARCHAR], returns: VARCHAR, run: ([d]) => json.toJsonbText(s(d)) },
  check: { parameters: [VARCHAR], returns: VARCHAR, run: ([d]) => json.checkJsonText(s(d)) },
  equality_key: { parameters: [VARCHAR], returns: VARCHAR, run: ([d]) => json.jsonbEqualityKey(s(d)) },
  sort_key: { parameters: [VARCHAR], returns: VARCHAR, run: ([d]) => json.jsonbSortKey(s(d)) },
  // The JSON text of one value (to_json, json_agg, json_build_*): json-scalars.ts.
  string: { parameters: [VARCHAR], returns: VARCHAR, run: ([v]) => scalar.jsonString(s(v)) },
  // The second argument: the session's extra_float_digits, which float8out follows.
  float8: {
    parameters: [DOUBLE, INTEGER],
    returns: VARCHAR,
    run: ([v, digits]) => scalar.jsonFloat(v as number, false, digits as number),
  },
  float4: {
    parameters: [FLOAT, INTEGER],
    returns: VARCHAR,
    run: ([v, digits]) => scalar.jsonFloat(v as number, true, digits as number),
  },
  date: {
    parameters: [DATE],
    returns: VARCHAR,
    run: ([v]) => scalar.jsonDate(v as never as DuckDBDateValue),
  },
  timestamp: {
    parameters: [TIMESTAMP],
    returns: VARCHAR,
    run: ([v]) => scalar.jsonTimestamp(v as never as DuckDBTimestampValue),
  },
  timestamptz: {
    parameters: [TIMESTAMPTZ, VARCHAR],
    returns: VARCHAR,
    run: ([v, zone]) => scalar.jsonTimestampTz(v as never as DuckDBTimestampTZValue, s(zone)),
  },
  time: {
    parameters: [TIME],
    returns: VARCHAR,
    run: ([v]) => scalar.jsonTime(v as never as DuckDBTimeValue),
  },
  timetz: {
    parameters: [TIMETZ],
    returns: VARCHAR,
    run: ([v]) => scalar.jsonTimeTz(v as never as DuckDBTimeTZValue),
  },
  bytea: {
    parameters: [BLOB],
    returns: VARCHAR,
    run: ([v]) => scalar.jsonBytea(v as never as DuckDBBlobValue),
  },
  structured_key: { parameters: [VARCHAR], returns: VARCHAR, run: () => scalar.structuredKey() },
  interval: {
    parameters: [INTERVAL],
    returns: VARCHAR,
    run: ([v]) => scalar.jsonInterval(v as never as DuckDBIntervalValue),
  },
};

/** The DuckDB name of a json function of this file (`field` → pga_json_field). */
export function jsonFunction(name: keyof typeof UDFS): string {
  return JSON_FUNCTION_PREFIX + name;
}

export type JsonFunctionName = keyof typeof UDFS;

export function registerJsonFunctions(connection: DuckDBConnection): void {
  registerScalarUdfs(connection, JSON_FUNCTION_PREFIX, UDFS);
}
