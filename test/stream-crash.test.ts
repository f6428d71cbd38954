/**
 * Exactly once under SIGKILL: the daemon runs as a child process while
 * writers keep changing a streamed table, and is killed at pseudo-random
 * moments — during the initial copy, between flushes, in the middle of one —
 * over 20 cycles. After every restart the copy read through the query server
 * equals the heap row for row (nothing lost, nothing applied twice, no key
 * seen twice), and the table's directory holds exactly the files the catalog
 * names.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { databaseDirectoryName } from '../src/storage/segment-paths.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { DaemonProcess } from './helpers/daemon-process.js';
import { seededRandom, Workload } from './helpers/workload.js';

const cycles = 20;
const rawText = { getTypeParser: () => (value: string) => value };

let cluster: LocalCluster;
let heap: pg.Client;
let dataDir: string;
let daemon: DaemonProcess | undefined;
let workload: Workload;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE SEQUENCE item_ids START 100000;
    CREATE TABLE items (id bigint PRIMARY KEY, v bigint NOT NULL, label text);
    INSERT INTO items SELECT g, g, 'initial ' || g FROM generate_series(1, 50000) g;`);
  heap = new pg.Client({ ...cluster.clientConfig(), types: rawText });
  await heap.connect();
  dataDir = await mkdtemp(path.join(tmpdir(), 'pga-stream-crash-'));
  workload = await Workload.connect(cluster.clientConfig(), { writers: 2, seed: 7, truncateChance: 0.002 });
});

after(async () => {
  await workload?.close();
  await daemon?.kill();
  await heap?.end();
  await cluster?.close();
});

async function startDaemon(): Promise<DaemonProcess> {
  return await DaemonProcess.start(cluster, dataDir, ['--naptime', '100ms', '--chunk-size', '3000']);
}

const everyRow = 'SELECT id, v, label FROM items ORDER BY id';

async function assertCopyEqualsHeap(cycle: number): Promise<void> {
  const columnar = new pg.Client({ ...cluster.clientConfig(), port: daemon!.port, types: rawText });
  await columnar.connect();
  try {
    // No wait_for_sync: the query itself waits until the stream reaches the moment it started.
    const [copy, source] = await Promise.all([
      columnar.query({ text: everyRow, rowMode: 'array' }),
      heap.query({ text: everyRow, rowMode: 'array' }),
    ]);
    const duplicates = await columnar.query('SELECT count(*) - count(DISTINCT id) AS n FROM items');
    assert.equal(duplicates.rows[0].n, '0', `cycle ${cycle}: a key is seen twice`);
    if (JSON.stringify(copy.rows) !== JSON.stringify(source.rows)) {
      const inCopy = new Set(copy.rows.map((r) => JSON.stringify(r)));
      const inHeap = new Set(source.rows.map((r) => JSON.stringify(r)));
      const missing = [...inHeap].filter((r) => !inCopy.has(r)).slice(0, 5);
      const extra = [...inCopy].filter((r) => !inHeap.has(r)).slice(0, 5);
      assert.fail(
        `cycle ${cycle}: copy (${copy.rows.length} rows) differs from heap (${source.rows.length} rows); missing ${missing.join(' ')}; extra ${extra.join(' ')}`,
      );
    }
  } finally {
    await columnar.end();
  }
}

/** The table's directory holds exactly the segments the catalog names (no orphans, nothing missing). */
async function assertNoOrphans(cycle: number): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const { rows } = await heap.query(
        `SELECT t.relid::bigint AS relid, array_agg(s.path ORDER BY s.path) AS paths
           FROM analytica.tables t JOIN analytica.segments s USING (relid) GROUP BY t.relid`,
      );
      const dir = path.join(dataDir, databaseDirectoryName('postgres'), rows[0].relid);
      const files = (await readdir(dir))
        .map((f) => path.join(databaseDirectoryName('postgres'), rows[0].relid, f))
        .sort();
      const catalogued = rows[0].paths.replace(/[{}]/g, '').split(',').sort();
      last = `files ${files.join(' ')} / catalog ${catalogued.join(' ')}`;
      return JSON.stringify(files) === JSON.stringify(catalogued);
    },
    `cycle ${cycle}: a directory with only catalogued segments`,
    20_000,
  ).catch((error: Error) => assert.fail(`${error.message}: ${last}`));
}

test(`${cycles} kills during a running workload lose nothing and apply nothing twice`, async () => {
  const random = seededRandom(2024);
  daemon = await startDaemon();
  await heap.query(`SELECT analytica.register_table('items')`);
  workload.start();
  const started = performance.now();
  for (let cycle = 1; cycle <= cycles; cycle++) {
    // The first kill comes early, usually during the initial copy.
    const runMs = cycle === 1 ? 150 : 100 + Math.floor(random() * 1400);
    await new Promise((resolve) => setTimeout(resolve, runMs));
    await daemon.kill();
    await workload.pause();
    daemon = await startDaemon();
    // A kill during the copy means it starts over: wait for it (a streamed table needs no more).
    await heap.query(`SELECT analytica.wait_for_sync('items', '60s')`);
    await assertCopyEqualsHeap(cycle);
    await assertNoOrphans(cycle);
    workload.start();
  }
  await workload.pause();
  await assertCopyEqualsHeap(cycles + 1);
  const { rows } = await heap.query(
    `SELECT t.state, (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pg_analytica%') AS slots
       FROM analytica.tables t`,
  );
  assert.deepEqual(rows, [{ state: 'synced', slots: '1' }]);
  assert.ok(workload.committed > cycles, `the workload committed ${workload.committed} transactions`);
  console.log(
    `# ${cycles} kill cycles in ${Math.round(performance.now() - started)} ms, ${workload.committed} transactions committed`,
  );
});
