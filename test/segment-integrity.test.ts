/**
 * A segment file that is missing or damaged (deleted by hand, truncated by a
 * full disk, corrupted) must not break a table quietly: the query that finds
 * it fails with a clear error naming the table (58P01 for a missing file,
 * XX001 for a damaged one, as PostgreSQL says of its own relation files) and
 * never with the file's path or pg_analytica's internal SQL; the catalog
 * records the damage (analytica.status shows it) and asks for a re-copy, after
 * which queries answer as the heap does again.
 */
import assert from 'node:assert/strict';
import { open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { silentLogger } from '../src/log.js';
import type { Daemon } from '../src/main.js';
import { hidePathsUnder, translateDuckDbError } from '../src/query/duckdb-errors.js';
import { SegmentDamage } from '../src/query/segment-damage.js';
import { failure } from './helpers/assertions.js';
import { endPool, startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

const everyRow = 'SELECT * FROM events ORDER BY id';

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, amount numeric(10,2));
    INSERT INTO events SELECT g, 'k' || (g % 7), g / 10.0 FROM generate_series(1, 5000) g;
    CREATE TABLE snapshots (id bigint PRIMARY KEY, label text);
    INSERT INTO snapshots SELECT g, 'l' || g FROM generate_series(1, 3000) g;`);
  // Small chunks: each table has several segments, so one can be damaged while others are fine.
  daemon = await startDaemon(cluster, ['--chunk-size', '1000']);
  heap = await rawClient(cluster.clientConfig());
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await heap.query(`SELECT analytica.register_table('events')`);
  await heap.query(`SELECT analytica.register_table('snapshots', mode => 'refresh')`);
  await heap.query(`SELECT analytica.wait_for_sync('events')`);
  await heap.query(`SELECT analytica.wait_for_sync('snapshots')`);
});

after(async () => {
  await heap?.end().catch(() => undefined);
  await columnar?.end().catch(() => undefined);
  await daemon?.close();
  await cluster?.close();
});

/** The absolute path of one data segment of the table's visible generation. */
async function someSegment(table: string): Promise<string> {
  const { rows } = await heap.query<{ path: string }>(
    `SELECT s.path FROM analytica.segments s JOIN analytica.tables t USING (relid)
      WHERE t.relid = $1::regclass AND s.generation = t.generation AND s.kind = 'data'
      ORDER BY s.segment_id LIMIT 1 OFFSET 1`,
    [table],
  );
  assert.ok(rows[0], `${table} has at least two data segments`);
  return path.join(daemon.config.dataDir, rows[0].path);
}

async function status(table: string): Promise<{ state: string; last_error: string | null }> {
  const { rows } = await heap.query(
    `SELECT state, last_error FROM analytica.status WHERE relid = $1::regclass`,
    [table],
  );
  return rows[0];
}

/** The client's error names the table and hides the data directory and internal SQL. */
function assertClean(error: pg.DatabaseError, code: string, table: string): void {
  assert.equal(error.code, code, `${error.code}: ${error.message}`);
  assert.match(error.message, new RegExp(`public\\.${table}`));
  for (const text of [error.message, error.detail ?? '', error.hint ?? '']) {
    assert.doesNotMatch(text, /\.parquet|read_parquet|__pga|\/tmp\//, text);
    assert.ok(!text.includes(daemon.config.dataDir), text);
  }
}

/** Once re-copied, the copy answers as the heap does. */
async function assertRepaired(table: string, sql: string): Promise<void> {
  await waitFor(async () => (await status(table)).state === 'synced', `${table} to be copied again`);
  await heap.query(`SELECT analytica.wait_for_sync('${table}')`);
  assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
  assert.equal((await status(table)).last_error, null);
}

describe('a missing or damaged segment file', () => {
  test('a deleted segment of a streamed table: 58P01 naming the table, then a re-copy', async () => {
    await heap.query(`UPDATE events SET amount = amount + 1 WHERE id % 10 = 0`);
    await heap.query(`SELECT analytica.wait_for_sync('events')`);
    const file = await someSegment('events');
    await rm(file);
    const error = await failure(columnar, everyRow);
    assertClean(error, '58P01', 'events');
    assert.match(error.message, /segment file .* of public\.events is missing/);
    const recorded = await status('events');
    assert.match(
      recorded.last_error ?? '',
      /of public\.events is missing; pg_analytica is re-copying the table$/,
    );
    assert.ok(['pending', 'refreshing', 'error'].includes(recorded.state), recorded.state);
    await assertRepaired('events', everyRow);
  });

  test('a truncated segment of a streamed table: XX001 naming the table, then a re-copy', async () => {
    const file = await someSegment('events');
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const error = await failure(columnar, 'SELECT sum(amount), count(*) FROM events');
    assertClean(error, 'XX001', 'events');
    assert.match(error.message, /segment file .* of public\.events is damaged/);
    assert.match(
      (await status('events')).last_error ?? '',
      /of public\.events is damaged .*; pg_analytica is re-copying/,
    );
    await assertRepaired('events', everyRow);
  });

  test('garbage in a segment of a re-copied table: XX001, then a re-copy', async () => {
    const file = await someSegment('snapshots');
    const handle = await open(file, 'r+');
    // Overwrites the footer: the file keeps its size, DuckDB cannot read it.
    const { size } = await handle.stat();
    await handle.write(Buffer.alloc(64, 0x5a), 0, 64, size - 64);
    await handle.close();
    const error = await failure(columnar, 'SELECT * FROM snapshots ORDER BY id');
    assertClean(error, 'XX001', 'snapshots');
    await assertRepaired('snapshots', 'SELECT * FROM snapshots ORDER BY id');
  });

  test('a file emptied under a transaction block that pinned its version: XX001, then a re-copy', async () => {
    await columnar.query('BEGIN');
    assert.deepEqual(await textRows(columnar, 'SELECT count(*) FROM snapshots'), [['3000']]);
    await writeFile(await someSegment('snapshots'), '');
    const error = await failure(columnar, 'SELECT count(*), max(label) FROM snapshots');
    await columnar.query('ROLLBACK');
    assertClean(error, 'XX001', 'snapshots');
    await assertRepaired('snapshots', 'SELECT count(*), sum(id), max(label) FROM snapshots');
  });

  test('a missing file the query would skip by its statistics is found at resolution all the same', async () => {
    // The second segment holds ids 1001-2000: `id = 1` prunes it away.
    const file = await someSegment('snapshots');
    await rm(file);
    // Every file of the table is checked at resolution, read or not: the loss is found at once.
    const error = await failure(columnar, 'SELECT count(*) FROM snapshots WHERE id = 1');
    assertClean(error, '58P01', 'snapshots');
    await assertRepaired('snapshots', 'SELECT * FROM snapshots ORDER BY id');
  });
});

describe('what is not damage', () => {
  test('a passing IO condition naming a segment file: 58030, no re-copy asked for', async () => {
    await heap.query(`SELECT analytica.wait_for_sync('events')`);
    const { rows } = await heap.query<{ relid: string; generation: string; path: string }>(
      `SELECT t.relid::bigint AS relid, t.generation, s.path
         FROM analytica.tables t JOIN analytica.segments s ON s.relid = t.relid AND s.generation = t.generation
        WHERE t.relid = 'events'::regclass ORDER BY s.segment_id`,
    );
    const paths = rows.map((r) => r.path);
    const table = {
      relid: Number(rows[0]!.relid),
      schemaName: 'public',
      tableName: 'events',
      generation: Number(rows[0]!.generation),
      columns: [],
      paths,
    };
    const damage = new SegmentDamage({ dataDir: daemon.config.dataDir, log: silentLogger });
    const pool = new pg.Pool(cluster.clientConfig());
    try {
      const file = path.join(daemon.config.dataDir, paths[0]!);
      const error = await damage.translate(
        new Error(`IO Error: Cannot open file "${file}": Too many open files`),
        {
          pool,
          tables: [table],
        },
      );
      assert.equal(error.code, '58030');
      assert.match(
        error.message,
        /^could not read segment file \d+ of public\.events: Cannot open file "<file>": Too many open files$/,
      );
      // Not a segment of the query's tables: the usual translation, path hidden all the same.
      const other = await damage.translate(
        new Error(`IO Error: No files found that match the pattern "${file}x"`),
        {
          pool,
          tables: [table],
        },
      );
      assert.equal(other.code, 'XX000');
      assert.ok(!other.message.includes(daemon.config.dataDir), other.message);
    } finally {
      await endPool(pool);
    }
    assert.deepEqual(await status('events'), { state: 'synced', last_error: null });
  });
});

describe('DuckDB errors sent to clients', () => {
  test('carry no data directory path and no rewritten SQL', async () => {
    // The pruned read is an inline read_parquet([...]) subquery: DuckDB quotes it in LINE 1.
    const error = await failure(columnar, 'SELECT no_such_function(id) FROM events WHERE id < 100');
    assert.equal(error.code, '42883');
    for (const text of [error.message, error.detail ?? '', error.hint ?? '']) {
      assert.doesNotMatch(text, /\.parquet|read_parquet|__pga|LINE 1/, text);
      assert.ok(!text.includes(daemon.config.dataDir), text);
    }
  });

  test('absolute paths in file errors are replaced, values elsewhere are kept', () => {
    hidePathsUnder('/srv/pga-data');
    const missing = translateDuckDbError(
      new Error(
        `IO Error: No files found that match the pattern "/srv/pga-data/db/1/2.parquet"\n\nLINE 1: SELECT * FROM read_parquet(['/srv/pga-data/db/1/2.parquet'])\n                      ^`,
      ),
    );
    assert.equal(missing.message, 'No files found that match the pattern "<file>"');
    assert.equal(missing.detail, undefined);
    const elsewhere = translateDuckDbError(
      new Error(`IO Error: Cannot open file "/home/x/y.csv": No such file`),
    );
    assert.equal(elsewhere.message, 'Cannot open file "<file>": No such file');
    const value = translateDuckDbError(
      new Error(`Conversion Error: Could not convert string '/a/b' to INT32`),
    );
    assert.equal(value.message, "Could not convert string '/a/b' to INT32");
  });
});
