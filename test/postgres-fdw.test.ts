/**
 * Columnar foreign tables inside PostgreSQL: register_table creates
 * columnar.<table> on the postgres_fdw server pointing at the daemon, and
 * queries on it return what the heap returns, with filters, aggregates, sorts,
 * limits and joins pushed down whole. The local server is the source itself
 * (PostgreSQL 17, embedded) and, separately, a PostgreSQL 15 importing the
 * foreign schema.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { fdwQueries, fdwTablesSql } from './helpers/fdw-corpus.js';
import { needs } from './helpers/optional-clients.js';

const pg15Bin = '/usr/lib/postgresql/15/bin';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(fdwTablesSql);
  daemon = await startDaemon(cluster, ['--chunk-size', '5000']);
  heap = await rawClient(cluster.clientConfig());
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  for (const table of ['events', 'users']) {
    await heap.query(`SELECT analytica.register_table('${table}')`);
    await heap.query(`SELECT analytica.wait_for_sync('${table}')`);
  }
  await heap.query('ANALYZE events, users');
});

after(async () => {
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
});

function sql(template: string, events: string, users: string): string {
  return template.replaceAll('{e}', events).replaceAll('{u}', users);
}

/**
 * Rows as text, with float8/float4 results to 12 significant digits: sums of
 * floats differ in their last bits with the order rows are added in (in
 * PostgreSQL too, between a parallel and a serial plan).
 */
async function comparableRows(client: pg.Client, text: string): Promise<(string | null)[][]> {
  const result = await client.query({ text, rowMode: 'array' });
  const floats = result.fields.map((field) => field.dataTypeID === 700 || field.dataTypeID === 701);
  return (result.rows as (string | null)[][]).map((row) =>
    row.map((value, i) =>
      floats[i] && value !== null && /^-?\d/.test(value) ? Number(value).toPrecision(12) : value,
    ),
  );
}

/** Every corpus query on the heap tables and on `events`/`users` (foreign tables) gives the same rows. */
async function assertSameRows(client: pg.Client, events: string, users: string): Promise<void> {
  for (const query of fdwQueries) {
    const expected = await comparableRows(heap, sql(query, 'public.events', 'public.users'));
    const text = sql(query, events, users);
    const actual = await comparableRows(client, text).catch((error: Error) => {
      throw new Error(`${text}\n  failed: ${error.message}`);
    });
    assert.deepEqual(actual, expected, text);
  }
}

