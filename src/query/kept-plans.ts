/**
 * DuckDB statements kept prepared per connection, so that a statement run again starts from
 * its plan: parsing, binding and planning took 0.4 to 4 ms of a small query. The caller
 * decides what may be kept and under which key (DuckDbEngine.stream): DuckDB does not bind a
 * prepared statement again when a view it read was replaced or dropped, it runs the plan it
 * made, so the key must name everything the plan depends on.
 */
import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBResult } from '@duckdb/node-api';
import { BoundedCache } from './bounded-cache.js';

/** Statements kept per connection (least recently used go first). */
const maxPerConnection = 32;

export class KeptPlans {
  /** Statements run from a kept plan, since the engine started. */
  reuses = 0;
  readonly #byConnection = new WeakMap<DuckDBConnection, BoundedCache<string, DuckDBPreparedStatement>>();

  /** Streams `sql` on the connection from the plan kept under `key`, prepared now if none is. */
  async stream(connection: DuckDBConnection, key: string, sql: string): Promise<DuckDBResult> {
    let kept = this.#byConnection.get(connection);
    if (kept === undefined) {
      kept = new BoundedCache(maxPerConnection, (statement) => statement.destroySync());
      this.#byConnection.set(connection, kept);
    }
    const found = kept.get(key);
    const statement = found ?? (await connection.prepare(sql));
    if (found === undefined) kept.set(key, statement);
    else this.reuses++;
    try {
      return await statement.stream();
    } catch (error) {
      // Not kept after a failure: the next run prepares it again.
      kept.delete(key);
      throw error;
    }
  }

  /** Frees the statements kept on a connection that is being closed. */
  forget(connection: DuckDBConnection): void {
    this.#byConnection.get(connection)?.clear();
    this.#byConnection.delete(connection);
  }
}
