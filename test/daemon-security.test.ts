/**
 * Hostile and mistaken input against the whole daemon (invariant 4): a real
 * PostgreSQL, the daemon in-process, and only real clients (node-postgres and
 * psql). Every bad statement must fail with PostgreSQL's SQLSTATE, run
 * nothing, and leave both the same connection and a new one answering a real
 * query correctly. At the end, the source tables are untouched and the data
 * directory holds nothing but the catalog's segment files.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { failure } from './helpers/assertions.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { needs } from './helpers/optional-clients.js';

const run = promisify(execFile);

/** A schema and a table whose names would break any SQL built by concatenation. */
const oddSchema = 'we;ird "schema" --';
const hostileTable = 'x"; DROP TABLE t; --';
const hostileColumn = `col"; --'`;
const unregisteredHostile = "unreg'); DROP TABLE t; --";
const qOddSchema = ident(oddSchema);
const qHostile = `${qOddSchema}.${ident(hostileTable)}`;

const alicePassword = "alice's pw; --";

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;
/** What the reference query returns: the liveness check after every bad input. */
let expectedReference: (string | null)[][];
const referenceSql = 'SELECT count(*), sum(id), min(v), max(v) FROM t';
let tRelid: number;
let tGeneration: number;

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function daemonConfig(overrides: pg.ClientConfig = {}): pg.ClientConfig {
  return { ...cluster.clientConfig(), port: daemon.port, ...overrides };
}

function aliceConfig(overrides: pg.ClientConfig = {}): pg.ClientConfig {
  return daemonConfig({ user: 'alice', password: alicePassword, ...overrides });
}

async function assertServes(client: pg.Client, what: string): Promise<void> {
  assert.deepEqual(await textRows(client, referenceSql), expectedReference, `reference query ${what}`);
}

async function assertNewConnectionServes(what: string): Promise<void> {
  const fresh = await rawClient(daemonConfig());
  try {
    await assertServes(fresh, `on a new connection ${what}`);
  } finally {
    await fresh.end();
  }
}

interface Expectation {
  /** 1-based position PostgreSQL would report, when the case checks it. */
  position?: number;
  /** A fragment the message must contain. */
  message?: string | RegExp;
  hint?: string | RegExp;
  /** Accept any of these codes instead of one (statements PostgreSQL itself would treat differently). */
  orCodes?: string[];
}

/**
 * Runs `sql` over the simple and the extended protocol on the shared
 * connection, checking the SQLSTATE each time, and after each the same
 * connection and a new one still answer the reference query.
 */
async function rejects(sql: string, code: string, expect: Expectation = {}): Promise<void> {
  for (const mode of ['simple', 'extended'] as const) {
    const config: pg.QueryConfig & { queryMode?: 'extended' } = { text: sql };
    if (mode === 'extended') config.queryMode = 'extended';
    const error = await failure(columnar, config);
    const codes = [code, ...(expect.orCodes ?? [])];
    assert.ok(
      codes.includes(error.code ?? ''),
      `${mode}: ${sql}\n  expected SQLSTATE ${codes.join(' or ')}, got ${error.code}: ${error.message}`,
    );
    if (expect.position !== undefined)
      assert.equal(error.position, String(expect.position), `${mode}: ${sql}`);
    if (expect.message !== undefined) assertMatches(error.message, expect.message, `${mode} message: ${sql}`);
    if (expect.hint !== undefined) assertMatches(error.hint ?? '', expect.hint, `${mode} hint: ${sql}`);
    await assertServes(columnar, `after ${mode} ${sql}`);
  }
  await assertNewConnectionServes(`after ${sql}`);
}

function assertMatches(actual: string, expected: string | RegExp, what: string): void {
  if (typeof expected === 'string')
    assert.ok(actual.includes(expected), `${what}: ${JSON.stringify(actual)}`);
  else assert.match(actual, expected, what);
}

/** The same statement on the heap and through the daemon, as the same role, fail with the same SQLSTATE. */
async function sameFailure(heapClient: pg.Client, columnarClient: pg.Client, sql: string): Promise<string> {
  const expected = await failure(heapClient, sql);
  const actual = await failure(columnarClient, sql);
  assert.equal(
    actual.code,
    expected.code,
    `${sql}: PostgreSQL says ${expected.message}, got ${actual.message}`,
  );
  return actual.code ?? '';
}

/** Statements that fail on the heap but not with the same SQLSTATE through the daemon. */
async function heapMismatches(statements: readonly string[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const sql of statements) {
    const expected = await failure(heap, sql);
    const outcome = await columnar.query({ text: sql, rowMode: 'array' }).then(
      (result) => `rows ${JSON.stringify(result.rows)}`,
      (error: pg.DatabaseError) => error.code,
    );
    if (outcome !== expected.code) mismatches.push(`${sql}: PostgreSQL ${expected.code}, daemon ${outcome}`);
    await assertServes(columnar, `after ${sql}`);
  }
  return mismatches;
}

