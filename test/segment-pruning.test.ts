/**
 * Segment pruning: whole segments skipped with the min/max and null counts in
 * the catalog. A corpus of filters on every type the statistics cover (and on
 * some they do not) runs three ways — pruned, unpruned (SET
 * analytica.segment_pruning = off) and on the heap in PostgreSQL — and every
 * answer must be the same; a selective time range must read a small fraction
 * of the segments of a table sorted by time.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import type { VisibleTable } from '../src/catalog/catalog.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { DuckDbEngine } from '../src/query/duckdb-engine.js';
import type { ColumnSpec } from '../src/source/column-types.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let pruned: pg.Client;
let unpruned: pg.Client;

// 10,000 readings, one every 7 minutes from 2024-01-01 (about 48 days), copied in chunks of 500
// rows: about 20 segments, each a run of time. Other columns are monotonic in id (prunable),
// periodic (every segment spans them) or NULL in part of the table.
const readings = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE readings (
    id bigint PRIMARY KEY, ts timestamptz NOT NULL, lts timestamp, d date, i4 integer, i8 bigint,
    n numeric(12,3), t text, b boolean, u uuid, tm time, m mood, f8 double precision, late integer,
    big numeric(30,4), w text);
  INSERT INTO readings
  SELECT g, '2024-01-01 00:00:00+00'::timestamptz + g * interval '7 minutes',
         '2024-01-01 00:00:00'::timestamp + g * interval '7 minutes',
         ('2024-01-01'::date + g / 206),
         g % 100 - 50, g * 1000, round(g / 7.0, 3), 'k' || lpad(g::text, 5, '0'),
         CASE WHEN g % 997 = 0 THEN NULL ELSE g > 9000 END,
         (lpad(to_hex(g::bigint * 429496), 8, '0') || '-0000-4000-8000-000000000000')::uuid,
         '00:00'::time + g * interval '8 seconds',
         (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::mood, g / 10000.0,
         CASE WHEN g > 5000 THEN g END, (g - 5000) * 123456789012.3456,
         CASE WHEN g % 2 = 0 THEN 'a' ELSE 'é' END || lpad(g::text, 5, '0')
    FROM generate_series(1, 10000) g;
  CREATE TABLE events (id int PRIMARY KEY, ts timestamptz NOT NULL, v int, note text);
  INSERT INTO events SELECT g, '2024-03-01 00:00:00+00'::timestamptz + g * interval '10 minutes', g,
                            'n' || lpad(g::text, 5, '0')
    FROM generate_series(1, 4000) g;
  CREATE TABLE tags (id bigint PRIMARY KEY, tag text);
  INSERT INTO tags SELECT g, 'tag' || g % 5 FROM generate_series(1, 10000, 3) g;`;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(readings);
  // Compaction would merge the small segments into one: it is kept from starting.
  daemon = await startDaemon(cluster, ['--chunk-size', '500', '--compaction-min-segments', '1000000']);
  heap = await rawClient(cluster.clientConfig());
  pruned = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  unpruned = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await unpruned.query('SET analytica.segment_pruning = off');
  for (const table of ['readings', 'tags']) {
    await heap.query(
      `SELECT analytica.register_table('${table}', '{${table === 'readings' ? 'ts' : 'id'}}', 'refresh')`,
    );
    await heap.query(`SELECT analytica.wait_for_sync('${table}')`);
  }
  await heap.query(`SELECT analytica.register_table('events', '{ts}', 'stream')`);
  await heap.query(`SELECT analytica.wait_for_sync('events')`);
  await setTimeZone('UTC');
});

after(async () => {
  for (const client of [heap, pruned, unpruned]) await client?.end();
  await daemon?.close();
  await cluster?.close();
});

async function setTimeZone(zone: string): Promise<void> {
  for (const client of [heap, pruned, unpruned]) await client.query(`SET TimeZone = '${zone}'`);
}

interface Scan {
  scanned: number;
  total: number;
  bytesScanned: number;
  bytesTotal: number;
}

async function rows(client: pg.Client, sql: string, values?: unknown[]): Promise<unknown[][]> {
  return (await client.query({ text: sql, values, rowMode: 'array' })).rows;
}

/** The same rows pruned, unpruned and from the heap; returns the pruned query's segment counts. */
async function assertSameEverywhere(sql: string, values?: unknown[]): Promise<Scan> {
  const expected = await rows(heap, sql, values);
  const before = daemon.queryEngine.pruningStats;
  const withPruning = await rows(pruned, sql, values);
  const after = daemon.queryEngine.pruningStats;
  assert.deepEqual(withPruning, expected, `pruned: ${sql}`);
  assert.deepEqual(await rows(unpruned, sql, values), expected, `unpruned: ${sql}`);
  return {
    scanned: after.segmentsScanned - before.segmentsScanned,
    total: after.segmentsTotal - before.segmentsTotal,
    bytesScanned: after.bytesScanned - before.bytesScanned,
    bytesTotal: after.bytesTotal - before.bytesTotal,
  };
}

