/**
 * Which conjuncts of a query may skip segments of which table reference
 * (segment-filters.ts), how they bind to columns, and which constant types
 * compare in the column's order (segment-pruning-sql.ts). Pure: the parser only.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { RangeVar } from 'libpg-query';
import { bindFilters, comparable } from '../src/query/segment-pruning-sql.js';
import { type SegmentFilter, segmentFilters } from '../src/query/sql/segment-filters.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';
import type { ColumnSpec } from '../src/source/column-types.js';

before(async () => {
  await initSqlParser();
});

function astOf(sql: string): Parameters<typeof segmentFilters>[0] {
  const statement = parseStatements(sql)[0]!;
  assert.equal(statement.kind, 'select');
  return (statement as { ast: unknown }).ast as Parameters<typeof segmentFilters>[0];
}

/** Filters by the name a reference is known by (its alias, else its table name). */
function filtersOf(sql: string): Record<string, string[]> {
  const byName: Record<string, string[]> = {};
  const map = segmentFilters(astOf(sql));
  for (const [range, filters] of map) {
    const name = range.alias?.aliasname ?? range.relname ?? '';
    byName[name] = [...(byName[name] ?? []), ...filters.map(show)];
  }
  return byName;
}

function show(filter: SegmentFilter): string {
  const values = filter.values.map((v) => `${v.sql}:${v.type}`).join(' ');
  return `${filter.peers ? '?' : ''}${filter.column} ${filter.test} ${values}`.trim();
}

describe('segment filters', () => {
  test('comparisons, BETWEEN, IN, = ANY and IS NULL with constants; the column on either side', () => {
    assert.deepEqual(
      filtersOf(`SELECT * FROM t WHERE t.a = 1 AND 2 < t.b AND t.c BETWEEN 'x' AND 'y' AND t.d IN (1.5, -2)
                   AND t.e = ANY('{3,NULL}'::int[]) AND t.f IS NULL AND t.g IS NOT NULL
                   AND t.h >= '2024-01-01'::timestamptz AND t.i <= true`),
      {
        t: [
          'a eq 1:NUMERIC_LITERAL',
          'b gt 2:NUMERIC_LITERAL',
          "c between 'x':STRING_LITERAL 'y':STRING_LITERAL",
          'd in 1.5:NUMERIC_LITERAL (-2):NUMERIC_LITERAL',
          "e in CAST('3' AS INTEGER):INTEGER",
          'f null',
          'g notnull',
          "h ge CAST('2024-01-01 00:00:00.000000' AS TIMESTAMPTZ):TIMESTAMPTZ",
          'i le true:BOOLEAN',
        ],
      },
    );
  });

  test('anything else is ignored: OR, NOT, expressions, columns on both sides, NULL, subqueries', () => {
    assert.deepEqual(
      filtersOf(`SELECT * FROM t WHERE (t.a = 1 OR t.a = 2) AND NOT t.b = 1 AND t.c + 1 = 2 AND t.d = t.e
                   AND t.f = NULL AND t.g = (SELECT 1) AND t.h <> 1 AND t.i LIKE 'a%' AND t.j::int = 1
                   AND t.k = now() AND t.l NOT IN (1) AND t.m NOT BETWEEN 1 AND 2 AND t.n = $1`),
      {},
    );
  });

  test('outer joins: WHERE binds only preserved sides, ON only the side it filters', () => {
    assert.deepEqual(
      filtersOf(`SELECT * FROM a LEFT JOIN b ON a.id = b.id AND b.x = 1 AND a.y = 2
                   WHERE a.z = 3 AND b.w IS NULL`),
      { a: ['z eq 3:NUMERIC_LITERAL'], b: ['x eq 1:NUMERIC_LITERAL'] },
    );
    assert.deepEqual(filtersOf(`SELECT * FROM a RIGHT JOIN b ON a.x = 1 WHERE b.y = 2 AND a.z = 3`), {
      a: ['x eq 1:NUMERIC_LITERAL'],
      b: ['y eq 2:NUMERIC_LITERAL'],
    });
    assert.deepEqual(filtersOf(`SELECT * FROM a FULL JOIN b ON a.x = 1 WHERE a.y = 2 AND b.z = 3`), {});
    assert.deepEqual(filtersOf(`SELECT * FROM a JOIN b ON b.x = 1, c WHERE a.y = 2 AND c.z = 3`), {
      a: ['y eq 2:NUMERIC_LITERAL'],
      b: ['x eq 1:NUMERIC_LITERAL'],
      c: ['z eq 3:NUMERIC_LITERAL'],
    });
  });

  test('qualifiers follow aliases; each subquery level has its own WHERE', () => {
    assert.deepEqual(
      filtersOf(`SELECT * FROM s.t AS r, u WHERE r.a = 1 AND t.b = 2 AND s.u.c = 3 AND u.d = 4
                   AND EXISTS (SELECT 1 FROM v WHERE v.e = 5 AND r.f = 6)`),
      { r: ['a eq 1:NUMERIC_LITERAL'], u: ['d eq 4:NUMERIC_LITERAL'], v: ['e eq 5:NUMERIC_LITERAL'] },
    );
  });

  test('unqualified columns are candidates for every table of their level, unless the level reads a subquery', () => {
    assert.deepEqual(filtersOf(`SELECT * FROM a, b WHERE x = 1`), {
      a: ['?x eq 1:NUMERIC_LITERAL'],
      b: ['?x eq 1:NUMERIC_LITERAL'],
    });
    assert.deepEqual(filtersOf(`SELECT * FROM a, (SELECT 1 AS x) s WHERE x = 1`), {});
    assert.deepEqual(filtersOf(`SELECT * FROM a, generate_series(1, 3) g WHERE x = 1`), {});
  });
});

