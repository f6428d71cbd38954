import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { PgError } from '../src/errors.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';

before(async () => {
  await initSqlParser();
});

function one(sql: string) {
  const statements = parseStatements(sql);
  assert.equal(statements.length, 1, sql);
  const [statement] = statements;
  return { ...statement, ast: undefined };
}

function rejects(sql: string, code: string, message?: string | RegExp): PgError {
  let caught: unknown;
  try {
    parseStatements(sql);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof PgError, `${sql} should throw a PgError, got ${String(caught)}`);
  assert.equal(caught.code, code, `${sql}: ${caught.message}`);
  if (typeof message === 'string') assert.equal(caught.message, message, sql);
  else if (message !== undefined) assert.match(caught.message, message, sql);
  return caught;
}

describe('reading statements', () => {
  for (const sql of [
    'SELECT 1',
    'VALUES (1, 2), (3, 4)',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'SELECT 1 UNION ALL SELECT 2',
    'TABLE events',
    '(SELECT 1) EXCEPT (SELECT 2) ORDER BY 1',
  ]) {
    test(`${sql} is a select carrying its own text`, () => {
      assert.deepEqual(one(sql), { kind: 'select', sql, ast: undefined });
    });
  }

  test('several statements each get their own text and an AST with offsets into that text', () => {
    const statements = parseStatements("SELECT 1;  SELECT 'é' AS x ;SELECT 3");
    assert.deepEqual(
      statements.map((s) => (s.kind === 'select' ? s.sql : s.kind)),
      ['SELECT 1', "SELECT 'é' AS x", 'SELECT 3'],
    );
    const second = statements[1];
    assert.ok(second?.kind === 'select');
    assert.match(JSON.stringify(second.ast), /"location":7/);
  });

  test('empty queries', () => {
    for (const sql of ['', '   ', ';', ' ; ;', '-- only a comment', '/* c */']) {
      assert.deepEqual(parseStatements(sql), [{ kind: 'empty' }], JSON.stringify(sql));
    }
  });
});

describe('session statements', () => {
  const cases: [string, unknown][] = [
    [
      'SET search_path = pg_catalog',
      { kind: 'set', name: 'search_path', value: 'pg_catalog', isLocal: false },
    ],
    [
      'SET search_path TO public, "My Schema", Foo',
      { kind: 'set', name: 'search_path', value: 'public, "My Schema", foo', isLocal: false },
    ],
    ["SET timezone = 'GMT'", { kind: 'set', name: 'timezone', value: 'GMT', isLocal: false }],
    [
      "SET TIME ZONE 'Europe/Berlin'",
      { kind: 'set', name: 'timezone', value: 'Europe/Berlin', isLocal: false },
    ],
    ['SET datestyle = ISO', { kind: 'set', name: 'datestyle', value: 'iso', isLocal: false }],
    ["SET DateStyle TO 'ISO', 'MDY'", { kind: 'set', name: 'datestyle', value: 'ISO, MDY', isLocal: false }],
    ['SET extra_float_digits = 3', { kind: 'set', name: 'extra_float_digits', value: '3', isLocal: false }],
    [
      'SET LOCAL statement_timeout = 1.50',
      { kind: 'set', name: 'statement_timeout', value: '1.50', isLocal: true },
    ],
    [
      "SET application_name = 'PostgreSQL JDBC Driver'",
      { kind: 'set', name: 'application_name', value: 'PostgreSQL JDBC Driver', isLocal: false },
    ],
    [
      'SET enable_external_access = true',
      { kind: 'set', name: 'enable_external_access', value: 'true', isLocal: false },
    ],
    ['SET work_mem TO DEFAULT', { kind: 'set', name: 'work_mem', value: undefined, isLocal: false }],
    ['RESET TimeZone', { kind: 'set', name: 'timezone', value: undefined, isLocal: false }],
    ['RESET ALL', { kind: 'reset_all' }],
    [
      'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
      { kind: 'set', name: 'transaction_isolation', value: 'serializable', isLocal: true },
    ],
    ['SHOW TIME ZONE', { kind: 'show', name: 'timezone' }],
    ['SHOW ALL', { kind: 'show', name: 'all' }],
    ['SHOW "DateStyle"', { kind: 'show', name: 'datestyle' }],
    ['BEGIN', { kind: 'transaction', action: 'begin' }],
    ['START TRANSACTION ISOLATION LEVEL REPEATABLE READ', { kind: 'transaction', action: 'begin' }],
    ['START TRANSACTION READ WRITE', { kind: 'transaction', action: 'begin' }],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE', { kind: 'transaction', action: 'begin' }],
    ['COMMIT TRANSACTION', { kind: 'transaction', action: 'commit' }],
    ['END', { kind: 'transaction', action: 'commit' }],
    ['ABORT TRANSACTION', { kind: 'transaction', action: 'rollback' }],
    ['ROLLBACK', { kind: 'transaction', action: 'rollback' }],
    ['SAVEPOINT s2', { kind: 'transaction', action: 'savepoint', savepoint: 's2' }],
    ['RELEASE SAVEPOINT s2', { kind: 'transaction', action: 'release', savepoint: 's2' }],
    ['RELEASE s2', { kind: 'transaction', action: 'release', savepoint: 's2' }],
    ['ROLLBACK TO SAVEPOINT s2', { kind: 'transaction', action: 'rollback_to', savepoint: 's2' }],
    ['ROLLBACK TO s2', { kind: 'transaction', action: 'rollback_to', savepoint: 's2' }],
  ];
  for (const [sql, expected] of cases) {
    test(sql, () => assert.deepEqual(one(sql), { ...(expected as object), ast: undefined }));
  }

  test("postgres_fdw's subtransaction abort arrives as two statements in one query", () => {
    assert.deepEqual(parseStatements('ROLLBACK TO SAVEPOINT s2; RELEASE SAVEPOINT s2'), [
      { kind: 'transaction', action: 'rollback_to', savepoint: 's2' },
      { kind: 'transaction', action: 'release', savepoint: 's2' },
    ]);
  });

  test('identity changes and two-phase commit are refused', () => {
    rejects('SET SESSION AUTHORIZATION bob', '0A000', /SESSION AUTHORIZATION/);
    rejects('SET ROLE bob', '0A000');
    rejects("PREPARE TRANSACTION 'x'", '0A000');
    rejects("COMMIT PREPARED 'x'", '0A000');
    rejects('COMMIT AND CHAIN', '0A000');
  });
});

