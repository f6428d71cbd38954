/**
 * Crash test of the copy path, no mocks: the daemon runs as a child process
 * and is killed with SIGKILL at chosen moments of a copy (before the first
 * segment, mid-way, near the end, right after publication, during a refresh of
 * modified rows, at a pseudo-random time). The PostgreSQL cluster belongs to
 * this process and survives every kill. After each kill:
 *  - while the daemon is dead, the visible generation is intact: every file it
 *    names exists, is readable Parquet, and holds exactly the rows of the heap
 *    as of that generation (never a mix of two copies);
 *  - after a restart and analytica.wait_for_sync, the copy read through the
 *    query server equals the heap (full row comparison, or count/sums),
 *    queries during the resumed refresh see the old or the new state only,
 *    and the data directory holds exactly the files analytica.segments names
 *    (no orphans, no .tmp, no scratch CSV).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { databaseDirectoryName } from '../src/storage/segment-paths.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { DaemonProcess } from './helpers/daemon-process.js';

const initialRows = 300_000;
const chunkSize = 20_000;
const naptimeMs = 200;
const database = 'postgres';
const rawText = { getTypeParser: () => (value: string) => value };

interface HeapStats {
  count: string;
  sumId: string;
  sumAmount: string;
}

let cluster: LocalCluster;
let heap: pg.Client;
let dataDir: string;
let relid: number;
let daemon: DaemonProcess | undefined;
let duck: DuckDBInstance;
/** Content of the heap at each generation that became visible. */
const expectedByGeneration = new Map<number, HeapStats>();
const timings: string[] = [];

function row(sql: string): Promise<Record<string, string>> {
  return heap.query(sql).then((r) => r.rows[0]);
}

async function heapStats(client: pg.Client = heap): Promise<HeapStats> {
  const { rows } = await client.query<HeapStats>(
    `SELECT count(*) AS "count", sum(id) AS "sumId", sum(amount) AS "sumAmount" FROM t`,
  );
  return rows[0]!;
}

interface CopyState {
  generation: number;
  state: string;
  /** Rows the copy in progress has written (analytica.tables.progress_rows). */
  progress: number;
  /** Segment rows of a generation not yet visible. */
  staged: number;
  syncRequested: boolean;
  lastSyncMs: number;
}

async function copyState(): Promise<CopyState> {
  const r = await row(
    `SELECT t.generation::int AS generation, t.state, coalesce(t.progress_rows, 0) AS progress,
            (SELECT count(*) FROM analytica.segments s WHERE s.relid = t.relid AND s.generation > t.generation) AS staged,
            t.sync_requested_at IS NOT NULL AS sync_requested, coalesce(t.last_sync_ms, 0) AS last_sync_ms
       FROM analytica.tables t WHERE t.relid = 't'::regclass`,
  );
  return {
    generation: Number(r.generation),
    state: r.state!,
    progress: Number(r.progress),
    staged: Number(r.staged),
    syncRequested: r.sync_requested === 't',
    lastSyncMs: Number(r.last_sync_ms),
  };
}

async function startDaemon(): Promise<DaemonProcess> {
  const started = performance.now();
  daemon = await DaemonProcess.start(cluster, dataDir, [
    '--chunk-size',
    String(chunkSize),
    '--naptime',
    `${naptimeMs}ms`,
  ]);
  timings.push(`daemon start ${Math.round(performance.now() - started)} ms`);
  return daemon;
}

