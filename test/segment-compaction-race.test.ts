/**
 * A file that compaction replaced and garbage collection removed between a query's catalog read
 * and the pin of its files is not damage: the query resolves its tables again and answers, and
 * no re-copy is asked for. Inside a transaction block (postgres_fdw runs every local query in
 * one) the first statement keeps the version it read for the whole block, so the version it keeps
 * must be one whose files are all there: kept before that check, it was read again by every
 * retry, found missing twice and reported as 58P01 with a needless re-copy.
 *
 * The window is made deterministic by the daemon's own compaction and collection running right
 * after the statement's catalog read (the resolution query, on an engine built here over the
 * daemon's data directory, whose pins the daemon's collector cannot see).
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { silentLogger } from '../src/log.js';
import type { Daemon } from '../src/main.js';
import { DuckDbEngine } from '../src/query/duckdb-engine.js';
import type { ParsedStatement, SessionContext } from '../src/query/engine-types.js';
import { QueryEngine } from '../src/query/query-engine.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';
import { TransactionSnapshot } from '../src/server/transaction-snapshot.js';
import { endPool, startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let pool: pg.Pool;
let duckdb: DuckDbEngine;
let engine: QueryEngine;
/** Runs once, right after the next resolution query returned its rows. */
let afterResolution: (() => Promise<void>) | undefined;

const database = 'postgres';
const sql = 'SELECT count(*), sum(v), min(id), max(id) FROM ledger';

before(async () => {
  await initSqlParser();
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE ledger (id int PRIMARY KEY, v int NOT NULL);
    INSERT INTO ledger SELECT g, g % 97 FROM generate_series(1, 4000) g;`);
  // Small chunks: the copy is several small segments, which compaction merges.
  daemon = await startDaemon(cluster, ['--chunk-size', '1000'], database);
  heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('ledger')`);
  await heap.query(`SELECT analytica.wait_for_sync('ledger', '60s')`);
  pool = new pg.Pool({ ...cluster.clientConfig(), max: 2 });
  pool.on('connect', (client) => interposeAfterResolution(client));
  duckdb = await DuckDbEngine.create({ dataDir: daemon.config.dataDir, threads: 1, memoryLimit: '256MB' });
  engine = new QueryEngine({
    duckdb,
    pools: new Map([[database, pool]]),
    log: silentLogger,
    // This engine's delta is empty: it reads what the stream flushed, and the tests read after
    // the flushes (wait_for_sync is the freshness wait of a client).
    freshness: {
      waitForApplied: async () => {
        await heap.query(`SELECT analytica.wait_for_sync('ledger', '60s')`);
      },
    },
  });
});

after(async () => {
  duckdb?.close();
  if (pool) await endPool(pool);
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
});

/** The client's queries, with afterResolution run once the table resolution's rows are back. */
function interposeAfterResolution(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const interposed = async (...args: unknown[]) => {
    const result = await query(...args);
    const name = (args[0] as { name?: string } | undefined)?.name;
    if (name === 'pg_analytica_resolve_tables' && afterResolution) {
      const run = afterResolution;
      afterResolution = undefined;
      await run();
    }
    return result;
  };
  (client as unknown as { query: typeof interposed }).query = interposed;
}

async function segmentPaths(smallOnly = false): Promise<string[]> {
  const { rows } = await heap.query<{ path: string }>(
    `SELECT s.path FROM analytica.segments s JOIN analytica.tables t USING (relid)
      WHERE t.relid = 'ledger'::regclass AND s.generation = t.generation AND s.kind = 'data'
        AND (NOT $1 OR s.row_count < 100) ORDER BY s.segment_id`,
    [smallOnly],
  );
  return rows.map((r) => r.path);
}

/** Small segments for compaction to merge: each insert, flushed on its own. */
async function addSmallSegments(): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const count = (await segmentPaths()).length;
    await heap.query('INSERT INTO ledger SELECT max(id) + 1, 7 FROM ledger');
    await waitFor(async () => (await segmentPaths()).length > count, `flush ${round}`);
  }
}

/** Compacts ledger and waits until the daemon's collector removed the files it replaced. */
async function compactAndCollect(): Promise<void> {
  const old = await segmentPaths(true);
  assert.ok(old.length > 1, `ledger has several small segments to merge: ${old.join(', ')}`);
  await heap.query(`SELECT analytica.compact_now('ledger')`);
  await waitFor(async () => {
    const now = await segmentPaths();
    return old.every((p) => !now.includes(p));
  }, 'compaction to replace the segments');
  const exists = (p: string) =>
    access(path.join(daemon.config.dataDir, p)).then(
      () => true,
      () => false,
    );
  await waitFor(
    async () => (await Promise.all(old.map(exists))).every((e) => !e),
    'the replaced files to be removed',
  );
}

async function runOnEngine(context: SessionContext): Promise<string[][]> {
  const statement = parseStatements(sql)[0] as Extract<ParsedStatement, { kind: 'select' }>;
  const stream = await engine.openSelect(statement, context);
  try {
    return (await stream.read(10)) as string[][];
  } finally {
    await stream.close();
  }
}

async function assertNoRecopyAsked(): Promise<void> {
  const { rows } = await heap.query(
    `SELECT last_error, recopy_requested_at FROM analytica.tables WHERE relid = 'ledger'::regclass`,
  );
  assert.deepEqual(rows[0], { last_error: null, recopy_requested_at: null });
}

const context = (snapshot?: TransactionSnapshot): SessionContext => ({
  role: cluster.user,
  roleOid: 10,
  database,
  searchPath: ['public'],
  timeZone: 'UTC',
  snapshot,
});

test('segments compacted away between the catalog read and the pin: the statement resolves again', async () => {
  await addSmallSegments();
  afterResolution = compactAndCollect;
  const rows = await runOnEngine(context());
  assert.equal(afterResolution, undefined, 'the compaction ran inside the window');
  assert.deepEqual(rows, await textRows(heap, sql));
  await assertNoRecopyAsked();
});

test('…and in a transaction block, whose first statement keeps the version it reads: no 58P01, no re-copy', async () => {
  await addSmallSegments();
  const snapshot = new TransactionSnapshot();
  try {
    afterResolution = compactAndCollect;
    const rows = await runOnEngine(context(snapshot));
    assert.equal(afterResolution, undefined, 'the compaction ran inside the window');
    assert.deepEqual(rows, await textRows(heap, sql));
    // The block's next statement reads the version the first one kept.
    assert.deepEqual(await runOnEngine(context(snapshot)), rows);
  } finally {
    await snapshot.release();
  }
  await assertNoRecopyAsked();
});
