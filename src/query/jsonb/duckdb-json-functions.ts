/**
 * Registers the json/jsonb functions of json-functions.ts in DuckDB under names no client can
 * call (the function allow-list admits only PostgreSQL names; these start with `pga_`). The SQL
 * front end (sql/json-rules.ts) emits calls to them. A PgError raised for a row is reported as
 * "SQLSTATE xxxxx: message", which duckdb-errors.ts turns back into that SQLSTATE.
 *
 * Callbacks run on the JavaScript thread (DuckDB's worker threads wait for them), one data chunk
 * per call. All are strict: a NULL argument gives NULL without a call.
 */
import {
  BIGINT,
  BOOLEAN,
  type DuckDBConnection,
  DuckDBListValue,
  DuckDBScalarFunction,
  type DuckDBType,
  INTEGER,
  LIST,
  listValue,
  STRUCT,
  structValue,
  VARCHAR,
} from '@duckdb/node-api';
import { PgError } from '../../errors.js';
import * as json from './json-functions.js';

type Arg = string | number | boolean | (string | null)[];

interface JsonUdf {
  readonly parameters: readonly DuckDBType[];
  readonly returns: DuckDBType;
  readonly run: (args: Arg[]) => unknown;
}

const TEXT_LIST = LIST(VARCHAR);
const kindOf = (value: Arg): json.JsonKind => (value === 'json' ? 'json' : 'jsonb');
const s = (value: Arg | undefined) => value as string;
const list = (value: Arg | undefined) => value as (string | null)[];

/** The prefix of every function registered here. */
export const JSON_FUNCTION_PREFIX = 'pga_json_';

const UDFS: Readonly<Record<string, JsonUdf>> = {
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
};

/** The DuckDB name of a json function of this file (`field` → pga_json_field). */
export function jsonFunction(name: keyof typeof UDFS): string {
  return JSON_FUNCTION_PREFIX + name;
}

export type JsonFunctionName = keyof typeof UDFS;

export function registerJsonFunctions(connection: DuckDBConnection): void {
  for (const [name, udf] of Object.entries(UDFS)) {
    connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: JSON_FUNCTION_PREFIX + name,
        parameterTypes: udf.parameters,
        returnType: udf.returns,
        mainFunction: (info, input, output) => {
          const columns = udf.parameters.map((_, i) => input.getColumnVector(i));
          for (let row = 0; row < input.rowCount; row++) {
            const args = columns.map((c) => c.getItem(row));
            if (args.some((a) => a === null)) {
              output.setItem(row, null);
              continue;
            }
            try {
              output.setItem(row, udf.run(args.map(plain)) as never);
            } catch (error) {
              info.setError(errorText(error));
              return;
            }
          }
          output.flush();
        },
      }),
    );
  }
}

function plain(value: unknown): Arg {
  if (value instanceof DuckDBListValue) return value.items.map((v) => (v === null ? null : String(v)));
  if (typeof value === 'bigint') return Number(value);
  return value as Arg;
}

/** duckdb-errors.ts reads the SQLSTATE back from this form. */
function errorText(error: unknown): string {
  if (error instanceof PgError) return `SQLSTATE ${error.code}: ${error.message}`;
  return `SQLSTATE XX000: ${error instanceof Error ? error.message : String(error)}`;
}
