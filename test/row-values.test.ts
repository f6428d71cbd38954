/**
 * Row constructors compared field by field — keyset pagination's `(a, id) > ($1, $2)`, composite
 * equality — and counted (`count(DISTINCT (a, b))`), each answering as PostgreSQL: NULL fields in
 * 3-valued logic, fields compared by their types (char(n) without trailing blanks, numerics of
 * varying scale by value, jsonb by value, intervals by span).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refusedWith, sameFailure } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE r (id int PRIMARY KEY, a text, n numeric(6,2), c char(3), b numeric, j jsonb, iv interval, ts timestamptz);
  INSERT INTO r SELECT g, 'x' || (g % 3), g % 2, 'a', round((g % 2)::numeric, g % 3),
                       jsonb_build_object('k', round((g % 2)::numeric, g % 3)), make_interval(days => 30 * (g % 2)),
                       timestamptz '2024-01-01 00:00+00' + (g / 2) * interval '1 hour'
                  FROM generate_series(1, 9) g;
  INSERT INTO r VALUES (10, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                       (11, NULL, 1, 'b  ', 1.000, '{"k": 1.0}', '1 mon', '2024-01-01 02:00+00'),
                       (12, 'x1', NULL, 'a', 0.0, '{"k": 0}', '0 days', '2024-01-01 03:00+00');`;

const queries = [
  `SELECT id FROM r WHERE (a, id) > ('x1', 4) ORDER BY id`,
  `SELECT id FROM r WHERE (ts, id) < ('2024-01-01 02:00+00', 11) ORDER BY ts, id`,
  `SELECT id FROM r WHERE (a, n) = ('x1', 1) ORDER BY id`,
  `SELECT id FROM r WHERE (a, n, id) <= ('x1', 1, 4) ORDER BY id`,
  `SELECT id FROM r WHERE (a, n) <> ('x1', 1) ORDER BY id`,
  `SELECT id FROM r WHERE (a, n) >= ('x1', 0.5) ORDER BY id`,
  `SELECT id, (n, a) < (1, 'x2') AS lt, (n, a) = (1, 'x2') AS eq FROM r ORDER BY id`,
  `SELECT id FROM r WHERE (c, b) = ('a', 1) ORDER BY id`,
  `SELECT id FROM r WHERE (j, iv) = ('{"k": 1}', '30 days') ORDER BY id`,
  `SELECT id FROM r WHERE (b, id) > (0, 3) AND (b, id) <= (1.0, 9) ORDER BY id`,
  `SELECT count(DISTINCT (a, n)), count(DISTINCT ROW(a, c)), count((a, n)) FROM r`,
  `SELECT count(DISTINCT (c, b)), count(DISTINCT (b, a)) FILTER (WHERE id > 2) FROM r`,
  `SELECT a, count(DISTINCT (j, iv)) FROM r GROUP BY a ORDER BY a`,
  `SELECT count(DISTINCT (j, iv, b)) FROM r`,
];

const failures = [
  `SELECT id FROM r WHERE (a, id) > (1, 2)`,
  `SELECT id FROM r WHERE (a, id) > ('x', 2, 3)`,
  `SELECT count(DISTINCT (a, n)) OVER () FROM r`,
];

describeDifferential('row values', { setup, tables: ['r'] }, queries, (fixture) => {
  for (const sql of failures.slice(0, 2))
    test(`fails as in PostgreSQL: ${sql}`, () => sameFailure(fixture().heap, fixture().columnar, sql));
  test('a window count of a row, and a subquery among the fields, are refused with 0A000', async () => {
    const f = fixture();
    await refusedWith(f.columnar, failures[2]!, '0A000', /window/);
    await refusedWith(
      f.columnar,
      'SELECT count(DISTINCT (a, (SELECT 1))) FROM r',
      '0A000',
      /subquery among its fields/,
    );
    await refusedWith(
      f.columnar,
      'SELECT id FROM r WHERE (a, id) = (SELECT a, id FROM r LIMIT 1)',
      '0A000',
      /not supported/,
    );
  });
  test('keyset pagination with parameters walks the table in order', async () => {
    const f = fixture();
    const sql = 'SELECT id, ts FROM r WHERE (ts, id) > ($1, $2) ORDER BY ts, id LIMIT 3';
    let cursor: [string, number] = ['-infinity', 0];
    const pages: string[][] = [[], []];
    for (const [side, client] of [f.heap, f.columnar].entries()) {
      cursor = ['-infinity', 0];
      for (;;) {
        const { rows } = await client.query(sql, cursor);
        if (rows.length === 0) break;
        pages[side]!.push(...rows.map((row) => String(row.id)));
        const last = rows.at(-1);
        cursor = [last.ts, last.id];
      }
    }
    assert.deepEqual(pages[1], pages[0]);
    assert.equal(pages[0]!.length, 11);
  });
});