describe('writing statements fail as on a read-only server (25006)', () => {
  const cases: [string, string][] = [
    ['INSERT INTO t VALUES (1)', 'INSERT'],
    ['UPDATE t SET a = 1', 'UPDATE'],
    ['DELETE FROM t', 'DELETE'],
    ['MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE', 'MERGE'],
    ["COPY t TO '/tmp/x'", 'COPY'],
    ["COPY t FROM PROGRAM 'id'", 'COPY'],
    ['CREATE TABLE x (a int)', 'CREATE TABLE'],
    ['CREATE TABLE x AS SELECT 1', 'CREATE TABLE AS'],
    ['CREATE INDEX ON t (a)', 'CREATE INDEX'],
    ['CREATE VIEW v AS SELECT 1', 'CREATE VIEW'],
    ['CREATE SCHEMA s', 'CREATE SCHEMA'],
    ['CREATE EXTENSION postgres_fdw', 'CREATE EXTENSION'],
    ['CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql', 'CREATE FUNCTION'],
    ['ALTER TABLE t ADD COLUMN b int', 'ALTER TABLE'],
    ['DROP TABLE t', 'DROP TABLE'],
    ['DROP VIEW v', 'DROP VIEW'],
    ['DROP SCHEMA s CASCADE', 'DROP SCHEMA'],
    ['TRUNCATE t', 'TRUNCATE TABLE'],
    ['GRANT SELECT ON t TO bob', 'GRANT'],
    ['REVOKE SELECT ON t FROM bob', 'GRANT'],
    ['VACUUM t', 'VACUUM'],
    ['ANALYZE t', 'VACUUM'],
    ['CALL p()', 'CALL'],
    ['DO $$ BEGIN PERFORM 1; END $$', 'DO'],
    ['LOCK TABLE t', 'LOCK TABLE'],
    ['SELECT 1 INTO x', 'SELECT INTO'],
    ['SELECT * FROM t FOR UPDATE', 'SELECT FOR UPDATE'],
    ['SELECT * FROM t FOR SHARE', 'SELECT FOR SHARE'],
    ['SELECT * FROM t FOR NO KEY UPDATE', 'SELECT FOR NO KEY UPDATE'],
    ['SELECT * FROM t FOR KEY SHARE', 'SELECT FOR KEY SHARE'],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', 'DELETE'],
    ['WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1', 'INSERT'],
    ['SELECT * FROM (SELECT * FROM t FOR UPDATE) s', 'SELECT FOR UPDATE'],
    ['SELECT 1 UNION SELECT 2 FROM t FOR UPDATE', 'SELECT FOR UPDATE'],
    ['LISTEN ch', 'LISTEN'],
    ["NOTIFY ch, 'x'", 'NOTIFY'],
    ['REFRESH MATERIALIZED VIEW m', 'REFRESH MATERIALIZED VIEW'],
    ['CLUSTER t', 'CLUSTER'],
    ['REINDEX TABLE t', 'REINDEX'],
    ["COMMENT ON TABLE t IS 'x'", 'COMMENT'],
    ['ALTER SYSTEM SET work_mem = 1', 'ALTER SYSTEM'],
    ['CREATE ROLE r', 'CREATE ROLE'],
  ];
  for (const [sql, name] of cases) {
    test(sql, () => {
      rejects(sql, '25006', `cannot execute ${name} in a read-only transaction`);
    });
  }

  test('a write anywhere in a multi-statement query fails the whole query before anything runs', () => {
    rejects(
      'SELECT 1; DROP TABLE t; SELECT 2',
      '25006',
      'cannot execute DROP TABLE in a read-only transaction',
    );
  });
});

