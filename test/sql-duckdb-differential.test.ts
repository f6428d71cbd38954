/**
 * Rewritten SQL runs in a real DuckDB (views stand in for the columnar
 * copies) and returns what the original SQL returns in a real PostgreSQL 17.
 * Values are compared as text after a light normalization of number formats;
 * exact PostgreSQL output formatting is the type layer's job, not this one's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { PgError } from '../src/errors.js';
import { rewriteSelect, type TableReference } from '../src/query/sql/select-rewriter.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';
import { startTestCluster } from './helpers/cluster.js';

const SETUP = [
  'CREATE SCHEMA analytics',
  `CREATE TABLE analytics.events (id integer, user_id integer, country text, url text, amount integer, note text)`,
  `INSERT INTO analytics.events VALUES
     (1, 1, 'US', 'https://x/p/1', 5, 'a.b'),
     (2, 2, 'DE', 'https://x/p/2', 7, E'line1\\nline2'),
     (3, 3, 'FR', 'http://y/p/12', NULL, 'XA1'),
     (4, 1, NULL, 'https://x/q_3', 10, NULL),
     (5, 2, 'US', 'ftp://z/P/2', -7, 'a_b')`,
  `CREATE TABLE analytics.users (user_id integer, name text)`,
  `INSERT INTO analytics.users VALUES (1, 'ann'), (2, 'bob'), (3, 'O''Brien')`,
];

let cluster: LocalCluster;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

before(async () => {
  await initSqlParser();
  cluster = await startTestCluster();
  for (const sql of SETUP) await cluster.exec(sql);
  const instance = await DuckDBInstance.create(':memory:');
  duck = await instance.connect();
  // The same data in DuckDB, under internal names the resolver maps to.
  await duck.run('CREATE SCHEMA __pga');
  await duck.run(
    'CREATE TABLE __pga.events_data (id INTEGER, user_id INTEGER, country VARCHAR, url VARCHAR, amount INTEGER, note VARCHAR)',
  );
  await duck.run(`INSERT INTO __pga.events_data VALUES
     (1, 1, 'US', 'https://x/p/1', 5, 'a.b'), (2, 2, 'DE', 'https://x/p/2', 7, 'line1' || chr(10) || 'line2'),
     (3, 3, 'FR', 'http://y/p/12', NULL, 'XA1'), (4, 1, NULL, 'https://x/q_3', 10, NULL), (5, 2, 'US', 'ftp://z/P/2', -7, 'a_b')`);
  await duck.run('CREATE VIEW __pga."t_16384_v3" AS SELECT * FROM __pga.events_data');
  await duck.run(
    `CREATE VIEW __pga."t_16390_v1" AS SELECT * FROM (VALUES (1, 'ann'), (2, 'bob'), (3, 'O''Brien')) AS u(user_id, name)`,
  );
});

after(async () => {
  duck?.closeSync();
  await cluster?.close();
});

const TABLES: Readonly<Record<string, string>> = {
  'analytics.events': '"__pga"."t_16384_v3"',
  'analytics.users': '"__pga"."t_16390_v1"',
};

const resolver = {
  // The test cluster's ctype is C.
  caseFolding: 'ascii' as const,
  resolveTable(reference: TableReference): string {
    const relation = TABLES[`${reference.schema ?? 'analytics'}.${reference.name}`];
    if (relation === undefined) throw new PgError('42P01', `relation "${reference.name}" does not exist`);
    return relation;
  },
};

/** Text form of a value that reads the same from both engines ("2.0" and "2" are one number). */
function normalize(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  return /^-?\d+\.0+$/.test(text) ? text.replace(/\.0+$/, '') : text;
}

async function inPostgres(sql: string) {
  const client = new pg.Client(cluster.clientConfig());
  await client.connect();
  try {
    // Array rows: several columns may share a name such as "?column?".
    const result = await client.query({ text: sql, rowMode: 'array' });
    return {
      columns: result.fields.map((f) => f.name),
      rows: result.rows.map((row: unknown[]) => row.map(normalize)),
    };
  } finally {
    await client.end();
  }
}

async function inDuckDb(sql: string) {
  const [statement] = parseStatements(sql);
  assert.ok(statement?.kind === 'select');
  const rewritten = rewriteSelect(statement, resolver);
  const reader = await duck.runAndReadAll(rewritten);
  return {
    columns: reader.columnNames(),
    rows: reader.getRows().map((row) => row.map(normalize)),
    rewritten,
  };
}

