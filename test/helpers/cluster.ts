/**
 * Throw-away PostgreSQL clusters for tests: a fresh initdb'd cluster on a free
 * loopback port in a temporary directory, removed on close.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { LocalCluster } from '../../src/cluster/local-cluster.js';

export async function startTestCluster(settings: Record<string, string> = {}): Promise<LocalCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pga-test-'));
  return await LocalCluster.start({ dir, settings });
}

/**
 * Ends a pool and waits until its connections are closed. `pool.end()` resolves
 * once the pool has let go of its clients, before their sockets close; a
 * cluster stopped right after would tell a still-open idle connection that it
 * is shutting down (57P01), which the pool raises as an uncaught error.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  const open = pool.totalCount;
  let closed = 0;
  const allClosed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      closed += 1;
      if (closed >= open) resolve();
    });
  });
  await pool.end();
  await allClosed;
}

/** Polls `condition` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  condition: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until `table`'s copy has at least `count` data segments (streamed rows flushed to their own). */
export async function waitForDataSegments(
  client: pg.ClientBase,
  table: string,
  count: number,
): Promise<void> {
  await waitFor(async () => {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM analytica.segments WHERE relid = $1::regclass AND kind = 'data'`,
      [table],
    );
    return Number(rows[0]?.n) >= count;
  }, `${count} data segments of ${table}`);
}
