/**
 * width_bucket() answers as PostgreSQL: its float8 form (resolved for floats and integers) with
 * the source server's own formula — PostgreSQL 17 divides before it multiplies, 15 after, and
 * the two differ at bucket edges — and its numeric form exactly, with PostgreSQL's errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refusedWith, sameFailure } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';
import { needs } from './helpers/optional-clients.js';

const setup = `
  CREATE TABLE m (id int PRIMARY KEY, f float8, r real, n numeric(10,2), b numeric, i int, s smallint);
  INSERT INTO m VALUES
    (1, 96.6, 96.6, 96.60, 96.6, 96, 96), (2, 7.5, 7.5, 7.50, 7.5000, 7, 7),
    (3, 'NaN', 'Infinity', NULL, 'Infinity', NULL, NULL), (4, -5, -5, -5, '-Infinity', -5, -5),
    (5, 116, 116, 116, 116, 116, 116), (6, 11.7, 11.7, 11.7, 11.7, 12, 12), (7, NULL, NULL, NULL, NULL, NULL, NULL),
    (8, 1e-300, -0.0, 0.01, 0.000000000000000000001, 0, 0), (9, 1e300, 3.4e38, 99999999.99, 123456789012345678901234567890.5, 2147483647, 32767);`;

// Values where (count * (x - b1)) / (b2 - b1) and count * ((x - b1) / (b2 - b1)) floor differently.
const edges = [
  'SELECT id, width_bucket(f, 19, 116, 10), width_bucket(f, 116, 19, 10) FROM m WHERE id NOT IN (3) ORDER BY id',
  'SELECT id, width_bucket(f, 1.3, 11.100000000000001, 49), width_bucket(r, 5.1, 19.5, 48) FROM m WHERE id NOT IN (3) ORDER BY id',
  'SELECT id, width_bucket(i, 0, 100, 7), width_bucket(s, -10, 120, 13), width_bucket(i, 100, 0, 3) FROM m ORDER BY id',
];

const queries = [
  ...edges,
  'SELECT id, width_bucket(n, 0, 100, 7), width_bucket(b, 100, 0, 3), width_bucket(b, 0, 1, 1000000000) FROM m ORDER BY id',
  'SELECT id, width_bucket(n, 0.005, 99.995, 3), width_bucket(b, -1e30, 1e30, 7) FROM m ORDER BY id',
  'SELECT width_bucket(b, 0, 200, 4) AS bucket, count(*) FROM m GROUP BY 1 ORDER BY 1',
  'SELECT width_bucket(f, -1e308, 1e308, 10) AS bucket, count(*) FROM m WHERE id <> 3 GROUP BY 1 ORDER BY 1',
  "SELECT width_bucket(5.35, 0.024, 10.06, 5), width_bucket(5, 0, 10, 3), width_bucket('5', 0, 10, 3), width_bucket(1e300::float8, -1e308, 1e308, 10)",
  'SELECT id, width_bucket(n, 0, 100, id) FROM m WHERE id BETWEEN 1 AND 2 ORDER BY id',
];

const failures = [
  'SELECT width_bucket(f, 0, 10, 4) FROM m WHERE id = 3',
  'SELECT width_bucket(n, 0, 0, 4) FROM m',
  'SELECT width_bucket(f, 0, 10, 0) FROM m',
  'SELECT width_bucket(n, 0, 10, -1) FROM m',
  "SELECT width_bucket(f, 0, 'Infinity', 3) FROM m",
  'SELECT width_bucket(n, 0, 10, 2147483647) FROM m WHERE id = 5',
  'SELECT width_bucket(f, 0, 10, 2147483647) FROM m WHERE id = 5',
  'SELECT width_bucket(n, 0, 10, 3::bigint) FROM m',
];

describeDifferential('width_bucket', { setup, tables: ['m'] }, queries, (f) => {
  for (const sql of failures)
    test(`fails as in PostgreSQL: ${sql}`, () => sameFailure(f().heap, f().columnar, sql));
  test('the array-of-thresholds form is refused with 0A000', () =>
    refusedWith(f().columnar, 'SELECT width_bucket(i, ARRAY[1, 10, 50]) FROM m', '0A000', /width_bucket/));
});

// .ci/run installs Debian's postgresql-15 where it is missing.
const pg15 = { binDir: '/usr/lib/postgresql/15/bin' };

describe('width_bucket of a PostgreSQL 15 source: its older float formula', {
  skip: needs('postgres15'),
}, () => {
  describeDifferential('edges of buckets', { setup, tables: ['m'], options: pg15 }, edges, (f) => {
    test('the source multiplies before it divides', async () => {
      const { rows } = await f().heap.query('SELECT width_bucket(96.6::float8, 19, 116, 10) AS b');
      assert.equal(String(rows[0].b), '9', 'PostgreSQL 15 computes (count * (x - b1)) / (b2 - b1)');
    });
  });
});
