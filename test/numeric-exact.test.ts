/**
 * Exact numerics, differentially: integer and numeric aggregates, division and rounding give
 * PostgreSQL's text and PostgreSQL's result type wherever they appear in an expression, on the
 * heap table and through the daemon; what DuckDB cannot hold exactly fails with a SQLSTATE.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;

const setup = `
  CREATE TABLE nums (
    id int PRIMARY KEY, g int, i2 int2, i4 int4, i8 int8, p numeric(12,2), w numeric(38,10), n numeric
  );
  CREATE TABLE floats (id int PRIMARY KEY, f float8, r real);
  INSERT INTO floats VALUES (1, 0.1, 0.1), (2, 1e20, 1.5e-5), (3, -123456.789, -2.5), (4, NULL, NULL),
    (5, 1.005, 3.14159), (6, -0.0, 0), (7, 'NaN', 'Infinity'), (8, 1.23456789012346e-05, 1e-30);
  INSERT INTO nums VALUES
    (1, 1, 1, 10, 4608671973893265675, 1500.25, 1.5, 1.0),
    (2, 1, -3, 2147483647, 4608671973893265676, -0.05, -123456789012345678.9012345678, 1.00),
    (3, 2, 32767, -7, -9223372036854775807, 9999999999.99, 0.0000000001, -2.5),
    (4, 2, NULL, NULL, NULL, NULL, NULL, NULL),
    (5, 2, 7, 3, 12, 3.00, 2, 12345678901234567890.123456789012345678),
    (6, 3, 0, 0, 0, 0.00, 0, 0.000),
    (7, 3, -32768, -2147483648, 1, 0.01, 99999999.9999999999, -0.001);`;

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(setup, ['nums', 'floats']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

const raw = { getTypeParser: () => (value: string) => value };

/** Rows as the server's text, and each column's type OID and typmod. */
async function result(client: pg.Client, sql: string) {
  const r = await client.query({ text: sql, rowMode: 'array', types: raw });
  return { rows: r.rows, types: r.fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier]) };
}

async function same(sql: string): Promise<void> {
  assert.deepEqual(await result(columnar, sql), await result(heap, sql), sql);
}

