/**
 * The typed front end against silent wrong answers: char(n), enums, numeric
 * without precision and jsonb compared the way PostgreSQL compares them, and
 * interval literals with a field. Every query runs on the heap table and
 * through the daemon and must return the same text; what the daemon cannot do
 * exactly must fail with 0A000 rather than answer differently.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { textRows } from './helpers/daemon.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;

const setup = `
  CREATE TYPE order_status AS ENUM ('shipped', 'new', 'paid', 'refunded');
  CREATE TABLE orders (
    id int PRIMARY KEY, segment char(10), code char(3), name varchar(20), status order_status,
    amount numeric, price numeric(12,2), doc jsonb, shipped date
  );
  INSERT INTO orders VALUES
    (1, 'BUILDING', 'A', 'x', 'new', 13700.000, 1.50, '{"b": [true, null], "a": "x"}', '1998-08-01'),
    (2, 'MACHINERY', 'A ', 'y', 'paid', 9999.630, 2.25, '{"a": "y"}', '1998-09-03'),
    (3, 'BUILDING ', 'B', 'x ', 'shipped', 1.370, 3.00, '["a", "b"]', '1998-09-01'),
    (4, 'AUTOMOBILE', 'B\t', 'z', 'refunded', -0.5, 4.75, '"text"', '1997-01-01'),
    (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (6, 'FURNITURE', 'C', 'w', 'paid', 1.37, 5.10, '{"a": "x", "b": [true, null]}', '1998-12-01'),
    (7, 'BUILDING', 'A', 'v', 'new', 100, 6.00, 'null', '1998-06-01');`;

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(setup, ['orders']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

async function same(sql: string): Promise<void> {
  const expected = await textRows(heap, sql);
  assert.deepEqual(await textRows(columnar, sql), expected, sql);
}

describe('char(n) compares without trailing blanks', () => {
  const queries = [
    `SELECT id, segment FROM orders WHERE segment = 'BUILDING' ORDER BY id`,
    `SELECT id FROM orders WHERE segment = 'BUILDING   ' ORDER BY id`,
    `SELECT id FROM orders WHERE segment <> 'BUILDING' ORDER BY id`,
    `SELECT id FROM orders WHERE segment IN ('BUILDING', 'FURNITURE') ORDER BY id`,
    `SELECT id FROM orders WHERE segment BETWEEN 'AUTOMOBILE' AND 'BUILDING' ORDER BY id`,
    `SELECT id FROM orders WHERE segment = ANY ('{BUILDING,MACHINERY}') ORDER BY id`,
    `SELECT a.id, b.id FROM orders a JOIN orders b ON a.code = b.code WHERE a.id < b.id ORDER BY 1, 2`,
    `SELECT id FROM orders WHERE code = 'A'::text ORDER BY id`,
    `SELECT id FROM orders WHERE segment::text = 'BUILDING' ORDER BY id`,
    `SELECT id, segment || '|', length(segment), upper(segment) FROM orders ORDER BY id`,
    `SELECT segment, count(*) FROM orders GROUP BY segment ORDER BY segment`,
    `SELECT code, count(*) FROM orders GROUP BY code ORDER BY code`,
    `SELECT id, code FROM orders ORDER BY code, id`,
    `SELECT count(*) FROM (SELECT segment AS s FROM orders) q WHERE s = 'BUILDING'`,
    `WITH w AS (SELECT segment FROM orders) SELECT count(*) FROM w WHERE segment = 'BUILDING'`,
    `SELECT id FROM orders WHERE segment IN (SELECT segment FROM orders WHERE id = 7) ORDER BY id`,
    `SELECT id, nullif(segment, 'BUILDING') FROM orders ORDER BY id`,
    `SELECT id FROM orders WHERE segment IS DISTINCT FROM 'BUILDING' ORDER BY id`,
    `SELECT id FROM orders WHERE segment LIKE 'BUILDING' ORDER BY id`,
    `SELECT a.id, b.id FROM orders a, orders b WHERE a.code IN (SELECT code FROM orders WHERE id = 2) AND b.segment IN (SELECT segment FROM orders WHERE id = 1) ORDER BY 1, 2`,
    `SELECT id, CASE segment WHEN 'BUILDING' THEN 'b' WHEN 'MACHINERY' THEN 'm' ELSE 'other' END FROM orders ORDER BY id`,
    `SELECT id FROM orders WHERE name::text IN (SELECT segment FROM orders WHERE id = 1) ORDER BY id`,
    `SELECT id FROM orders WHERE code = ANY (SELECT left(segment, 1)::bpchar FROM orders) ORDER BY id`,
    `SELECT id FROM orders WHERE 'BUILDING'::varchar IN (SELECT segment FROM orders WHERE id = 3) ORDER BY id`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('enums compare by their sort order', () => {
  const queries = [
    `SELECT id FROM orders WHERE status > 'new' ORDER BY id`,
    `SELECT id FROM orders WHERE status < 'paid' ORDER BY id`,
    `SELECT id FROM orders WHERE status BETWEEN 'shipped' AND 'new' ORDER BY id`,
    `SELECT id FROM orders WHERE status IN ('paid', 'refunded') ORDER BY id`,
    `SELECT id FROM orders WHERE status >= 'paid'::order_status ORDER BY id`,
    `SELECT id, status FROM orders ORDER BY status, id`,
    `SELECT id, CASE status WHEN 'paid' THEN 1 ELSE 0 END FROM orders ORDER BY id`,
    `SELECT min(status), max(status) FROM orders`,
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test('a cast to an enum no column of the statement has is refused (0A000)', async () => {
    const error = await failure(columnar, `SELECT 'paid'::order_status`);
    assert.equal(error.code, '0A000');
  });

  test('an unknown label fails as in PostgreSQL (22P02)', async () => {
    const sql = `SELECT id FROM orders WHERE status = 'lost'`;
    const expected = await failure(heap, sql);
    const actual = await failure(columnar, sql);
    assert.equal(actual.code, '22P02');
    assert.equal(actual.code, expected.code);
    assert.equal(actual.message, expected.message);
  });
});

describe('numeric without precision compares by value', () => {
  const queries = [
    `SELECT max(amount), min(amount) FROM orders`,
    `SELECT id, amount FROM orders ORDER BY amount, id`,
    `SELECT id, amount FROM orders ORDER BY amount DESC, id`,
    `SELECT id FROM orders WHERE amount = '1.37' ORDER BY id`,
    `SELECT id FROM orders WHERE amount = 1.37 ORDER BY id`,
    `SELECT id FROM orders WHERE amount > 1000 ORDER BY id`,
    `SELECT id FROM orders WHERE amount BETWEEN '0' AND '200' ORDER BY id`,
    `SELECT id FROM orders WHERE amount::numeric < price ORDER BY id`,
    `SELECT id FROM orders WHERE amount IN (SELECT price FROM orders) ORDER BY id`,
    `SELECT id FROM orders WHERE price IN (SELECT amount FROM orders) ORDER BY id`,
    `SELECT id, CASE amount WHEN 1.37 THEN 'a' WHEN '100' THEN 'b' END FROM orders ORDER BY id`,
    `SELECT count(amount) FROM orders`,
    `SELECT sum(amount), sum(amount) FILTER (WHERE id > 3), sum(amount) FILTER (WHERE id > 100) FROM orders`,
    `SELECT segment, sum(amount) FROM orders GROUP BY segment ORDER BY segment`,
    `SELECT avg(amount), round(avg(amount), 2) FROM orders`,
    `SELECT id, amount * 2, amount + price, amount - 1, amount / 3, -amount FROM orders ORDER BY id`,
  ];
  for (const sql of queries) test(sql, () => same(sql));

  // 1.370 and 1.37 are one value: one group, one distinct value.
  for (const sql of [
    'SELECT count(*), min(id) FROM orders GROUP BY amount ORDER BY 2',
    'SELECT count(*) FROM (SELECT DISTINCT amount FROM orders) d',
  ])
    test(sql, () => same(sql));

  test('UNION (without ALL) is refused with 0A000, never answered differently', async () => {
    const error = await failure(columnar, 'SELECT amount FROM orders UNION SELECT amount FROM orders');
    assert.equal(error.code, '0A000', error.message);
    assert.match(error.message, /numeric without precision/);
  });
});

describe('numeric division and avg() with PostgreSQL result scales', () => {
  const queries = [
    `SELECT id, price / 7, price / 0.03, 100.00 * price / (price + 1), id / 3.0, -price / 9 FROM orders ORDER BY id`,
    `SELECT avg(price), avg(id), avg(price) FILTER (WHERE id > 2), sum(price) / count(*) FROM orders`,
    `SELECT avg(price), avg(id) FROM orders WHERE id > 100`,
    `SELECT segment, avg(price) AS a FROM orders GROUP BY segment ORDER BY a, segment`,
    `SELECT 1 / 3.0, 2.0 / 3, 10000000 / 0.0001, 0.00001 / 3, 123456789.123 / 0.7`,
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test('a zero divisor fails with 22012', async () => {
    const error = await failure(columnar, 'SELECT price / 0 FROM orders');
    assert.equal(error.code, '22012');
  });
});

describe('result descriptions of numeric held as text', () => {
  test('max() and sum() of numeric without precision are described as numeric, as in PostgreSQL', async () => {
    const sql = 'SELECT max(amount), sum(amount), min(amount) AS a FROM orders WHERE id = 1';
    const types = async (client: pg.Client) =>
      (await client.query(sql)).fields.map((f) => [f.name, f.dataTypeID, f.dataTypeModifier]);
    assert.deepEqual(await types(columnar), [
      ['max', 1700, -1],
      ['sum', 1700, -1],
      ['a', 1700, -1],
    ]);
    assert.deepEqual(await types(columnar), await types(heap));
  });
});

describe('jsonb compared with a literal compares values', () => {
  const queries = [
    `SELECT id FROM orders WHERE doc = '{"a":"x","b":[true,null]}' ORDER BY id`,
    `SELECT id FROM orders WHERE doc = '{"a": "y"}'::jsonb ORDER BY id`,
    `SELECT id FROM orders WHERE doc <> '["a","b"]' ORDER BY id`,
    `SELECT id FROM orders WHERE doc IN ('"text"', 'null') ORDER BY id`,
    // jsonb compares numbers by value (1.0 = 1): a literal holding one is compared, not refused.
    `SELECT id FROM orders WHERE doc = '{"a": 1.0}' OR doc = '{"a": "y", "n": 1.50}' ORDER BY id`,
    `SELECT id FROM orders WHERE doc <> '{"a": 1}' ORDER BY id`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('interval literals with a field', () => {
  const queries = [
    `SELECT interval '90' day, interval '3' month, interval '1' year, interval '-2' hour, interval '30' second`,
    `SELECT date '1998-12-01' - interval '90' day`,
    `SELECT id FROM orders WHERE shipped <= date '1998-12-01' - interval '90' day ORDER BY id`,
    `SELECT id FROM orders WHERE shipped >= date '1998-01-01' AND shipped < date '1998-01-01' + interval '1' year ORDER BY id`,
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test('other text with a field is refused with 0A000', async () => {
    const error = await failure(columnar, `SELECT interval '1 day 2 hours' day`);
    assert.equal(error.code, '0A000');
  });
});
