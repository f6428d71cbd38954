/**
 * Compaction: small segments merge into sorted ones, deletes are applied for good, the swap
 * is atomic under concurrent ingest and queries, and no file a running query reads is removed.
 * The daemon here compacts only when asked (thresholds out of reach), so each test decides when.
 */
import assert from 'node:assert/strict';
import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { databaseDirectoryName, tableDirectory } from '../src/storage/segment-paths.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { Workload } from './helpers/workload.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  // Rows inserted out of time order, so a merged segment is sorted only if compaction sorts it.
  await cluster.exec(`
    CREATE TABLE events (id int PRIMARY KEY, ts timestamptz NOT NULL, kind text, amount numeric(12,2));
    INSERT INTO events SELECT g, '2024-01-01'::timestamptz + ((g * 7919) % 20000) * interval '1 minute',
                              'k' || (g % 13), CASE WHEN g % 5 = 0 THEN NULL ELSE g / 100.0 END
      FROM generate_series(1, 20000) g;
    CREATE SEQUENCE item_ids START 100000;
    CREATE TABLE items (id bigint PRIMARY KEY, v bigint NOT NULL, label text);
    INSERT INTO items SELECT g, g, 'initial ' || g FROM generate_series(1, 20000) g;
    CREATE TABLE logs (id serial PRIMARY KEY, ts timestamptz NOT NULL);
    INSERT INTO logs (ts) SELECT '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 20000) g;`);
  daemon = await startDaemon(cluster, [
    '--chunk-size',
    '5000',
    '--compaction-min-segments',
    '100000',
    '--compaction-delete-ratio',
    '1',
  ]);
  heap = await rawClient(cluster.clientConfig());
  await heap.query("SET TimeZone = 'UTC'");
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await heap.query(`SELECT analytica.register_table('events', order_by => ARRAY['ts'], mode => 'refresh')`);
  await heap.query(`SELECT analytica.register_table('items', order_by => ARRAY['id'])`);
  await heap.query(`SELECT analytica.register_table('logs', order_by => ARRAY['ts'])`);
  await heap.query(`SELECT analytica.wait_for_sync('logs', '60s')`);
  await heap.query(`SELECT analytica.wait_for_sync('events', '60s')`);
  await heap.query(`SELECT analytica.wait_for_sync('items', '60s')`);
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

interface SegmentRow {
  segment_id: string;
  kind: string;
  path: string;
  row_count: string;
  /** JSON text (the client reads every value as text). */
  column_stats: string;
}

async function segments(table: string): Promise<SegmentRow[]> {
  const { rows } = await heap.query<SegmentRow>(
    `SELECT s.segment_id, s.kind, s.path, s.row_count, s.column_stats FROM analytica.segments s
       JOIN analytica.tables t ON t.relid = s.relid AND t.generation = s.generation
      WHERE t.relid = $1::regclass ORDER BY s.segment_id`,
    [table],
  );
  return rows;
}

/** Asks for a compaction and waits until the daemon answered it. */
async function compactNow(table: string): Promise<void> {
  await heap.query(`SELECT analytica.compact_now($1)`, [table]);
  await waitFor(async () => {
    const { rows } = await heap.query(
      'SELECT compact_requested_at IS NULL AS done FROM analytica.tables WHERE relid = $1::regclass',
      [table],
    );
    return rows[0]?.done === 't';
  }, `compaction of ${table}`);
}

async function assertSame(sql: string): Promise<void> {
  assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
}

const allEvents = 'SELECT id, ts, kind, amount FROM events ORDER BY id';
const allItems = 'SELECT id, v, label FROM items ORDER BY id';

function absolute(relative: string): string {
  return path.join(daemon.config.dataDir, relative);
}

