/**
 * The pga_numeric_* functions (src/query/numeric/) differentially: random numerics of random
 * display scales — up to 60 integer digits and 40 decimals, zeros, NaN and ±Infinity — added,
 * multiplied, divided, rounded and truncated on the heap and through the daemon, compared as
 * PostgreSQL's text. The seed is printed; NUMERIC_SEED=<seed> repeats a run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';
import { Random } from './helpers/expression-generator.js';

const seed = Number(process.env.NUMERIC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROWS = 300;

/** Numeric text with up to `integers` integer digits and `decimals` decimals (trailing zeros kept). */
function numericText(r: Random, integers: number, decimals: number, nonZero = false): string {
  const scale = r.int(decimals + 1);
  const digits = Array.from({ length: r.int(integers + 1) + scale }, () => String(r.int(10))).join('');
  const padded = digits.padStart(scale + 1, '0');
  let text = scale === 0 ? padded : `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  if (nonZero && !/[1-9]/.test(text)) text = `${text.slice(0, -1)}${1 + r.int(9)}`;
  return `${r.int(3) === 0 ? '-' : ''}${text}`;
}

function rowsOf(r: Random): string {
  const rows: string[] = [];
  for (let id = 1; id <= ROWS; id++) {
    const b = r.int(12) === 0 ? r.pick(['0', '0.00', '-0.0']) : numericText(r, 6, 8);
    const special = r.int(3) === 0 ? numericText(r, 4, 4, true) : r.pick(['NaN', 'Infinity', '-Infinity']);
    const values = [
      id,
      numericText(r, 12, 20, true),
      b,
      numericText(r, 60, 40, true),
      numericText(r, 12, 6, true),
      `${r.int(2) === 0 ? '-' : ''}${1 + r.int(10 ** 12)}`,
      r.int(31) - 6,
      special,
      /[1-9]/.test(b),
    ];
    rows.push(`(${values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ')})`);
  }
  return rows.join(',\n');
}

let fixture: Differential | undefined;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  const setup = `
    CREATE TABLE r (id int PRIMARY KEY, a numeric, b numeric, big numeric, c numeric(20,6), i int8,
      k int, sp numeric, nz boolean);
    INSERT INTO r VALUES ${rowsOf(new Random(seed))};`;
  fixture = await startDifferential(setup, ['r']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

const raw = { getTypeParser: () => (value: string) => value };

async function rows(client: pg.Client, sql: string): Promise<unknown[]> {
  return (await client.query({ text: sql, rowMode: 'array', types: raw })).rows;
}

async function same(sql: string): Promise<void> {
  assert.deepEqual(await rows(columnar, sql), await rows(heap, sql), `${sql} (NUMERIC_SEED=${seed})`);
}

describe(`${ROWS} random numerics of random scales (NUMERIC_SEED=${seed})`, () => {
  before(() => console.log(`numeric-udf-differential: NUMERIC_SEED=${seed}`));

  const queries = [
    'SELECT id, a + b, a - b, a * b, -a, abs(b), ceil(a), floor(b), sign(b) FROM r ORDER BY id',
    'SELECT id, a / b, a % b, mod(big, b), round(a / b, k), b / a FROM r WHERE nz ORDER BY id',
    'SELECT id, round(a, k), trunc(b, k), round(big, k), trunc(big, k - 20), round(big), trunc(a) FROM r ORDER BY id',
    'SELECT id, big * a, big * big, big / a, a / big, big % a, big + a, big - b * 3 FROM r ORDER BY id',
    'SELECT id, c / i, i / c, c * a, round(c, k), c / a, round(i / a, k), a - c FROM r ORDER BY id',
    'SELECT id, sp + a, sp - b, sp * b, a / sp, sp % a, abs(sp), -sp, sign(sp), ceil(sp), round(sp, k) FROM r ORDER BY id',
    'SELECT id, sp / b, b % sp, sp / sp, sp - sp FROM r WHERE nz ORDER BY id',
    'SELECT k, avg(a), avg(c), avg(i), round(avg(b), 4), sum(a) / count(*), avg(b) / 3 FROM r GROUP BY k ORDER BY k',
  ];
  for (const sql of queries) test(sql, () => same(sql));

  // select_div_scale's edges (equal leading digit groups, group boundaries) and rounding ties.
  test('quotients and roundings at their edges', async () => {
    for (const sql of [
      'SELECT 1.0 / 1, 10000 / 1.0, 9999 / 9999.0, 0.0001 / 0.0001, 1 / 10000.0, 12345 / 1.2345, 0 / 7.0, -5 / 2.000',
      'SELECT 100000000 / 0.00000001, 0.00000001 / 100000000, 99999999 / 10000, 10000 / 99999999, 2 / 3.0000000000000000000001',
      'SELECT round(2.5), round(-2.5), round(0.5, 0), trunc(-0.59, 1), round(-0.05, 1), round(-0.04, 1), round(149.5, -2)',
      'SELECT round(-150, -2), round(0.0, -2), trunc(-99.9, -1), round(9.995, 2), round(-9.995, 2), round(0.000, 5), trunc(1.99, 0)',
    ])
      await same(sql);
  });

  test('a zero divisor fails with 22012 on both sides', async () => {
    for (const sql of [
      'SELECT a / b FROM r',
      'SELECT a % b FROM r',
      "SELECT sp / (b * 0) FROM r WHERE sp = 'Infinity'",
    ]) {
      assert.equal((await failure(heap, sql)).code, '22012', sql);
      assert.equal((await failure(columnar, sql)).code, '22012', sql);
    }
  });
});