describe('integer and numeric aggregates are typed and printed as PostgreSQL', () => {
  const queries = [
    'SELECT sum(i2), sum(i4), sum(i8), sum(p), sum(w) FROM nums',
    'SELECT avg(i2), avg(i4), avg(i8), avg(p), avg(w) FROM nums',
    'SELECT avg(i8) FROM nums WHERE id < 3',
    'SELECT g, sum(i2), sum(i4), avg(i2), avg(i4), avg(i8), avg(p), avg(w) FROM nums GROUP BY g ORDER BY g',
    'SELECT avg(i4) FILTER (WHERE id > 2), avg(DISTINCT i2), sum(DISTINCT i4) FROM nums',
    'SELECT id, avg(p) OVER (ORDER BY id), sum(i4) OVER (ORDER BY id) FROM nums ORDER BY id',
    'SELECT avg(i4), sum(i4), avg(p) FROM nums WHERE id > 100',
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('avg() and numeric division inside larger expressions stay exact', () => {
  const queries = [
    'SELECT round(avg(p), 2), round(avg(i4), 3), trunc(avg(i8), 1), round(avg(w)), round(avg(i2), -2) FROM nums',
    'SELECT 0.2 * avg(p), avg(i4) * 2, avg(p) + 1, avg(p) - avg(i4), -avg(w) FROM nums',
    'SELECT g FROM nums GROUP BY g HAVING avg(p) > 10 ORDER BY g',
    'SELECT g, avg(i2) FROM nums GROUP BY g HAVING avg(i2) < 0.5 ORDER BY g',
    'SELECT id FROM nums WHERE p > (SELECT avg(p) FROM nums) ORDER BY id',
    'SELECT id FROM nums a WHERE p < (SELECT 0.2 * avg(p) FROM nums b WHERE b.g = a.g) ORDER BY id',
    'SELECT g, avg(p) FROM nums GROUP BY g ORDER BY avg(p) DESC, g',
    'SELECT id, p / i4, w / p, p / 3, i8 / p, (p / 7) * 2, p / 7 / 3 FROM nums WHERE i4 <> 0 AND p <> 0 ORDER BY id',
    'SELECT sum(p) / sum(i4), 100.00 * sum(p) / sum(i8), sum(i8) / 7.0, sum(w) / sum(p) FROM nums',
    // The quotient's 28 decimals need a 50-digit intermediate: long division.
    'SELECT 100.00 * sum(p) / sum(w), sum(p) / (w + 0.0000000003) FROM nums WHERE w <> 0 GROUP BY w ORDER BY 2',
    'SELECT id, p % 3, w % 0.7, i4 / i2, i8 / 2 FROM nums WHERE i2 <> 0 ORDER BY id',
    'SELECT sum(i4) / count(*), sum(i2) / 2 FROM nums',
    'SELECT id, round(p / 7, 4), round(w, 3), trunc(w, 2), round(p, id) FROM nums WHERE id <> 4 ORDER BY id',
    'SELECT id, avg(p) OVER (PARTITION BY g) > p FROM nums ORDER BY id',
    'SELECT (SELECT avg(p) FROM nums) + 1, (SELECT sum(p) FROM nums) / 7, -(SELECT avg(i4) FROM nums)',
    'SELECT id, p - (SELECT min(p) FROM nums), id + (SELECT max(i2) FROM nums) FROM nums ORDER BY id',
    'SELECT avg(p)::numeric(20,3), avg(i4)::float8, (sum(p) / 3)::int8, (avg(i4) / 1000)::int2 FROM nums',
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test("CASE, COALESCE, GREATEST and LEAST keep each value's own scale", async () => {
    for (const sql of [
      'SELECT id, CASE WHEN id < 3 THEN p WHEN id < 5 THEN i4 ELSE w END, COALESCE(p, 0), COALESCE(n, p, 1.5) FROM nums ORDER BY id',
      'SELECT id, greatest(p, i2, 0.5), least(n, p), greatest(n, 1.00) FROM nums WHERE id <> 5 ORDER BY id',
      'SELECT sum(CASE WHEN g = 1 THEN p * (1 - 0.05) ELSE 0 END), sum(CASE WHEN id > 10 THEN p ELSE 0 END) FROM nums',
      'SELECT g, 100.00 * sum(CASE WHEN id % 2 = 0 THEN p ELSE 0 END) / sum(p) FROM nums GROUP BY g ORDER BY g',
    ])
      await same(sql);
  });

  test('ceil, floor, sign, mod and abs of numerics, integers and quotients', async () => {
    for (const sql of [
      'SELECT id, ceil(p), floor(p), ceiling(w), sign(p), mod(p, 3), mod(i4, 7), abs(p) FROM nums ORDER BY id',
      'SELECT id, ceil(n), floor(n), sign(n), mod(n, 2), abs(n), ceil(i4), floor(i2), sign(i8) FROM nums WHERE id <> 5 ORDER BY id',
      'SELECT ceil(avg(p)), floor(avg(i4)), sign(avg(w)), abs(-avg(p)), mod(avg(i2), 3), round(i4) FROM nums GROUP BY i4 ORDER BY 6',
    ])
      await same(sql);
  });

  test('sqrt, exp, ln, log and power of numeric are refused (0A000): PostgreSQL computes them in numeric', async () => {
    for (const sql of [
      'SELECT sqrt(p) FROM nums',
      'SELECT ln(avg(p)) FROM nums',
      'SELECT power(p, 2) FROM nums',
      'SELECT p ^ 2 FROM nums',
    ]) {
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', `${sql}: ${error.message}`);
    }
  });

  test("set operations and VALUES keep each value's own scale and sort by value", async () => {
    for (const sql of [
      'SELECT p FROM nums UNION ALL SELECT i4 FROM nums WHERE i4 > 5 ORDER BY 1',
      'SELECT p AS x FROM nums UNION ALL SELECT i2 FROM nums WHERE i2 > 1 UNION ALL SELECT n FROM nums WHERE id IN (3, 7) ORDER BY x DESC',
      'SELECT * FROM (VALUES (1, 2.0), (1.5, 3), (NULL, 4.25)) v(a, b) ORDER BY b',
      'VALUES (1), (1.5), (-0.25)',
      'SELECT 1e5, 1.50e1, 2.5e-3 * 2, p * 1e2, 123456789012345678901234567890.123456789 FROM nums WHERE id = 1',
      'SELECT id FROM nums WHERE p > 1e3 OR i4 = 1e1 ORDER BY id',
      'SELECT n::numeric(20,3), p::numeric(14,1), -p, +p, p::int8, n::int FROM nums WHERE id <> 5 ORDER BY id',
      'SELECT sum(i4) / sum(i2), sum(i8) / sum(i4), count(*) / 2.0, 1.0 / 3.0 * 3, round(5), round(-0.5) FROM nums',
    ])
      await same(sql);
    const error = await failure(columnar, 'SELECT p FROM nums UNION SELECT i4 FROM nums');
    assert.equal(error.code, '0A000', error.message);
  });

  test("real and double precision cast to numeric take float8_numeric's digits", async () => {
    for (const sql of [
      'SELECT id, f::numeric, r::numeric FROM floats ORDER BY id',
      'SELECT id, r::numeric(10,3), (f::numeric * 2)::text FROM floats WHERE id <> 7 ORDER BY id',
      'SELECT id, f::numeric(20,2), f::numeric(12,3) FROM floats WHERE id NOT IN (2, 7) ORDER BY id',
      'SELECT sum(f::numeric), max(r::numeric) FROM floats WHERE id NOT IN (2, 7)',
    ])
      await same(sql);
    const infinite = 'SELECT r::numeric(10,3) FROM floats WHERE id = 7';
    assert.equal((await failure(heap, infinite)).code, '22003');
    assert.equal((await failure(columnar, infinite)).code, '22003');
  });

  test('a zero divisor fails with 22012', async () => {
    const error = await failure(columnar, 'SELECT avg(p) / 0 FROM nums');
    assert.equal(error.code, '22012');
    const integer = await failure(columnar, 'SELECT i4 / (i2 - i2) FROM nums');
    assert.equal(integer.code, '22012');
  });

  test('round(double precision, integer) does not exist (42883), as in PostgreSQL', async () => {
    const sql = 'SELECT round(avg(i4)::float8, 2) FROM nums';
    assert.equal((await failure(heap, sql)).code, '42883');
    assert.equal((await failure(columnar, sql)).code, '42883');
  });

  test('a numeric(38,10) product past 38 digits fails with 22003 rather than being rounded', async () => {
    const error = await failure(columnar, 'SELECT w * w * w FROM nums WHERE id = 2');
    assert.equal(error.code, '22003', error.message);
  });

  // Computed in BigInt: a quotient of 35 integer digits and 19 decimals is PostgreSQL's, not an error.
  test('a quotient past 38 digits is exact', () => same('SELECT sum(i8) / 0.0000000000000000003 FROM nums'));

  test('a value that does not fit numeric(p,s) fails with 22003, as in PostgreSQL', async () => {
    for (const sql of ['SELECT avg(p)::numeric(10,3) FROM nums', 'SELECT (sum(p) / 3)::int FROM nums']) {
      assert.equal((await failure(heap, sql)).code, '22003', sql);
      assert.equal((await failure(columnar, sql)).code, '22003', sql);
    }
  });
});

describe('numeric without precision (held as text) computes exactly, keeping each display scale', () => {
  const queries = [
    'SELECT id, n, n * 2, n + p, n - i4, n * p, -n, abs(n), n % 2 FROM nums WHERE id <> 5 ORDER BY id',
    'SELECT id, n / 3, n / p, round(n, 2), trunc(n, 1), round(n) FROM nums WHERE p <> 0 AND id <> 5 ORDER BY id',
    'SELECT sum(n), avg(n), min(n), max(n), count(n) FROM nums',
    // No max(n) per group: group 1 ties 1.0 with 1.00, and which one PostgreSQL returns depends on the scan order.
    'SELECT g, sum(n), avg(n) FROM nums GROUP BY g ORDER BY g',
    'SELECT id, sum(n) OVER (ORDER BY id), avg(n) OVER (PARTITION BY g), sum(n) FILTER (WHERE id > 2) OVER () FROM nums ORDER BY id',
    'SELECT id FROM nums WHERE n = 1 ORDER BY id',
    "SELECT id FROM nums WHERE n >= '1.000' AND n < 1e20 ORDER BY id",
    'SELECT id FROM nums WHERE n > p OR n < i2 ORDER BY id',
    'SELECT id, n FROM nums ORDER BY n DESC, id',
    'SELECT id FROM nums WHERE n IN (1, -0.001, 0) ORDER BY id',
    'SELECT id FROM nums WHERE n > (SELECT avg(n) FROM nums) ORDER BY id',
  ];
  for (const sql of queries) test(sql, () => same(sql));

  // 1.0 and 1.00 are one value: grouped, counted and ranked together.
  const byValue = [
    'SELECT count(*), sum(i4) FROM nums GROUP BY n ORDER BY 1, 2',
    'SELECT round(n, 3), n = 1, count(*) FROM nums GROUP BY n ORDER BY n',
    'SELECT round(n, 3) AS r, count(*) FROM nums GROUP BY 1 ORDER BY 1',
    'SELECT n / 2 > 0, count(*) FROM nums GROUP BY n / 2 HAVING count(*) > 0 AND n / 2 IS NOT NULL ORDER BY 1, 2',
    'SELECT count(DISTINCT n), count(DISTINCT n / 2) FROM nums',
    'SELECT count(*) FROM (SELECT DISTINCT n FROM nums) d',
    'SELECT DISTINCT n FROM nums WHERE id > 2 ORDER BY n',
    'SELECT DISTINCT ON (n) id FROM nums ORDER BY n, id',
    'SELECT id, rank() OVER (ORDER BY n), count(*) OVER (PARTITION BY n) FROM nums ORDER BY id',
    "SELECT string_agg(id::text, ',' ORDER BY n, id), array_agg(id ORDER BY n DESC, id) FROM nums",
  ];
  for (const sql of byValue) test(sql, () => same(sql));

  for (const sql of ['SELECT n FROM nums UNION SELECT n FROM nums', 'SELECT sum(DISTINCT n) FROM nums']) {
    test(`refused with 0A000 (DuckDB would keep 1.0 apart from 1.00): ${sql}`, async () => {
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', error.message);
    });
  }

  test('products, quotients and roundings past 38 digits are exact, as PostgreSQL computes them', async () => {
    for (const sql of [
      'SELECT n * n, n * n * n, n / 7, -n * 1e30, round(n * n, 50), n * n % 7, trunc(n * n, -20) FROM nums WHERE id = 5',
      'SELECT 12345678901234567890123456789012345678901234567890.5 / 3, round(1e-60 * 5, 60), 1e40 - 0.000001',
      // round() clamps its scale to what a numeric holds (16383 decimals, 131073 digits left of the point).
      'SELECT length(round(n, 20000)::text), round(n, -200000), trunc(n * 1e9, -5), round(-n, -19) FROM nums WHERE id = 5',
    ])
      await same(sql);
  });

  test("a result past numeric's own range fails with 22003, as in PostgreSQL", async () => {
    // 20 integer digits times 10^131060: more than the 131072 integer digits a numeric holds.
    const sql = 'SELECT n * 1e131060 FROM nums WHERE id = 5';
    assert.equal((await failure(heap, sql)).code, '22003');
    assert.equal((await failure(columnar, sql)).code, '22003');
  });

  // sum() adds integer parts and 30-decimal fractions apart: 38 integer digits and 30 decimals, whatever the total.
  test('sum and avg of values up to 38 integer digits and 30 decimals are exact', () =>
    same(
      'SELECT sum(n + 0.000000000000000000001), avg(n - 0.000000000000000000001), sum(n * 1e18), avg(n * 1e18) FROM nums',
    ));

  test('sum of a value past what it adds exactly fails with 0A000', async () => {
    for (const sql of [
      'SELECT sum(n * 1e19) FROM nums',
      "SELECT sum(n + 'NaN') FROM nums",
      'SELECT sum(n / 7 * 1e-20) FROM nums',
    ]) {
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', `${sql}: ${error.message}`);
    }
  });
});

describe('mod of numerics is exact', () => {
  // DuckDB's mod of two DECIMALs needing more than 38 digits is a double: avg() printed -0.0833333333333482.
  for (const sql of [
    'SELECT id, mod(trunc(p, 0), 0.7), mod(p, 2), mod(w, 0.001), mod(i4, 3), mod(n, 0.7) FROM nums WHERE id <> 5 ORDER BY id',
    'SELECT avg(mod(trunc(p, 0), 0.7)), sum(mod(p, 0.3)) FROM nums',
  ])
    test(sql, () => same(sql));
});

describe('lag and lead with a default take the common type of value and default, as in PostgreSQL', () => {
  const queries = [
    // numeric(12,2) with an integer default prints the default as 0, not 0.00; 0.5 stays 0.5.
    'SELECT id, lag(p, 1, 0) OVER (ORDER BY id), lead(p, 2, 0.5) OVER (ORDER BY id), lag(n, 1, 0) OVER (ORDER BY id) FROM nums ORDER BY id',
    // An integer with a numeric default is numeric (DuckDB would cast 0.5 to the integer 1).
    'SELECT id, lag(i4, 1, 0.5) OVER (ORDER BY id), lead(i2, 1, 100000) OVER (ORDER BY id), lag(id, 2, 1.5::float8) OVER (ORDER BY id) FROM nums ORDER BY id',
    'SELECT id, lag(p, 1, NULL) OVER (ORDER BY id), lag(p, 1, 5::numeric(12,2)) OVER (PARTITION BY g ORDER BY id), lag(w, 1, p) OVER (ORDER BY id) FROM nums ORDER BY id',
    'SELECT id, lag(f, 1, 0) OVER (ORDER BY id), lead(r, 1, 2) OVER (ORDER BY id) FROM floats ORDER BY id',
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('stddev and variance of integers and numerics are exact numerics', () => {
  const queries = [
    'SELECT stddev(i2), stddev_samp(i4), variance(p), var_pop(i2) FROM nums',
    'SELECT stddev_pop(i8), var_samp(i8) FROM nums WHERE id IN (2, 5, 6, 7)',
    'SELECT g, stddev(p), variance(i4), stddev_pop(i2), var_samp(p) FROM nums GROUP BY g ORDER BY g',
    'SELECT stddev(n), var_pop(n), variance(w) FROM nums WHERE id IN (1, 3, 6)',
    'SELECT stddev(p * 2), variance(p + i2), var_pop(-p) FROM nums',
    'SELECT stddev(i4), variance(p), stddev_pop(p) FROM nums WHERE id = 1',
    'SELECT stddev(i4), var_pop(p) FROM nums WHERE id > 100',
    'SELECT stddev(x), variance(x), stddev_pop(x) FROM (SELECT i4 % 5 AS x FROM nums) v',
    'SELECT stddev(x) FROM (SELECT 5 AS x FROM nums) v',
    'SELECT round(stddev(p), 2), stddev(i4) > 1000, stddev(i2) FILTER (WHERE id > 2) FROM nums',
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test('sums of squares past 38 digits fail (22003 or 0A000) rather than being rounded', async () => {
    // w holds a 28-digit value: its square needs 56 digits.
    const square = await failure(columnar, 'SELECT var_samp(w) FROM nums');
    assert.equal(square.code, '22003', square.message);
    // 1500.25 / 7 has 16 decimals: its square has 32, more than sum() aligns (30).
    const decimals = await failure(columnar, 'SELECT stddev(p / 7) FROM nums');
    assert.equal(decimals.code, '0A000', decimals.message);
  });
});
