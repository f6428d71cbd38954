import type { Logger } from '../log.js';
import { withSourceClient } from './source-client.js';

/** pg-analytica status: the analytica.status view as a table. */
export async function status(argv: readonly string[], log: Logger): Promise<void> {
  await withSourceClient(argv, log, async (client) => {
    const { rows } = await client.query(
      `SELECT table_name, state, rows, segments, pg_size_pretty(bytes) AS size, pg_size_pretty(source_bytes) AS source_size,
              last_sync_at, last_error FROM analytica.status ORDER BY table_name`,
    );
    if (rows.length === 0)
      console.log(
        "no tables are registered; register one with SELECT analytica.register_table('schema.table')",
      );
    else console.table(rows);
  });
}