describe('foreign tables made by register_table', () => {
  test('columnar.events and columnar.users have the source’s columns', async () => {
    const columns = async (schema: string) =>
      textRows(
        heap,
        `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
          WHERE table_schema = '${schema}' ORDER BY table_name, ordinal_position`,
      );
    assert.deepEqual(await columns('columnar'), await columns('public'));
    const { rows } = await heap.query(`SELECT foreign_table FROM analytica.tables ORDER BY 1`);
    assert.deepEqual(
      rows.map((r) => r.foreign_table),
      ['columnar.events', 'columnar.users'],
    );
  });

  test('every query of the corpus returns the heap’s rows through the foreign tables', async () => {
    await assertSameRows(heap, 'columnar.events', 'columnar.users');
  });

  test('the same queries sent directly to the daemon return the heap’s rows too', async () => {
    const direct = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    try {
      await assertSameRows(direct, 'public.events', 'public.users');
    } finally {
      await direct.end();
    }
  });

  test('stddev, variance and avg of numeric values are exact numerics, directly and through the foreign table', async () => {
    const sql = 'SELECT stddev(amount), var_pop(amount), avg(amount), round(avg(amount), 2) FROM';
    const expected = await textRows(heap, `${sql} public.events`);
    assert.notEqual(expected[0]?.[0], null);
    const direct = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    try {
      assert.deepEqual(await textRows(direct, `${sql} events`), expected);
    } finally {
      await direct.end();
    }
    assert.deepEqual(await textRows(heap, `${sql} columnar.events`), expected);
  });

  test('aggregates, sorts, limits and joins are pushed down whole', async () => {
    const plan = async (query: string) =>
      (await textRows(heap, `EXPLAIN (VERBOSE, COSTS off) ${query}`)).map((r) => r[0]).join('\n');
    const grouped = await plan('SELECT country, sum(amount) FROM columnar.events GROUP BY 1');
    assert.match(grouped, /Relations: Aggregate on \(columnar\.events\)/);
    assert.match(grouped, /Remote SQL: SELECT country, sum\(amount\) FROM public\.events GROUP BY 1/);
    const joined = await plan(
      'SELECT u.plan, count(*) FROM columnar.events e JOIN columnar.users u USING (user_id) WHERE e.amount > 10 GROUP BY 1 ORDER BY 1',
    );
    assert.match(
      joined,
      /Relations: Aggregate on \(\(columnar\.events e\) INNER JOIN \(columnar\.users u\)\)/,
    );
    const limited = await plan(
      'SELECT id, amount FROM columnar.events ORDER BY amount DESC NULLS LAST LIMIT 10',
    );
    assert.match(limited, /Remote SQL: .* ORDER BY amount DESC NULLS LAST LIMIT 10::bigint/);
    assert.doesNotMatch(limited, /\n\s+->\s+Sort/);
    const topGroups = await plan(
      'SELECT user_id, sum(amount) FROM columnar.events GROUP BY 1 ORDER BY 2 DESC NULLS LAST, 1 LIMIT 5',
    );
    assert.match(
      topGroups,
      /Remote SQL: SELECT user_id, sum\(amount\) FROM public\.events GROUP BY 1 ORDER BY .* LIMIT 5::bigint/,
    );
  });

  test('ANALYZE samples the foreign table', async () => {
    await heap.query('ANALYZE columnar.events');
    const { rows } = await heap.query(
      `SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = 'columnar' AND tablename = 'events'`,
    );
    assert.ok(rows[0].n > 5, `pg_stats rows: ${rows[0].n}`);
  });

  test('a role reads through its own user mapping only what it may SELECT at the source', async () => {
    await heap.query(`CREATE ROLE fdw_reader LOGIN PASSWORD 'reader-pw'`);
    await heap.query(`GRANT USAGE ON FOREIGN SERVER pg_analytica TO fdw_reader`);
    await createUserMapping(heap, 'fdw_reader', 'reader-pw');
    const reader = await rawClient({ ...cluster.clientConfig(), user: 'fdw_reader', password: 'reader-pw' });
    try {
      await assert.rejects(
        reader.query('SELECT count(*) FROM columnar.events'),
        (error: Error & { code?: string }) => {
          assert.match(error.message, /events/);
          return true;
        },
      );
      await heap.query('GRANT SELECT ON public.events TO fdw_reader');
      assert.deepEqual(await textRows(reader, 'SELECT count(*) FROM columnar.events'), [['20000']]);
    } finally {
      await reader.end();
    }
  });

  test('unregister_table drops the foreign table; registering again makes it again', async () => {
    await heap.query(`SELECT analytica.unregister_table('users')`);
    assert.deepEqual(await textRows(heap, `SELECT to_regclass('columnar.users')::text`), [[null]]);
    await heap.query(`SELECT analytica.register_table('users')`);
    await heap.query(`SELECT analytica.wait_for_sync('users')`);
    assert.deepEqual(await textRows(heap, 'SELECT count(*) FROM columnar.users'), [['302']]);
  });
});

describe('postgres_fdw from PostgreSQL 15', { skip: needs('postgres15') }, () => {
  let local: LocalCluster;
  let client: pg.Client;

  before(async () => {
    // .ci/run installs Debian's postgresql-15 where it is missing.
    assert.ok(
      existsSync(path.join(pg15Bin, 'postgres')),
      `PostgreSQL 15 server binaries are expected in ${pg15Bin}`,
    );
    local = await LocalCluster.start({
      dir: await mkdtemp(path.join(tmpdir(), 'pga-pg15-')),
      binDir: pg15Bin,
    });
    client = await rawClient(local.clientConfig());
    await client.query('CREATE EXTENSION postgres_fdw');
    await client.query(
      `CREATE SERVER daemon FOREIGN DATA WRAPPER postgres_fdw
         OPTIONS (host '127.0.0.1', port '${daemon.port}', dbname 'postgres', use_remote_estimate 'true', fetch_size '10000')`,
    );
    await client.query(
      `CREATE USER MAPPING FOR CURRENT_USER SERVER daemon OPTIONS (user ${client.escapeLiteral(cluster.user)}, password ${client.escapeLiteral(cluster.password)})`,
    );
    await client.query('CREATE SCHEMA imported');
    await client.query(
      'IMPORT FOREIGN SCHEMA public LIMIT TO (events, users) FROM SERVER daemon INTO imported',
    );
  });

  after(async () => {
    await client?.end();
    await local?.close();
  });

  test('IMPORT FOREIGN SCHEMA brings the registered tables with their types', async () => {
    const columns = async (c: pg.Client, schema: string) =>
      textRows(
        c,
        `SELECT table_name, column_name, data_type FROM information_schema.columns
          WHERE table_schema = '${schema}' AND table_name IN ('events', 'users') ORDER BY table_name, ordinal_position`,
      );
    assert.deepEqual(await columns(client, 'imported'), await columns(heap, 'public'));
  });

  test('every query of the corpus returns the heap’s rows', async () => {
    await assertSameRows(client, 'imported.events', 'imported.users');
  });

  test('ANALYZE through the PostgreSQL 15 path works', async () => {
    await client.query('ANALYZE imported.users');
    const { rows } = await client.query(
      `SELECT reltuples FROM pg_class WHERE oid = 'imported.users'::regclass`,
    );
    assert.equal(Number(rows[0].reltuples), 302);
  });
});