describe('cursor, EXPLAIN and housekeeping statements', () => {
  test('DECLARE keeps the query as its own SELECT, with options', () => {
    const [declare] = parseStatements('DECLARE c1 CURSOR FOR\nSELECT a FROM t WHERE b > 1');
    assert.equal(declare?.kind, 'declare');
    if (declare?.kind !== 'declare') return;
    assert.deepEqual(
      [declare.name, declare.hold, declare.select.sql],
      ['c1', false, 'SELECT a FROM t WHERE b > 1'],
    );
    const [held] = parseStatements('DECLARE "Cur for x" NO SCROLL CURSOR WITH HOLD FOR (SELECT 1)');
    assert.ok(
      held?.kind === 'declare' && held.hold && held.name === 'Cur for x' && held.select.sql === '(SELECT 1)',
    );
  });

  test('a cursor over a writing query is refused as on a read-only server', () => {
    rejects('DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE', '25006', /SELECT FOR UPDATE/);
  });

  test('FETCH and MOVE directions', () => {
    const fetch = (sql: string) => {
      const [statement] = parseStatements(sql);
      assert.equal(statement?.kind, 'fetch');
      return statement?.kind === 'fetch' ? [statement.direction, statement.count, statement.move] : [];
    };
    assert.deepEqual(fetch('FETCH 100 FROM c1'), ['forward', 100, false]);
    assert.deepEqual(fetch('FETCH FORWARD ALL FROM "sc"'), ['forward', Number.POSITIVE_INFINITY, false]);
    assert.deepEqual(fetch('FETCH c'), ['forward', 1, false]);
    assert.deepEqual(fetch('MOVE BACKWARD ALL IN c1'), ['backward', Number.POSITIVE_INFINITY, true]);
    assert.deepEqual(fetch('FETCH ABSOLUTE 3 FROM c'), ['absolute', 3, false]);
    assert.deepEqual(fetch('FETCH RELATIVE 0 FROM c'), ['relative', 0, false]);
    rejects('FETCH BACKWARD 2 FROM c', '0A000', /scan forward/);
    rejects('FETCH PRIOR FROM c', '0A000', /scan forward/);
  });

  test('EXPLAIN takes options and refuses ANALYZE', () => {
    const [explain] = parseStatements('EXPLAIN (VERBOSE, COSTS off) SELECT 1');
    assert.ok(explain?.kind === 'explain' && !explain.costs && explain.select.sql === 'SELECT 1');
    const [plain] = parseStatements('EXPLAIN SELECT x FROM t');
    assert.ok(plain?.kind === 'explain' && plain.costs && plain.select.sql === 'SELECT x FROM t');
    rejects('EXPLAIN ANALYZE SELECT 1', '0A000', /EXPLAIN ANALYZE/);
    rejects('EXPLAIN (FORMAT JSON) SELECT 1', '0A000', /FORMAT json/);
  });

  test('CLOSE, DEALLOCATE and DISCARD ALL', () => {
    assert.deepEqual(parseStatements('CLOSE c1; CLOSE ALL'), [
      { kind: 'close', name: 'c1' },
      { kind: 'close', name: undefined },
    ]);
    assert.deepEqual(parseStatements('DEALLOCATE pgsql_fdw_prep_1; DEALLOCATE ALL; DISCARD ALL'), [
      { kind: 'deallocate', name: 'pgsql_fdw_prep_1' },
      { kind: 'deallocate', name: undefined },
      { kind: 'discard_all' },
    ]);
  });
});

describe('statements not supported (0A000)', () => {
  for (const sql of ['PREPARE p AS SELECT 1', 'EXECUTE p', "LOAD 'httpfs'"]) {
    test(sql, () => {
      rejects(sql, '0A000', / is not supported by pg_analytica$/);
    });
  }
});

describe('syntax errors (42601) with PostgreSQL message and 1-based position', () => {
  const cases: [string, string, number][] = [
    ['SELEC 1', 'syntax error at or near "SELEC"', 1],
    ['SELECT 1 +', 'syntax error at end of input', 11],
    ["SELECT 'é' AS é FROM t WHERE ,", 'syntax error at or near ","', 30],
    ["ATTACH 'x' AS y", 'syntax error at or near "ATTACH"', 1],
    ['INSTALL httpfs', 'syntax error at or near "INSTALL"', 1],
    ['LOAD httpfs', 'syntax error at or near "httpfs"', 6],
    ['PRAGMA version', 'syntax error at or near "PRAGMA"', 1],
    ['FROM events SELECT 1', 'syntax error at or near "FROM"', 1],
    ['SELECT 1; SELEC 2', 'syntax error at or near "SELEC"', 11],
    ["SELECT 'unterminated", 'unterminated quoted string at or near "\'unterminated"', 8],
  ];
  for (const [sql, message, position] of cases) {
    test(sql, () => {
      const error = rejects(sql, '42601', message);
      assert.equal(error.position, position);
    });
  }
});