async function readParquet<T>(sql: string): Promise<T[]> {
  // One thread: PARTITION_BY then writes exactly one file per partition.
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('compaction', () => {
  test('small segments merge into one segment sorted by the order_by, with its statistics', async () => {
    // Ten flushes of rows in no time order: ten small segments beside the copy's.
    for (let round = 0; round < 10; round++) {
      const count = (await segments('logs')).length;
      await heap.query(
        `INSERT INTO logs (ts) SELECT '2024-01-01'::timestamptz + ((g * 7919 + $1) % 5000) * interval '1 minute'
           FROM generate_series(1, 100) g`,
        [round],
      );
      await waitFor(async () => (await segments('logs')).length > count, `flush ${round}`);
    }
    const before = await segments('logs');
    await compactNow('logs');
    const after = await segments('logs');
    const merged = after.filter((s) => !before.some((b) => b.segment_id === s.segment_id));
    // The ten flushed segments (and any small remainder of the copy) became one.
    assert.equal(merged.length, 1);
    assert.ok(Number(merged[0]!.row_count) >= 1000);
    assert.ok(after.length <= before.length - 9, `${before.length} → ${after.length} segments`);
    await assertSame('SELECT id, ts FROM logs ORDER BY id');
    const file = absolute(merged[0]!.path);
    const [order] = await readParquet<{ unsorted: bigint }>(
      `SELECT count(*) FILTER (WHERE ts < prev) AS unsorted
         FROM (SELECT ts, lag(ts) OVER () AS prev FROM read_parquet('${file}'))`,
    );
    assert.equal(order!.unsorted, 0n);
    const { rows } = await heap.query(
      `SELECT to_char(min(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS min FROM logs WHERE id > 20000`,
    );
    assert.ok(
      JSON.parse(merged[0]!.column_stats).ts?.min?.startsWith(rows[0].min),
      `${merged[0]!.column_stats} ${rows[0].min}`,
    );
    // The replaced files are gone (no query reads them).
    await waitFor(
      async () => (await readdir(path.dirname(file))).length === after.length,
      'old files removed',
    );
  });

  test('deletes are applied for good: no delete segment and no dead row version is left', async () => {
    for (let round = 0; round < 6; round++) {
      // One transaction per round: it reaches the segments whole, in one flush.
      await heap.query('BEGIN');
      await heap.query(`UPDATE items SET v = v + 1, label = 'round ${round}' WHERE id % 7 = $1`, [round]);
      await heap.query(`DELETE FROM items WHERE id % 101 = $1`, [round]);
      await heap.query(
        `INSERT INTO items SELECT nextval('item_ids'), g, 'new' FROM generate_series(1, 50) g`,
      );
      await heap.query('COMMIT');
      await waitFor(
        async () => (await segments('items')).filter((s) => s.kind === 'delete').length > round,
        `flush of round ${round}`,
      );
    }
    await assertSame(allItems);
    const before = await segments('items');
    assert.ok(before.filter((s) => s.kind === 'delete').length >= 6);
    await compactNow('items');
    await assertSame(allItems);
    const after = await segments('items');
    const { rows } = await heap.query('SELECT count(*)::text AS n FROM items');
    assert.ok(after.every((s) => s.kind === 'data'));
    assert.equal(String(after.reduce((n, s) => n + Number(s.row_count), 0)), rows[0].n);
  });

  test('10,000 tiny segments compact to a bounded number of segments', async () => {
    const copied = await segments('events');
    const copiedFiles = copied.map((s) => `'${absolute(s.path)}'`).join(', ');
    const relid = Number((await heap.query(`SELECT 'events'::regclass::oid::int AS relid`)).rows[0].relid);
    const split = path.join(daemon.config.dataDir, 'split');
    await readParquet(
      `COPY (SELECT *, id % 10000 AS part FROM read_parquet([${copiedFiles}]))
         TO '${split}' (FORMAT parquet, PARTITION_BY (part))`,
    );
    // Each part becomes a segment of the visible generation, as 10,000 tiny flushes would leave them.
    const directory = tableDirectory(daemon.config.dataDir, 'postgres', relid);
    const { rows: ids } = await heap.query<{ id: string }>(
      `SELECT nextval(pg_get_serial_sequence('analytica.segments', 'segment_id')) AS id FROM generate_series(1, 10000)`,
    );
    const paths: string[] = [];
    for (let part = 0; part < 10000; part++) {
      const id = ids[part]!.id;
      await rename(path.join(split, `part=${part}`, 'data_0.parquet'), path.join(directory, `${id}.parquet`));
      paths.push(path.posix.join(databaseDirectoryName('postgres'), String(relid), `${id}.parquet`));
    }
    await heap.query(
      `WITH t AS (SELECT relid, generation FROM analytica.tables WHERE relid = $1)
       INSERT INTO analytica.segments (segment_id, relid, generation, path, row_count, byte_size, column_stats, kind)
       SELECT id, t.relid, t.generation, p, 2, 1000, '{}', 'data' FROM t, unnest($2::bigint[], $3::text[]) AS u(id, p)`,
      [relid, ids.map((r) => r.id), paths],
    );
    await heap.query('DELETE FROM analytica.segments WHERE segment_id = ANY($1::bigint[])', [
      copied.map((s) => s.segment_id),
    ]);
    await assertSame(allEvents);
    await compactNow('events');
    const after = await segments('events');
    // Merged segments hold at most a chunk (5,000 rows) each.
    assert.ok(after.length <= 4, `${after.length} segments after compaction`);
    assert.equal(
      after.reduce((n, s) => n + Number(s.row_count), 0),
      20000,
    );
    await assertSame(allEvents);
    await assertSame('SELECT kind, count(*), sum(amount) FROM events GROUP BY kind ORDER BY kind');
  });

  test('compaction under concurrent writes and queries keeps the copy equal to the heap', async () => {
    const workload = await Workload.connect(cluster.clientConfig(), {
      writers: 2,
      seed: 7,
      truncateChance: 0.002,
    });
    workload.start();
    const deadline = Date.now() + 6000;
    let compactions = 0;
    let queries = 0;
    try {
      const reader = (async () => {
        while (Date.now() < deadline) {
          // Every answer is one consistent state: the count equals the rows the same query returns.
          const [[count, distinct]] = (await textRows(
            columnar,
            'SELECT count(*), count(DISTINCT id) FROM items',
          )) as [[string, string]];
          assert.equal(count, distinct);
          queries++;
        }
      })();
      while (Date.now() < deadline || compactions < 3) {
        await compactNow('items');
        compactions++;
      }
      await reader;
    } finally {
      await workload.close();
    }
    assert.ok(compactions >= 2 && queries >= 3, `${compactions} compactions, ${queries} queries`);
    await assertSame(allItems);
    await compactNow('items');
    await assertSame(allItems);
  });

  test('a query that runs across a compaction answers from the files it started with', async () => {
    await heap.query('CREATE TABLE grid (id int PRIMARY KEY)');
    await heap.query('INSERT INTO grid SELECT generate_series(1, 20000)');
    await heap.query(`SELECT analytica.register_table('grid')`);
    await heap.query(`SELECT analytica.wait_for_sync('grid', '60s')`);
    // The query must outlast the compaction; its cost grows with the rows of a taken.
    for (let attempt = 0, taken = 4000; ; attempt++, taken *= 2) {
      const outcome = await queryAcrossCompaction(taken);
      if (outcome === 'spanned') break;
      assert.ok(attempt < 3, 'the query always finished before the compaction');
    }
  });
});

/**
 * Starts `SELECT count(*)` over (`taken` rows of grid) × grid on the daemon, compacts
 * grid meanwhile, and checks the answer; 'too fast' when the query ended before the swap.
 */
async function queryAcrossCompaction(taken: number): Promise<'spanned' | 'too fast'> {
  // A few flushes leave small segments to merge (the copy's full segments stay).
  const copied = new Set((await segments('grid')).map((s) => s.path));
  for (let round = 0; round < 3; round++) {
    const count = (await segments('grid')).length;
    await heap.query(`INSERT INTO grid SELECT max(id) + 1 FROM grid`);
    await waitFor(async () => (await segments('grid')).length > count, `flush ${round}`);
  }
  const old = (await segments('grid')).filter((s) => !copied.has(s.path)).map((s) => absolute(s.path));
  const residues = async (where: string) =>
    (
      await heap.query<{ r: string; n: string }>(
        `SELECT id % 7 AS r, count(*) AS n FROM grid ${where} GROUP BY 1`,
      )
    ).rows;
  let expected = 0;
  for (const a of await residues(`WHERE id <= ${taken}`))
    for (const b of await residues(''))
      if ((Number(a.r) * Number(b.r)) % 7 === 3) expected += Number(a.n) * Number(b.n);
  let finished = false;
  const slow = textRows(
    columnar,
    `SELECT count(*) FROM grid a, grid b WHERE a.id <= ${taken} AND (a.id * b.id) % 7 = 3`,
  );
  void slow.finally(() => {
    finished = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await compactNow('grid');
  const replaced = (await segments('grid')).every((s) => !old.includes(absolute(s.path)));
  const spanned = replaced && !finished;
  const [[count]] = (await slow) as [[string]];
  assert.equal(count, String(expected));
  if (!spanned) return 'too fast';
  // Released by the query, the old files go at the next collection.
  await heap.query(`SELECT analytica.compact_now('grid')`);
  await waitFor(async () => {
    const left = new Set(await readdir(path.dirname(old[0]!)));
    return old.every((f) => !left.has(path.basename(f)));
  }, 'old files removed after the query');
  await assertSame('SELECT id FROM grid ORDER BY id');
  return 'spanned';
}
