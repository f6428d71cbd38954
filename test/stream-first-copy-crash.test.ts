/**
 * SIGKILL during the first copy of a streamed table, then writes, then a
 * restart whose copy is published before the stream has caught up with it.
 *
 * The restarted copy takes a new snapshot (its consistent point C) while the
 * stream resumes from the slot's confirmed position, well before C. Every
 * transaction committed before C is in the copy, so the stream must skip it
 * for that table until it passes C (PostgreSQL's table-sync worker keeps a
 * per-table sync LSN for this). Here the stream is kept away from its slot —
 * as when the killed daemon's walsender still holds it — until the copy is
 * published; the stream's first flush then happens below C, and before the
 * fix it moved the table's watermark down to its own position, so the 10,000
 * rows inserted after the kill were applied a second time on top of the copy.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { ReplicationConnection } from '../src/source/replication/replication-connection.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { DaemonProcess } from './helpers/daemon-process.js';

const initialRows = 200_000;
const insertedRows = 10_000;
const rawText = { getTypeParser: () => (value: string) => value };

let cluster: LocalCluster;
let heap: pg.Client;
let dataDir: string;
let daemon: DaemonProcess | undefined;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE items (id bigint PRIMARY KEY, v bigint NOT NULL, label text);
    INSERT INTO items SELECT g, g * 3, 'initial ' || g FROM generate_series(1, ${initialRows}) g;
    ANALYZE items;`);
  heap = new pg.Client({ ...cluster.clientConfig(), types: rawText });
  await heap.connect();
  dataDir = await mkdtemp(path.join(tmpdir(), 'pga-first-copy-crash-'));
});

after(async () => {
  DaemonProcess.killAllSync();
  await Promise.all([...DaemonProcess.running].map((d) => d.exited));
  await heap?.end().catch(() => undefined);
  await cluster?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function startDaemon(): Promise<DaemonProcess> {
  // Small chunks: the copy takes long enough to be seen in progress and killed there.
  return await DaemonProcess.start(cluster, dataDir, ['--naptime', '100ms', '--chunk-size', '5000']);
}

async function one(sql: string): Promise<Record<string, string>> {
  return (await heap.query(sql)).rows[0];
}

async function killWhenCopying(): Promise<void> {
  await waitFor(
    async () => {
      const t = await one(
        `SELECT state, coalesce(progress_rows, 0) AS progress, generation FROM analytica.tables`,
      );
      assert.equal(t.generation, '0', 'the first copy was published before it could be killed');
      return t.state === 'backfilling' && Number(t.progress) > 0;
    },
    'the first copy to be under way',
    60_000,
  );
  await daemon!.kill();
  daemon = undefined;
  await waitFor(
    async () =>
      (await one(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'pg_analytica%'`))
        .n === '0',
    'the killed daemon to lose its connections',
    15_000,
  );
}

async function columnarCounts(sql: string): Promise<Record<string, string>> {
  const columnar = new pg.Client({ ...cluster.clientConfig(), port: daemon!.port, types: rawText });
  await columnar.connect();
  try {
    return (await columnar.query(sql)).rows[0];
  } finally {
    await columnar.end();
  }
}

test('a kill during the first copy, writes, and a restart apply nothing twice', async () => {
  daemon = await startDaemon();
  await heap.query(`SELECT analytica.register_table('items')`);
  await killWhenCopying();
  const { slot } = await one(
    `SELECT 'pg_analytica_' || oid AS slot FROM pg_database WHERE datname = current_database()`,
  );
  // Written while the daemon is dead, in 100 transactions: after the restart the stream meets
  // them only after the new copy (which holds them) is published.
  for (let i = 0; i < 100; i++) {
    const first = 1_000_000 + i * (insertedRows / 100);
    await heap.query(
      `INSERT INTO items SELECT g, -g, 'late ' || g FROM generate_series(${first}, ${first + insertedRows / 100 - 1}) g`,
    );
  }
  // The slot is held elsewhere (as by the dead daemon's walsender) while the new copy runs.
  const holder = await ReplicationConnection.open(cluster.clientConfig());
  const held = await holder.startReplication({
    slot: slot!,
    startLsn: 0n,
    protoVersion: 1,
    publicationNames: ['pg_analytica'],
  });
  try {
    daemon = await startDaemon();
    await waitFor(
      async () => {
        const t = await one(`SELECT state, generation FROM analytica.tables`);
        return t.state === 'synced' && t.generation === '1';
      },
      'the restarted copy to be published',
      120_000,
    );
  } finally {
    await held.close();
    await holder.close();
  }
  const counts = 'SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(v) AS v FROM items';
  const source = (await heap.query(counts)).rows[0];
  assert.equal(source.n, String(initialRows + insertedRows));
  // The query waits until the stream has applied everything committed before it started.
  assert.deepEqual(await columnarCounts(counts), source, 'the copy holds the rows of the heap, each once');
  // A later restart reads the watermark from the catalog: still nothing twice.
  await daemon.kill();
  daemon = await startDaemon();
  assert.deepEqual(await columnarCounts(counts), source, 'after one more restart');
  const { state } = await one('SELECT state FROM analytica.tables');
  assert.equal(state, 'synced');
});
