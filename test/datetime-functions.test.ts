/**
 * Date/time functions against the heap: EXTRACT and date_part of every unit
 * for date, timestamp, timestamptz, time and interval, date/time arithmetic
 * and casts, in several session time zones. Every query runs on the heap
 * table and through the daemon and must return the same text and the same
 * result type OIDs; what the daemon cannot do exactly fails with 0A000.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;

// BC dates, ±infinity, leap days, month ends, DST changes (New York), a zone with a half-hour
// offset (Kolkata), local mean time before 1883 (New York −4:56:02) and a DST change at midnight
// (São Paulo).
const setup = `
  CREATE TABLE dt (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, t time, iv interval);
  INSERT INTO dt VALUES
    (1, '2024-02-29', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59.999999+00', '23:59:59.999999',
        '1 year 2 mons 3 days 04:05:06.789'),
    (2, '2023-01-31', '2023-01-31 00:00:00', '2023-03-12 06:30:00+00', '00:00:00', '-14 mons -3 days -05:07:08.5'),
    (3, '0044-03-15 BC', '0044-03-15 12:00:00.5 BC', '0001-01-01 00:00:00+00 BC', '12:34:56.789', '100 hours'),
    (4, 'infinity', 'infinity', 'infinity', '24:00:00', '2 mons -29 days'),
    (5, '-infinity', '-infinity', '-infinity', NULL, '-1 year -1 mons'),
    (6, NULL, NULL, NULL, NULL, NULL),
    (7, '2000-12-31', '1999-12-31 23:59:59', '1850-06-01 12:00:00+00', '01:02:03', '0.000001 secs'),
    (8, '0001-01-01', '0001-01-01 00:00:00', '2021-01-03 05:00:00+05:30', '13:00', '-1 days +01:00:00'),
    (9, '2020-12-31', '2021-01-01 10:00', '2024-11-03 05:30:00+00', '11:59:59.5', '10 years'),
    (10, '1999-01-01 BC', '2000-02-29 12:30:45.5', '1999-12-31 23:00:00-05', '06:00:00.000001', '-1 secs'),
    (11, '2018-11-04', '2019-02-16 23:30:00', '2018-11-04 12:00:00-02', '23:30:00', '1 mon -1 days 25:00:00');`;

// São Paulo moved its clocks at midnight (2018-11-04 began at 01:00).
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'America/Sao_Paulo'];

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(setup, ['dt']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

async function result(client: pg.Client, sql: string) {
  const r = await client.query({ text: sql, rowMode: 'array' });
  return { types: r.fields.map((f) => f.dataTypeID), rows: r.rows as unknown[][] };
}

/** The same rows, text for text, and the same result type OIDs, in each session time zone. */
async function same(sql: string, zones: readonly string[] = ZONES): Promise<void> {
  for (const zone of zones) {
    await heap.query(`SET TimeZone = '${zone}'`);
    await columnar.query(`SET TimeZone = '${zone}'`);
    assert.deepEqual(await result(columnar, sql), await result(heap, sql), `${sql} (TimeZone ${zone})`);
  }
}

/** PostgreSQL's own error for both, code and message. */
async function sameError(sql: string): Promise<void> {
  const expected = await failure(heap, sql);
  const actual = await failure(columnar, sql);
  assert.deepEqual([actual.code, actual.message], [expected.code, expected.message], sql);
}

const CALENDAR = 'day month quarter week year decade century millennium isoyear dow isodow doy epoch';
const CLOCK = 'microseconds milliseconds second minute hour';
const UNITS: Readonly<Record<string, string>> = {
  d: `${CALENDAR} julian`,
  ts: `${CALENDAR} ${CLOCK} julian`,
  tz: `${CALENDAR} ${CLOCK} timezone timezone_h timezone_m julian`,
  t: `${CLOCK} epoch`,
  iv: `${CLOCK} day month quarter year decade century millennium epoch`,
};

