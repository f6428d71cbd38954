/**
 * date, time, timetz, timestamp, timestamptz (in many session time zones)
 * and interval: PostgreSQL's own output vs the formatter on DuckDB's values.
 * Values are built from integers (days, microseconds) in both databases, so
 * no date text written by the test feeds either side's parser.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Case, Differential, randomBigInt, seededRandom } from './pg-text-format-harness.js';

let diff: Differential;
before(async () => {
  diff = await Differential.start();
});
after(async () => {
  await diff?.close();
});

const random = seededRandom(19700101);
const microsPerSecond = 1_000_000n;

function dateCase(days: number): Case {
  return { pg: `(DATE '1970-01-01' + ${days})`, duck: `(DATE '1970-01-01' + ${days})` };
}

test('date: AD and BC, four-digit years, infinity', async () => {
  const days = [0, -1, 1, -719162, -719163, -719528, -735160, -2440000, 2932896, 2932897, 19723, -25567];
  for (let i = 0; i < 150; i++) days.push(Math.floor(random() * 5_400_000) - 2_440_000);
  const list = days.map(dateCase);
  list.push(
    { pg: "'infinity'::date", duck: "'infinity'::DATE" },
    { pg: "'-infinity'::date", duck: "'-infinity'::DATE" },
  );
  list.push({ pg: 'NULL::date', duck: 'NULL::DATE' });
  assert.deepEqual(await diff.compare(list), []);
});

function timestampCase(micros: bigint, withZone: boolean): Case {
  return withZone
    ? {
        pg: `('epoch'::timestamptz + '${micros} microseconds'::interval)`,
        duck: `make_timestamp(${micros}::BIGINT)::TIMESTAMPTZ`,
      }
    : {
        pg: `('epoch'::timestamp + '${micros} microseconds'::interval)`,
        duck: `make_timestamp(${micros}::BIGINT)`,
      };
}

/** Unix microseconds of a UTC wall time (test-side only, to aim at DST changes). */
function utcMicros(text: string): bigint {
  return BigInt(Date.parse(`${text}Z`)) * 1000n;
}

/** Around each instant: ±1 µs, ±1 s, ±30 min, ±1 h, with and without fractions. */
function around(instants: readonly bigint[]): bigint[] {
  const offsets = [
    0n,
    1n,
    -1n,
    999_999n,
    microsPerSecond,
    -microsPerSecond,
    1_800_000_000n,
    -1_800_000_000n,
    3_600_000_000n,
    -3_600_000_000n,
    123_456n,
  ];
  return instants.flatMap((instant) => offsets.map((offset) => instant + offset));
}

const dstChanges = [
  '2024-03-10T07:00:00',
  '2024-11-03T06:00:00', // America/New_York
  '2024-03-31T01:00:00',
  '2024-10-27T01:00:00', // Europe/Berlin
  '1883-11-18T17:00:00',
  '1893-03-31T23:06:32', // NY and Berlin leave local mean time
  '1941-09-30T18:30:00',
  '1945-10-14T17:30:00', // Asia/Kolkata war time
  '1918-03-31T07:00:00',
  '1945-09-30T06:00:00',
  '2007-03-11T07:00:00',
  '1970-04-26T07:00:00',
  '2024-04-06T15:00:00',
  '2024-10-05T15:30:00', // Australia/Lord_Howe half-hour DST
];

function instants(count: number, min: bigint, max: bigint): bigint[] {
  const values = around(dstChanges.map(utcMicros));
  values.push(
    0n,
    -1n,
    1n,
    utcMicros('1850-06-01T12:00:00'),
    utcMicros('1800-01-01T00:00:00'),
    utcMicros('2500-07-01T00:00:00'),
  );
  for (let i = 0; i < count; i++) values.push(randomBigInt(random, min, max));
  return values;
}

const year1600 = utcMicros('1600-01-01T00:00:00');
const year2300 = utcMicros('2300-01-01T00:00:00');
/** PostgreSQL's timestamp range: 4713-11-24 BC to 294276 AD. */
const pgMin = -210_866_803_200n * microsPerSecond;
const pgMax = 9_224_318_015_999_999_999n - 946_684_800n * microsPerSecond;

test('timestamp: fractions, pre-1970, BC, far future, infinity', async () => {
  const values = [
    ...instants(150, year1600, year2300),
    ...Array.from({ length: 60 }, () => randomBigInt(random, pgMin, pgMax)),
    pgMin,
    pgMax,
  ];
  const list = values.map((micros) => timestampCase(micros, false));
  list.push(
    { pg: "'infinity'::timestamp", duck: "'infinity'::TIMESTAMP" },
    { pg: "'-infinity'::timestamp", duck: "'-infinity'::TIMESTAMP" },
  );
  list.push({ pg: 'NULL::timestamp', duck: 'NULL::TIMESTAMP' });
  assert.deepEqual(await diff.compare(list), []);
});

test('timestamp_s / _ms / _ns are timestamps', async () => {
  const values = [0n, -1_000_000n, 1_704_067_200_000_000n, -2_208_988_800_000_000n];
  for (const [duckType, unit] of [
    ['TIMESTAMP_S', microsPerSecond],
    ['TIMESTAMP_MS', 1000n],
    ['TIMESTAMP_NS', 1n],
  ] as const) {
    const list = values
      .map((v) => (v / unit) * unit)
      .map((micros) => ({
        ...timestampCase(micros, false),
        duck: `make_timestamp(${micros}::BIGINT)::${duckType}`,
      }));
    list.push({ pg: "'infinity'::timestamp", duck: `'infinity'::${duckType}` });
    assert.deepEqual(await diff.compare(list), [], duckType);
  }
});

