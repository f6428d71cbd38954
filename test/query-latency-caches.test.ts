/**
 * What a small query no longer does each time (segment pruning answers and DuckDB plans kept,
 * the resolution statement on its generic plan) must never serve a stale answer: a REVOKE, a
 * column privilege change, an ALTER TABLE, a re-copy or a streamed change made right after a
 * query is seen by the next query, which fails as PostgreSQL fails or answers from the new
 * version. Each case warms the query first and checks that the reuse really happened, so
 * the next run is the one a stale cache would answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { failure } from './helpers/assertions.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
/** dave on PostgreSQL and on the daemon: privileges are checked as his. */
let davePg: pg.Client;
let daveDaemon: pg.Client;

// Rows 1..1000 an hour apart, copied in chunks of 100 rows: ten segments, each of 100 hours.
const tableSql = (name: string) => `
  CREATE TABLE ${name} (id int PRIMARY KEY, ts timestamptz NOT NULL, v int, secret text);
  INSERT INTO ${name} SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour', g % 7, 's' || g
    FROM generate_series(1, 1000) g;`;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`${tableSql('r')} ${tableSql('s')}
    CREATE ROLE dave LOGIN PASSWORD 'dave-pw';
    GRANT SELECT ON r, s TO dave;`);
  // No compaction: the segments stay ten, so filters prune.
  daemon = await startDaemon(cluster, ['--chunk-size', '100', '--compaction-min-segments', '100000']);
  heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('r', order_by => '{id}', mode => 'refresh')`);
  await heap.query(`SELECT analytica.register_table('s', order_by => '{id}')`);
  await heap.query(`SELECT analytica.wait_for_sync('r', '60s')`);
  await heap.query(`SELECT analytica.wait_for_sync('s', '60s')`);
  const dave = { ...cluster.clientConfig(), user: 'dave', password: 'dave-pw' };
  davePg = await rawClient(dave);
  daveDaemon = await rawClient({ ...dave, port: daemon.port });
});

after(async () => {
  await davePg?.end();
  await daveDaemon?.end();
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
});

/** The answer (rows, or SQLSTATE and message) of a statement. */
async function outcome(client: pg.Client, sql: string) {
  try {
    return { rows: await textRows(client, sql) };
  } catch (error) {
    const e = error as pg.DatabaseError;
    return { code: e.code, message: e.message };
  }
}

/** The statement answers on the daemon as on the heap, for dave. */
async function sameAsPostgres(sql: string): Promise<void> {
  assert.deepEqual(await outcome(daveDaemon, sql), await outcome(davePg, sql), sql);
}

/** Runs the statement on the daemon until its pruning answer and its DuckDB plan were reused. */
async function warm(sql: string, { plans = true } = {}): Promise<void> {
  const before = daemon.queryEngine.reuses;
  for (let i = 0; i < 3; i++) await textRows(daveDaemon, sql);
  const now = daemon.queryEngine.reuses;
  assert.ok(now.prunings > before.prunings, `the pruning answer of ${sql} was reused`);
  if (plans) assert.ok(now.plans > before.plans, `the DuckDB plan of ${sql} was reused`);
}

/** Waits until the copy of a re-copied table is the heap's as of now (a new copy). */
async function recopy(table: string): Promise<void> {
  await heap.query(`SELECT analytica.wait_for_sync('${table}', '60s')`);
}

describe('kept pruning answers and plans', () => {
  const filtered = 'SELECT count(*), sum(v), min(id), max(id) FROM r WHERE id > 950';

  test('a re-copy right after a query: the next query reads the new copy', async () => {
    await sameAsPostgres(filtered);
    await warm(filtered);
    await heap.query(
      `INSERT INTO r SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour', g % 5, 's' || g
         FROM generate_series(1001, 1150) g`,
    );
    await recopy('r');
    await sameAsPostgres(filtered);
    assert.deepEqual(
      (await textRows(daveDaemon, filtered)).map(([n, , min, max]) => [n, min, max]),
      [['200', '951', '1150']],
    );
  });

  test('a streamed change right after a query: the next query sees it', async () => {
    const sql = 'SELECT count(*), sum(v), max(id) FROM s WHERE id > 950';
    await warm(sql);
    const version = async () =>
      Number(
        (await heap.query(`SELECT version FROM analytica.tables WHERE relid = 's'::regclass`)).rows[0]
          .version,
      );
    const before = await version();
    await heap.query(
      `INSERT INTO s SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour', 3, 's' || g
         FROM generate_series(1001, 1010) g`,
    );
    // Read at once, from the delta (no plan is kept for it), then again once flushed to segments.
    await sameAsPostgres(sql);
    await waitFor(async () => (await version()) > before, 'the change flushed to a segment');
    // The delta may still be read (its plan is then not kept): reused pruning answers suffice.
    await warm(sql, { plans: false });
    await heap.query('DELETE FROM s WHERE id = 1005');
    await sameAsPostgres(sql);
    assert.deepEqual(
      (await textRows(daveDaemon, sql)).map(([n, , max]) => [n, max]),
      [['59', '1010']],
    );
  });

  test('the same text in another time zone is pruned in that zone', async () => {
    // Two flushes of the stream, two segments: hours 0 to 99 after the first row's midnight,
    // and 100 to 199. The date is midnight in the session's zone: hour 96 in UTC, hour 104 in
    // Los Angeles (UTC-8 in January), where rows of the second segment pass too.
    await heap.query(
      `CREATE TABLE z (id int PRIMARY KEY, ts timestamptz NOT NULL); GRANT SELECT ON z TO dave`,
    );
    await heap.query(`SELECT analytica.register_table('z', order_by => '{ts}')`);
    await heap.query(`SELECT analytica.wait_for_sync('z', '60s')`);
    for (const first of [0, 100]) {
      await heap.query(
        `INSERT INTO z SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour'
           FROM generate_series($1::int, $1::int + 99) g`,
        [first],
      );
      await waitFor(async () => {
        const { rows } = await heap.query(`SELECT count(*)::int AS n FROM analytica.segments g
          JOIN analytica.tables t USING (relid, generation) WHERE t.relid = 'z'::regclass AND g.kind = 'data'`);
        return Number(rows[0].n) === first / 100 + 1;
      }, 'a segment of the rows');
    }
    const sql = `SELECT count(*), max(id) FROM z WHERE ts < date '2026-01-05'`;
    for (const zone of ['UTC', 'America/Los_Angeles', 'UTC', 'America/Los_Angeles']) {
      for (const client of [daveDaemon, davePg]) await client.query(`SET TimeZone = '${zone}'`);
      await sameAsPostgres(sql);
    }
    assert.deepEqual(await textRows(daveDaemon, sql), [['104', '103']]);
    await daveDaemon.query("SET TimeZone = 'UTC'");
    assert.deepEqual(await textRows(daveDaemon, sql), [['96', '95']]);
    assert.ok(daemon.queryEngine.reuses.prunings > 0);
    for (const client of [daveDaemon, davePg]) await client.query('RESET TimeZone');
  });
});

describe('privileges are those of the catalog as each statement starts', () => {
  const counted = 'SELECT count(*), sum(v) FROM r WHERE id > 900';
  const secret = 'SELECT secret FROM r WHERE id > 990 ORDER BY id';

  test('REVOKE right after a query: the next query fails as in PostgreSQL', async () => {
    await warm(counted);
    await heap.query('REVOKE SELECT ON r FROM dave');
    try {
      const error = await failure(daveDaemon, counted);
      assert.equal(error.code, '42501');
      await sameAsPostgres(counted);
    } finally {
      await heap.query('GRANT SELECT ON r TO dave');
    }
    await sameAsPostgres(counted);
  });

  test('column privileges changed right after a query: the next query follows them', async () => {
    await warm(counted);
    await warm(secret);
    await heap.query('REVOKE SELECT ON r FROM dave');
    await heap.query('GRANT SELECT (id, v) ON r TO dave');
    try {
      await sameAsPostgres(counted);
      assert.equal((await failure(daveDaemon, secret)).code, '42501');
      await sameAsPostgres(secret);
      await heap.query('REVOKE SELECT (v) ON r FROM dave');
      assert.equal((await failure(daveDaemon, counted)).code, '42501');
      await sameAsPostgres(counted);
      await heap.query('GRANT SELECT (secret) ON r TO dave');
      await sameAsPostgres(secret);
    } finally {
      await heap.query('REVOKE SELECT (id, v, secret) ON r FROM dave');
      await heap.query('GRANT SELECT ON r TO dave');
    }
  });

  test('another search_path right after a query: the same text names another table', async () => {
    await heap.query(`CREATE SCHEMA other; GRANT USAGE ON SCHEMA other TO dave;
      CREATE TABLE other.r (id int PRIMARY KEY, v int);
      INSERT INTO other.r SELECT g, 100 FROM generate_series(1, 1000) g;
      GRANT SELECT ON other.r TO dave`);
    await heap.query(`SELECT analytica.register_table('other.r', mode => 'refresh')`);
    await heap.query(`SELECT analytica.wait_for_sync('other.r', '60s')`);
    await warm(counted);
    for (const client of [daveDaemon, davePg]) await client.query('SET search_path = other, public');
    try {
      await sameAsPostgres(counted);
      assert.deepEqual(await textRows(daveDaemon, counted), [['100', '10000']]);
    } finally {
      for (const client of [daveDaemon, davePg]) await client.query('RESET search_path');
    }
  });
  test('ALTER TABLE right after a query: the next query reads the new columns', async () => {
    const all = 'SELECT * FROM r WHERE id > 995 ORDER BY id';
    await warm(all);
    await heap.query('ALTER TABLE r ADD COLUMN extra int DEFAULT 7');
    await heap.query('ALTER TABLE r RENAME COLUMN v TO w');
    await recopy('r');
    await sameAsPostgres(all);
    const { fields } = await daveDaemon.query(all);
    assert.deepEqual(
      fields.map((f) => f.name),
      ['id', 'ts', 'w', 'secret', 'extra'],
    );
    assert.equal((await failure(daveDaemon, 'SELECT sum(v) FROM r WHERE id > 900')).code, '42703');
  });
});
