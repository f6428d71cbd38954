/**
 * to_char of numbers and intervals against the heap: every number type (smallint, integer,
 * bigint, numeric(12,4), numeric, real, double precision) over edge values (0, ±0.5, 999.995,
 * 1e15, -1e-10, the integer limits, NaN, ±Infinity, minus zero, NULL) × templates covering every
 * number pattern and their combinations, a seeded fuzz of random templates over random values,
 * and intervals over the datetime patterns. Each statement runs on the heap and through the
 * daemon and must give the same text, or the same error (SQLSTATE and message); what the daemon
 * refuses fails with 0A000.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;

const FUZZ_SEED = Number(process.env.TO_CHAR_FUZZ_SEED ?? 20261207);

/** A small deterministic generator (mulberry32), so that a failing case can be replayed by its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COLUMNS = ['i2', 'i4', 'i8', 'n4', 'n', 'r', 'd'];

const setup = `
  CREATE TABLE nums (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, n4 numeric(12,4), n numeric, r real, d double precision);
  INSERT INTO nums VALUES
    (1, 0, 0, 0, 0, 0, 0, 0),
    (2, -5, -5, -5, -0.5, -0.5, -0.5, -0.5),
    (3, 5, 5, 5, 0.5, 0.5, 0.5, 0.5),
    (4, 999, 999, 999, 999.995, 999.995, 999.995, 999.995),
    (5, NULL, NULL, 1000000000000000, NULL, 1e15, 1e15, 1e15),
    (6, -1, -1, -1, -0.0001, -1e-10, -1e-10, -1e-10),
    (7, 32767, 2147483647, 9223372036854775807, 99999999.9999, 12345678901234567890.123456789, 3.4028235e38, 1.7976931348623157e308),
    (8, -32768, -2147483648, -9223372036854775808, -99999999.9999, -12345678901234567890.123456789, -1.1754944e-38, -2.2250738585072014e-308),
    (9, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (10, 3999, 3999, 3999, 3999.4999, 'NaN', 'NaN', 'NaN'),
    (11, 4000, 4000, 4000, -3999.5, 'Infinity', 'Infinity', '-Infinity'),
    (12, 12, -12, 123, 1234.5678, 2.5, 2.5, 0.125),
    (13, -3, 11, -1000, 0.005, -2.5, '-0', '-0'),
    (14, 1, 13, 112, -0.0001, 9.995, 9.995, 9.995),
    (15, 2, 21, 22, 0.0500, 0.0000001, 123456.789, 123456789012.345678),
    (16, 100, 101, 111, 1.1000, -1234567.891, 0.1, 0.1);
  CREATE TABLE fuzz (id int PRIMARY KEY, i4 int4, i8 int8, n4 numeric(12,4), n numeric, r real, d double precision);
  CREATE TABLE ivfuzz (id int PRIMARY KEY, iv interval);
  CREATE TABLE ivs (id int PRIMARY KEY, iv interval, t text);
  INSERT INTO ivs VALUES
    (1, '1 year 2 mons 3 days 04:05:06.789', 'HH24'), (2, '-14 mons -3 days -05:07:08.5', 'MI'),
    (3, '100 hours', 'SS'), (4, '-1 year -1 mons', 'YYYY'), (5, '0', 'DD'), (6, '25 years 13:00', 'HH12'),
    (7, '-13:00:00', 'HH'), (8, '1 mon -1 days 25:00:00', 'MM'), (9, '-123 years', 'CC'),
    (10, '12345 years 11 mons', 'Y,YYY'), (11, '0.000001 secs', 'US'), (12, '-0.5 secs', 'MS'), (13, NULL, NULL),
    (14, '3 mons 40 days', 'Q'), (15, '-7 mons', 'RM'), (16, '6 days 12:00', 'AM'),
    (17, '-84:00:00', 'HH12');`;

/** Random values of each magnitude for the fuzz table, printed as PostgreSQL literals. */
function fuzzRows(next: () => number): string {
  const rows: string[] = [];
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
  for (let id = 1; id <= 60; id++) {
    const sign = next() < 0.4 ? '-' : '';
    const whole = digits(Math.floor(next() * 9)).replace(/^0+(?=\d)/, '') || '0';
    const decimals = digits(Math.floor(next() * 8));
    const exact = `${sign}${whole}${decimals ? `.${decimals}` : ''}`;
    const i4 = Math.floor((next() - 0.5) * 2 ** (next() * 32));
    const i8 = `${sign}${digits(1 + Math.floor(next() * 17)).replace(/^0+(?=\d)/, '')}`;
    const n4 = `${sign}${whole.slice(-8)}.${decimals.slice(0, 4) || '0'}`;
    const float = (next() - 0.5) * 10 ** Math.floor(next() * 24 - 8);
    rows.push(`(${id}, ${i4}, ${i8}, ${n4}, ${exact}, ${float}, ${float * 3.7})`);
  }
  return `INSERT INTO fuzz VALUES ${rows.join(', ')}`;
}