const timeZones = [
  'UTC',
  'Etc/UTC',
  'GMT',
  'America/New_York',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Pacific/Chatham',
  'Asia/Kathmandu',
  'Europe/Amsterdam',
  'America/Sao_Paulo',
  'Etc/GMT-14',
  'Etc/GMT+12',
  'UTC+5',
  '<+05:30>-05:30',
  '+05:30',
  '<-07>+07',
  'Europe/London',
  'Pacific/Apia',
];

test('timestamptz in many session time zones: offsets with minutes and LMT seconds, DST, BC', async () => {
  const values = [
    ...instants(120, year1600, year2300),
    ...Array.from({ length: 20 }, () => randomBigInt(random, pgMin, pgMax)),
  ];
  const list = values.map((micros) => timestampCase(micros, true));
  list.push(
    { pg: "'infinity'::timestamptz", duck: "'infinity'::TIMESTAMPTZ" },
    { pg: "'-infinity'::timestamptz", duck: "'-infinity'::TIMESTAMPTZ" },
  );
  list.push({ pg: 'NULL::timestamptz', duck: 'NULL::TIMESTAMPTZ' });
  for (const timeZone of timeZones) {
    assert.deepEqual(await diff.compare(list, { timeZone }), [], timeZone);
  }
});

function clock(micros: bigint): string {
  const seconds = micros / microsPerSecond;
  const two = (n: bigint) => n.toString().padStart(2, '0');
  return `${two(seconds / 3600n)}:${two((seconds / 60n) % 60n)}:${two(seconds % 60n)}.${(micros % microsPerSecond).toString().padStart(6, '0')}`;
}

test('time and timetz', async () => {
  const values = [0n, 1n, 86_399_999_999n, 86_400_000_000n, 43_200_500_000n, 3_723_000_000n];
  for (let i = 0; i < 100; i++) values.push(randomBigInt(random, 0n, 86_400_000_000n - 1n));
  const list = values.map((micros) => ({ pg: `'${clock(micros)}'::time`, duck: `'${clock(micros)}'::TIME` }));
  assert.deepEqual(await diff.compare([...list, { pg: 'NULL::time', duck: 'NULL::TIME' }]), []);
  const offsets = ['+00', '-05', '+05:30', '-04:56:02', '+14', '-15:59:59', '+00:00:01'];
  const zoned = values.slice(0, 40).map((micros, i) => {
    const text = `'${clock(micros)}${offsets[i % offsets.length]}'`;
    return { pg: `${text}::timetz`, duck: `${text}::TIMETZ` };
  });
  assert.deepEqual(await diff.compare(zoned), []);
});

function intervalCase(months: number, days: number, micros: bigint): Case {
  return {
    pg: `'${months} mons ${days} days ${micros} microseconds'::interval`,
    duck: `(to_months(${months}) + to_days(${days}) + to_microseconds(${micros}::BIGINT))`,
  };
}

test('interval: every sign combination, large hours, fractions', async () => {
  const list: Case[] = [];
  const magnitudes = [
    [1, 1, 1n],
    [12, 1, 3_723_000_000n],
    [14, 30, 86_399_999_999n],
    [25, 400, 100_000n],
    [1200, 3, 360_000_000_000_000n],
  ] as const;
  for (const [m, d, us] of magnitudes) {
    for (const sm of [-1, 0, 1])
      for (const sd of [-1, 0, 1])
        for (const su of [-1n, 0n, 1n]) list.push(intervalCase(sm * m, sd * d, su * us));
  }
  for (let i = 0; i < 150; i++) {
    const pick = (n: number) => (random() < 0.3 ? 0 : Math.floor(random() * (2 * n + 1)) - n);
    const us =
      random() < 0.3 ? 0n : randomBigInt(random, -(10n ** BigInt(1 + Math.floor(random() * 17))), 10n ** 17n);
    list.push(intervalCase(pick(random() < 0.5 ? 13 : 100_000), pick(random() < 0.5 ? 40 : 100_000), us));
  }
  list.push(intervalCase(0, 0, 9_223_372_036_854_775_807n), intervalCase(0, 0, -9_223_372_036_854_775_807n));
  list.push({ pg: 'NULL::interval', duck: 'NULL::INTERVAL' });
  assert.deepEqual(await diff.compare(list), []);
});

test('arrays of dates, timestamps, timestamptz, times and intervals quote as PostgreSQL does', async () => {
  const pairs: [Case[], string, string, string?][] = [
    [[dateCase(0), dateCase(-735160), { pg: "'infinity'::date", duck: "'infinity'::DATE" }], 'date', 'DATE'],
    [[timestampCase(0n, false), timestampCase(-63_549_360_000_000_000n, false)], 'timestamp', 'TIMESTAMP'],
    [
      [timestampCase(0n, true), timestampCase(1_700_000_000_123_000n, true)],
      'timestamptz',
      'TIMESTAMPTZ',
      'Asia/Kolkata',
    ],
    [[{ pg: "'04:05:06.789'::time", duck: "'04:05:06.789'::TIME" }], 'time', 'TIME'],
    [[intervalCase(0, 1, 0n), intervalCase(-1, 0, 1n), intervalCase(0, 0, 0n)], 'interval', 'INTERVAL'],
  ];
  for (const [elements, pgType, duckType, timeZone] of pairs) {
    const withNull = [...elements, { pg: `NULL::${pgType}`, duck: `NULL::${duckType}` }];
    const list = [
      {
        pg: `ARRAY[${withNull.map((e) => e.pg).join(', ')}]`,
        duck: `[${withNull.map((e) => e.duck).join(', ')}]`,
      },
      { pg: `'{}'::${pgType}[]`, duck: `[]::${duckType}[]` },
    ];
    assert.deepEqual(await diff.compare(list, timeZone === undefined ? {} : { timeZone }), [], pgType);
  }
});
