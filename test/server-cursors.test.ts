/**
 * SQL cursors, EXPLAIN and DEALLOCATE on the query server, with PostgreSQL as
 * the oracle: the same statements on the heap table and through the daemon
 * give the same tags, row counts and rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import postgres from 'postgres';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE events (id int PRIMARY KEY, g text, v numeric(10,2), ts timestamptz);
    INSERT INTO events
      SELECT i, 'g' || (i % 7), (i % 1000) / 4.0, '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 minute'
      FROM generate_series(1, 5000) i;
  `);
  daemon = await startDaemon(cluster, ['--chunk-size', '1000']);
  heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('events')`);
  await heap.query(`SELECT analytica.wait_for_sync('events')`);
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

interface Reply {
  command?: string;
  rowCount?: number | null;
  fields?: string[];
  rows?: unknown[][];
  error?: string;
}

/** Runs statements one by one; each reply (or error SQLSTATE) is recorded. */
async function script(client: pg.Client, statements: readonly string[]): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (const sql of statements) {
    try {
      const result = await client.query({ text: sql, rowMode: 'array' });
      replies.push({
        command: result.command,
        rowCount: result.rowCount,
        fields: result.fields.map((f) => `${f.name}:${f.dataTypeID}`),
        rows: result.rows,
      });
    } catch (error) {
      replies.push({ error: (error as { code?: string }).code ?? String(error) });
    }
  }
  return replies;
}

async function sameOnBoth(statements: readonly string[]): Promise<Reply[]> {
  const expected = await script(heap, statements);
  const actual = await script(columnar, statements);
  for (let i = 0; i < statements.length; i++) {
    assert.deepEqual(actual[i], expected[i], `statement ${i}: ${statements[i]}`);
  }
  return actual;
}

