/**
 * What clients see: the daemon's ParameterDescription and RowDescription equal
 * PostgreSQL's own Describe of the same statement, field for field (name, table
 * OID, column number, type OID, type size, typmod). The daemon asks the source to
 * describe the statement (src/query/source-describe.ts) and checks that DuckDB's
 * result prints as the described type (src/query/described-columns.ts).
 *
 * The corpus: the TPC-H queries, the postgres_fdw corpus, the typed-semantics
 * statements and the real-client statements, each described (Parse/Describe) and
 * run (simple Query) on the heap and on the daemon.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { DECIMAL, DOUBLE, HUGEINT, INTEGER } from '@duckdb/node-api';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { PgError } from '../src/errors.js';
import type { Daemon } from '../src/main.js';
import { describedOutput } from '../src/query/described-columns.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';
import { type Description, describeStatement, executedFields } from './helpers/describe-wire.js';
import { fdwQueries, fdwTablesSql } from './helpers/fdw-corpus.js';
import { mixTableSql, sharedSql } from './helpers/real-clients.js';
import { tpchSql, tpchTables } from './helpers/tpch-corpus.js';
import { tpchQueries } from './helpers/tpch-queries.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

/** The typed-semantics test's setup and statements, read from its source so the corpus follows it. */
async function typedSemanticsCorpus(): Promise<{ setup: string; queries: string[] }> {
  const source = await readFile(new URL('../../test/sql-typed-semantics.test.ts', import.meta.url), 'utf8');
  const setup = /const setup = `([\s\S]*?)`;/.exec(source)?.[1];
  assert.ok(setup, 'the typed-semantics test has a setup block');
  const queries: string[] = [];
  for (const block of source.matchAll(/const queries = \[([\s\S]*?)\n {2}\];/g))
    for (const literal of block[1]!.matchAll(/`([^`]*)`/g)) queries.push(literal[1]!);
  return { setup, queries };
}

let typedQueries: string[] = [];
const registered = [...tpchTables, 'mix', 'events', 'users', 'typed.orders', 'evolve'];

before(async () => {
  cluster = await startTestCluster();
  const typed = await typedSemanticsCorpus();
  typedQueries = typed.queries;
  await cluster.exec(tpchSql());
  await cluster.exec(mixTableSql);
  await cluster.exec(fdwTablesSql);
  await cluster.exec(`CREATE SCHEMA typed; SET search_path = typed; ${typed.setup}; RESET search_path;`);
  await cluster.exec('CREATE TABLE evolve (id int PRIMARY KEY, v int); INSERT INTO evolve VALUES (1, 10)');
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  for (const table of registered) await heap.query(`SELECT analytica.register_table('${table}')`);
  for (const table of registered) await heap.query(`SELECT analytica.wait_for_sync('${table}')`);
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

async function bothDescribed(sql: string, types: number[] = []): Promise<[Description, Description]> {
  return [await describeStatement(heap, sql, types), await describeStatement(columnar, sql, types)];
}

async function sameDescription(sql: string, types: number[] = []): Promise<Description> {
  const [expected, actual] = await bothDescribed(sql, types);
  assert.ok(!('error' in expected), `${sql}: PostgreSQL fails: ${JSON.stringify(expected)}`);
  assert.deepEqual(actual, expected, sql);
  return expected;
}

describe('Describe of a prepared statement answers as PostgreSQL', () => {
  test('parameters Parse leaves unspecified get the type PostgreSQL infers', async () => {
    const d = await sameDescription('SELECT id FROM mix WHERE id = $1');
    assert.deepEqual('parameterTypes' in d && d.parameterTypes, [23]);
    const more = await sameDescription(
      'SELECT t, n FROM mix WHERE t = $1 AND n > $2 AND d < $3 AND jb = $4 AND a_i4 = $5 LIMIT $6',
    );
    assert.deepEqual('parameterTypes' in more && more.parameterTypes, [25, 1700, 1082, 3802, 1007, 20]);
  });

  test('a bound value of an unspecified parameter has the type PostgreSQL infers (jb = $1 is jsonb)', async () => {
    const sql = 'SELECT id, $2 AS label FROM mix WHERE jb = $1 OR i4 = $3 ORDER BY id';
    const values = ['[ ]', 'x', '999']; // '[ ]' equals the stored '[]' as jsonb, not as text
    const [expected, actual] = await Promise.all(
      [heap, columnar].map(async (c) => (await c.query({ text: sql, values, rowMode: 'array' })).rows),
    );
    assert.ok(expected!.length > 0);
    assert.deepEqual(actual, expected);
  });

  test('an unspecified numeric parameter is compared exactly, not rounded to the column scale', async () => {
    // PostgreSQL infers numeric (no typmod) for $1: -387.655 is not the stored -387.66.
    const sql = 'SELECT count(*) FROM mix WHERE n = $1';
    for (const [value, count] of [
      ['-387.655', '0'],
      ['-387.66', '1'],
    ] as const) {
      const heapRows = (await heap.query({ text: sql, values: [value], rowMode: 'array' })).rows;
      assert.deepEqual(heapRows, [[count]]);
      assert.deepEqual(
        (await columnar.query({ text: sql, values: [value], rowMode: 'array' })).rows,
        heapRows,
      );
    }
  });

  test('parameter types Parse gives are kept, and a parameter in the select list is text', async () => {
    await sameDescription('SELECT id, $2 AS p FROM mix WHERE id = $1', [20, 0]);
  });

  test('plain columns carry their table OID and column number, also through aliases, subqueries and CTEs', async () => {
    const d = await sameDescription('SELECT id, t, jb, id + 1 AS computed FROM mix');
    assert.ok('columns' in d && d.columns?.[0]?.[1] !== 0 && d.columns?.[0]?.[2] === 1);
    await sameDescription('SELECT m.vc AS name, q.n FROM mix m JOIN (SELECT id, n FROM mix) q USING (id)');
    await sameDescription('WITH w AS (SELECT a_t, tstz FROM mix) SELECT * FROM w');
    await sameDescription('SELECT * FROM typed.orders');
  });

  test('computed numerics carry typmod -1, sum(int4) is bigint, count(*) bigint', async () => {
    await sameDescription('SELECT n * 2, n + n, n * n, -n, abs(n) FROM mix');
    await sameDescription('SELECT sum(n) * 2, sum(n), sum(i4), sum(i2), sum(i8), count(*), max(n) FROM mix');
  });

  test('running a statement sends the same RowDescription as PostgreSQL', async () => {
    const sql = 'SELECT id, n * 2 AS n2, sum(i4) OVER () AS s, vc FROM mix WHERE id < 5 ORDER BY id';
    assert.deepEqual(await executedFields(columnar, sql), await executedFields(heap, sql));
  });
});

describe('a result DuckDB cannot print as the described type is refused', () => {
  const options = { timeZone: 'UTC' };
  const noneCarried = { carried: () => undefined };
  const column = (typeOid: number, typeModifier = -1) => ({
    name: 'c',
    tableOid: 0,
    columnNumber: 0,
    typeOid,
    typeSize: -1,
    typeModifier,
  });

  test('numeric computed as DOUBLE fails with 0A000 naming the column; its NULLs pass', () => {
    const { formatters } = describedOutput([column(1700)], [DOUBLE], options, noneCarried);
    assert.equal(formatters[0]!(null), null);
    assert.throws(
      () => formatters[0]!(1.5),
      (e: unknown) => e instanceof PgError && e.code === '0A000' && e.message.includes('"c"'),
    );
  });

  test('numeric(p,s) from a DECIMAL of another scale is refused; of the same scale printed', () => {
    const typmod = ((12 << 16) | 2) + 4;
    const ok = describedOutput([column(1700, typmod)], [DECIMAL(18, 2)], options, noneCarried);
    assert.equal(typeof ok.formatters[0], 'function');
    const bad = describedOutput([column(1700, typmod)], [DECIMAL(18, 3)], options, noneCarried);
    assert.throws(() => bad.formatters[0]!(1500n), /numeric in PostgreSQL/);
  });

  test('an integer wider in DuckDB than PostgreSQL describes fails at a value out of range (22003)', () => {
    const { formatters } = describedOutput([column(23)], [HUGEINT], options, noneCarried);
    assert.equal(formatters[0]!(2147483647n), '2147483647');
    assert.throws(
      () => formatters[0]!(2147483648n),
      (e: unknown) => e instanceof PgError && e.code === '22003' && e.message === 'integer out of range',
    );
    const int8 = describedOutput([column(20)], [INTEGER], options, noneCarried);
    assert.equal(int8.formatters[0]!(7), '7');
  });

  test('through the daemon: each column either prints as PostgreSQL does or fails with 0A000 naming it', async () => {
    const sql = 'SELECT avg(n) * 2 AS doubled FROM mix';
    const expected = (await heap.query({ text: sql, rowMode: 'array' })).rows;
    try {
      assert.deepEqual((await columnar.query({ text: sql, rowMode: 'array' })).rows, expected);
    } catch (error) {
      const e = error as pg.DatabaseError;
      assert.equal(e.code, '0A000', e.message);
      assert.match(e.message, /"doubled"/);
    }
  });
});

describe('descriptions are cached by text, role, search_path and table versions', () => {
  test('a repeated statement is described on the source once', async () => {
    const engine = daemon.queryEngine;
    const sql = 'SELECT id, vc FROM mix WHERE id = 3';
    await columnar.query(sql);
    const before = engine.sourceDescribes;
    for (let i = 0; i < 5; i++) await columnar.query(sql);
    assert.equal(engine.sourceDescribes, before);
    await columnar.query('SELECT id, vc FROM mix WHERE id = 4');
    assert.equal(engine.sourceDescribes, before + 1);
  });

  test('a column whose type changes is described anew', async () => {
    await sameDescription('SELECT v FROM evolve');
    await heap.query('ALTER TABLE evolve ALTER COLUMN v TYPE bigint; INSERT INTO evolve VALUES (2, 20)');
    await waitFor(async () => {
      const [expected, actual] = await bothDescribed('SELECT v FROM evolve');
      return JSON.stringify(expected) === JSON.stringify(actual);
    }, 'the daemon to describe v as bigint');
    await sameDescription('SELECT v FROM evolve');
  });
});

/** Statements whose description still differs, and why (each must differ: a fix removes its entry). */
const knownWrong: Readonly<Record<string, string>> = {};

describe('the corpus is described as PostgreSQL describes it', () => {
  const corpus = (): { name: string; sql: string; searchPath?: string }[] => [
    ...Object.entries(tpchQueries).map(([name, sql]) => ({ name: `tpch ${name}`, sql })),
    ...fdwQueries.map((q, i) => ({
      name: `fdw ${i + 1}`,
      sql: q.replaceAll('{e}', 'events').replaceAll('{u}', 'users'),
    })),
    ...typedQueries.map((sql, i) => ({ name: `typed ${i + 1}`, sql, searchPath: 'typed, public' })),
    ...Object.entries(sharedSql)
      .filter(([name]) => name !== 'slow' && name !== 'allColumns')
      .map(([name, sql]) => ({ name: `clients ${name}`, sql })),
    { name: 'clients all columns', sql: `SELECT ${sharedSql.allColumns} FROM mix ORDER BY id` },
  ];

  test('Parse/Describe and the RowDescription of running each statement equal PostgreSQL’s', async (t) => {
    let described = 0;
    let refused = 0;
    const mismatches: string[] = [];
    const stillWrong = new Set<string>();
    for (const { name, sql, searchPath } of corpus()) {
      for (const client of [heap, columnar])
        await client.query(`SET search_path = ${searchPath ?? 'public'}`);
      const [expected, actual] = await bothDescribed(sql);
      const ran = [await executedFields(heap, sql), await executedFields(columnar, sql)] as const;
      assert.ok(!('error' in expected) && !('error' in ran[0]), `${name} fails on PostgreSQL: ${sql}`);
      const refusedHere = 'error' in ran[1] && ran[1].error === '0A000';
      if (refusedHere) refused++;
      else described++;
      const same =
        JSON.stringify(actual) === JSON.stringify(expected) &&
        (refusedHere || JSON.stringify(ran[1]) === JSON.stringify(ran[0]));
      if (name in knownWrong) {
        if (!same) stillWrong.add(name);
        continue;
      }
      if (!same)
        mismatches.push(
          `${name}: ${sql}\n  PostgreSQL: ${JSON.stringify([expected, ran[0]])}\n  daemon:     ${JSON.stringify([actual, ran[1]])}`,
        );
    }
    for (const client of [heap, columnar]) await client.query('SET search_path = public');
    t.diagnostic(`${described} statements described and run alike, ${refused} refused with 0A000`);
    assert.deepEqual(mismatches, []);
    assert.deepEqual(
      [...stillWrong].sort(),
      Object.keys(knownWrong).sort(),
      'knownWrong entries that now agree',
    );
    assert.ok(described > 100, `only ${described} statements compared`);
  });
});