/** Random intervals: months, days and microseconds of either sign, each part sometimes zero. */
function intervalRows(next: () => number): string {
  const part = (range: number) => (next() < 0.25 ? 0 : Math.round((next() - 0.5) * 2 * range));
  const rows = Array.from({ length: 40 }, (_, i) => {
    const micros = part(400 * 3_600_000_000);
    return `(${i + 1}, '${part(3000)} mons ${part(90)} days ${micros} microseconds')`;
  });
  return `INSERT INTO ivfuzz VALUES ${rows.join(', ')}`;
}

const INTERVAL_FIELDS = [
  'HH',
  'HH12',
  'HH24',
  'MI',
  'SS',
  'MS',
  'US',
  'FF3',
  'SSSS',
  'AM',
  'p.m.',
  'MM',
  'DD',
  'DDD',
  'WW',
  'W',
  'Q',
  'CC',
  'Y,YYY',
  'YYYY',
  'YYY',
  'YY',
  'Y',
  'RM',
  'rm',
];

function randomIntervalTemplate(next: () => number): string {
  const pick = (list: readonly string[]) => list[Math.floor(next() * list.length)]!;
  const fields = Array.from({ length: 1 + Math.floor(next() * 5) }, () => {
    const field = pick(INTERVAL_FIELDS);
    return `${next() < 0.3 ? 'FM' : ''}${field}${next() < 0.2 ? pick(['th', 'TH']) : ''}`;
  });
  return fields.join(pick([' ', ':', '-', '|']));
}

const PIECES = {
  lead: ['', '', 'FM', 'S', 'SG', 'PL', 'MI', 'L', '"$"', 'FMS', 'FML'],
  pre: [
    '9',
    '99',
    '999',
    '9999',
    '0',
    '00',
    '09',
    '90',
    '9,999',
    '9G999',
    '0,000',
    '99,999,999',
    '999999999999999999',
  ],
  point: ['', '.', 'D', '.', '.'],
  post: ['', '9', '99', '00', '909', '9999', '0000', '999999999'],
  tail: ['', '', '', 'S', 'MI', 'PL', 'SG', 'PR', 'TH', 'th', 'EEEE', 'V99', ' "x"', 'RN', 'FMRN', 'rn'],
};

function randomTemplate(next: () => number): string {
  const pick = (list: readonly string[]) => list[Math.floor(next() * list.length)]!;
  return `${pick(PIECES.lead)}${pick(PIECES.pre)}${pick(PIECES.point)}${pick(PIECES.post)}${pick(PIECES.tail)}`;
}

let fixture: Differential | undefined;

