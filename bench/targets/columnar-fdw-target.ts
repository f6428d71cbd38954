/**
 * The columnar.* foreign tables: the same queries from a PostgreSQL session,
 * answered by the query server through postgres_fdw. Registration does not
 * create them yet, so this target reports itself unavailable.
 *
 * Once they exist this is the one function to change: connect to the source
 * PostgreSQL with `search_path = columnar, public`, so the benchmark's
 * unqualified table names resolve to the foreign tables, e.g.
 *   return PgWireTarget.connect('columnarFdw', config, ["SET search_path = columnar, public", ...session]);
 */
import type pg from 'pg';
import type { QueryTarget, UnavailableTarget } from './query-target.js';

export async function openColumnarFdwTarget(
  _config: pg.ClientConfig,
  _session: readonly string[],
): Promise<QueryTarget | UnavailableTarget> {
  return {
    id: 'columnarFdw',
    unavailable:
      'the columnar.* foreign tables (postgres_fdw to the query server) are not built yet; this column fills in once registration creates them',
  };
}