const QUERIES = [
  // postgres_fdw's IN lists and pushed-down filters
  "SELECT id FROM analytics.events WHERE ((country = ANY ('{US,DE}'::text[]))) ORDER BY id",
  "SELECT id FROM analytics.events WHERE ((user_id <> ALL ('{1,2}'::integer[]))) ORDER BY id",
  "SELECT id FROM analytics.events WHERE country = ANY ('{US,NULL}'::text[]) ORDER BY id",
  "SELECT id FROM analytics.events WHERE country <> ALL ('{}'::text[]) ORDER BY id",
  // regular expressions: partial match, case-insensitive, negated, newline
  "SELECT id, url ~ 'p/1', url ~* 'P/2', url !~ '^https', note ~ 'line1.line2', note !~* 'xa' FROM analytics.events ORDER BY id",
  "SELECT count(*) FROM analytics.events WHERE url OPERATOR(pg_catalog.~) '^(https)' COLLATE pg_catalog.default",
  // LIKE with PostgreSQL's default escape
  "SELECT id FROM analytics.events WHERE note LIKE 'a\\_b' ORDER BY id",
  "SELECT id FROM analytics.events WHERE url LIKE '%q\\_%' OR note ILIKE 'x%' ORDER BY id",
  // integer division
  'SELECT 5 / 2 AS a, -7 / 2 AS b, 7 % -2 AS c, 5::bigint / 2 AS d',
  'SELECT id, count(*) / 2 AS half FROM analytics.events GROUP BY id ORDER BY id',
  // NULL ordering, column naming, aggregates, joins, CTEs, set operations
  'SELECT id, amount FROM analytics.events ORDER BY amount DESC, id',
  'SELECT id, amount FROM analytics.events ORDER BY amount, id',
  'SELECT country, count(*), sum(amount), min(url), max(id) FROM analytics.events GROUP BY country ORDER BY country NULLS FIRST',
  `SELECT u.name, count(e.id) FROM analytics.users u LEFT JOIN analytics.events e ON e.user_id = u.user_id GROUP BY u.name ORDER BY 1`,
  `WITH big AS (SELECT * FROM analytics.events WHERE amount > 0) SELECT analytics.big_not_here FROM big WHERE false
     UNION ALL SELECT 1 WHERE false`,
  `WITH big AS (SELECT * FROM analytics.events WHERE amount > 0) SELECT count(*) FROM big`,
  'SELECT user_id FROM analytics.events INTERSECT SELECT user_id FROM analytics.users ORDER BY 1',
  "VALUES (1, 'a'), (2, NULL) ORDER BY 1 DESC",
  "SELECT string_agg(name, ',' ORDER BY name DESC) FROM analytics.users",
  'SELECT name FROM analytics.users WHERE user_id IN (SELECT user_id FROM analytics.events WHERE amount < 0)',
  'SELECT analytics.events.id, events.country FROM analytics.events WHERE id < 3 ORDER BY 1',
  'SELECT * FROM generate_series(1, 3) g',
  "SELECT 100::numeric AS n, '1.50'::numeric AS m, 2.5::numeric(4,2) AS k",
  'SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id DESC) FROM analytics.events ORDER BY id',
  "SELECT coalesce(amount, 0) + 1, nullif(country, 'US'), greatest(id, amount), (amount IS NULL) IS TRUE FROM analytics.events ORDER BY id",
  "SELECT position('p' in url), substring(url from 1 for 5), lower(upper(country)), length(note) FROM analytics.events ORDER BY id",
];

for (const sql of QUERIES) {
  test(`same result in DuckDB as in PostgreSQL: ${sql}`, async (t) => {
    let pg: Awaited<ReturnType<typeof inPostgres>>;
    try {
      pg = await inPostgres(sql);
    } catch (error) {
      // A query PostgreSQL itself rejects must be rejected on our side too.
      await assert.rejects(inDuckDb(sql));
      t.diagnostic(`PostgreSQL rejected it too: ${String(error)}`);
      return;
    }
    const duckResult = await inDuckDb(sql);
    t.diagnostic(duckResult.rewritten);
    assert.deepEqual(duckResult.columns, pg.columns);
    assert.deepEqual(duckResult.rows, pg.rows);
  });
}

test('division by zero fails in DuckDB as in PostgreSQL, where PostgreSQL says 22012', async () => {
  await assert.rejects(
    cluster.exec('SELECT id / (amount - amount) FROM analytics.events'),
    /division by zero/,
  );
  await assert.rejects(inDuckDb('SELECT id / (amount - amount) FROM analytics.events'), /division by zero/);
  await assert.rejects(inDuckDb('SELECT id % 0 FROM analytics.events'), /division by zero/);
});
