import type pg from 'pg';
import { parseDurationMs } from '../config.js';
import type { Logger } from '../log.js';
import { type ParsedArgs, UsageError } from './args.js';
import { type Command, connectionDetails, connectionOptions, tableArgument } from './flags.js';
import { Progress } from './progress.js';
import { withSourceTable } from './source-client.js';

export const defaultWaitTimeout = '10min';

export const timeoutOption = {
  type: 'string',
  value: 'duration',
  description: `how long to wait, such as 30s or 1h (default ${defaultWaitTimeout})`,
} as const;

/** pg-analytica wait <table>: returns once the copy holds every transaction committed before it started. */
export const wait: Command = {
  spec: {
    name: 'wait',
    summary:
      "Wait until a table's copy is in sync (analytica.wait_for_sync), with a progress bar.\n" +
      'In sync means it holds every change committed before the command started; the progress bar\n' +
      'shows on a terminal while the table is copied.',
    positionals: [tableArgument],
    options: { ...connectionOptions, timeout: timeoutOption },
    details: `${connectionDetails}\nExits 1 if the copy fails or the timeout passes (the daemon must be running).`,
  },
  run: async (args: ParsedArgs, log: Logger) => {
    const timeoutMs = parseTimeout(args.flags.get('timeout'));
    await withSourceTable(args.argv, log, args.positionals[0]!, async (client, table) => {
      await waitForSync(client, table, timeoutMs);
    });
  },
};

export function parseTimeout(raw: string | undefined): number {
  const ms = parseDurationMs(raw ?? defaultWaitTimeout);
  if (ms === undefined || ms <= 0)
    throw new UsageError(
      `invalid value for --timeout: ${JSON.stringify(raw)}; expected a duration such as 30s, 5min or 1h`,
    );
  return ms;
}

/**
 * analytica.wait_for_sync on `client`; meanwhile, on a terminal, a second
 * connection polls analytica.status for the copy's progress.
 */
export async function waitForSync(client: pg.Client, table: string, timeoutMs: number): Promise<void> {
  const started = performance.now();
  const done = client.query('SELECT analytica.wait_for_sync($1::regclass, make_interval(secs => $2))', [
    table,
    timeoutMs / 1000,
  ]);
  const watcher = process.stderr.isTTY ? watchProgress(client, table, done) : undefined;
  try {
    await done;
  } finally {
    await watcher;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${table} is in sync (waited ${seconds} s)`);
}

/** Polls progress_rows / progress_total_rows over a connection of its own until `done` settles. */
async function watchProgress(client: pg.Client, table: string, done: Promise<unknown>): Promise<void> {
  const { Client } = (await import('pg')).default;
  const watcher = new Client({
    host: client.host,
    port: client.port,
    user: client.user,
    password: client.password ?? undefined,
    database: client.database,
    ssl: client.ssl,
  });
  let finished = false;
  void done.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  const progress = new Progress(`copying ${table}`, process.stderr);
  let shown = false;
  try {
    await watcher.connect();
    while (!finished) {
      const { rows } = await watcher.query<{ done: string | null; total: string | null }>(
        'SELECT progress_rows AS done, progress_total_rows AS total FROM analytica.status WHERE relid = $1::regclass',
        [table],
      );
      const row = rows[0];
      if (row?.total) {
        progress.update(Number(row.done ?? 0), Number(row.total));
        shown = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch {
    // The progress bar is a courtesy; the wait itself reports any failure.
  } finally {
    if (shown) process.stderr.write('\n');
    await watcher.end().catch(() => undefined);
  }
}