describe('cursors', () => {
  test('DECLARE, FETCH in batches, past the end, interleaved cursors and CLOSE match PostgreSQL', async () => {
    const replies = await sameOnBoth([
      'BEGIN',
      'DECLARE c1 CURSOR FOR\nSELECT id, g, v, ts FROM events WHERE id <= 250 ORDER BY id',
      'DECLARE c2 CURSOR FOR SELECT g, count(*), sum(v) FROM events GROUP BY g ORDER BY g',
      'FETCH 100 FROM c1',
      'FETCH 3 FROM c2',
      'FETCH 100 FROM c1',
      'FETCH FORWARD ALL FROM c2',
      'FETCH 100 FROM c1',
      'FETCH 100 FROM c1',
      'FETCH c2',
      'CLOSE c1',
      'FETCH 1 FROM c1',
      'ROLLBACK',
    ]);
    assert.deepEqual(
      replies.slice(3, 10).map((r) => r.rowCount),
      [100, 3, 100, 4, 50, 0, 0],
    );
    assert.equal(replies[11]?.error, '34000');
  });

  test('MOVE BACKWARD ALL rewinds to the same rows; FETCH ABSOLUTE and RELATIVE 0', async () => {
    await sameOnBoth([
      'BEGIN',
      'DECLARE c1 SCROLL CURSOR FOR SELECT id, g FROM events WHERE id <= 30 ORDER BY id',
      'FETCH 10 FROM c1',
      'MOVE BACKWARD ALL IN c1',
      'FETCH 5 FROM c1',
      'FETCH RELATIVE 0 FROM c1',
      'FETCH ABSOLUTE 20 FROM c1',
      'FETCH ABSOLUTE 2 FROM c1',
      'MOVE FORWARD 5 IN c1',
      'FETCH 2 FROM c1',
      'FETCH ALL FROM c1',
      'MOVE BACKWARD ALL IN c1',
      'FETCH ABSOLUTE 0 FROM c1',
      'FETCH 1 FROM c1',
      'COMMIT',
    ]);
  });

  test('transaction rules: DECLARE needs a block, COMMIT closes cursors, WITH HOLD outlives it', async () => {
    await sameOnBoth([
      'DECLARE c CURSOR FOR SELECT 1',
      'BEGIN',
      'DECLARE plain CURSOR FOR SELECT id FROM events WHERE id < 4 ORDER BY id',
      'DECLARE held CURSOR WITH HOLD FOR SELECT id FROM events WHERE id < 4 ORDER BY id',
      'DECLARE held CURSOR FOR SELECT 1',
      'ROLLBACK',
      'FETCH 1 FROM held',
      'BEGIN',
      'DECLARE held CURSOR WITH HOLD FOR SELECT id FROM events WHERE id < 4 ORDER BY id',
      'FETCH 1 FROM held',
      'COMMIT',
      'FETCH ALL FROM held',
      'CLOSE held',
      'CLOSE held',
    ]);
  });

  test('an error inside the block keeps cursors unusable until ROLLBACK', async () => {
    await sameOnBoth([
      'BEGIN',
      'DECLARE c CURSOR FOR SELECT id FROM events ORDER BY id',
      'SELECT 1/0',
      'FETCH 1 FROM c',
      'ROLLBACK',
      'FETCH 1 FROM c',
    ]);
  });

  test('DECLARE over the extended protocol with a parameter answers without rows, as postgres_fdw needs', async () => {
    for (const client of [heap, columnar]) {
      await client.query('BEGIN');
      const declared = await client.query({
        text: 'DECLARE c1 CURSOR FOR\nSELECT id FROM events WHERE ((id < $1::integer)) ORDER BY id ASC NULLS LAST',
        values: ['4'],
      });
      assert.equal(declared.command, 'DECLARE');
      assert.deepEqual(declared.fields, []);
      const fetched = await client.query({ text: 'FETCH 100 FROM c1', rowMode: 'array' });
      assert.deepEqual(fetched.rows, [['1'], ['2'], ['3']]);
      await client.query('COMMIT');
    }
  });

  // Produced all first, the 10^10 rows would outlast the test's timeout many times over.
  test('a cursor is streamed: declaring one over a huge result and fetching a few rows is quick', {
    timeout: 120_000,
  }, async () => {
    await columnar.query('BEGIN');
    await columnar.query('DECLARE big CURSOR FOR SELECT g FROM generate_series(1, 10000000000) AS g');
    const { rows } = await columnar.query({ text: 'FETCH 3 FROM big', rowMode: 'array' });
    await columnar.query('CLOSE big');
    await columnar.query('COMMIT');
    assert.deepEqual(rows, [['1'], ['2'], ['3']]);
  });
});

describe('EXPLAIN', () => {
  const costLine = /^\S.*\s\(cost=(\d+\.\d\d)\.\.(\d+\.\d\d) rows=(\d+) width=(\d+)\)$/;

  test('the first line has PostgreSQL’s cost form, with the engine’s row estimate', async () => {
    const { rows } = await columnar.query({ text: 'EXPLAIN SELECT id, g FROM events', rowMode: 'array' });
    const match = costLine.exec(String(rows[0]?.[0]));
    assert.ok(match, `first line: ${rows[0]?.[0]}`);
    assert.equal(Number(match[3]), 5000);
    assert.ok(Number(match[2]) >= Number(match[1]));
  });

  test('an aggregate is estimated to return few rows and to cost less than its scan plus moving the rows', async () => {
    const plan = async (sql: string) => {
      const { rows } = await columnar.query({ text: `EXPLAIN ${sql}`, rowMode: 'array' });
      const match = costLine.exec(String(rows[0]?.[0]));
      assert.ok(match, `first line: ${rows[0]?.[0]}`);
      return { total: Number(match[2]), rows: Number(match[3]) };
    };
    const scan = await plan('SELECT g, v FROM events');
    const grouped = await plan('SELECT g, sum(v) FROM events GROUP BY 1');
    assert.ok(grouped.rows < scan.rows, `groups estimated: ${grouped.rows}`);
    assert.ok(grouped.total < scan.total + scan.rows * 0.01);
  });

  // Run, the sum over 10^13 rows would outlast the test's timeout many times over.
  test('EXPLAIN never runs the query; COSTS off drops the figures; ANALYZE is refused', {
    timeout: 120_000,
  }, async () => {
    const { rows } = await columnar.query({
      text: 'EXPLAIN (COSTS off) SELECT sum(g) FROM generate_series(1, 10000000000000) AS g',
      rowMode: 'array',
    });
    assert.ok(rows.length > 0 && rows.every((row) => !String(row[0]).includes('cost=')));
    await assert.rejects(columnar.query('EXPLAIN ANALYZE SELECT 1'), { code: '0A000' });
  });
});