const count = (where: string) => `SELECT count(*), min(id), max(id), sum(i8) FROM readings WHERE ${where}`;

/** Filters each type's statistics can prune with (true) or cannot (false). */
const corpus: [string, boolean][] = [
  [`ts >= '2024-01-20' AND ts < '2024-01-21'`, true],
  [`ts = '2024-01-05 10:30:00+00'`, true],
  [`ts BETWEEN '2024-01-03'::timestamptz AND '2024-01-04 12:00'::timestamptz`, true],
  [`'2024-02-10' <= ts`, true],
  [`ts > '2024-02-15 00:00:00+05'::timestamp with time zone`, true],
  [`ts < '2024-01-02'::date`, true],
  [`ts <= '2024-01-02 00:00'::timestamp`, true],
  [`ts IN ('2024-01-01 00:07:00+00', '2024-02-01 00:00:00+00')`, true],
  [`ts IS NULL`, true],
  [`ts IS NOT NULL`, false],
  [`lts >= '2024-02-14'`, true],
  [`lts BETWEEN '2024-01-20'::date AND '2024-01-21'::date`, true],
  [`lts < '2024-01-03'::timestamptz`, false],
  [`d = '2024-01-15'`, true],
  [`d > '2024-02-10'::date`, true],
  [`d < '2024-01-03 12:00'::timestamptz`, true],
  [`i4 = 17`, false],
  [`i4 < -49`, false],
  [`i8 = 5000000`, true],
  [`i8 > 9990000`, true],
  [`i8 <= 3000`, true],
  [`i8 IN (1000, 2000000, 9999000)`, true],
  [`i8 = ANY('{1000,2000}'::bigint[])`, true],
  [`i8 > 9.5e6`, true],
  [`i8 < 1000.5`, true],
  [`i8 BETWEEN 10 AND 20000`, true],
  [`i8 = -1`, true],
  [`n > 1400.000`, true],
  [`n = 100.000`, true],
  [`n < 0.5::numeric`, true],
  [`n BETWEEN 1 AND 2`, true],
  [`t = 'k05000'`, true],
  [`t >= 'k09990'`, true],
  [`t < 'k00010'`, true],
  [`t IN ('k00001', 'k09999')`, true],
  [`t > 'k095'::text`, true],
  [`t LIKE 'k0999%'`, false],
  [`b = true`, true],
  [`b = false`, true],
  [`b IS NULL`, true],
  [`NOT b`, false],
  [`late IS NULL`, true],
  [`late IS NOT NULL`, true],
  [`late > 9000`, true],
  [`late < 10`, true],
  [`big < -600000000000000`, true],
  [`big > 0`, true],
  [`big BETWEEN -1 AND 1`, true],
  [`big = 123456789012.3456::numeric(30,4)`, true],
  [`w > 'é09000'`, true],
  [`w < 'a00100'`, true],
  [`w >= 'é'`, false],
  [`u > 'f0000000-0000-4000-8000-000000000000'`, true],
  [`u = '0083126f-0000-4000-8000-000000000000'`, true],
  [`tm < '00:10'`, true],
  [`m = 'happy'`, false],
  [`f8 > 0.95`, false],
  [`ts < '2024-01-02' OR ts > '2024-02-15'`, false],
  [`ts >= '2024-01-20' AND (i8 = 1 OR i4 = 2)`, true],
  [`id = 42 AND ts > '2024-01-01'`, true],
];

