import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { PgError } from '../src/errors.js';
import { listTableReferences, rewriteSelect, type TableReference } from '../src/query/sql/select-rewriter.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';

before(async () => {
  await initSqlParser();
});

/** A resolver standing in for the catalog one: public.events and public.users exist, nothing else. */
function resolver(seen: TableReference[] = []) {
  return {
    caseFolding: 'ascii' as const,
    resolveTable(reference: TableReference): string {
      seen.push(reference);
      const schema = reference.schema ?? 'public';
      if (schema === 'public' && (reference.name === 'events' || reference.name === 'users')) {
        return `"__pga"."t_${reference.name}_v3"`;
      }
      throw new PgError('42P01', `relation "${reference.name}" does not exist`, {
        position: reference.location,
      });
    },
  };
}

function rewrite(sql: string, seen: TableReference[] = []): string {
  const [statement] = parseStatements(sql);
  assert.ok(statement?.kind === 'select', sql);
  return rewriteSelect(statement, resolver(seen));
}

function rejects(sql: string, code: string, message?: RegExp): PgError {
  let caught: unknown;
  try {
    rewrite(sql);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PgError, `${sql} should throw a PgError, got ${String(caught)}`);
  assert.equal(caught.code, code, `${sql}: ${caught.message}`);
  if (message !== undefined) assert.match(caught.message, message, sql);
  return caught;
}