test('DEALLOCATE and DISCARD ALL', async () => {
  await sameOnBoth(['DEALLOCATE nope', 'DEALLOCATE ALL', 'BEGIN', 'DISCARD ALL', 'ROLLBACK', 'DISCARD ALL']);
  await columnar.query({ name: 'named_one', text: 'SELECT count(*) FROM events' });
  await columnar.query('DEALLOCATE named_one');
  await assert.rejects(columnar.query('DEALLOCATE named_one'), { code: '26000' });
});

// Last: it changes the table through the stream, which other tests' estimates and rows assume unchanged.
test('a transaction block reads every table at the version its first statement read', async () => {
  const other = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  try {
    await columnar.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const count = async (client: pg.Client) =>
      (await client.query({ text: 'SELECT count(*) FROM events', rowMode: 'array' })).rows[0]?.[0];
    assert.equal(await count(columnar), '5000');
    await heap.query(`INSERT INTO events SELECT i, 'new', 1, now() FROM generate_series(5001, 5100) i`);
    // A new session waits for the stream to apply the insert before it answers.
    assert.equal(await count(other), '5100');
    assert.equal(await count(columnar), '5000');
    await columnar.query('DECLARE later CURSOR FOR SELECT count(*) FROM events');
    assert.deepEqual((await columnar.query({ text: 'FETCH ALL FROM later', rowMode: 'array' })).rows, [
      ['5000'],
    ]);
    await columnar.query('COMMIT');
    assert.equal(await count(columnar), '5100');
  } finally {
    await heap.query('DELETE FROM events WHERE id > 5000');
    await other.end();
  }
});

test('an array parameter sent as text works with = ANY and <> ALL, typed by the left side', async () => {
  for (const [sql, values] of [
    ['SELECT id FROM events WHERE id = ANY($1) ORDER BY id', [[3, 1, 2]]],
    ['SELECT count(*) FROM events WHERE g <> ALL($1)', [['g1', 'g2', null]]],
    ['SELECT count(*) FROM events WHERE v = ANY($1::numeric[])', [['0.25', '1.50']]],
  ] as const) {
    const expected = await heap.query({ text: sql, values: [...values], rowMode: 'array' });
    const actual = await columnar.query({ text: sql, values: [...values], rowMode: 'array' });
    assert.deepEqual(actual.rows, expected.rows, sql);
  }
});

test('Describe of a prepared statement answers without running the query', { timeout: 120_000 }, async () => {
  const config = cluster.clientConfig();
  const sql = postgres({
    host: config.host,
    port: daemon.port,
    user: config.user,
    password: config.password,
    database: 'postgres',
    fetch_types: false,
  });
  try {
    // Computed, the sum over 10^13 rows would outlast the test's timeout many times over.
    const described = await sql
      .unsafe('SELECT sum(g) AS total, $1::int AS k FROM generate_series(1, 10000000000000) AS g', [1])
      .describe();
    assert.deepEqual(
      described.columns.map((c) => [c.name, c.type]),
      [
        ['total', 1700],
        ['k', 23],
      ],
    );
  } finally {
    await sql.end();
  }
});