describe('segment pruning', () => {
  test('the copy has many segments, with null counts', async () => {
    const { rows: stats } = await heap.query(
      `SELECT count(*)::int AS segments, bool_and(column_stats->'late' ? 'nulls') AS nulls,
              sum((column_stats->'late'->>'nulls')::int)::int AS late_nulls
         FROM analytica.segments s JOIN analytica.tables t USING (relid, generation)
        WHERE t.relid = 'readings'::regclass AND s.kind = 'data'`,
    );
    assert.ok(Number(stats[0].segments) >= 15, `segments: ${stats[0].segments}`);
    assert.equal(stats[0].nulls, 't');
    assert.equal(stats[0].late_nulls, '5000');
  });

  test('every filter gives the same rows pruned, unpruned and on the heap', async () => {
    for (const [where, prunes] of corpus) {
      const scan = await assertSameEverywhere(count(where));
      if (prunes)
        assert.ok(scan.scanned < scan.total, `${where} should skip segments: ${JSON.stringify(scan)}`);
      else assert.equal(scan.scanned, scan.total, `${where} cannot skip segments`);
    }
  });

  test('a selective time range reads at most a tenth of the segments', async (t) => {
    const scan = await assertSameEverywhere(
      `SELECT date_trunc('hour', ts) AS hour, count(*), sum(i8) FROM readings
        WHERE ts >= '2024-01-20 00:00:00+00' AND ts < '2024-01-21 00:00:00+00' GROUP BY 1 ORDER BY 1`,
    );
    t.diagnostic(
      `one day of 48: scanned ${scan.scanned} of ${scan.total} segments, ${scan.bytesScanned} of ${scan.bytesTotal} bytes`,
    );
    assert.ok(scan.total >= 15);
    assert.ok(scan.scanned / scan.total <= 0.1, `scanned ${scan.scanned} of ${scan.total}`);
  });

  test('a constant that does not convert fails the query as it does without pruning', async () => {
    for (const sql of [count(`u = 'not a uuid'`), count(`ts > 'yesterday-ish'`)]) {
      const failure = (client: pg.Client) =>
        client.query(sql).then(
          () => 'no error',
          (error: { code?: string }) => error.code,
        );
      const code = await failure(heap);
      assert.notEqual(code, 'no error');
      assert.equal(await failure(pruned), await failure(unpruned));
      assert.notEqual(await failure(pruned), 'no error');
    }
  });

  test('rows are the same in every column when segments are skipped', async () => {
    await assertSameEverywhere(
      `SELECT * FROM readings WHERE ts BETWEEN '2024-01-07' AND '2024-01-08' ORDER BY id`,
    );
    await assertSameEverywhere(`SELECT * FROM readings WHERE late IS NULL AND i8 > 4990000 ORDER BY id`);
    const none = await assertSameEverywhere(`SELECT * FROM readings WHERE ts < '2023-01-01' ORDER BY id`);
    assert.equal(none.scanned, 0);
  });

  test('joins prune only the sides a filter binds', async () => {
    const queries = [
      `SELECT count(*), sum(s.i8) FROM readings r JOIN readings s ON s.id = r.id + 1
        WHERE r.ts < '2024-01-03' AND s.i8 > 10000`,
      `SELECT count(*), count(s.id) FROM readings r LEFT JOIN readings s ON s.id = r.id AND s.ts < '2024-01-05'
        WHERE r.ts < '2024-01-10'`,
      `SELECT count(*), count(s.id) FROM readings r LEFT JOIN readings s ON s.id = r.id + 5000
        WHERE r.ts > '2024-02-05' AND s.ts IS NULL`,
      `SELECT count(*), count(r.id) FROM readings r RIGHT JOIN tags g ON g.id = r.id AND r.i8 < 50000
        WHERE g.id < 200`,
      `SELECT count(*) FROM readings r FULL JOIN tags g ON g.id = r.id AND r.i8 < 50000 WHERE r.id IS NULL`,
      `SELECT tag, count(*) FROM readings r, tags g WHERE g.id = r.id AND tag = 'tag1' AND ts < '2024-01-03'
        GROUP BY tag ORDER BY tag`,
      `SELECT count(*) FROM readings JOIN tags USING (id) WHERE id < 100`,
    ];
    for (const sql of queries) await assertSameEverywhere(sql);
  });

  test('subqueries, CTEs and set operations prune at their own level', async () => {
    const queries = [
      `SELECT count(*) FROM readings WHERE id IN (SELECT id FROM readings WHERE ts > '2024-02-10') AND i8 > 9000000`,
      `SELECT count(*) FROM readings r WHERE r.ts < '2024-01-05'
          AND EXISTS (SELECT 1 FROM readings s WHERE s.id = r.id + 1 AND s.ts < '2024-01-02')`,
      `SELECT count(*) FROM readings r WHERE EXISTS (SELECT 1 FROM tags WHERE tags.id = r.id AND i8 < 5000)`,
      `SELECT (SELECT max(ts) FROM readings WHERE ts < '2024-01-15'), (SELECT count(*) FROM readings WHERE t > 'k099')`,
      `WITH recent AS (SELECT * FROM readings WHERE ts > '2024-02-12') SELECT count(*), max(id) FROM recent WHERE i8 < 9900000`,
      `SELECT id FROM readings WHERE id < 3 UNION ALL SELECT id FROM readings WHERE ts > '2024-02-17 17:30' ORDER BY 1`,
      `SELECT count(*) FROM (SELECT * FROM readings WHERE i8 < 100000) x WHERE x.ts > '2024-01-01 05:00'`,
    ];
    for (const sql of queries) await assertSameEverywhere(sql);
  });

  test('parameters of the extended protocol prune like constants', async () => {
    const scan = await assertSameEverywhere(
      'SELECT count(*), sum(i8) FROM readings WHERE ts >= $1 AND ts < $2',
      ['2024-01-10', '2024-01-11'],
    );
    assert.ok(scan.scanned < scan.total);
    await assertSameEverywhere('SELECT count(*) FROM readings WHERE i8 > $1::bigint AND t < $2::text', [
      9_000_000,
      'k09500',
    ]);
    await assertSameEverywhere('SELECT count(*) FROM readings WHERE d = $1::date OR i8 = $2', [
      '2024-01-15',
      7,
    ]);
  });

  test('time zones: constants are read in the session time zone', async () => {
    try {
      for (const zone of ['America/New_York', 'Asia/Kathmandu', 'Pacific/Chatham']) {
        await setTimeZone(zone);
        const scan = await assertSameEverywhere(count(`ts >= '2024-01-10' AND ts < '2024-01-11'`));
        assert.ok(scan.scanned < scan.total);
        await assertSameEverywhere(count(`ts > '2024-02-15 23:50'::timestamp`));
        await assertSameEverywhere(count(`d < '2024-01-03 02:00'::timestamptz`));
        await assertSameEverywhere(count(`lts >= '2024-02-14 05:00'::timestamptz`));
        await assertSameEverywhere(count(`ts::date = '2024-01-20'`));
      }
    } finally {
      await setTimeZone('UTC');
    }
  });
});