async function killDaemon(what: string): Promise<void> {
  assert.ok(daemon, 'no daemon to kill');
  await daemon.kill();
  daemon = undefined;
  // Connections of the dead daemon end as soon as PostgreSQL notices; wait so
  // nothing it sent before dying can still commit while we look.
  await waitFor(
    async () =>
      Number(
        (await row(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'pg_analytica%'`))
          .n,
      ) === 0,
    'the dead daemon to lose its connections',
    15_000,
  );
  const state = await copyState();
  const { rows } = await heap.query<{ path: string }>(`SELECT path FROM analytica.segments`);
  const named = new Set(rows.map((r) => r.path));
  const files = await listFiles(dataDir);
  const unnamed = files.filter((f) => !named.has(f));
  timings.push(
    `killed: ${what} (state ${state.state}, ${state.progress} rows copied, ${state.staged} staged segment rows, ` +
      `${unnamed.length} files no row names: ${unnamed.filter((f) => f.endsWith('.tmp')).length} .tmp, ` +
      `${unnamed.filter((f) => f.endsWith('.csv')).length} scratch CSV)`,
  );
}

/**
 * Polls the catalog every few ms until `moment` holds, then kills the daemon.
 * Fails at once if the copy was published before the moment was seen.
 */
async function killWhen(
  what: string,
  moment: (state: CopyState) => boolean,
  { beforePublication = true } = {},
): Promise<void> {
  const generation = (await copyState()).generation;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await copyState();
    if (moment(state)) break;
    if (beforePublication && state.generation > generation)
      throw new Error(`the copy was published before the moment "${what}" was seen`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for the moment "${what}"`);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  await killDaemon(what);
}

/**
 * While the daemon is dead: the visible generation's files all exist, are
 * readable, and hold exactly the heap's rows as of that generation.
 */
async function assertVisibleGenerationIntact(): Promise<number> {
  const table = await row(
    `SELECT t.generation, t.rows, st.segments FROM analytica.tables t JOIN analytica.status st USING (relid)
      WHERE t.relid = 't'::regclass`,
  );
  const generation = Number(table.generation);
  const { rows: segments } = await heap.query<{ path: string; row_count: string }>(
    `SELECT s.path, s.row_count FROM analytica.segments s JOIN analytica.tables t USING (relid, generation)
      WHERE t.relid = 't'::regclass ORDER BY s.path`,
  );
  assert.equal(Number(table.segments), segments.length, 'analytica.status counts the visible segments only');
  if (generation === 0) {
    assert.equal(segments.length, 0, 'nothing is visible before the first publication');
    assert.equal(table.rows, '0');
    return generation;
  }
  assert.ok(segments.length > 0, `generation ${generation} has no segments`);
  assert.equal(
    segments.reduce((sum, s) => sum + Number(s.row_count), 0),
    Number(table.rows),
    'segment row counts add up to analytica.tables.rows',
  );
  for (const { path: p } of segments) {
    const info = await stat(path.join(dataDir, p)).catch(() => undefined);
    assert.ok(info?.isFile(), `segment file ${p} of visible generation ${generation} is missing`);
  }
  // Read the files themselves: each holds its catalog row count, and together
  // they hold exactly the heap's rows as of this generation.
  const connection = await duck.connect();
  try {
    const list = segments.map((s) => `'${path.join(dataDir, s.path).replaceAll("'", "''")}'`).join(', ');
    const perFile = await connection.runAndReadAll(
      `SELECT filename, count(*)::VARCHAR FROM read_parquet([${list}], filename = true) GROUP BY filename ORDER BY filename`,
    );
    assert.deepEqual(
      Object.fromEntries(
        perFile.getRows().map(([file, count]) => [path.relative(dataDir, String(file)), count]),
      ),
      Object.fromEntries(segments.map((s) => [s.path, s.row_count])),
      'every file holds the rows its catalog row says',
    );
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::VARCHAR, sum(id)::VARCHAR, sum(amount)::VARCHAR FROM read_parquet([${list}])`,
    );
    const [count, sumId, sumAmount] = reader.getRows()[0] as string[];
    let expected = expectedByGeneration.get(generation);
    if (!expected) {
      // Published by the daemon just killed: it copied the heap as it is now.
      expected = await heapStats();
      expectedByGeneration.set(generation, expected);
    }
    assert.deepEqual(
      { count, sumId, sumAmount },
      expected,
      `visible generation ${generation} holds exactly its rows`,
    );
  } finally {
    connection.closeSync();
  }
  return generation;
}

async function columnarClient(port: number): Promise<pg.Client> {
  const client = new pg.Client({ ...cluster.clientConfig(database), port, types: rawText });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'");
  return client;
}

/**
 * Restarts the daemon with a wait_for_sync already pending (so the first copy
 * after the restart answers it), and meanwhile checks that every query through
 * the query server sees one of the allowed states, never a mix.
 */
async function restartAndSync(allowed: HeapStats[], allowAbsent = false): Promise<void> {
  const started = performance.now();
  const waiter = new pg.Client(cluster.clientConfig(database));
  await waiter.connect();
  try {
    const waiting = waiter.query(`SELECT analytica.wait_for_sync('t', '60s')`);
    waiting.catch(() => undefined);
    const current = await startDaemon();
    let done = false;
    const finished = waiting.finally(() => {
      done = true;
    });
    finished.catch(() => undefined);
    const client = await columnarClient(current.port);
    let probes = 0;
    try {
      for (; !done; await new Promise((resolve) => setTimeout(resolve, 20))) {
        let seen: HeapStats;
        try {
          seen = await heapStats(client);
        } catch (error) {
          // Before the first publication the table is not in the copy yet (55000: not ready).
          if (allowAbsent && (error as { code?: string }).code === '55000') continue;
          throw error;
        }
        assert.ok(
          allowed.some(
            (s) => s.count === seen.count && s.sumId === seen.sumId && s.sumAmount === seen.sumAmount,
          ),
          `query during recovery saw ${JSON.stringify(seen)}, expected one of ${JSON.stringify(allowed)}`,
        );
        probes++;
      }
    } finally {
      await client.end();
    }
    await finished.catch((error) => {
      throw new Error(`${(error as Error).message}; daemon stderr:\n${current.stderr}`);
    });
    timings.push(`restart → synced ${Math.round(performance.now() - started)} ms (${probes} probes)`);
  } finally {
    await waiter.end();
  }
  const t = await copyState();
  assert.equal(t.state, 'synced');
  assert.equal(t.syncRequested, false, 'the publication answered the analytica.sync_now() request');
  expectedByGeneration.set(t.generation, await heapStats());
}

/** The query server returns exactly the heap: count and sums, or every row when `full`. */
async function assertCopyEqualsHeap(full: boolean): Promise<void> {
  assert.ok(daemon);
  const started = performance.now();
  const client = await columnarClient(daemon.port);
  try {
    assert.deepEqual(await heapStats(client), await heapStats());
    if (full) {
      const page = 60_000;
      let last = '-1';
      let total = 0;
      for (;;) {
        const sql = `SELECT * FROM t WHERE id > ${last} ORDER BY id LIMIT ${page}`;
        const expected = await heap.query({ text: sql, rowMode: 'array' });
        const actual = await client.query({ text: sql, rowMode: 'array' });
        assert.deepEqual(
          actual.fields.map((f) => [f.name, f.dataTypeID]),
          expected.fields.map((f) => [f.name, f.dataTypeID]),
        );
        assert.equal(actual.rows.length, expected.rows.length);
        for (let i = 0; i < expected.rows.length; i++)
          assert.deepEqual(actual.rows[i], expected.rows[i], `row ${i + total} of the copy differs`);
        total += expected.rows.length;
        if (expected.rows.length < page) break;
        last = expected.rows.at(-1)![0] as string;
      }
      assert.equal(String(total), (await heapStats()).count);
    }
  } finally {
    await client.end();
  }
  timings.push(
    `compare (${full ? 'every row' : 'count and sums'}) ${Math.round(performance.now() - started)} ms`,
  );
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), relative)));
    else files.push(relative);
  }
  return files.sort();
}

/** The data directory holds exactly the files analytica.segments names, all of the visible generation. */
async function assertNoOrphans(): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const { rows } = await heap.query<{ path: string; visible: string }>(
        `SELECT s.path, s.generation = t.generation AS visible
           FROM analytica.segments s JOIN analytica.tables t USING (relid) ORDER BY s.path`,
      );
      const named = rows.map((r) => r.path).sort();
      const files = await listFiles(dataDir);
      const tableDir = `${databaseDirectoryName(database)}/${relid}/`;
      const state = {
        notVisible: rows.filter((r) => r.visible !== 't').map((r) => r.path),
        outsideTableDir: named.filter((p) => !p.startsWith(tableDir)),
        orphans: files.filter((f) => !named.includes(f)),
        missing: named.filter((p) => !files.includes(p)),
      };
      last = JSON.stringify(state);
      return Object.values(state).every((list) => list.length === 0);
    },
    'the data directory to hold exactly the catalog files',
    10_000,
  ).catch((error) => {
    throw new Error(`${(error as Error).message}: ${last}`);
  });
}

async function verifyAfterRestart(full: boolean): Promise<void> {
  const started = Date.now();
  const synced = await copyState();
  await assertCopyEqualsHeap(full);
  await assertNoOrphans();
  // And the daemon has nothing left to do: no further copy of the unchanged table starts.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + 3 * naptimeMs - Date.now())));
  const later = await copyState();
  assert.deepEqual(
    { generation: later.generation, state: later.state, staged: later.staged },
    { generation: synced.generation, state: 'synced', staged: 0 },
    'no copy runs once the table is in sync',
  );
}

/** Statistics of the writes must be flushed before a copy reads its change fingerprint. */
async function flushStats(): Promise<void> {
  await heap.query('SELECT pg_stat_force_next_flush()');
  await heap.query('SELECT 1');
}

before(async () => {
  const started = performance.now();
  cluster = await startTestCluster();
  heap = new pg.Client({ ...cluster.clientConfig(database), types: rawText });
  await heap.connect();
  await heap.query("SET TimeZone = 'UTC'");
  await heap.query(`
    CREATE TABLE t (
      id bigint PRIMARY KEY,
      ts timestamptz NOT NULL,
      label text NOT NULL,
      amount numeric(12,2) NOT NULL,
      tags int[],
      note text
    );
    INSERT INTO t
    SELECT g,
           timestamptz '2020-01-01 00:00:00+00' + g * interval '37.123457 seconds',
           'row ' || g || CASE g % 4 WHEN 0 THEN ' "quoted", comma' WHEN 1 THEN E' tab\\there ü' ELSE '' END,
           ((g::bigint * 7919) % 10000000)::numeric / 100 - 50000,
           CASE WHEN g % 11 = 0 THEN NULL WHEN g % 5 = 0 THEN '{}' ELSE ARRAY[g % 100, g % 7, -(g % 13)] END,
           CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || (g % 1000) END
      FROM generate_series(1, ${initialRows}) AS g;
    ANALYZE t;`);
  await flushStats();
  relid = Number((await row(`SELECT 't'::regclass::oid AS relid`)).relid);
  dataDir = await mkdtemp(path.join(tmpdir(), 'pga-crash-'));
  duck = await DuckDBInstance.create(':memory:');
  timings.push(`cluster and ${initialRows} rows ${Math.round(performance.now() - started)} ms`);
});

after(async () => {
  DaemonProcess.killAllSync();
  await Promise.all([...DaemonProcess.running].map((d) => d.exited));
  await heap?.end().catch(() => undefined);
  duck?.closeSync();
  await cluster?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  console.error(`crash-recovery timings:\n  ${timings.join('\n  ')}`);
});

describe('SIGKILL during copies never loses, mixes or leaks data', () => {
  test('kill during the backfill, before the first segment', async () => {
    await startDaemon();
    await heap.query(`SELECT analytica.register_table('t', mode => 'refresh')`);
    await killWhen('backfill started, no segment yet', (t) => t.state === 'backfilling' && t.staged === 0);
    assert.equal(await assertVisibleGenerationIntact(), 0);
    await restartAndSync([await heapStats()], true);
    await verifyAfterRestart(true);
  });

  test('kill mid-way through a copy', async () => {
    const previous = (await copyState()).generation;
    await heap.query(`SELECT analytica.sync_now('t')`);
    await killWhen('copy mid-way', (t) => t.state === 'refreshing' && t.progress >= initialRows * 0.4);
    assert.equal(await assertVisibleGenerationIntact(), previous);
    await restartAndSync([await heapStats()]);
    await verifyAfterRestart(false);
  });

  test('kill near the end of a copy', async () => {
    const previous = (await copyState()).generation;
    await heap.query(`SELECT analytica.sync_now('t')`);
    await killWhen(
      'copy near the end',
      (t) => t.state === 'refreshing' && t.progress >= initialRows - 2 * chunkSize,
    );
    assert.equal(await assertVisibleGenerationIntact(), previous);
    await restartAndSync([await heapStats()]);
    await verifyAfterRestart(false);
  });

  test('kill right after a publication', async () => {
    const previous = (await copyState()).generation;
    await heap.query(`SELECT analytica.sync_now('t')`);
    await killWhen('right after publication', (t) => t.generation > previous, { beforePublication: false });
    assert.equal(await assertVisibleGenerationIntact(), previous + 1);
    await restartAndSync([await heapStats()]);
    await verifyAfterRestart(false);
  });

  test('kill during a refresh of modified rows: the old copy stays whole until the new one replaces it', async () => {
    const old = await heapStats();
    const oldGeneration = (await copyState()).generation;
    await heap.query(`
      UPDATE t SET amount = amount + 1.25, note = 'updated', tags = tags || 42 WHERE id % 97 = 0;
      DELETE FROM t WHERE id % 101 = 0 OR id BETWEEN 150000 AND 150999;
      INSERT INTO t SELECT g, timestamptz '2030-01-01 00:00:00+00' - g * interval '1 second', 'new ' || g,
                           g / 7.0, ARRAY[g], NULL
                      FROM generate_series(${initialRows + 1}, ${initialRows + 5000}) AS g;`);
    await flushStats();
    const modified = await heapStats();
    assert.notDeepEqual(modified, old);
    await heap.query(`SELECT analytica.sync_now('t')`);
    await killWhen('refresh mid-way', (t) => t.state === 'refreshing' && t.progress >= initialRows * 0.5);
    assert.equal(await assertVisibleGenerationIntact(), oldGeneration);
    assert.deepEqual(expectedByGeneration.get(oldGeneration), old);
    await restartAndSync([old, modified]);
    assert.ok((await copyState()).generation > oldGeneration);
    await verifyAfterRestart(true);
  });

  test('kill at pseudo-random moments of refreshes, twice in a row', async () => {
    let seed = 20240611;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let round = 0; round < 2; round++) {
      const old = await heapStats();
      const oldGeneration = (await copyState()).generation;
      await heap.query(`
        UPDATE t SET label = label || ' r${round}', amount = amount - 0.01 WHERE id % 13 = ${round};
        DELETE FROM t WHERE id % 89 = ${round};
        INSERT INTO t SELECT g, now(), 'late ' || g, 1.5, '{7,8}', 'x'
                        FROM generate_series(${initialRows + 10_000 * (round + 1)}, ${initialRows + 10_000 * (round + 1) + 999}) AS g;`);
      await flushStats();
      const modified = await heapStats();
      await heap.query(`SELECT analytica.sync_now('t')`);
      await waitFor(async () => (await copyState()).state === 'refreshing', 'the refresh to start');
      // Anywhere in the copy, which took about lastSyncMs the last time.
      const delay = Math.round(random() * 0.9 * (await copyState()).lastSyncMs);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await killDaemon(`refresh + ${delay} ms`);
      const generation = await assertVisibleGenerationIntact();
      assert.ok(generation === oldGeneration || generation === oldGeneration + 1);
      assert.deepEqual(expectedByGeneration.get(generation), generation === oldGeneration ? old : modified);
      await restartAndSync([old, modified]);
      await verifyAfterRestart(false);
    }
  });
});