describe('EXTRACT returns numeric with PostgreSQL scale', () => {
  for (const [column, units] of Object.entries(UNITS)) {
    const list = units.split(' ').map((u) => `extract(${u} FROM ${column})`);
    const finite = column === 't' || column === 'iv' ? '' : ` WHERE isfinite(${column})`;
    const sql = `SELECT id, ${list.join(', ')} FROM dt${finite} ORDER BY id`;
    test(sql, () => same(sql));
  }

  test('units that do not grow with time are NULL at ±infinity', () =>
    same(
      `SELECT id, extract(month FROM ts), extract(dow FROM d), extract(hour FROM tz) FROM dt ORDER BY id`,
    ));

  test('numeric ±Infinity (EXTRACT(year FROM infinity)) fails with 0A000', async () => {
    const error = await failure(columnar, `SELECT extract(year FROM ts) FROM dt WHERE id = 4`);
    assert.equal(error.code, '0A000');
    assert.match(error.message, /infinite timestamp/);
  });

  // numeric_div's scale is picked per value (20 at noon, 28 at midnight): exact numeric text.
  test('EXTRACT(julian FROM timestamp[tz]) prints the scale of each value, ±Infinity at ±infinity', () =>
    same(
      `SELECT id, extract(julian FROM ts), extract(jd FROM tz), extract(julian FROM ts) > 2451545 FROM dt ORDER BY id`,
    ));

  test('unit aliases read as PostgreSQL reads them', () =>
    same(
      `SELECT id, extract(microsecond FROM ts), extract(millenniums FROM d), extract(jd FROM d), extract(cent FROM d),
              extract(m FROM ts), extract(secs FROM t), extract(y FROM iv), extract(mons FROM iv) FROM dt WHERE isfinite(d) AND isfinite(ts) ORDER BY id`,
    ));
});

describe('date_part returns double precision', () => {
  for (const [column, units] of Object.entries(UNITS)) {
    const all = column === 'd' ? `${units} ${CLOCK}` : units;
    const list = all.split(' ').map((u) => `date_part('${u}', ${column})`);
    const sql = `SELECT id, ${list.join(', ')} FROM dt ORDER BY id`;
    test(sql, () => same(sql));
  }
});

describe('EXTRACT and date_part errors are PostgreSQL errors', () => {
  const queries = [
    `SELECT extract(hour FROM d) FROM dt`,
    `SELECT extract(foo FROM d) FROM dt`,
    `SELECT extract(day FROM t) FROM dt`,
    `SELECT extract(dow FROM iv) FROM dt`,
    `SELECT extract(timezone FROM ts) FROM dt`,
    `SELECT date_part('foo', tz) FROM dt`,
    `SELECT date_part('timezone', d) FROM dt`,
  ];
  for (const sql of queries) test(sql, () => sameError(sql));
});