describe('segment pruning of a streamed table', () => {
  const queries = [
    `SELECT count(*), min(id), max(id), sum(v) FROM events WHERE ts >= '2024-03-05' AND ts < '2024-03-06'`,
    `SELECT count(*), sum(v) FROM events WHERE v > 100000`,
    `SELECT count(*), min(ts), max(ts) FROM events WHERE ts > '2024-03-26'`,
    `SELECT * FROM events WHERE id = 970`,
    `SELECT * FROM events WHERE note = 'changed' ORDER BY id`,
    `SELECT * FROM events WHERE note < 'n00100' ORDER BY id`,
    `SELECT * FROM events WHERE ts BETWEEN '2024-03-20' AND '2024-03-21' ORDER BY id`,
    `SELECT count(*) FROM events WHERE v IS NULL`,
    `SELECT count(*) FROM events WHERE id > 4000`,
  ];

  test('updates, deletes and the unflushed delta read the same pruned and unpruned', async () => {
    // Later inserts, in transactions of their own, become segments of their own as the stream flushes.
    for (let batch = 0; batch < 3; batch++) {
      await heap.query(
        `INSERT INTO events SELECT g, '2024-03-29'::timestamptz + g * interval '1 minute', g, 'new'
           FROM generate_series(4001 + ${batch} * 100, 4100 + ${batch} * 100) g`,
      );
      await heap.query(`SELECT analytica.wait_for_sync('events')`);
    }
    await heap.query('UPDATE events SET v = v + 100000 WHERE id % 10 = 0');
    await heap.query(`UPDATE events SET ts = ts + interval '20 days' WHERE id % 97 = 0`);
    await heap.query('DELETE FROM events WHERE id % 7 = 0');
    await heap.query(`SELECT analytica.wait_for_sync('events')`);
    const { rows } = await heap.query(
      `SELECT count(*) FILTER (WHERE kind = 'data') AS data, count(*) FILTER (WHERE kind = 'delete') AS deletes
         FROM analytica.segments s JOIN analytica.tables t USING (relid, generation)
        WHERE t.relid = 'events'::regclass`,
    );
    assert.ok(Number(rows[0].data) >= 8 && Number(rows[0].deletes) >= 1, JSON.stringify(rows[0]));
    // Changes the stream applies right before the queries are read from the delta.
    await heap.query(`UPDATE events SET note = 'changed' WHERE id BETWEEN 100 AND 120`);
    await heap.query('DELETE FROM events WHERE id BETWEEN 3000 AND 3010');
    let skipped = 0;
    for (const sql of queries) {
      const scan = await assertSameEverywhere(sql);
      skipped += scan.total - scan.scanned;
    }
    assert.ok(skipped > 0, 'no segment of the streamed table was skipped');
  });
});

