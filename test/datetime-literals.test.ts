/**
 * Date and timestamp literals in the forms PostgreSQL reads and DuckDB's cast does not
 * (datetime/datetime-literal.ts): each literal typed, cast, and compared with a column, on the
 * heap and through the daemon, text for text; literals PostgreSQL rejects fail alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { textRows } from './helpers/daemon.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;
let fixture: Differential | undefined;

const setup = `
  CREATE TABLE moments (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz);
  INSERT INTO moments VALUES
    (1, '1999-01-08', '1999-01-08 04:05:06', '1999-01-08 04:05:06+00'),
    (2, '2000-01-01', '2000-01-01 00:00:00', '2000-01-01 00:00:00+00'),
    (3, '0044-03-15 BC', '0044-03-15 12:00:00 BC', '0044-03-15 12:00:00+00 BC'),
    (4, 'infinity', '-infinity', 'infinity'),
    (5, '2000-02-29', '2000-02-29 23:59:59.999999', '2000-02-29 23:59:59.999999-05');`;

before(async () => {
  fixture = await startDifferential(setup, ['moments']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

async function same(sql: string): Promise<void> {
  const expected = await textRows(heap, sql);
  assert.deepEqual(await textRows(columnar, sql), expected, sql);
}

const timestamps = [
  '2000-01-01 00:00+00',
  '2000-01-01 00:00:00.5+05:30',
  '2000-01-01T05:00Z',
  '2000-01-01T05:00:00-0800',
  '2000-01-01 05:00 UTC',
  '2000-01-01 05:00:00 GMT',
  '1999-01-08 04:05:06.1234565+02',
  '1999-01-08 04:05:06.1234575',
  '19990108 04:05:06',
  '0044-03-15 12:00 BC',
  '0044-03-15 12:00:00+00 BC',
  'Jan 8, 1999 04:05',
  '8 January 1999 04:05:06',
  '1999-Jan-08 04:05:06+01:30',
  'sept 8 1999',
  '2000-01-01 24:00:00',
  '1999-12-31 23:59:60',
  '0001-12-31 24:00 BC',
  'epoch',
  'infinity',
  '-infinity',
  '2000-02-29',
  '2000-01-01 00:00 Europe/Berlin',
  '2000-07-01 12:00:00 America/New_York',
];

describe('timestamp and timestamptz literals read as PostgreSQL reads them', () => {
  for (const literal of timestamps) {
    const quoted = literal.replaceAll("'", "''");
    test(literal, () =>
      same(
        `SELECT timestamp '${quoted}', timestamptz '${quoted}', '${quoted}'::timestamp with time zone,
                (SELECT count(*) FROM moments WHERE tz >= '${quoted}'), (SELECT count(*) FROM moments WHERE ts < '${quoted}')`,
      ),
    );
  }
});

describe('date literals read as PostgreSQL reads them', () => {
  const dates = [
    '19990108',
    'Jan 8, 1999',
    '8 Jan 1999',
    '1999-Jan-08',
    'January 8 1999',
    '0044-03-15 BC',
    '1999-01-08 04:05+02',
    'epoch',
  ];
  for (const literal of dates)
    test(literal, () =>
      same(
        `SELECT date '${literal}', '${literal}'::date, (SELECT array_agg(id ORDER BY id) FROM moments WHERE d <= '${literal}')`,
      ),
    );
  test('a BETWEEN of month-name literals', () =>
    same(`SELECT id FROM moments WHERE d BETWEEN 'Jan 1 1999' AND 'Dec 31, 1999' ORDER BY id`));
});

describe('forms that depend on DateStyle, the moment or zone abbreviations are refused', () => {
  for (const sql of [
    `SELECT date '01/02/2000'`,
    `SELECT timestamp 'now'`,
    `SELECT id FROM moments WHERE d < 'today'`,
    `SELECT timestamptz '2000-01-01 00:00 PST'`,
  ])
    test(sql, async () => {
      await heap.query(sql);
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', error.message);
      assert.match(error.message, /pg_analytica does not support the \w+ literal/);
    });
});

describe('literals PostgreSQL rejects fail alike', () => {
  for (const sql of [
    `SELECT date 'janu 8 1999'`,
    `SELECT date '1999-02-29'`,
    `SELECT timestamp '2000-01-01 24:00:01'`,
    `SELECT timestamp '2000-01-01 23:60:00'`,
  ])
    test(sql, async () => {
      const expected = await failure(heap, sql);
      const actual = await failure(columnar, sql);
      assert.deepEqual([actual.code, actual.message], [expected.code, expected.message]);
    });
});
