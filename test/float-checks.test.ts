/**
 * double precision and real arithmetic fails where PostgreSQL's does (typing/float-arithmetic.ts):
 * a finite computation overflowing to Infinity or underflowing to zero, sums whose finite values
 * overflow, exp() and power() out of range or without a real result. Infinity and NaN operands
 * still answer Infinity and NaN. Each statement is compared with PostgreSQL on the heap, rows or
 * error (SQLSTATE and message).
 */
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { sameFailure, sameRowsAndTypes } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE floats (id int PRIMARY KEY, d float8, r real, i int);
  INSERT INTO floats VALUES (1, 1e308, 3e38, 2), (2, 1e308, 3e38, 0), (3, 1e-200, 1e-30, -1),
    (4, 'Infinity', 'NaN', 3), (5, 2.5, 1.5, NULL), (6, -0.5, -2, 4), (7, 'NaN', 0, 1), (8, '-0', '-0', 5);`;

let fixture: Differential | undefined;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  fixture = await startDifferential(setup, ['floats']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

describe('answers as PostgreSQL', () => {
  for (const sql of [
    'SELECT id, d + d, d * 2, d - 1, d / 2, d * d, d / i FROM floats WHERE id > 3 ORDER BY id',
    'SELECT id, r * r, r + r, r - r FROM floats WHERE id > 4 ORDER BY id',
    'SELECT sum(d), avg(d), avg(r) FROM floats WHERE id > 3',
    'SELECT id, d * 1.5, d / 0.5, d + 1e300, d - 2.25 FROM floats WHERE id > 3 ORDER BY id',
    'SELECT i % 2 AS g, sum(d), avg(d) FROM floats WHERE id > 2 GROUP BY 1 ORDER BY 1',
    'SELECT id, sum(d) OVER (ORDER BY id ROWS 1 PRECEDING) FROM floats WHERE id > 2 ORDER BY id',
    'SELECT id, exp(i), exp(d), power(d, i), power(i, 2), power(2.0::float8, i) FROM floats WHERE id > 2 ORDER BY id',
    'SELECT sum(DISTINCT d) FILTER (WHERE id > 4) FROM floats',
    // The FILTER's subquery is written once though the overflow check repeats the aggregate.
    'SELECT sum(d) FILTER (WHERE d < (SELECT max(d) FROM floats WHERE id = 5)), avg(d) FILTER (WHERE id IN (SELECT id FROM floats WHERE id > 4)) FROM floats',
    // -0 keeps its sign when its column is sorted (DuckDB's sort returned it as 0).
    'SELECT id, d, r FROM floats ORDER BY d DESC, id',
    'SELECT id, d * -0.0 AS z FROM floats WHERE id > 4 ORDER BY z, id',
    'SELECT id, row_number() OVER (ORDER BY r, id), r FROM floats ORDER BY 2',
  ]) {
    test(sql, () => sameRowsAndTypes(heap, columnar, sql));
  }
});

describe('fails as PostgreSQL does', () => {
  for (const sql of [
    'SELECT d + d FROM floats WHERE id = 1',
    'SELECT d * d FROM floats WHERE id = 3',
    'SELECT d / 1e-200 FROM floats WHERE id = 1',
    'SELECT d / 1e300 FROM floats WHERE id = 3',
    'SELECT r * r FROM floats WHERE id = 3',
    'SELECT sum(d) FROM floats WHERE id < 3',
    'SELECT avg(d) FROM floats WHERE id < 3',
    'SELECT exp(d) FROM floats WHERE id = 1',
    'SELECT exp(-d) FROM floats WHERE id = 1',
    'SELECT power(d, 2) FROM floats WHERE id = 1',
    'SELECT power(0::float8, -1)',
    'SELECT power(d, 0.5) FROM floats WHERE id = 6',
  ]) {
    test(sql, () => sameFailure(heap, columnar, sql));
  }
});