describe('views of segment subsets', () => {
  test('pin exactly the files their query reads, and go when it ends', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pga-prune-'));
    const paths = ['db/1/1.parquet', 'db/1/2.parquet', 'db/1/3.parquet'];
    const writer = await DuckDBInstance.create(':memory:');
    const connection = await writer.connect();
    await mkdir(path.join(dataDir, 'db/1'), { recursive: true });
    for (const [i, p] of paths.entries())
      await connection.run(`COPY (SELECT ${i}::INTEGER AS x) TO '${path.join(dataDir, p)}' (FORMAT parquet)`);
    connection.closeSync();
    writer.closeSync();
    const engine = await DuckDbEngine.create({ dataDir, threads: 1, memoryLimit: '256MB' });
    try {
      const x: ColumnSpec = {
        name: 'x',
        pgType: 'integer',
        pgTypeOid: 23,
        pgTypeModifier: -1,
        storageType: 'INTEGER',
        queryType: 'INTEGER',
      };
      const table: VisibleTable = {
        relid: 1,
        schemaName: 'public',
        tableName: 't',
        generation: 1,
        columns: [x],
        paths,
      };
      const full = await engine.acquire('db', table);
      const subset = await engine.acquire('db', { ...table, paths: [paths[1]!] }, true);
      const none = await engine.acquire('db', { ...table, paths: [] }, true);
      assert.deepEqual([...engine.pinnedPaths()].sort(), paths);
      await engine.release(full);
      assert.deepEqual([...engine.pinnedPaths()], [paths[1]]);
      const read = await engine.connect('UTC');
      const values = async (relation: string) =>
        (await read.runAndReadAll(`SELECT x FROM ${relation} ORDER BY x`)).getRows().map((r) => r[0]);
      assert.deepEqual(await values(subset), [1]);
      assert.deepEqual(await values(none), []);
      engine.releaseConnection('UTC', read);
      await engine.release(subset);
      await engine.release(none);
      assert.deepEqual([...engine.pinnedPaths()], []);
    } finally {
      engine.close();
    }
  });
});