describe('date/time arithmetic and casts', () => {
  const queries = [
    `SELECT id, ts::time, tz::time, tz::date, ts::date, d::timestamp, d::timestamptz, ts::timestamptz, tz::timestamp FROM dt ORDER BY id`,
    `SELECT id, t + interval '1 hour 30 minutes', t - interval '13 hours', t - time '06:00', t + interval '1 day' FROM dt ORDER BY id`,
    `SELECT id, d - date '2000-01-01', d + 30, d - 1, 7 + d, d + interval '1 month', d - interval '1 day 2 hours' FROM dt WHERE isfinite(d) ORDER BY id`,
    `SELECT id, ts - timestamp '2000-01-01', ts - ts, timestamp '2024-03-01 02:00' - ts, ts + interval '1 mon 2 days 3 hours' FROM dt WHERE isfinite(ts) ORDER BY id`,
    `SELECT id, tz - timestamptz '2000-01-01 00:00:00+00', tz + interval '1 day', tz + interval '24 hours', tz - interval '1 month' FROM dt WHERE isfinite(tz) ORDER BY id`,
    `SELECT id, d + t, t + d, d + time '12:00' FROM dt WHERE isfinite(d) ORDER BY id`,
    // Of two date/time types the other is cast to the later one (a date to its midnight in the
    // session's zone), then the instants are subtracted (it was the local times' difference).
    `SELECT id, tz - d, d - tz, tz - ts, ts - tz, ts - d, d - ts, tz - date '2000-01-01', ts - '2000-01-01', '2024-03-10 12:00' - tz FROM dt WHERE isfinite(d) AND isfinite(ts) AND isfinite(tz) ORDER BY id`,
    // ::text, || and concat() print PostgreSQL's output (1 year 2 mons, 0044-03-15 BC), not DuckDB's.
    `SELECT id, iv::text, d::text, ts::text, CAST(iv AS varchar), 'x' || iv, d || 'x', concat(ts, '|', iv) FROM dt ORDER BY id`,
    // date ± an integer DuckDB types wider (length() is BIGINT there), a smallint, an integer on the left.
    `SELECT id, d - length(iv::text), d + length(iv::text), length(iv::text) + d, d + id::smallint, d - (id % 3) FROM dt ORDER BY id`,
    `SELECT id, iv * 2, iv / 2, -iv, iv + interval '1 hour', iv * 1.5 FROM dt ORDER BY id`,
    `SELECT id, age(ts, timestamp '2000-01-31'), age(timestamp '2024-03-31', ts), age(tz, timestamptz '2000-02-29 12:00:00+00') FROM dt WHERE isfinite(ts) AND isfinite(tz) ORDER BY id`,
    `SELECT id, justify_days(iv), justify_hours(iv), justify_interval(iv) FROM dt ORDER BY id`,
    `SELECT make_interval(1, 2, 3, 4, 5, 6, 7.5), make_interval(days => 10), make_interval(hours => -3, mins => 30)`,
    `SELECT id, date_trunc('year', ts), date_trunc('quarter', ts), date_trunc('month', ts), date_trunc('week', ts), date_trunc('day', ts), date_trunc('hour', ts), date_trunc('minute', ts), date_trunc('second', ts), date_trunc('milliseconds', ts), date_trunc('microseconds', ts) FROM dt ORDER BY id`,
    `SELECT id, date_trunc('decade', ts), date_trunc('century', ts), date_trunc('millennium', ts) FROM dt ORDER BY id`,
    // A time is truncated as an interval (PostgreSQL's implicit cast).
    `SELECT id, date_trunc('hour', t), date_trunc('minute', t), date_trunc('day', t), date_trunc('millisecond', t) FROM dt ORDER BY id`,
    `SELECT id, date_trunc('year', tz), date_trunc('month', tz), date_trunc('week', tz), date_trunc('day', tz), date_trunc('hour', tz), date_trunc('minute', tz) FROM dt ORDER BY id`,
    `SELECT id, date_trunc('day', d), date_trunc('month', d) FROM dt ORDER BY id`,
    `SELECT id, date_trunc('year', iv), date_trunc('month', iv), date_trunc('day', iv), date_trunc('hour', iv), date_trunc('minute', iv) FROM dt ORDER BY id`,
    `SELECT now() = current_timestamp, current_date = now()::date, current_date = CAST(current_timestamp AS date)`,
    `SELECT count(*) FROM dt WHERE ts < now() AND d < current_date`,
    `SELECT extract(year FROM now()) = extract(year FROM current_date), date_part('day', now()) = date_part('day', current_timestamp), extract(epoch FROM make_date(2024, 2, 29)), extract(dow FROM to_timestamp(0))`,
    // postgres_fdw deparses units and templates with a cast: 'day'::text.
    `SELECT id, date_part('year'::text, d), date_trunc('day'::text, ts), to_char(ts, 'YYYY-MM'::text), EXTRACT(EPOCH FROM tz) FROM dt WHERE isfinite(tz) ORDER BY id`,
    `SELECT id, extract(year FROM ts + interval '1 day'), extract(epoch FROM tz - timestamptz '2000-01-01 00:00:00+00'), extract(hour FROM t - interval '3 hours'), extract(day FROM d + 1) FROM dt WHERE isfinite(ts) AND isfinite(tz) AND isfinite(d) ORDER BY id`,
    `SELECT interval '1 mon' * 0.3, interval '1 mon 1 day' / 7, interval '-1 mon' * 1.5, interval '1 day' * 0.1, 2 * interval '1 hour 30 min', interval '1 year' / 3.5`,
    `SELECT age(timestamp '2024-03-31', timestamp '2024-02-29'), age(timestamp '2024-02-29', timestamp '2024-03-31'),
            age(timestamp '2023-03-01', timestamp '2023-01-31 12:00'), age(timestamp '2023-01-31 12:00', timestamp '2023-03-01'),
            age(timestamp '2024-01-01', timestamp '2024-01-01')`,
    `SELECT id, age(ts, timestamp '2001-01-01'), age(timestamp '2001-01-01', ts) FROM dt WHERE isfinite(ts) ORDER BY id`,
    `SELECT id, age(ts), age(tz), age(ts, ts - interval '1 mon 3 days 01:00:00.5') FROM dt WHERE isfinite(ts) AND isfinite(tz) ORDER BY id`,
    `SELECT id, tz::time, tz + interval '1 day 1 hour', interval '2 mons 24 hours' + tz, tz - interval '1 mon 24 hours' FROM dt ORDER BY id`,
    `SELECT justify_interval(interval '-1 mon 35 days -25:00'), justify_days(interval '-65 days'), justify_hours(interval '1 day -49 hours'), make_interval(secs => 1.0000005), make_interval(1, -13)`,
    // A local time a fall-back repeats (New York, 2024-11-03 01:00-02:00) is the later instant, as
    // PostgreSQL reads it: a day added into that hour, and date_trunc to it.
    `SELECT x, x + interval '1 day', x + interval '1 day 00:30', x - interval '1 mon' + interval '1 mon', date_trunc('hour', x), date_trunc('hour', x + interval '1 hour')
       FROM (VALUES (timestamptz '2024-11-02 05:30:00+00'), (timestamptz '2024-11-03 05:30:00+00'), (timestamptz '2024-11-03 06:30:00+00'),
                    (timestamptz '2024-10-26 00:30:00+00'), (timestamptz '2024-10-27 00:30:00+00'), (timestamptz '2024-03-09 07:30:00+00'),
                    (timestamptz '2024-03-10 06:30:00+00'), (timestamptz '2024-03-10 07:30:00+00'), (timestamptz '2024-03-31 00:30:00+00')) AS v(x) ORDER BY x`,
    `SELECT id, tz + interval '1 day', tz - interval '2 days 01:00', tz + iv FROM dt WHERE isfinite(tz) ORDER BY id`,
    // AT TIME ZONE is typed (timestamptz → timestamp, timestamp → timestamptz, date as timestamptz), so what wraps it works.
    `SELECT date_trunc('day', tz AT TIME ZONE 'America/New_York') AS day, count(*) FROM dt GROUP BY 1 ORDER BY 1`,
    `SELECT id, extract(hour FROM tz AT TIME ZONE 'Asia/Kolkata'), to_char(ts AT TIME ZONE 'Europe/Berlin', 'YYYY-MM-DD HH24:MI'), (tz AT TIME ZONE 'UTC')::date, d AT TIME ZONE 'America/Sao_Paulo' FROM dt WHERE isfinite(tz) AND isfinite(ts) ORDER BY id`,
    `SELECT id, date_trunc('month', ts AT TIME ZONE 'UTC'), (ts AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Tokyo' FROM dt ORDER BY id`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('date/time errors are PostgreSQL errors', () => {
  const queries = [
    `SELECT d - date '2000-01-01' FROM dt WHERE id = 4`,
    `SELECT iv / 0 FROM dt WHERE id = 1`,
    `SELECT date_trunc('foo', ts) FROM dt`,
    `SELECT date_trunc('dow', tz) FROM dt`,
  ];
  for (const sql of queries) test(sql, () => sameError(sql));

  // PostgreSQL 17 returns an infinite interval; DuckDB's INTERVAL has no infinity.
  for (const sql of [
    `SELECT ts - timestamp '2000-01-01' FROM dt WHERE id = 5`,
    `SELECT age(ts, timestamp '2000-01-01') FROM dt WHERE id = 4`,
  ]) {
    test(`${sql} is refused with 0A000`, async () => {
      assert.equal((await failure(columnar, sql)).code, '0A000');
    });
  }
});

describe('to_char of dates and timestamps prints PostgreSQL patterns', () => {
  const templates = [
    'YYYY-MM-DD HH24:MI:SS.US',
    'YYYY-MM-DD HH12:MI:SS.MS AM a.m. PM',
    'Month MONTH month Mon MON mon FMMonth| Day DAY day Dy DY dy FMDay|',
    'YYYY YYY YY Y Y,YYY IYYY IYY IY I BC bc B.C. AD a.d.',
    'Q WW IW W J CC DDD IDDD D ID SSSS SSSSS FF1 FF2 FF3 FF4 FF5 FF6',
    'DDth DDTH FMDDth MMth HH24th FMHH12TH YYYYth Dth IWth',
    'FMYYYY-FMMM-FMDD FMHH24:FMMI:FMSS FMCC FMIW FMWW FMDDD',
    'RM rm FMRM "quoted YYYY" \\"YYYY FX xyz FMxyz',
    'HH:MI:SS am',
  ];
  for (const template of templates) {
    const sql = `SELECT id, to_char(d, '${template}'), to_char(ts, '${template}'), to_char(tz, '${template}') FROM dt ORDER BY id`;
    test(sql, () => same(sql));
  }

  test('an empty template gives NULL', () =>
    same(`SELECT to_char(ts, ''), to_char(d, '') FROM dt WHERE id = 1`));

  for (const sql of [
    `SELECT to_char(tz, 'YYYY TZ') FROM dt`,
    `SELECT to_char(ts, 'TMMonth') FROM dt`,
    `SELECT to_char(iv, 'IW') FROM dt`,
    `SELECT to_char(t, 'HH24') FROM dt`,
  ]) {
    test(`${sql} is refused with 0A000`, async () => {
      assert.equal((await failure(columnar, sql)).code, '0A000');
    });
  }
});

describe('ordered-set aggregates', () => {
  const queries = [
    `SELECT mode() WITHIN GROUP (ORDER BY id % 2), mode() WITHIN GROUP (ORDER BY id % 2 DESC), mode() WITHIN GROUP (ORDER BY id % 3) FROM dt`,
    `SELECT mode() WITHIN GROUP (ORDER BY id % 2) FILTER (WHERE id > 1), mode() WITHIN GROUP (ORDER BY d) FROM dt`,
    `SELECT g, mode() WITHIN GROUP (ORDER BY extract(dow FROM d)) FROM (SELECT id % 2 AS g, d FROM dt) s GROUP BY g ORDER BY g`,
    `SELECT mode() WITHIN GROUP (ORDER BY t) FROM dt`,
    `SELECT mode() WITHIN GROUP (ORDER BY CASE WHEN id <= 3 THEN 'b' WHEN id <= 6 THEN 'a' END), mode() WITHIN GROUP (ORDER BY CASE WHEN id <= 3 THEN 'b' WHEN id <= 6 THEN 'a' END DESC) FROM dt`,
    `SELECT mode() WITHIN GROUP (ORDER BY id) FROM dt WHERE false`,
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY id), percentile_cont(0.25) WITHIN GROUP (ORDER BY id * 1.5), percentile_cont(0.33) WITHIN GROUP (ORDER BY id::float8 / 3) FROM dt`,
    `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY id), percentile_disc(0) WITHIN GROUP (ORDER BY ts), percentile_disc(1) WITHIN GROUP (ORDER BY d), percentile_disc(0.33) WITHIN GROUP (ORDER BY t) FROM dt`,
    `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY iv), percentile_disc(0.3) WITHIN GROUP (ORDER BY iv DESC) FROM dt`,
    `SELECT percentile_cont(ARRAY[0.25, 0.5, 0.9]) WITHIN GROUP (ORDER BY id), percentile_disc(ARRAY[0.1, 0.5]) WITHIN GROUP (ORDER BY id) FROM dt`,
    `SELECT id % 3, percentile_cont(0.5) WITHIN GROUP (ORDER BY id DESC) FROM dt GROUP BY 1 ORDER BY 1`,
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY id) FROM dt WHERE false`,
  ];
  for (const sql of queries) test(sql, () => same(sql, ['UTC']));

  test('a fraction outside [0, 1] fails as in PostgreSQL', () =>
    sameError(`SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY id) FROM dt`));

  test('percentile_cont of intervals is refused with 0A000', async () => {
    const sql = `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY iv) FROM dt`;
    assert.equal((await failure(columnar, sql)).code, '0A000');
  });
});

