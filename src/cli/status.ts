import type { Logger } from '../log.js';
import type { ParsedArgs } from './args.js';
import { type Command, connectionDetails, connectionOptions } from './flags.js';
import { withSourceClient } from './source-client.js';

/** pg-analytica status: the analytica.status view as a table. */
export const status: Command = {
  spec: {
    name: 'status',
    summary: 'Show the registered tables: state, rows, segments, sizes, last sync and last error.',
    options: connectionOptions,
    details: connectionDetails,
  },
  run: async (args: ParsedArgs, log: Logger) => {
    await withSourceClient(args.argv, log, async (client) => {
      const { rows } = await client.query(
        `SELECT table_name, mode, state, rows, segments, pg_size_pretty(bytes) AS size, pg_size_pretty(source_bytes) AS source_size,
                last_sync_at, last_error FROM analytica.status ORDER BY table_name`,
      );
      if (rows.length === 0)
        console.log('no tables are registered; register one with pg-analytica register <schema.table>');
      else console.table(rows);
    });
  },
};
