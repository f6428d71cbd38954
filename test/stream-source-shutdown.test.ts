/**
 * The source server can shut down while the daemon streams from it. A fast
 * shutdown waits for every walsender to see its client confirm all WAL sent;
 * the daemon confirmed positions only after a catalog commit on that same
 * server, which a shutting-down server refuses, so `pg_ctl -m fast stop` hung
 * (until the daemon's next catalog query failed, tens of seconds later).
 * Positions for which nothing is pending are now confirmed on keepalives, as
 * PostgreSQL's own subscriber does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { freePort, LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let clusterDir: string;
let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client | undefined;

before(async () => {
  clusterDir = await mkdtemp(path.join(tmpdir(), 'pga-shutdown-'));
  // Persistent: close() stops the server (fast shutdown) without removing it.
  cluster = await LocalCluster.start({ dir: clusterDir, port: await freePort(), persistent: true });
  await cluster.exec(`
    CREATE TABLE events (id bigserial PRIMARY KEY, kind text NOT NULL);
    INSERT INTO events (kind) SELECT 'k' || (g % 7) FROM generate_series(1, 1000) g;`);
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('events')`);
  await heap.query(`SELECT analytica.wait_for_sync('events')`);
});

after(async () => {
  await heap?.end().catch(() => undefined);
  await daemon?.close();
  await cluster?.close();
  await rm(clusterDir, { recursive: true, force: true });
});

test('analytica.status shows the WAL the slot retains next to analytica.max_retained_wal', async () => {
  const sql = `SELECT slot_retained_bytes, slot_retained_limit_bytes, slot_wal_status
                 FROM analytica.status WHERE table_name = 'public.events'`;
  const before = (await heap!.query(sql)).rows[0];
  assert.ok(Number(before.slot_retained_bytes) >= 0, JSON.stringify(before));
  assert.equal(before.slot_retained_limit_bytes, String(1024 ** 3), 'the default, 1GB');
  assert.equal(before.slot_wal_status, 'reserved');
  await heap!.query(`ALTER DATABASE postgres SET analytica.max_retained_wal = '64MB'`);
  const session = await rawClient(cluster.clientConfig());
  try {
    const set = (await session.query(sql)).rows[0];
    assert.equal(set.slot_retained_limit_bytes, String(64 * 1024 ** 2), 'the database setting');
  } finally {
    await session.end();
    await heap!.query('ALTER DATABASE postgres RESET analytica.max_retained_wal');
  }
});

test('a fast shutdown of the source completes within seconds while the daemon is idle', async () => {
  const client = heap!;
  for (let i = 0; i < 20; i++) await client.query(`INSERT INTO events (kind) VALUES ('after ${i}')`);
  const columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  try {
    const count = 'SELECT count(*) FROM events';
    assert.deepEqual(await textRows(columnar, count), await textRows(client, count));
  } finally {
    await columnar.end();
  }
  // Idle: the writes are flushed (the slot was confirmed up to them), and nothing is due since.
  // The flush's own catalog commit moved WAL past what it confirmed.
  const { lsn } = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn')).rows[0]!;
  await waitFor(
    async () =>
      (
        await client.query<{ done: boolean }>(
          `SELECT synced_lsn >= $1::pg_lsn AS done FROM analytica.tables WHERE relid = 'events'::regclass`,
          [lsn],
        )
      ).rows[0]!.done,
    'the writes to be flushed',
    20_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await client.end();
  heap = undefined;
  const started = performance.now();
  await cluster.close();
  const ms = Math.round(performance.now() - started);
  assert.ok(ms < 5000, `the fast shutdown took ${ms} ms while the daemon was connected`);
});