async function psql(sql: string, overrides: { password?: string } = {}) {
  const args = ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(daemon.port), '-U', 'postgres'];
  args.push('-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql);
  const env = { ...process.env, PGPASSWORD: overrides.password ?? cluster.password, PGCONNECT_TIMEOUT: '10' };
  return await run('/usr/bin/psql', args, { env, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

async function register(qualified: string): Promise<void> {
  await heap.query(`SELECT analytica.register_table(${literal(qualified)})`);
}

async function waitForSync(qualified: string): Promise<void> {
  await heap.query(`SELECT analytica.wait_for_sync(${literal(qualified)})`);
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE t (id int PRIMARY KEY, v text);
    INSERT INTO t SELECT i, 'v' || lpad(i::text, 3, '0') FROM generate_series(1, 100) i;
    CREATE TABLE unreg (id int PRIMARY KEY);
    INSERT INTO unreg VALUES (1);
    CREATE TABLE secret (id int PRIMARY KEY, code text);
    INSERT INTO secret VALUES (1, 'alpha'), (2, 'beta');
    CREATE SCHEMA ${qOddSchema};
    CREATE TABLE ${qHostile} (id int PRIMARY KEY, ${ident(hostileColumn)} text);
    INSERT INTO ${qHostile} VALUES (1, 'one'), (2, 'two; DROP TABLE t; --'), (3, NULL);
    CREATE TABLE ${qOddSchema}.${ident(unregisteredHostile)} (id int PRIMARY KEY);
    INSERT INTO ${qOddSchema}.${ident(unregisteredHostile)} VALUES (7);
    CREATE SCHEMA s1;
    CREATE SCHEMA s2;
    CREATE TABLE s1.dup (id int PRIMARY KEY, src text);
    INSERT INTO s1.dup VALUES (1, 's1');
    CREATE TABLE s2.dup (id int PRIMARY KEY, src text);
    INSERT INTO s2.dup VALUES (1, 's2');
    CREATE SCHEMA hidden;
    CREATE TABLE hidden.h (id int PRIMARY KEY);
    INSERT INTO hidden.h VALUES (42);
    CREATE ROLE alice LOGIN PASSWORD ${literal(alicePassword)};
    CREATE ROLE nologin PASSWORD 'nologin-pw';
    GRANT SELECT ON hidden.h TO alice;
  `);
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  for (const table of ['public.t', 'public.secret', qHostile, 's1.dup', 'hidden.h']) await register(table);
  for (const table of ['public.t', 'public.secret', qHostile, 's1.dup', 'hidden.h']) await waitForSync(table);
  expectedReference = await textRows(heap, referenceSql);
  assert.deepEqual(expectedReference, [['100', '5050', 'v001', 'v100']]);
  const { rows } = await heap.query(
    `SELECT relid::int AS relid, generation::int AS generation FROM analytica.tables WHERE relid = 'public.t'::regclass`,
  );
  tRelid = rows[0].relid;
  tGeneration = rows[0].generation;
  columnar = await rawClient(daemonConfig());
});

after(async () => {
  await columnar?.end();
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
});

describe('table names resolve as in PostgreSQL, with its errors', () => {
  test('the reference query answers through the daemon', async () => {
    await assertServes(columnar, 'at start');
  });

  test('an unknown table is 42P01 with the position of the name', async () => {
    await rejects('SELECT * FROM no_such_table', '42P01', {
      position: 15,
      message: 'relation "no_such_table" does not exist',
    });
    await rejects('SELECT * FROM public.no_such_table', '42P01', {
      message: 'relation "public.no_such_table" does not exist',
    });
    await rejects('SELECT * FROM no_such_schema.t', '42P01');
    await rejects('SELECT t.id FROM t JOIN no_such_table n ON n.id = t.id', '42P01', { position: 25 });
    await rejects('SELECT (SELECT count(*) FROM no_such_table) FROM t', '42P01');
  });

  test('a real but unregistered table is 42P01 with a hint to register it', async () => {
    await rejects('SELECT * FROM unreg', '42P01', {
      message: 'not registered',
      hint: "analytica.register_table('public.unreg')",
    });
  });

  test('the hint for an unregistered table with a hostile name is SQL that registers exactly that table', async () => {
    const sql = `SELECT * FROM ${qOddSchema}.${ident(unregisteredHostile)}`;
    const error = await failure(columnar, sql);
    assert.equal(error.code, '42P01');
    const hint = error.hint ?? '';
    const command = hint.slice(hint.indexOf('SELECT analytica.register_table('));
    assert.ok(command.startsWith('SELECT analytica.register_table('), hint);
    await heap.query(command);
    await waitForSync(`${qOddSchema}.${ident(unregisteredHostile)}`);
    assert.deepEqual(await textRows(columnar, sql), [['7']]);
    assert.deepEqual(await textRows(heap, 'SELECT count(*) FROM t'), [['100']]);
    await assertServes(columnar, 'after registering from the hint');
  });

  test('the daemon’s own DuckDB views cannot be named', async () => {
    const view = ident(`t${tRelid}_g${tGeneration}`);
    await rejects(`SELECT * FROM __pga.${view}`, '42P01');
    await rejects(`SELECT * FROM "__pga".${view}`, '42P01');
    await rejects(`SELECT * FROM ${view}`, '42P01');
    await rejects(`SELECT * FROM main.${view}`, '42P01');
    await rejects(`SELECT count(*) FROM duckdb_views`, '42P01');
    // information_schema is PostgreSQL's own (answered by the source), which knows nothing of DuckDB's views.
    const schemas = await textRows(columnar, 'SELECT DISTINCT table_schema FROM information_schema.tables');
    assert.ok(!schemas.some(([schema]) => schema === '__pga' || schema === 'main'), JSON.stringify(schemas));
    // A catalog-qualified name is a cross-database reference, refused as in PostgreSQL.
    await rejects(`SELECT * FROM memory.__pga.${view}`, '0A000');
    // Naming the view through a column reference cannot reach it either.
    await rejects(`SELECT __pga.${view}.id FROM t`, '42P01');
  });
});

describe('privileges are the source role’s, checked on every query', () => {
  test('a registered table the role may not SELECT is 42501; GRANT and REVOKE take effect at once', async () => {
    const alice = await rawClient(aliceConfig());
    try {
      const denied = await failure(alice, 'SELECT id, code FROM secret ORDER BY id');
      assert.equal(denied.code, '42501');
      assert.equal(denied.message, 'permission denied for table secret');
      await heap.query('GRANT SELECT ON secret TO alice');
      assert.deepEqual(await textRows(alice, 'SELECT id, code FROM secret ORDER BY id'), [
        ['1', 'alpha'],
        ['2', 'beta'],
      ]);
      await heap.query('REVOKE SELECT ON secret FROM alice');
      assert.equal((await failure(alice, 'SELECT id, code FROM secret ORDER BY id')).code, '42501');
      // Through a subquery, a CTE and a join just the same.
      for (const sql of [
        'SELECT (SELECT max(code) FROM secret)',
        'WITH s AS (SELECT * FROM secret) SELECT * FROM s',
        'SELECT * FROM t JOIN secret USING (id)',
        'SELECT * FROM t WHERE id IN (SELECT id FROM public.secret)',
      ]) {
        assert.equal((await failure(alice, sql)).code, '42501', sql);
      }
      // The connection is still usable for what alice may read (nothing of t either).
      assert.equal((await failure(alice, referenceSql)).code, '42501');
      await heap.query('GRANT SELECT ON t TO alice');
      await assertServes(alice, 'as alice after GRANT');
      await heap.query('REVOKE SELECT ON t FROM alice');
    } finally {
      await alice.end();
    }
    await assertNewConnectionServes('after the privilege changes');
  });

  test('alice cannot become another role, in SQL or in the startup packet', async () => {
    const alice = await rawClient(aliceConfig());
    try {
      for (const sql of [
        'SET ROLE postgres',
        'SET SESSION AUTHORIZATION postgres',
        "SET role = 'postgres'",
      ]) {
        assert.equal((await failure(alice, sql)).code, '0A000', sql);
        assert.equal((await failure(alice, 'SELECT * FROM secret')).code, '42501', `after ${sql}`);
      }
    } finally {
      await alice.end();
    }
    for (const options of ['-c role=postgres', '-c session_authorization=postgres']) {
      const outcome = await rawClient(aliceConfig({ options })).then(
        async (client) => {
          try {
            return (await failure(client, 'SELECT * FROM secret')).code;
          } finally {
            await client.end();
          }
        },
        (error: pg.DatabaseError) => error.code,
      );
      // Refused at login (55P02, 0A000) or still denied afterwards; never reading secret.
      assert.ok(['42501', '0A000', '55P02'].includes(outcome ?? ''), `${options}: ${outcome}`);
    }
    await assertNewConnectionServes('after role-switch attempts');
  });

  test('a schema without USAGE hides its tables exactly as in PostgreSQL', async () => {
    // alice may SELECT hidden.h but has no USAGE on schema hidden.
    const aliceHeap = await rawClient({ ...cluster.clientConfig(), user: 'alice', password: alicePassword });
    const alice = await rawClient(aliceConfig());
    try {
      assert.equal(await sameFailure(aliceHeap, alice, 'SELECT * FROM hidden.h'), '42501');
      await aliceHeap.query('SET search_path = hidden, public');
      await alice.query('SET search_path = hidden, public');
      assert.equal(await sameFailure(aliceHeap, alice, 'SELECT * FROM h'), '42P01');
      await heap.query('GRANT USAGE ON SCHEMA hidden TO alice');
      assert.deepEqual(await textRows(alice, 'SELECT * FROM h'), [['42']]);
      assert.deepEqual(await textRows(alice, 'SELECT * FROM hidden.h'), [['42']]);
      await heap.query('REVOKE USAGE ON SCHEMA hidden FROM alice');
      assert.equal(await sameFailure(aliceHeap, alice, 'SELECT * FROM hidden.h'), '42501');
    } finally {
      await alice.end();
      await aliceHeap.end();
    }
  });
});

describe('search_path decides what an unqualified name means', () => {
  test('the same name in two schemas, only s1.dup registered', async () => {
    const client = await rawClient(daemonConfig());
    try {
      await client.query('SET search_path = s1, s2');
      assert.deepEqual(await textRows(client, 'SELECT src FROM dup'), [['s1']]);
      await client.query('SET search_path = s2, s1');
      const error = await failure(client, 'SELECT src FROM dup');
      assert.equal(error.code, '42P01');
      assert.match(error.hint ?? '', /register_table\('s2\.dup'\)/);
      await client.query('SET search_path = no_such_schema, "S1", S1');
      assert.deepEqual(await textRows(client, 'SELECT src FROM dup'), [['s1']]);
      await client.query('SET search_path = "S1"');
      assert.equal((await failure(client, 'SELECT src FROM dup')).code, '42P01');
      await client.query('SET search_path = public');
      assert.equal((await failure(client, 'SELECT src FROM dup')).code, '42P01');
      // Qualified names ignore search_path; t is not found unqualified outside public.
      assert.deepEqual(await textRows(client, 'SELECT src FROM s1.dup'), [['s1']]);
      await client.query('SET search_path = s1');
      assert.equal((await failure(client, referenceSql)).code, '42P01');
      // A failed SET in a multi-statement query is undone with it; RESET restores the default.
      await client.query('RESET search_path');
      await assertServes(client, 'after RESET search_path');
      await client.query('BEGIN');
      await client.query('SET LOCAL search_path = s2');
      assert.equal((await failure(client, 'SELECT src FROM dup')).code, '42P01');
      await client.query('ROLLBACK');
      await client.query('SET search_path = s2, s1');
      await client.query('BEGIN');
      await client.query('SET search_path = s1');
      await client.query('ROLLBACK');
      assert.equal(
        (await failure(client, 'SELECT src FROM dup')).code,
        '42P01',
        'ROLLBACK restores s2 first',
      );
    } finally {
      await client.end();
    }
    await assertNewConnectionServes('after search_path changes');
  });

  test('search_path from the startup packet', async () => {
    const client = await rawClient(daemonConfig({ options: '-c search_path=s2,s1' }));
    try {
      assert.equal((await failure(client, 'SELECT src FROM dup')).code, '42P01');
      await client.query('SET search_path = s1');
      assert.deepEqual(await textRows(client, 'SELECT src FROM dup'), [['s1']]);
    } finally {
      await client.end();
    }
  });

  test('pg_catalog comes first unless listed, as in PostgreSQL', async () => {
    // public.pg_class must not be read for an unqualified pg_class.
    await heap.query('CREATE TABLE public.pg_class (id int PRIMARY KEY)');
    try {
      await heap.query('INSERT INTO public.pg_class VALUES (1)');
      await register('public.pg_class');
      await waitForSync('public.pg_class');
      assert.deepEqual(await textRows(columnar, 'SELECT id FROM public.pg_class'), [['1']]);
      const outcome = await columnar.query({ text: 'SELECT * FROM pg_class', rowMode: 'array' }).then(
        (result) => result.fields.map((f) => f.name),
        (error: pg.DatabaseError) => error.code,
      );
      assert.notDeepEqual(outcome, ['id'], 'an unqualified pg_class read public.pg_class');
      await columnar.query('SET search_path = public, pg_catalog');
      assert.deepEqual(await textRows(columnar, 'SELECT id FROM pg_class'), [['1']]);
    } finally {
      await columnar.query('RESET search_path');
      await heap.query(`SELECT analytica.unregister_table('public.pg_class')`);
      await heap.query('DROP TABLE public.pg_class');
    }
    await assertServes(columnar, 'after the pg_class case');
  });
});

describe('hostile identifiers are names, never SQL', () => {
  test('the hostile-named table reads back with correct quoting', async () => {
    const sql = `SELECT id, ${ident(hostileColumn)} FROM ${qHostile} ORDER BY id`;
    const expected = await textRows(heap, sql);
    assert.equal(expected.length, 3);
    assert.deepEqual(await textRows(columnar, sql), expected);
    const result = await columnar.query(`SELECT * FROM ${qHostile} ORDER BY id`);
    assert.deepEqual(
      result.fields.map((f) => f.name),
      ['id', hostileColumn],
    );
    // Through search_path, set as an identifier and as a string.
    const client = await rawClient(daemonConfig());
    try {
      await client.query(`SET search_path = ${qOddSchema}`);
      assert.deepEqual(await textRows(client, `SELECT count(*) FROM ${ident(hostileTable)}`), [['3']]);
      await client.query(`SET search_path = ${literal(oddSchema)}, public`);
      assert.deepEqual(await textRows(client, `SELECT count(*) FROM ${ident(hostileTable)}`), [['3']]);
      await assertServes(client, 'with the odd schema on search_path');
      const shown = await textRows(client, 'SHOW search_path');
      assert.deepEqual(shown, await textRows(heap, `SELECT format('%I, public', ${literal(oddSchema)})`));
    } finally {
      await client.end();
    }
    // Extended protocol with a parameter that looks like SQL.
    const param = await columnar.query({
      text: `SELECT id FROM ${qHostile} WHERE ${ident(hostileColumn)} = $1`,
      values: ['two; DROP TABLE t; --'],
      rowMode: 'array',
    });
    assert.deepEqual(param.rows, [['2']]);
  });

  test('names with quotes and semicolons that do not exist are 42P01 and nothing else happens', async () => {
    await rejects(`SELECT * FROM "t""; DROP TABLE t; --"`, '42P01', {
      message: 'relation "t"; DROP TABLE t; --" does not exist',
    });
    await rejects(`SELECT * FROM "'; DROP TABLE t; --"`, '42P01');
    await rejects(`SELECT * FROM ${qOddSchema}."t"`, '42P01');
    await rejects(`SELECT * FROM "public"".t; --"."t"`, '42P01');
    await rejects(`SELECT * FROM "x""; DROP TABLE t; --"`, '42P01');
    await rejects(`SELECT * FROM "/etc/passwd"`, '42P01');
    await rejects(`SELECT * FROM "/etc/passwd.csv"`, '42P01');
    await rejects(`SELECT * FROM "${'a'.repeat(200)}"`, '42P01');
    await rejects(
      `SELECT * FROM t AS "x""; DROP TABLE t; --" WHERE "x""; DROP TABLE t; --".nope = 1`,
      '42703',
    );
    assert.deepEqual(await textRows(columnar, `SELECT count(*) FROM t WHERE v = '''); DROP TABLE t; --'`), [
      ['0'],
    ]);
    assert.deepEqual(await textRows(heap, `SELECT count(*) FROM ${qHostile}`), [['3']]);
    assert.deepEqual(await textRows(heap, `SELECT to_regclass('public.t') IS NOT NULL`), [['t']]);
  });
});

describe('only reading statements run', () => {
  test('malformed SQL is 42601 with a position', async () => {
    await rejects('SELEC * FROM t', '42601', { position: 1, message: 'syntax error at or near "SELEC"' });
    await rejects('SELECT * FROM t WHERE', '42601', { position: 22 });
    await rejects('SELECT (1', '42601');
    await rejects("SELECT 'unterminated", '42601', { position: 8 });
    await rejects('SELECT * FROM t; SELEC 1', '42601', { position: 18 });
    await rejects(`SELECT * FROM '/etc/passwd'`, '42601', { position: 15 });
    await rejects('FROM t', '42601', { position: 1 });
    await rejects('SELECT 1 FROM t LIMIT', '42601');
  });

  const writes: [string, string][] = [
    ['INSERT INTO t VALUES (1000, $$x$$)', 'INSERT'],
    ["UPDATE t SET v = 'x'", 'UPDATE'],
    ['DELETE FROM t', 'DELETE'],
    ["MERGE INTO t USING unreg u ON t.id = u.id WHEN MATCHED THEN UPDATE SET v = 'm'", 'MERGE'],
    ['COPY t FROM STDIN', 'COPY'],
    ["COPY t FROM '/etc/passwd'", 'COPY'],
    ["COPY t TO '/tmp/pga-security-copy-out'", 'COPY'],
    ["COPY (SELECT 1) TO PROGRAM 'touch /tmp/pga-security-program'", 'COPY'],
    ['CREATE TABLE z (a int)', 'CREATE TABLE'],
    ['CREATE TABLE z AS SELECT * FROM t', 'CREATE TABLE AS'],
    ['CREATE VIEW z AS SELECT 1', 'CREATE VIEW'],
    ['CREATE SCHEMA __pga', 'CREATE SCHEMA'],
    ['CREATE EXTENSION httpfs', 'CREATE EXTENSION'],
    ['DROP TABLE t', 'DROP TABLE'],
    ['DROP SCHEMA __pga CASCADE', 'DROP SCHEMA'],
    ['TRUNCATE t', 'TRUNCATE TABLE'],
    ['ALTER TABLE t ADD COLUMN z int', 'ALTER TABLE'],
    ['GRANT SELECT ON secret TO PUBLIC', 'GRANT'],
    ["ALTER ROLE postgres PASSWORD 'x'", 'ALTER ROLE'],
    ['SELECT * INTO z FROM t', 'SELECT INTO'],
    ['SELECT * FROM t FOR UPDATE', 'SELECT FOR UPDATE'],
    ['SELECT * FROM t FOR SHARE', 'SELECT FOR SHARE'],
    ['SELECT * FROM (SELECT * FROM t FOR UPDATE) s', 'SELECT FOR UPDATE'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'DELETE'],
    ['WITH i AS (INSERT INTO t VALUES (1001) RETURNING *) SELECT count(*) FROM i', 'INSERT'],
    ['DO $$ BEGIN DROP TABLE t; END $$', 'DO'],
    ['CALL analytica.nothing()', 'CALL'],
    ['VACUUM t', 'VACUUM'],
    ['SELECT 1; DROP TABLE t', 'DROP TABLE'],
  ];
  for (const [sql, command] of writes) {
    test(`${sql} → 25006`, async () => {
      await rejects(sql, '25006', { message: `cannot execute ${command} in a read-only transaction` });
    });
  }

  const duckdbStatements = [
    "ATTACH '/tmp/pga-security.db' AS x",
    "ATTACH DATABASE ':memory:' AS x",
    'DETACH x',
    'INSTALL httpfs',
    "INSTALL httpfs FROM 'http://127.0.0.1:1/'",
    'LOAD httpfs',
    'FORCE INSTALL httpfs',
    'PRAGMA enable_profiling',
    "PRAGMA memory_limit='1GB'",
    "EXPORT DATABASE '/tmp/pga-security-export'",
    "IMPORT DATABASE '/tmp'",
    'SUMMARIZE t',
    'DESCRIBE t',
    'USE __pga',
    'CREATE SECRET (TYPE s3)',
    'SET GLOBAL enable_external_access = true',
  ];
  for (const sql of duckdbStatements) {
    test(`${sql} → 42601`, async () => {
      await rejects(sql, '42601');
    });
  }

  test("LOAD 'file' is refused, not run", async () => {
    await rejects("LOAD 'httpfs'", '0A000', { orCodes: ['42601', '25006'] });
    await rejects("LOAD '/etc/passwd'", '0A000', { orCodes: ['42601', '25006'] });
  });

  test('EXPLAIN of a write is refused', async () => {
    await rejects('EXPLAIN ANALYZE DELETE FROM t', '25006', { orCodes: ['0A000'] });
  });

  test('a transaction block with a failing statement behaves as in PostgreSQL', async () => {
    const client = await rawClient(daemonConfig());
    try {
      await client.query('BEGIN');
      assert.equal((await failure(client, 'DROP TABLE t')).code, '25006');
      assert.equal((await failure(client, referenceSql)).code, '25P02');
      await client.query('ROLLBACK');
      await assertServes(client, 'after ROLLBACK');
    } finally {
      await client.end();
    }
    assert.equal(existsSync('/tmp/pga-security-copy-out'), false);
    assert.equal(existsSync('/tmp/pga-security-program'), false);
    assert.equal(existsSync('/tmp/pga-security.db'), false);
    assert.equal(existsSync('/tmp/pga-security-export'), false);
  });
});

describe('DuckDB cannot be reached past the SQL front end', () => {
  const fileAndSettingFunctions = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM read_json('/etc/passwd')",
    "SELECT read_text('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/*')",
    'SELECT * FROM duckdb_settings()',
    'SELECT * FROM duckdb_views()',
    'SELECT * FROM duckdb_tables()',
    "SELECT * FROM query('SELECT 1')",
    "SELECT * FROM query_table('t')",
    "SELECT getenv('HOME')",
    "SELECT pg_catalog.read_csv('/etc/passwd')",
    "SELECT main.getenv('HOME')",
    "SELECT system.main.getenv('HOME')",
    "SELECT (SELECT getenv('HOME'))",
    "SELECT count(*) FILTER (WHERE getenv('HOME') IS NULL) FROM t",
    "SELECT * FROM t WHERE v = getenv('HOME')",
    "SELECT * FROM t ORDER BY getenv('HOME')",
    "WITH x AS (SELECT read_text('/etc/passwd')) SELECT * FROM x",
    "SELECT * FROM generate_series(1, 2) g, LATERAL read_csv('/etc/passwd')",
    "SELECT list_transform([1], x -> getenv('HOME'))",
  ];
  for (const sql of fileAndSettingFunctions) {
    test(`${sql} fails with 42883, 3F000 or 0A000`, async () => {
      await rejects(sql, '42883', { orCodes: ['0A000', '42601', '3F000'] });
    });
  }

  test('functions only PostgreSQL has are answered by the source PostgreSQL as the client’s role, never by DuckDB', async () => {
    // Catalog queries run on the source (catalog-query-runner.ts): PostgreSQL's settings, version and privileges.
    for (const name of ['enable_external_access', 'allowed_directories']) {
      assert.equal((await failure(columnar, `SELECT current_setting('${name}')`)).code, '42704');
    }
    assert.match(String((await textRows(columnar, 'SELECT version()'))[0]?.[0]), /^PostgreSQL /);
    const alice = await rawClient(aliceConfig());
    try {
      assert.deepEqual(await textRows(alice, 'SELECT current_user'), [['alice']]);
    } finally {
      await alice.end();
    }
    await assertServes(columnar, 'after PostgreSQL-only functions');
  });

  test('the source’s file, signal and sleep functions are refused, even for a superuser', async () => {
    // Only catalog-reading functions reach the source (catalog-functions.ts); the superuser would be allowed there.
    const alice = await rawClient(aliceConfig());
    try {
      for (const client of [columnar, alice]) {
        for (const sql of [
          "SELECT pg_read_file('/etc/passwd')",
          "SELECT pg_ls_dir('/')",
          "SELECT pg_stat_file('/etc/passwd')",
          "SELECT pg_read_binary_file('/etc/passwd')",
          "SELECT lo_import('/etc/passwd')",
          'SELECT pg_terminate_backend(pg_backend_pid())',
          'SELECT pg_sleep(10)',
        ]) {
          const error = await failure(client, sql);
          assert.equal(error.code, '0A000', sql);
          assert.match(error.message, /^function \w+ is not available through pg_analytica/, sql);
        }
      }
      assert.deepEqual(await textRows(alice, 'SELECT current_user'), [['alice']]);
    } finally {
      await alice.end();
    }
    await assertServes(columnar, 'after the refused functions');
  });

  test('SET of DuckDB settings never reaches DuckDB; files stay out of reach', async () => {
    const client = await rawClient(daemonConfig());
    try {
      for (const sql of ['SET enable_external_access = true', 'SET allowed_directories = $$/$$']) {
        const outcome = await client.query(sql).then(
          () => 'ok',
          (error: pg.DatabaseError) => error.code,
        );
        // PostgreSQL has no such parameters: 42704, as PostgreSQL answers.
        assert.equal(outcome, '42704', sql);
        await assertServes(client, `after ${sql}`);
      }
      assert.equal((await failure(client, "SET allowed_directories = ['/']")).code, '42601');
      // A custom (dotted) name is accepted as a placeholder, as in PostgreSQL, and changes nothing else.
      await client.query('SET duckdb.enable_external_access = true');
      assert.deepEqual(await textRows(client, 'SHOW duckdb.enable_external_access'), [['true']]);
      // A time zone is passed to DuckDB, so a hostile one must be refused like PostgreSQL refuses it.
      const tz = await failure(client, `SET TimeZone = 'UTC''; SET enable_external_access = true; --'`);
      assert.equal(tz.code, '22023');
      const startup = await rawClient(
        daemonConfig({ options: '-c TimeZone=UTC\\;SET\\ enable_external_access=true' }),
      ).then(
        async (c) => {
          await c.end();
          return 'connected';
        },
        (error: pg.DatabaseError) => error.code,
      );
      assert.equal(startup, '22023');
      for (const sql of [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT read_text('/etc/passwd')",
        'SELECT * FROM "/etc/passwd"',
      ]) {
        const error = await failure(client, sql);
        assert.ok(['42883', '0A000', '42P01'].includes(error.code ?? ''), `${sql}: ${error.code}`);
      }
      await assertServes(client, 'after the SET attempts');
    } finally {
      await client.end();
    }
    await assertNewConnectionServes('after the SET attempts');
  });

  test('errors inside DuckDB carry PostgreSQL’s SQLSTATE', async () => {
    await rejects('SELECT 1/0', '22012', { message: 'division by zero' });
    await rejects('SELECT id / 0 FROM t', '22012');
    await rejects('SELECT id % (id - id) FROM t', '22012');
    await rejects('SELECT 1.5 / 0', '22012');
    await rejects("SELECT 'abc'::int", '22P02');
    await rejects('SELECT v::int FROM t', '22P02');
    await rejects('SELECT nope FROM t', '42703');
    await rejects('SELECT nosuch.id FROM t', '42P01');
  });

  test('runtime errors have the SQLSTATE PostgreSQL gives on the heap', async () => {
    const statements = [
      'SELECT 1/0',
      'SELECT 1 % 0',
      'SELECT sum(id) / 0 FROM t',
      "SELECT 'abc'::int",
      "SELECT ''::int",
      "SELECT 'x'::uuid",
      "SELECT 'maybe'::boolean",
      'SELECT 2147483647::int + 1',
      'SELECT 9223372036854775807::bigint + 1',
      'SELECT 32767::int2 * 2::int2',
      'SELECT 99999999999::int',
      "SELECT '99999999999'::int",
      "SELECT ' 12345678901234567890 '::bigint",
      'SELECT 99999999999.5::int',
      'SELECT nope FROM t',
      'SELECT t.nope FROM t',
      'SELECT id FROM t, s1.dup',
      'SELECT v + 1 FROM t',
    ];
    assert.deepEqual(await heapMismatches(statements), []);
  });

  test('float overflow and date/time field errors match PostgreSQL', async () => {
    const statements = [
      "SELECT '1e400'::float8",
      'SELECT 1e400::float8',
      "SELECT '-1e-400'::float8",
      "SELECT '1e39'::real",
      "SELECT '2024-13-01'::date",
      "SELECT '2024-02-30'::date",
      "SELECT 'garbage'::date",
      "SELECT '2024-01-01 25:00:00'::timestamp",
    ];
    assert.deepEqual(await heapMismatches(statements), []);
  });
});

describe('connections', () => {
  test('a wrong password is 28P01 and the server keeps serving', async () => {
    for (const password of ['wrong', 'x'.repeat(1000), "'; DROP TABLE t; --"]) {
      const error = await rawClient(daemonConfig({ password })).then(
        async (client) => {
          await client.end();
          return undefined;
        },
        (e: pg.DatabaseError) => e,
      );
      assert.equal(error?.code, '28P01', `password ${JSON.stringify(password)}: ${error?.message}`);
      await assertServes(columnar, 'after a failed login');
    }
    const unknownRole = await rawClient(daemonConfig({ user: 'nobody_here', password: 'x' })).catch(
      (e: pg.DatabaseError) => e,
    );
    assert.equal((unknownRole as pg.DatabaseError).code, '28P01');
    const cannotLogin = await rawClient(daemonConfig({ user: 'nologin', password: 'nologin-pw' })).catch(
      (e: pg.DatabaseError) => e,
    );
    assert.equal((cannotLogin as pg.DatabaseError).code, '28000');
    await assertNewConnectionServes('after failed logins');
  });

  test('an unknown database is 3D000', async () => {
    const error = await rawClient(daemonConfig({ database: 'no_such_db' })).catch((e: pg.DatabaseError) => e);
    assert.equal((error as pg.DatabaseError).code, '3D000');
    // A database PostgreSQL has but the daemon does not serve never reads the served one's tables.
    const other = await rawClient(daemonConfig({ database: 'template1' })).catch((e: pg.DatabaseError) => e);
    if (other instanceof pg.Client) {
      try {
        assert.equal((await failure(other, referenceSql)).code, '3D000');
      } finally {
        await other.end();
      }
    } else {
      assert.equal((other as pg.DatabaseError).code, '3D000');
    }
    await assertNewConnectionServes('after the unknown database');
  });
});

describe('psql', { skip: needs('psql') }, () => {
  test('psql -c SELECT works and psql -c DROP TABLE fails read-only', async () => {
    const ok = await psql('SELECT count(*) FROM t');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), '100');
    const drop = await psql('DROP TABLE t');
    assert.equal(drop.code, 1, drop.stdout);
    assert.match(drop.stderr, /ERROR: {2}cannot execute DROP TABLE in a read-only transaction/);
    const bad = await psql('SELECT count(*) FROM t', { password: 'wrong' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /password authentication failed for user "postgres"/);
    const hostile = await psql(`SELECT ${ident(hostileColumn)} FROM ${qHostile} WHERE id = 2`);
    assert.equal(hostile.code, 0, hostile.stderr);
    assert.equal(hostile.stdout.trim(), 'two; DROP TABLE t; --');
    await assertNewConnectionServes('after psql');
  });
});

describe('nothing was written', () => {
  test('the source tables are intact', async () => {
    const counts = await textRows(
      heap,
      `SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM unreg), (SELECT count(*) FROM secret),
              (SELECT count(*) FROM ${qHostile}), (SELECT count(*) FROM s1.dup), (SELECT count(*) FROM s2.dup),
              (SELECT count(*) FROM hidden.h), to_regclass('public.z') IS NULL`,
    );
    assert.deepEqual(counts, [['100', '1', '2', '3', '1', '1', '1', 't']]);
    assert.deepEqual(await textRows(heap, `SELECT has_table_privilege('alice', 'secret', 'SELECT')`), [
      ['f'],
    ]);
  });

  test('the data directory holds only .parquet files the catalog names', async () => {
    const tables = ['public.t', 'public.secret', qHostile, 's1.dup', 'hidden.h'];
    for (const table of tables) await waitForSync(table);
    const dataDir = daemon.config.dataDir;
    let last = '';
    // A copy in progress may briefly hold a file whose catalog row has not committed yet.
    await waitFor(
      async () => {
        const named = new Set(
          (await heap.query<{ path: string }>('SELECT path FROM analytica.segments')).rows.map((r) => r.path),
        );
        const files = await listFiles(dataDir);
        const strays = files.filter((f) => !f.endsWith('.parquet') || !named.has(f));
        last = `files ${JSON.stringify(files)}, strays ${JSON.stringify(strays)}`;
        return strays.length === 0 && files.length > 0 ? files : undefined;
      },
      'a data directory with only catalogued segments',
      20_000,
    ).catch((error: Error) => assert.fail(`${error.message}: ${last}`));
  });
});

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}