before(async () => {
  const rows = `${fuzzRows(random(FUZZ_SEED))}; ${intervalRows(random(FUZZ_SEED + 2))};`;
  fixture = await startDifferential(`${setup}; ${rows}`, ['nums', 'fuzz', 'ivs', 'ivfuzz']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

type Outcome = { rows: unknown[][]; types: number[] } | { code: string; message: string };

async function outcome(client: pg.Client, sql: string): Promise<Outcome> {
  try {
    const r = await client.query({ text: sql, rowMode: 'array' });
    return { rows: r.rows as unknown[][], types: r.fields.map((f) => f.dataTypeID) };
  } catch (error) {
    const e = error as pg.DatabaseError;
    return { code: e.code ?? '', message: e.message };
  }
}

/** The same rows, text for text (and result type), or the same error, on the heap and through the daemon. */
async function same(sql: string): Promise<void> {
  const expected = await outcome(heap, sql);
  if ('code' in expected) assert.notEqual(expected.code, '', sql);
  assert.deepEqual(await outcome(columnar, sql), expected, sql);
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

const TEMPLATES = [
  '999',
  '9999999999999999999',
  'FM9990.00',
  'S9,999.99',
  '9.99EEEE',
  '0.000EEEE',
  '9EEEE',
  'FM9.99EEEE',
  'RN',
  'FMRN',
  'rn',
  'FMrn',
  '999th',
  '999TH',
  'FM999th',
  '999PR',
  'FM999.99PR',
  '9.99PR',
  'L9G999D99',
  'FML9G999D99',
  '##.##',
  '99.99',
  'SG9',
  'SG999.999',
  '9MI',
  '999.99MI',
  'MI999.99',
  'FMMI999.99',
  '9PL',
  'PL999.99',
  'FMPL999.99',
  '0000',
  '0000.0000',
  '9990.0099',
  'FM0000.00',
  'FM9999.9900',
  'V99',
  '9V99',
  '999V999',
  '9V9999999999',
  '9.9',
  'FM9.9',
  '.99',
  'FM.99',
  'S9.9',
  '9.9S',
  'FMS9.9',
  'S0000.00',
  '00.00S',
  '999D999S',
  'FM999,999,999,999,999,999.999999999999999',
  '9,999,999,999,999,999,999.99',
  'G999G999',
  '"Total:" 9,999.99 "units"',
  '\\"9\\" 99',
  '9 9 9',
  'B9C99SP',
  'FMSG9990.00',
  'FM999999999999999999999999.99999999999999999999999',
  '0.00000000000000000000000000000000000000000000001',
];

describe('to_char of numbers prints what PostgreSQL prints', () => {
  for (const template of TEMPLATES) {
    test(`template ${template}`, async () => {
      for (const column of COLUMNS)
        await same(`SELECT id, to_char(${column}, ${quote(template)}) FROM nums ORDER BY id`);
    });
  }

  test('an empty template gives an empty string, a NULL template NULL', () =>
    same(
      `SELECT id, to_char(i4, ''), to_char(n, ''), to_char(d, ''), to_char(n, NULL::text) FROM nums ORDER BY id`,
    ));

  test('a template that is not a constant is read per row', () =>
    same(
      `SELECT id, to_char(i8, CASE WHEN id % 2 = 0 THEN 'FM9,999.00' ELSE '999PR' END), to_char(d, repeat('9', id) || '.99') FROM nums ORDER BY id`,
    ));

  test('expressions of each type keep their type (smallint + smallint, numeric / numeric, real * real)', () =>
    same(
      `SELECT id, to_char(i2 + i2, '99999'), to_char(n4 / 3, 'FM999999999.999999'), to_char(r * r, '9.999EEEE'), to_char(i8 * 2, 'S99999999999999999999') FROM nums WHERE id IN (1, 2, 3, 12, 13, 14) ORDER BY id`,
    ));

  test('templates PostgreSQL rejects fail the same way (42601)', async () => {
    for (const template of ['9.9.9', 'EEEE9', '9PR9', 'S9S', 'SPL9', '9V9.9', 'RNEEEE', 'PRS9']) {
      await same(`SELECT to_char(i4, ${quote(template)}) FROM nums`);
    }
  });

  test('RN of a bigint or numeric outside integer fails as in PostgreSQL (22003, 0A000)', async () => {
    await same(`SELECT to_char(i8, 'RN') FROM nums WHERE id = 7`);
    await same(`SELECT to_char(n, 'RN') FROM nums WHERE id = 10`);
    await same(`SELECT to_char(n, 'RN') FROM nums WHERE id = 11`);
    await same(`SELECT to_char(i8, '9V99999999999999999999') FROM nums WHERE id = 3`);
  });

  test(`seeded fuzz of random templates over random values (seed ${FUZZ_SEED}, TO_CHAR_FUZZ_SEED replays)`, async () => {
    const next = random(FUZZ_SEED + 1);
    for (let i = 0; i < 300; i++) {
      const template = randomTemplate(next);
      const list = ['i4', 'i8', 'n4', 'n', 'r', 'd'].map((c) => `to_char(${c}, ${quote(template)})`);
      await same(`SELECT id, ${list.join(', ')} FROM fuzz ORDER BY id`);
    }
  });

  test('D, G, L and S are refused (0A000) where the locale settings are unknown (no table read)', async () => {
    for (const sql of [
      `SELECT to_char(1234.5, 'L9G999D99')`,
      `SELECT to_char(-1, 'S9')`,
      `SELECT to_char(1, '9' || '9')`,
    ]) {
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', sql);
      assert.match(error.message, /not supported by pg_analytica/, sql);
    }
    await same(`SELECT to_char(1234.5, 'FM9,999.99PR'), to_char(-7::int8, '999MI')`);
  });
});

const INTERVAL_TEMPLATES = [
  'HH HH12 HH24 MI SS MS US SSSS SSSSS',
  'FF1 FF2 FF3 FF4 FF5 FF6',
  'AM am A.M. a.m. PM pm P.M. p.m.',
  'MM DD DDD WW W Q CC',
  'Y,YYY YYYY YYY YY Y',
  'RM rm FMRM FMrm',
  'FMHH24:FMMI:FMSS FMMM FMDD FMDDD FMWW FMCC FMYYYY FMYYY FMYY',
  'HH24th DDTH MMth FMDDth YYYYth SSTH Qth CCth Wth',
  '"days:" DD, \\"HH24\\" FX',
];

describe('to_char of intervals prints what PostgreSQL prints', () => {
  for (const template of INTERVAL_TEMPLATES) {
    const sql = `SELECT id, to_char(iv, ${quote(template)}) FROM ivs ORDER BY id`;
    test(sql, () => same(sql));
  }

  test('an empty template gives NULL', () => same(`SELECT id, to_char(iv, '') FROM ivs ORDER BY id`));

  test(`seeded fuzz of random templates over random intervals (seed ${FUZZ_SEED}, TO_CHAR_FUZZ_SEED replays)`, async () => {
    const next = random(FUZZ_SEED + 3);
    for (let i = 0; i < 100; i++) {
      await same(`SELECT id, to_char(iv, ${quote(randomIntervalTemplate(next))}) FROM ivfuzz ORDER BY id`);
    }
  });

  test('month, day-name, era and time zone fields fail as in PostgreSQL (22007)', async () => {
    for (const template of ['Month', 'Mon', 'Day', 'Dy', 'D', 'ID', 'BC', 'a.d.', 'TZ', 'OF', 'TZH']) {
      await same(`SELECT to_char(iv, ${quote(template)}) FROM ivs WHERE id = 1`);
    }
  });

  test('fields computed as if the interval were a date, and a template that is not a constant, are refused (0A000)', async () => {
    for (const sql of [
      `SELECT to_char(iv, 'IW') FROM ivs`,
      `SELECT to_char(iv, 'J') FROM ivs`,
      `SELECT to_char(iv, 'IYYY') FROM ivs`,
      `SELECT to_char(iv, 'DDSP') FROM ivs`,
      `SELECT to_char(iv, t) FROM ivs`,
    ]) {
      assert.equal((await failure(columnar, sql)).code, '0A000', sql);
    }
  });
});
