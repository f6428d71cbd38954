/**
 * Registers a table and waits for its copy, printing the copy's progress on
 * stderr every few seconds; returns the wall time from the registration to
 * the copy being current (what a user waits) and the daemon's own copy time.
 */
import type pg from 'pg';
import { note } from './phase.js';
import { formatCount, seconds } from './stats.js';

export interface Backfill {
  table: string;
  rows: number;
  wallSeconds: number;
  /** The copy's own duration as the daemon recorded it (analytica.status.last_sync_ms). */
  copySeconds: number;
}

interface StatusRow {
  state: string;
  rows: string;
  progress_rows: string | null;
  progress_total_rows: string | null;
  last_sync_ms: string | null;
  last_error: string | null;
}

export async function registerAndWait(
  heap: pg.Client,
  watcher: pg.Client,
  table: string,
  orderBy: readonly string[] | undefined,
): Promise<Backfill> {
  const started = performance.now();
  await heap.query('SELECT analytica.register_table($1, order_by => $2)', [table, orderBy ?? null]);
  // Progress every 5 s while the copy runs; the timer is cleared the moment the copy is current.
  const reporter = setInterval(() => {
    status(watcher, table).then(
      (s) => {
        if (s?.progress_total_rows)
          note(
            `  ${table}: ${formatCount(Number(s.progress_rows ?? 0))} of ~${formatCount(Number(s.progress_total_rows))} rows copied`,
          );
      },
      () => undefined,
    );
  }, 5000);
  try {
    await heap.query(`SELECT analytica.wait_for_sync($1, interval '2 hours')`, [table]);
  } finally {
    clearInterval(reporter);
  }
  const wallSeconds = seconds(started);
  const s = await status(watcher, table);
  if (!s || s.state === 'error')
    throw new Error(`copy of ${table} failed: ${s?.last_error ?? 'not registered'}`);
  return {
    table,
    rows: Number(s.rows),
    wallSeconds,
    copySeconds: Number(s.last_sync_ms ?? Number.NaN) / 1000,
  };
}

async function status(client: pg.Client, table: string): Promise<StatusRow | undefined> {
  const { rows } = await client.query<StatusRow>(
    `SELECT state, rows, progress_rows, progress_total_rows, last_sync_ms, last_error
       FROM analytica.status WHERE relid = $1::regclass`,
    [table],
  );
  return rows[0];
}
