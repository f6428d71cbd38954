import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { rewriteSelect } from '../src/query/sql/select-rewriter.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';

before(async () => {
  await initSqlParser();
});

function rewrite(sql: string): string {
  const statement = parseStatements(sql)[0];
  assert.equal(statement?.kind, 'select');
  return rewriteSelect(statement as Extract<typeof statement, { kind: 'select' }>, {
    resolveTable: (reference) => `"__pga"."resolved_${reference.name.replaceAll('"', '""')}"`,
  });
}

test('a recursive WITH query cannot name a later one: DuckDB would read the name as a file', () => {
  assert.throws(
    () =>
      rewrite(
        `WITH RECURSIVE x AS (SELECT * FROM "/data/db/16384/1.parquet"), "/data/db/16384/1.parquet" AS (SELECT 1) SELECT * FROM x`,
      ),
    { code: '0A000', message: /defined after it/ },
  );
});

test('recursion on itself and on earlier WITH queries still works', () => {
  const sql = rewrite(
    'WITH RECURSIVE a AS (SELECT 1 AS n), r(n) AS (SELECT n FROM a UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
  );
  assert.doesNotMatch(sql, /resolved_/);
});

test('without RECURSIVE a later name is a table, as in PostgreSQL', () => {
  assert.match(
    rewrite('WITH x AS (SELECT * FROM y), y AS (SELECT 1) SELECT * FROM x'),
    /"__pga"\."resolved_y" AS "y"/,
  );
});
