/**
 * A full disk during the first copy. The data directory is a small tmpfs
 * (mounted here; the test runs as root), so writing the copy's scratch files
 * and segments fails with ENOSPC part-way. Before, the copy hung: no error,
 * state `backfilling`, the snapshot's source transaction left idle (holding
 * back VACUUM), SIGTERM not stopping the daemon. Now:
 *  - the failure shows in analytica.status (last_error says the disk is full
 *    and what to do);
 *  - the copy's transaction ends (no ingest session keeps a snapshot) and the
 *    copy is retried with backoff;
 *  - SIGTERM stops the daemon within seconds;
 *  - once there is space again, a new daemon completes the copy, equal to the heap.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { DaemonProcess } from './helpers/daemon-process.js';

const run = promisify(execFile);
const rawText = { getTypeParser: () => (value: string) => value };

let cluster: LocalCluster;
let heap: pg.Client;
let dataDir: string;
let mounted = false;
let daemon: DaemonProcess | undefined;

before(async () => {
  assert.equal(process.getuid?.(), 0, 'this test mounts a tmpfs and must run as root');
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE items (id bigint PRIMARY KEY, v bigint NOT NULL, label text);
    INSERT INTO items SELECT g, g * 7, 'label number ' || g || repeat('x', g % 40)
      FROM generate_series(1, 200000) g;
    ANALYZE items;`);
  heap = new pg.Client({ ...cluster.clientConfig(), types: rawText });
  await heap.connect();
  dataDir = await mkdtemp(path.join(tmpdir(), 'pga-disk-full-'));
  // Room for a chunk's scratch file or two, not for the whole copy.
  await run('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', dataDir]);
  mounted = true;
});

after(async () => {
  DaemonProcess.killAllSync();
  await Promise.all([...DaemonProcess.running].map((d) => d.exited));
  await heap?.end().catch(() => undefined);
  await cluster?.close();
  if (mounted) await run('umount', [dataDir]).catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function startDaemon(): Promise<DaemonProcess> {
  // No compaction: it would write files of its own into the small data directory.
  return DaemonProcess.start(cluster, dataDir, [
    '--naptime',
    '200ms',
    '--chunk-size',
    '20000',
    '--compaction-min-segments',
    '1000',
  ]);
}

async function one(sql: string): Promise<Record<string, string>> {
  return (await heap.query(sql)).rows[0];
}

test('a full disk during the first copy: an error, no snapshot held, a prompt stop, and a retry', async () => {
  const first = await startDaemon();
  await heap.query(`SELECT analytica.register_table('items')`);
  const status = await waitFor(
    async () => {
      const s = await one(`SELECT state, last_error FROM analytica.status WHERE table_name = 'public.items'`);
      return s.last_error?.includes('no space left') ? s : undefined;
    },
    'analytica.status to report the full disk',
    60_000,
  );
  assert.match(status.last_error!, /free space in the data directory/);
  assert.notEqual(status.state, 'synced');
  // The copy's transaction ended: between retries no ingest session holds a snapshot.
  await waitFor(
    async () =>
      (
        await one(`SELECT count(*) AS n FROM pg_stat_activity
                    WHERE application_name = 'pg_analytica ingest' AND backend_xmin IS NOT NULL`)
      ).n === '0',
    'the copy to release its snapshot',
    20_000,
  );
  const stopping = performance.now();
  process.kill(first.child.pid!, 'SIGTERM');
  const stopped = await Promise.race([
    first.exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
  ]);
  assert.ok(stopped, 'SIGTERM stopped the daemon within 15 s');
  assert.ok(performance.now() - stopping < 15_000);

  await run('mount', ['-o', 'remount,size=200m', dataDir]);
  daemon = await startDaemon();
  await heap.query(`SELECT analytica.wait_for_sync('items', '120s')`);
  await assertCopyEqualsHeap();
  const after = await one(`SELECT state, last_error FROM analytica.status WHERE table_name = 'public.items'`);
  assert.deepEqual(after, { state: 'synced', last_error: null });
});

test('a full disk while streaming: analytica.status says so, the copy stays readable, the stream resumes', async () => {
  const { bsize, blocks, bfree } = await statfs(dataDir);
  const used = (blocks - bfree) * bsize;
  await run('mount', ['-o', `remount,size=${used + 256 * 1024}`, dataDir]);
  // One transaction far larger than the space left: its changes spill to chunk files every 4 MiB.
  await heap.query(
    `INSERT INTO items SELECT g, g * 7, repeat('y', 100) FROM generate_series(1000001, 1100000) g`,
  );
  const stalled = await waitFor(
    async () => {
      const s = await one(`SELECT state, last_error FROM analytica.status WHERE table_name = 'public.items'`);
      return s.last_error?.includes('no space left') ? s : undefined;
    },
    'analytica.status to report the full disk of the stream',
    60_000,
  );
  assert.match(stalled.last_error!, /change stream is stalled/);
  assert.equal(stalled.state, 'synced', 'the copy stays readable, only behind');
  await run('mount', ['-o', 'remount,size=200m', dataDir]);
  await heap.query(`SELECT analytica.wait_for_sync('items', '120s')`);
  await assertCopyEqualsHeap();
  await waitFor(
    async () =>
      (await one(`SELECT last_error FROM analytica.status WHERE table_name = 'public.items'`)).last_error ===
      null,
    'the error to be cleared by a flush',
    30_000,
  );
});

async function assertCopyEqualsHeap(): Promise<void> {
  const columnar = new pg.Client({ ...cluster.clientConfig(), port: daemon!.port, types: rawText });
  await columnar.connect();
  try {
    const sql = 'SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(v) AS v FROM items';
    assert.deepEqual((await columnar.query(sql)).rows[0], (await heap.query(sql)).rows[0]);
  } finally {
    await columnar.end();
  }
}
