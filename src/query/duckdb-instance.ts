/**
 * Opens an in-memory DuckDB instance the way pg_analytica uses it everywhere:
 * bounded threads and memory, no extension downloads (the daemon runs offline
 * and must not fetch code), sessions in UTC unless a query says otherwise.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
// Text values keep a leading U+FEFF (see the module).
import './duckdb-text-decoding.js';
import { registerJsonFunctions } from './jsonb/duckdb-json-functions.js';
import { registerNetworkFunctions } from './network/duckdb-network-functions.js';
import { registerNumericFunctions } from './numeric/duckdb-numeric-functions.js';
import { registerToCharFunctions } from './sql/to-char/duckdb-to-char-functions.js';
import { registerTextFunctions } from './text/duckdb-text-functions.js';

export interface DuckDbOptions {
  threads: number;
  memoryLimit: string;
}

export async function openDuckDb(
  options: DuckDbOptions,
): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads),
    memory_limit: options.memoryLimit,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    // DuckDB holds values equal that PostgreSQL tells apart — INTERVAL '1 mon' and '30 days',
    // '1 day' and '24 hours' — and these optimizers share one computation between expressions
    // they hold equal: `ts + interval '30 days'` beside `ts + interval '1 month'` answered
    // the month's date (DuckDB 1.5). Correct answers come first (test/interval-equality.test.ts).
    disabled_optimizers: 'common_subexpressions,common_aggregate,duplicate_groups,common_subplan',
  });
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  // json/jsonb operators print PostgreSQL's text; DuckDB's json extension does not (jsonb/).
  registerJsonFunctions(connection);
  registerToCharFunctions(connection);
  // Exact numerics of varying display scale: computed in BigInt, printed as numeric_out (numeric/).
  registerNumericFunctions(connection);
  // inet/cidr order and containment (network/).
  registerNetworkFunctions(connection);
  // initcap() under a C ctype (text/).
  registerTextFunctions(connection);
  return { instance, connection };
}