describe('date_bin', () => {
  const queries = [
    `SELECT id, date_bin('15 minutes', ts, timestamp '2000-01-01'), date_bin('1 hour', tz, timestamptz '2024-03-09 00:07:00+00'), date_bin('1 day 2 hours', d, '2024-01-01') FROM dt ORDER BY id`,
    `SELECT id, date_bin(interval '90 seconds', ts, '2001-01-01 00:00:30'), date_bin('6 hours', tz, timestamp '2024-01-01'), date_bin('1 microsecond', tz, '2000-01-01') FROM dt ORDER BY id`,
    // An origin after the source, a source on a bin boundary before it.
    `SELECT date_bin('1 hour', timestamp '2024-01-01 09:00', timestamp '2024-01-01 10:00'), date_bin('1 hour', timestamp '2024-01-01 09:30', '2024-01-01 10:00'), date_bin('1 hour', '2024-01-01 09:00', '2024-01-01 10:00')`,
    `SELECT date_bin('1 day', tz, '2024-01-01') AS day, count(*) FROM dt GROUP BY 1 ORDER BY 1`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
  for (const sql of [
    `SELECT date_bin('1 mon', ts, '2000-01-01') FROM dt`,
    `SELECT date_bin('0 s', tz, '2000-01-01') FROM dt`,
    `SELECT date_bin('-1 h', ts, '2000-01-01') FROM dt`,
    `SELECT date_bin('1 h', ts, '-infinity') FROM dt WHERE id = 1`,
  ])
    test(`fails as in PostgreSQL: ${sql}`, () => sameError(sql));
});

describe('generate_series of dates and timestamps', () => {
  const queries = [
    `SELECT * FROM generate_series('2024-01-01', '2024-03-01', interval '1 month')`,
    `SELECT * FROM generate_series('2024-01-31'::timestamp, '2024-06-30'::timestamp, interval '1 month') AS g`,
    `SELECT g FROM generate_series(timestamptz '2024-03-09 00:00:00+00', timestamptz '2024-03-11 00:00:00+00', interval '12 hours') g`,
    `SELECT * FROM generate_series(date '2024-02-27', date '2024-03-02', interval '1 day')`,
    `SELECT generate_series('2024-01-01'::timestamp, '2024-01-02'::timestamp, interval '6 hours')`,
    `SELECT count(*), min(g), max(g) FROM generate_series(timestamp '2024-01-01 00:00:00', timestamp '2024-12-31 00:00:00', interval '1 week') g`,
    // An untyped step beside a date or timestamp is an interval; a date with untyped literals is timestamptz.
    `SELECT g::date, count(dt.id) FROM generate_series(date '2018-11-01', '2018-11-06', '1 day') g LEFT JOIN dt ON dt.d = g::date GROUP BY 1 ORDER BY 1`,
    `SELECT * FROM generate_series(timestamp '2024-01-01', '2024-01-02', '5 hours')`,
    `SELECT generate_series(date '2024-02-27', '2024-03-02 12:00', '1 day')`,
    // Scalar subqueries as bounds (each emitted once), the untyped step of integers.
    `SELECT g FROM generate_series((SELECT min(d) FROM dt WHERE d > '1000-01-01'), (SELECT min(d) FROM dt WHERE d > '2020-01-01'), '1 year') g`,
    `SELECT g FROM generate_series((SELECT min(id) FROM dt), (SELECT max(id) FROM dt), '4') g`,
    `SELECT dt.id, g FROM dt, LATERAL generate_series(dt.ts, dt.ts + interval '1 day', '8 hours') g WHERE id IN (1, 7) ORDER BY 1, 2`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
  test("a date past PostgreSQL's range fails with 22008 (DuckDB holds later dates)", async () => {
    await sameError(`SELECT d + 2147483000 FROM dt WHERE id = 1`);
    await sameError(`SELECT date '4714-11-24 BC' - id FROM dt WHERE id = 1`);
  });
  test('an untyped step that is no interval fails as in PostgreSQL', () =>
    sameError(`SELECT * FROM generate_series(date '2024-02-27', '2024-03-02', '1 fortnight')`));
});
