/**
 * Registers JavaScript scalar functions in DuckDB under names no client can call (the function
 * allow-list admits only PostgreSQL names; these start with `pga_`). The SQL front end emits
 * calls to them. A PgError raised for a row is reported as "SQLSTATE xxxxx: message", which
 * duckdb-errors.ts turns back into that SQLSTATE.
 *
 * Callbacks run on the JavaScript thread (DuckDB's worker threads wait for them), one data chunk
 * per call. All are strict: a NULL argument gives NULL without a call.
 */
import {
  type DuckDBConnection,
  DuckDBListValue,
  DuckDBScalarFunction,
  type DuckDBType,
} from '@duckdb/node-api';
import { PgError } from '../errors.js';

export type UdfArg = string | number | boolean | (string | null)[];

export interface ScalarUdf {
  readonly parameters: readonly DuckDBType[];
  readonly returns: DuckDBType;
  readonly run: (args: UdfArg[]) => unknown;
}

/** Registers each of `udfs` as `prefix + name` on `connection`. */
export function registerScalarUdfs(
  connection: DuckDBConnection,
  prefix: string,
  udfs: Readonly<Record<string, ScalarUdf>>,
): void {
  for (const [name, udf] of Object.entries(udfs)) {
    connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: prefix + name,
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

function plain(value: unknown): UdfArg {
  if (value instanceof DuckDBListValue) return value.items.map((v) => (v === null ? null : String(v)));
  if (typeof value === 'bigint') return Number(value);
  return value as UdfArg;
}

/** duckdb-errors.ts reads the SQLSTATE back from this form. */
function errorText(error: unknown): string {
  if (error instanceof PgError) return `SQLSTATE ${error.code}: ${error.message}`;
  return `SQLSTATE XX000: ${error instanceof Error ? error.message : String(error)}`;
}