describe('table references', () => {
  test('a schema-qualified table keeps its name as alias; 3-part column references lose the schema', () => {
    const seen: TableReference[] = [];
    const sql = rewrite('SELECT public.events.id, events.kind FROM public.events WHERE id > 1', seen);
    assert.equal(
      sql,
      'SELECT "events"."id" AS "id", "events"."kind" AS "kind" FROM "__pga"."t_events_v3" AS "events" WHERE ("id" > 1)',
    );
    assert.deepEqual(seen, [{ schema: 'public', name: 'events', location: 43 }]);
  });

  test('an explicit alias wins, with column aliases', () => {
    assert.equal(
      rewrite('SELECT e.a FROM events AS e(a, b)'),
      'SELECT "e"."a" AS "a" FROM "__pga"."t_events_v3" AS "e"("a", "b")',
    );
  });

  test('unqualified names reach the resolver without a schema (search_path is its business)', () => {
    const seen: TableReference[] = [];
    rewrite('SELECT 1 FROM users', seen);
    assert.deepEqual(seen, [{ name: 'users', location: 15 }]);
  });

  test('the resolver decides about missing tables and pg_catalog', () => {
    const error = rejects('SELECT * FROM nope', '42P01', /relation "nope" does not exist/);
    assert.equal(error.position, 15);
    const seen: TableReference[] = [];
    assert.throws(() => rewrite('SELECT relname FROM pg_catalog.pg_class', seen));
    assert.deepEqual(seen, [{ schema: 'pg_catalog', name: 'pg_class', location: 21 }]);
  });

  test('hostile identifiers reach the resolver verbatim and DuckDB only as quoted identifiers', () => {
    const seen: TableReference[] = [];
    const names = ['"; DROP TABLE x; --', 'we"ird', 'Ünïcødé 表', "it's"];
    for (const name of names) {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      const sql = rewrite(
        `WITH ${quoted} AS (SELECT 1 AS ${quoted}) SELECT ${quoted}.${quoted} FROM ${quoted}`,
      );
      assert.equal(
        sql,
        `WITH ${quoted} AS (SELECT 1 AS ${quoted}) SELECT ${quoted}.${quoted} AS ${quoted} FROM ${quoted} AS ${quoted}`,
      );
      rejects(`SELECT 1 FROM public.${quoted}`, '42P01');
    }
    const listed = parseStatements('SELECT * FROM "a""b"."; DROP TABLE x; --"');
    assert.ok(listed[0]?.kind === 'select');
    assert.deepEqual(listTableReferences(listed[0]), [
      { schema: 'a"b', name: '; DROP TABLE x; --', location: 15 },
    ]);
    assert.equal(seen.length, 0);
  });

  test('CTE names shadow tables, only where they are in scope', () => {
    const seen: TableReference[] = [];
    const sql = rewrite(
      'WITH events AS (SELECT 1 AS id) SELECT * FROM events, (SELECT * FROM public.events) p, (WITH u AS (SELECT 2) SELECT * FROM u) q, users',
      seen,
    );
    assert.match(
      sql,
      /FROM "events" AS "events", \(SELECT \* FROM "__pga"\."t_events_v3" AS "events"\) AS "p"/,
    );
    assert.deepEqual(
      seen.map((s) => s.name),
      ['events', 'users'],
    );
    // A CTE is not visible outside the subquery that defines it.
    rejects('SELECT * FROM (WITH u AS (SELECT 1) SELECT * FROM u) q, u', '42P01');
  });

  test('recursive CTEs see themselves', () => {
    const sql = rewrite(
      'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT i FROM n',
    );
    assert.match(
      sql,
      /^WITH RECURSIVE "n"\("i"\) AS \(\(SELECT 1 AS "\?column\?"\) UNION ALL \(SELECT \("i" \+ CAST\(1 AS INTEGER\)\) AS "\?column\?" FROM "n" AS "n"/,
    );
  });

  test('joins, subqueries, set operations and VALUES', () => {
    assert.equal(
      rewrite(
        'SELECT u.name, count(*) FROM events e LEFT JOIN users u ON u.id = e.user_id GROUP BY 1 ORDER BY 2 DESC LIMIT 5',
      ),
      'SELECT "u"."name" AS "name", count(*) AS "count" FROM ("__pga"."t_events_v3" AS "e" LEFT JOIN "__pga"."t_users_v3" AS "u" ON ("u"."id" = "e"."user_id")) GROUP BY 1 ORDER BY 2 DESC NULLS FIRST LIMIT 5',
    );
    assert.equal(
      rewrite('SELECT 1 UNION SELECT 2 ORDER BY 1'),
      '(SELECT 1 AS "?column?") UNION (SELECT 2 AS "?column?") ORDER BY 1 ASC NULLS LAST',
    );
    assert.equal(
      rewrite("VALUES (1, 'a'), (2, NULL)"),
      `SELECT * FROM (VALUES (1, 'a'), (2, NULL)) AS "*VALUES*"("column1", "column2")`,
    );
    assert.equal(rewrite('TABLE users'), 'SELECT * FROM "__pga"."t_users_v3" AS "users"');
    assert.match(
      rewrite('SELECT * FROM users WHERE id IN (SELECT user_id FROM events) AND EXISTS (SELECT 1)'),
      /IN \(SELECT "user_id"/,
    );
    assert.match(
      rewrite('SELECT * FROM users u, LATERAL (SELECT * FROM events e WHERE e.user_id = u.id) x'),
      /, LATERAL \(SELECT/,
    );
  });

  test('TABLESAMPLE takes a percentage, as postgres_fdw’s ANALYZE sends it', () => {
    assert.equal(
      rewrite('SELECT id FROM events TABLESAMPLE BERNOULLI(3.000000)'),
      'SELECT "id" AS "id" FROM "__pga"."t_events_v3" AS "events" TABLESAMPLE bernoulli(3%)',
    );
    assert.match(
      rewrite('SELECT id FROM events e TABLESAMPLE SYSTEM (10) REPEATABLE (7)'),
      /AS "e" TABLESAMPLE system\(10%\) REPEATABLE \(7\)$/,
    );
  });

  test('unsupported FROM forms', () => {
    rejects('SELECT * FROM ONLY events', '0A000');
    rejects('SELECT * FROM events TABLESAMPLE SYSTEM_ROWS (3)', '0A000', /tablesample method system_rows/);
    rejects('SELECT * FROM events TABLESAMPLE BERNOULLI (x)', '0A000', /constant percentage/);
    rejects('SELECT * FROM events TABLESAMPLE BERNOULLI (101)', '2202H', /between 0 and 100/);
    rejects('SELECT * FROM otherdb.public.events', '0A000', /cross-database/);
    rejects('SELECT * FROM generate_series(1, 3) WITH ORDINALITY', '0A000');
  });
});

describe('confinement: nothing outside registered tables', () => {
  const cases: [string, string][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", '42883'],
    ["SELECT * FROM read_csv_auto('/etc/passwd')", '42883'],
    ["SELECT * FROM read_parquet('x')", '42883'],
    ["SELECT * FROM read_json('x')", '42883'],
    ["SELECT read_text('/etc/passwd')", '42883'],
    ["SELECT content FROM read_blob('/etc/shadow')", '42883'],
    ['SELECT * FROM duckdb_settings()', '42883'],
    ['SELECT * FROM duckdb_extensions()', '42883'],
    ["SELECT * FROM glob('/*')", '42883'],
    ["SELECT * FROM parquet_metadata('x')", '42883'],
    ["SELECT * FROM sniff_csv('x')", '42883'],
    ["SELECT getenv('HOME')", '42883'],
    ["SELECT current_setting('home_directory')", '42883'],
    ["SELECT * FROM query('SELECT 1')", '42883'],
    ["SELECT * FROM query_table('t')", '42883'],
    ['SELECT * FROM pragma_version()', '42883'],
    ['SELECT main.lower(name) FROM users', '42883'],
    ["SELECT system.main.read_text('x')", '42883'],
    ["SELECT x FROM users WHERE name = (SELECT read_text('/etc/passwd'))", '42883'],
    ["SELECT * FROM users WHERE id IN (SELECT 1 FROM read_csv('/x'))", '42883'],
    [
      "SELECT * FROM users WHERE EXISTS (WITH q AS (SELECT * FROM read_parquet('x')) SELECT 1 FROM q)",
      '42883',
    ],
    ['SELECT * FROM "/etc/passwd"', '42P01'],
    ["SELECT * FROM 'x.csv'", '42601'],
    ['SELECT current_user', '0A000'],
    ['SELECT version()', '42883'],
    ['SELECT generate_series(1, 3)', '42883'],
  ];
  for (const [sql, code] of cases) {
    test(sql, () => {
      let caught: unknown;
      try {
        const [statement] = parseStatements(sql);
        assert.ok(statement?.kind === 'select');
        rewriteSelect(statement, resolver());
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof PgError, `${sql} must be refused`);
      assert.equal(caught.code, code, caught.message);
    });
  }

  test('42883 reads like PostgreSQL, with the position of the call', () => {
    const error = rejects(
      "SELECT read_text('/etc/passwd')",
      '42883',
      /^function read_text\(unknown\) does not exist$/,
    );
    assert.equal(error.position, 8);
  });

  test('expression types the rewriter does not know are refused, never passed through', () => {
    rejects('SELECT ROW(1, 2)', '0A000');
    rejects('SELECT (ARRAY[1,2])[1]', '0A000');
    rejects("SELECT ('{\"a\":1}'::jsonb)['a']", '0A000');
    rejects("SELECT x'1F'", '0A000');
    rejects('SELECT xmlelement(name a)', '0A000');
  });
});

describe('PostgreSQL → DuckDB semantic fixes', () => {
  test('array literals in = ANY / <> ALL become IN lists', () => {
    assert.equal(
      rewrite(
        "SELECT 1 FROM events WHERE ((country = ANY ('{US,DE}'::text[]))) AND ((user_id <> ALL ('{1,2,3}'::integer[])))",
      ),
      'SELECT 1 AS "?column?" FROM "__pga"."t_events_v3" AS "events" WHERE (("country" IN (CAST(\'US\' AS VARCHAR), CAST(\'DE\' AS VARCHAR))) AND ("user_id" NOT IN (CAST(\'1\' AS INTEGER), CAST(\'2\' AS INTEGER), CAST(\'3\' AS INTEGER))))',
    );
    assert.match(
      rewrite(`SELECT 1 FROM events WHERE k = ANY('{"a b","c\\"d",NULL}'::text[])`),
      /IN \(CAST\('a b' AS VARCHAR\), CAST\('c"d' AS VARCHAR\), NULL\)/,
    );
    assert.match(rewrite("SELECT 1 FROM events WHERE k = ANY('{}'::text[])"), /WHERE false$/);
    assert.match(rewrite('SELECT 1 FROM events WHERE k = ANY(ARRAY[1, 2])'), /WHERE \("k" IN \(1, 2\)\)$/);
    rejects("SELECT 1 FROM events WHERE k < ANY('{1}'::int[])", '0A000');
    rejects('SELECT 1 FROM events WHERE k = ANY($1::int[])', '0A000');
  });

  test('regular expression operators become regexp_matches (partial match, dot matches newline)', () => {
    assert.equal(
      rewrite(
        "SELECT a ~ 'x', a ~* 'x', a !~ 'x', a !~* 'x', a OPERATOR(pg_catalog.~) '^(e)$' COLLATE pg_catalog.default FROM events",
      ),
      `SELECT regexp_matches("a", 'x', 's') AS "?column?", regexp_matches((CASE WHEN regexp_matches("a", '[ſK]') THEN error('pg_analytica does not support case-insensitive regular expression matching of a value holding U+017F or U+212A') ELSE "a" END), 'x', 'is') AS "?column?", (NOT regexp_matches("a", 'x', 's')) AS "?column?", (NOT regexp_matches((CASE WHEN regexp_matches("a", '[ſK]') THEN error('pg_analytica does not support case-insensitive regular expression matching of a value holding U+017F or U+212A') ELSE "a" END), 'x', 'is')) AS "?column?", regexp_matches("a", '^(e)$', 's') AS "?column?" FROM "__pga"."t_events_v3" AS "events"`,
    );
  });

  test("LIKE gets PostgreSQL's default backslash escape", () => {
    assert.match(
      rewrite("SELECT 1 FROM users WHERE name LIKE E'a\\\\_%' AND name NOT ILIKE 'b!%' ESCAPE '!'"),
      /\("name" LIKE 'a\\_%' ESCAPE '\\'\) AND \(translate\("name", 'A\w+', 'a\w+'\) NOT LIKE translate\('b!%', 'A\w+', 'a\w+'\) ESCAPE '!'\)/,
    );
  });

  test('integer division and division by zero', () => {
    assert.equal(rewrite('SELECT 5 / 2'), 'SELECT (5 // 2) AS "?column?"');
    assert.equal(
      rewrite('SELECT 5::bigint / 2, count(*) / 2 FROM events'),
      'SELECT (CAST(5 AS BIGINT) // CAST(2 AS INTEGER)) AS "?column?", (count(*) // CAST(2 AS INTEGER)) AS "?column?" FROM "__pga"."t_events_v3" AS "events"',
    );
    assert.equal(rewrite('SELECT 5.0 / 2'), 'SELECT (5.0 / 2) AS "?column?"');
    assert.equal(
      rewrite('SELECT a / b FROM events'),
      `SELECT ("a" / (CASE WHEN "b" = 0 THEN error('division by zero') ELSE "b" END)) AS "?column?" FROM "__pga"."t_events_v3" AS "events"`,
    );
  });

  test('unconstrained numeric: exact for literals, refused otherwise', () => {
    assert.equal(
      rewrite("SELECT 100::numeric, '1.50'::numeric, -2.5::numeric(4,1)"),
      `SELECT CAST('100' AS DECIMAL(3,0)) AS "numeric", CAST('1.50' AS DECIMAL(3,2)) AS "numeric", (-CAST(2.5 AS DECIMAL(4,1))) AS "?column?"`,
    );
    rejects('SELECT amount::numeric FROM events', '0A000', /numeric without precision/);
    // An explicit cast to varchar(n) cuts the text, as PostgreSQL's does.
    assert.equal(rewrite("SELECT 'abc'::varchar(2)"), `SELECT 'ab' AS "varchar"`);
    rejects('SELECT now()::timestamp(0)', '0A000');
  });

  test('PostgreSQL column names and NULL ordering are spelled out', () => {
    assert.equal(
      rewrite(
        "SELECT count(*), sum(x) AS total, x::int, 'a'::text, CASE WHEN true THEN 1 END, coalesce(a, b), (SELECT max(x) FROM events) FROM events ORDER BY x DESC, y NULLS FIRST",
      ),
      `SELECT count(*) AS "count", sum("x") AS "total", CAST("x" AS INTEGER) AS "x", CAST('a' AS VARCHAR) AS "text", (CASE WHEN true THEN 1 END) AS "case", COALESCE("a", "b") AS "coalesce", (SELECT max("x") AS "max" FROM "__pga"."t_events_v3" AS "events") AS "max" FROM "__pga"."t_events_v3" AS "events" ORDER BY "x" DESC NULLS FIRST, "y" ASC NULLS FIRST`,
    );
  });

  test('pg_catalog. prefixes are stripped from allowed functions; aggregates keep their clauses', () => {
    assert.equal(
      rewrite(
        "SELECT pg_catalog.lower(name), string_agg(name, ',' ORDER BY name), percentile_cont(0.5::double precision) WITHIN GROUP (ORDER BY (x) ASC NULLS LAST), count(DISTINCT x) FILTER (WHERE x > 0) FROM users",
      ),
      `SELECT translate("name", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AS "lower", string_agg("name", ',' ORDER BY "name" ASC NULLS LAST) AS "string_agg", percentile_cont(CAST(0.5 AS DOUBLE)) WITHIN GROUP (ORDER BY CAST("x" AS DOUBLE) ASC NULLS LAST) AS "percentile_cont", count(DISTINCT "x") FILTER (WHERE ("x" > 0)) AS "count" FROM "__pga"."t_users_v3" AS "users"`,
    );
  });

  test('window functions', () => {
    assert.match(
      rewrite(
        'SELECT rank() OVER w, sum(x) OVER (PARTITION BY k ORDER BY t ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM events WINDOW w AS (ORDER BY x)',
      ),
      /rank\(\) OVER "w" AS "rank", sum\("x"\) OVER \(PARTITION BY "k" ORDER BY "t" ASC NULLS LAST ROWS BETWEEN 1 PRECEDING AND CURRENT ROW\) AS "sum" FROM .* WINDOW "w" AS \(ORDER BY "x" ASC NULLS LAST\)$/,
    );
  });

  // EXTRACT depends on its source's type (datetime-functions.test.ts covers every unit, typed).
  test('EXTRACT and date_part without argument types are refused', () => {
    rejects('SELECT extract(year FROM now())', '0A000');
    rejects(`SELECT date_part('epoch', now())`, '0A000');
  });
});
