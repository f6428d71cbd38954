/** Commands that call one catalog function on one registered table: unregister, resync, compact. */
import type { Logger } from '../log.js';
import type { ParsedArgs } from './args.js';
import { type Command, connectionDetails, connectionOptions, tableArgument } from './flags.js';
import { withSourceTable } from './source-client.js';

function tableCommand(
  name: string,
  summary: string,
  sqlFunction: string,
  said: (table: string) => string,
): Command {
  return {
    spec: {
      name,
      summary,
      positionals: [tableArgument],
      options: connectionOptions,
      details: connectionDetails,
    },
    run: async (args: ParsedArgs, log: Logger) => {
      await withSourceTable(args.argv, log, args.positionals[0]!, async (client, table) => {
        // sqlFunction is one of the constants below, never user input; the table is a parameter.
        await client.query(`SELECT ${sqlFunction}($1::regclass)`, [table]);
        console.log(said(table));
      });
    },
  };
}

export const unregister = tableCommand(
  'unregister',
  'Stop copying a table (analytica.unregister_table).\nIts registration, foreign table and segment files go.',
  'analytica.unregister_table',
  (table) => `unregistered ${table}; the daemon removes its segment files once no query reads them`,
);

export const resync = tableCommand(
  'resync',
  'Copy a table again from a fresh snapshot, e.g. to repair a copy in error (analytica.resync).',
  'analytica.resync',
  (table) => `asked for a new copy of ${table}; follow it with pg-analytica wait ${table}`,
);

export const compact = tableCommand(
  'compact',
  'Compact a table now: merge its small segments and apply its deletes (analytica.compact_now).',
  'analytica.compact_now',
  (table) =>
    `asked the daemon to compact ${table}: it merges small segments and applies deletes, if there are any`,
);