describe('binding and comparable constants', () => {
  const column = (name: string, storageType: string, queryType = storageType): ColumnSpec => ({
    name,
    pgType: '',
    pgTypeOid: 0,
    pgTypeModifier: -1,
    storageType,
    queryType,
  });

  test('an unqualified column binds only where no other table of its level has it', () => {
    const map = segmentFilters(astOf(`SELECT * FROM a, b WHERE x = 1 AND z = 3`));
    const ranges = [...map.keys()];
    const [a, b] = [ranges.find((r) => r.relname === 'a')!, ranges.find((r) => r.relname === 'b')!];
    const tables = new Map<RangeVar, { columns: ColumnSpec[] }>([
      [a, { columns: [column('x', 'INTEGER'), column('z', 'INTEGER')] }],
      [b, { columns: [column('z', 'INTEGER')] }],
    ]);
    const bound = bindFilters(map.get(a)!, tables.get(a)!, (leaf) => tables.get(leaf));
    assert.deepEqual(
      bound.map((p) => p.stored),
      ['x'],
    );
    // A CTE's columns are not known here: it might have x.
    const withCte = segmentFilters(astOf(`WITH c AS (SELECT 1 AS y) SELECT * FROM a, c WHERE x = 1`));
    const [leaf, filters] = [...withCte].find(([r]) => r.relname === 'a')!;
    assert.deepEqual(
      bindFilters(filters, tables.get(a)!, (r) => (r === leaf ? tables.get(a) : undefined)),
      [],
    );
  });

  test('columns read as something else than stored, or without kept bounds, are not used', () => {
    const query = `SELECT * FROM t WHERE m = 'ok' AND f > 1 AND s = 'x' AND r.q = 1`;
    const [range, filters] = [...segmentFilters(astOf(query))][0]!;
    const table = {
      columns: [
        column('m', 'VARCHAR', "ENUM('sad', 'ok')"),
        column('f', 'DOUBLE'),
        { ...column('s', 'VARCHAR'), storedAs: 's_1' },
      ],
    };
    const bound = bindFilters(filters, table, (leaf) => (leaf === range ? table : undefined));
    assert.deepEqual(
      bound.map((p) => `${p.stored} ${p.test} ${p.values.join()}`),
      ["s_1 eq 'x'"],
    );
  });

  test('constants compare in the column order only for monotonic conversions', () => {
    const yes: [string, string][] = [
      ['INTEGER', 'STRING_LITERAL'],
      ['BIGINT', 'NUMERIC_LITERAL'],
      ['DECIMAL(12,3)', 'DOUBLE'],
      ['SMALLINT', 'DECIMAL'],
      ['VARCHAR', 'VARCHAR'],
      ['DATE', 'TIMESTAMPTZ'],
      ['TIMESTAMP', 'DATE'],
      ['TIMESTAMPTZ', 'TIMESTAMP'],
      ['UUID', 'UUID'],
    ];
    const no: [string, string][] = [
      ['VARCHAR', 'NUMERIC_LITERAL'],
      ['INTEGER', 'VARCHAR'],
      ['TIMESTAMP', 'TIMESTAMPTZ'],
      ['DATE', 'INTEGER'],
      ['BOOLEAN', 'NUMERIC_LITERAL'],
    ];
    for (const [storage, constant] of yes) assert.ok(comparable(storage, constant), `${storage} ${constant}`);
    for (const [storage, constant] of no) assert.ok(!comparable(storage, constant), `${storage} ${constant}`);
  });
});
