import type { Logger } from '../log.js';
import type { ParsedArgs } from './args.js';
import { type Command, connectionDetails, connectionOptions } from './flags.js';
import { withSourceTable } from './source-client.js';
import { parseTimeout, timeoutOption, waitForSync } from './wait.js';

/** pg-analytica register <table>: calls analytica.register_table, and waits for the copy with --wait. */
export const register: Command = {
  spec: {
    name: 'register',
    summary: 'Register a table: the daemon keeps a columnar copy of it (analytica.register_table).',
    positionals: [{ name: 'table', description: 'the table to copy, as schema.table' }],
    options: {
      ...connectionOptions,
      'order-by': { type: 'string', value: 'col1,col2', description: 'sort the copy by these columns' },
      mode: {
        type: 'string',
        value: 'mode',
        description:
          'stream: logical replication (needs a primary key); append: insert-only tables;\n' +
          `${' '.repeat(30)}refresh: re-copied when changed (default: stream where possible)`,
        choices: ['stream', 'append', 'refresh'],
      },
      wait: { type: 'boolean', description: 'wait until the copy is in sync, with a progress bar' },
      timeout: { ...timeoutOption, description: `${timeoutOption.description}, with --wait` },
    },
    details: connectionDetails,
  },
  run: async (args: ParsedArgs, log: Logger) => {
    const orderBy = args.flags
      .get('order-by')
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const timeoutMs = parseTimeout(args.flags.get('timeout'));
    await withSourceTable(args.argv, log, args.positionals[0]!, async (client, table) => {
      await client.query('SELECT analytica.register_table($1::regclass, $2::text[], $3::text)', [
        table,
        orderBy ?? null,
        args.flags.get('mode') ?? null,
      ]);
      if (!args.flags.has('wait')) {
        console.log(
          `registered ${table}; the daemon copies it now (see pg-analytica status, or pg-analytica wait ${table})`,
        );
        return;
      }
      console.log(`registered ${table}`);
      await waitForSync(client, table, timeoutMs);
    });
  },
};
