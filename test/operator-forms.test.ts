/**
 * Operators by operand type, found by running every binary operator over every pair of common
 * column types on the heap and through the daemon: jsonb's || and - (DuckDB joined the texts:
 * '{"a": 1}{"a": 1}'), integer shifts as C computes them in PostgreSQL (counts modulo the width,
 * << wrapping, >> arithmetic; DuckDB refused negative values and answered 0 for negative
 * counts), and forms DuckDB has no function for (timestamp + time) refused with 0A000 rather
 * than DuckDB's own 42883.
 */
import { test } from 'node:test';
import { refusedWith, sameFailure } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE opf (id int PRIMARY KEY, j jsonb, k text, ks text[], n int, i int, b bigint, s smallint,
                    ts timestamp, tm time);
  INSERT INTO opf VALUES
    (1, '{"a": 1, "b": [1, 2]}', 'a', '{a,b}', 0, 7, -9000000000, 3, '2024-01-01', '10:30'),
    (2, '[1, "a", "b", {"a": 2}]', 'a', '{a,NULL}', -1, -3, 5, -2, '2024-02-29 12:00', '23:59:59.5'),
    (3, '5', 'x', '{}', 3, 2147483647, 9223372036854775807, 32767, NULL, NULL),
    (4, '"str"', NULL, NULL, NULL, -2147483648, -9223372036854775808, -32768, NULL, NULL),
    (5, '{}', '', '{}', 1, 1, 1, 1, NULL, NULL);`;

const queries = [
  `SELECT id, j || j, j || '{"z": null, "a": 9}', '[0]' || j, j || '7', j || k, (j || j) -> 0 FROM opf ORDER BY id`,
  `SELECT id, j - 'a', j - ks, j - '{a,b}'::text[], (j - 'a') @> '[1]' FROM opf WHERE id IN (1, 2, 5) ORDER BY id`,
  'SELECT id, j - n, j - -10, j - 10, j - 0 FROM opf WHERE id = 2',
  'SELECT id, i << i, i >> i, b << i, b >> i, s << s, s >> s, s << i FROM opf ORDER BY id',
  'SELECT id, i << 31, i << 32, i << 33, b << 63, b >> 64, s << 15, s << 16, i >> -1, b << -1 FROM opf ORDER BY id',
  'SELECT sum(i >> 1), max(b << 2), count(*) FILTER (WHERE (s << 1) < 0) FROM opf',
];

describeDifferential('forms of operators by operand type', { setup, tables: ['opf'] }, queries, (fixture) => {
  test("jsonb - on what it cannot delete from fails with PostgreSQL's error", async () => {
    const { heap, columnar } = fixture();
    await sameFailure(heap, columnar, `SELECT j - 'a' FROM opf WHERE id = 3`);
    await sameFailure(heap, columnar, 'SELECT j - 1 FROM opf WHERE id = 1');
  });

  test('a form the columnar engine has no function for is refused with 0A000 naming it', async () => {
    const { columnar } = fixture();
    await refusedWith(
      columnar,
      'SELECT ts + tm FROM opf',
      '0A000',
      /^\+\(TIMESTAMP, TIME\) is not supported by pg_analytica/,
    );
    await refusedWith(
      columnar,
      'SELECT tm * i FROM opf',
      '0A000',
      /^\*\(TIME, INTEGER\) is not supported by pg_analytica/,
    );
    // time < interval: PostgreSQL casts the time to an interval; DuckDB compares neither way.
    await refusedWith(
      columnar,
      'SELECT tm < (ts - ts) FROM opf',
      '0A000',
      /Cannot compare values of type TIME/,
    );
    // string_agg() with a separator that differs per row: DuckDB takes a constant only.
    await refusedWith(columnar, 'SELECT string_agg(k, k) FROM opf', '0A000', /Separator argument/);
  });
});
