/**
 * RowDescription types for DuckDB columns (including source-type overrides),
 * text renderings of types PostgreSQL has no equivalent for, unsupported
 * types, and a printed (never asserted) micro-benchmark.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ARRAY,
  BIGINT,
  BIT,
  DECIMAL,
  DOUBLE,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  type DuckDBValue,
  DuckDBVarCharType,
  decimalValue,
  INTEGER,
  LIST,
  MAP,
  TIMESTAMPTZ,
  UNION,
  VARCHAR,
  VARIANT,
} from '@duckdb/node-api';
import { SqlState } from '../src/errors.js';
import { columnFormatter, formatValue } from '../src/query/pg-text-format.js';
import { pgColumnType, resultColumn } from '../src/query/pg-type-oids.js';

const utc = { timeZone: 'UTC' };

test('RowDescription types of common DuckDB types', () => {
  assert.deepEqual(resultColumn('n', DECIMAL(12, 2)), {
    name: 'n',
    typeOid: 1700,
    typeSize: -1,
    typeModifier: (12 << 16) + 2 + 4,
  });
  assert.deepEqual(pgColumnType(LIST(LIST(INTEGER))), { typeOid: 1007, typeSize: -1, typeModifier: -1 });
  assert.deepEqual(pgColumnType(ARRAY(DECIMAL(10, 2), 3)), {
    typeOid: 1231,
    typeSize: -1,
    typeModifier: (10 << 16) + 6,
  });
  assert.equal(pgColumnType(DuckDBVarCharType.create('JSON')).typeOid, 114);
  assert.equal(pgColumnType(MAP(VARCHAR, INTEGER)).typeOid, 25);
  assert.equal(pgColumnType(LIST(MAP(VARCHAR, INTEGER))).typeOid, 1009);
  assert.equal(pgColumnType(BIT).typeOid, 1562);
});

test('the source column type wins when DuckDB holds its text or the same type', () => {
  assert.deepEqual(resultColumn('j', VARCHAR, { typeOid: 3802 }), {
    name: 'j',
    typeOid: 3802,
    typeSize: -1,
    typeModifier: -1,
  });
  assert.deepEqual(resultColumn('v', VARCHAR, { typeOid: 1043, typeModifier: 24 }), {
    name: 'v',
    typeOid: 1043,
    typeSize: -1,
    typeModifier: 24,
  });
  assert.deepEqual(resultColumn('n', VARCHAR, { typeOid: 1700, typeModifier: -1 }).typeOid, 1700);
  // sum(int8) is a DuckDB HUGEINT; an int8 source type would be wrong.
  assert.equal(resultColumn('s', DOUBLE, { typeOid: 20 }).typeOid, 701);
  assert.equal(resultColumn('i', BIGINT, { typeOid: 20, typeModifier: -1 }).typeOid, 20);
});

test('MAP, UNION and BIT text; unsupported types fail with 0A000', () => {
  const map = {
    entries: [
      { key: 'a b', value: 1.5 },
      { key: 'c', value: null },
    ],
  } as unknown as DuckDBValue;
  assert.equal(formatValue(map, MAP(VARCHAR, DOUBLE), utc), '{a b=1.5, c=NULL}');
  const union = { tag: 'n', value: decimalValue(5n, 3, 1) } as unknown as DuckDBValue;
  assert.equal(formatValue(union, UNION({ s: VARCHAR, n: DECIMAL(3, 1) }), utc), '0.5');
  assert.equal(formatValue(null, VARCHAR, utc), null);
  assert.throws(
    () => columnFormatter(VARIANT, utc),
    (error: { code?: string }) => error.code === SqlState.featureNotSupported,
  );
  assert.throws(
    () => pgColumnType(VARIANT),
    (error: { code?: string }) => error.code === SqlState.featureNotSupported,
  );
  assert.throws(
    () => columnFormatter(TIMESTAMPTZ, { timeZone: 'Mars/Olympus' }),
    (error: { code?: string }) => error.code === '22023',
  );
});

test('DuckDB BIT values print as bit strings', async () => {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const result = await connection.runAndReadAll("SELECT '10110'::BIT, '0'::BIT");
  const types = result.columnTypes();
  const row = result.getRows()[0] ?? [];
  assert.deepEqual(
    row.map((value, i) => formatValue(value, types[i] ?? VARCHAR, utc)),
    ['10110', '0'],
  );
  connection.closeSync();
});

/** Formats `values` with a column formatter and prints the rate; timings are never asserted. */
function bench(
  label: string,
  format: (value: DuckDBValue) => string | null,
  values: readonly DuckDBValue[],
): void {
  let length = 0;
  const start = performance.now();
  for (const value of values) length += format(value)?.length ?? 0;
  const ms = performance.now() - start;
  console.log(
    `# format ${values.length} ${label}: ${ms.toFixed(0)} ms (${(((values.length / ms) * 1000) / 1e6).toFixed(2)} M/s, ${length} chars)`,
  );
}

test('micro-benchmark: 1M DOUBLE / TIMESTAMPTZ / DECIMAL values (printed, not asserted)', () => {
  const count = 1_000_000;
  const doubles = Array.from({ length: count }, (_, i) => Math.sin(i) * 10 ** ((i % 30) - 10));
  bench('DOUBLE', columnFormatter(DOUBLE, utc), doubles);
  const base = 1_704_067_200_000_000n;
  const stamps = Array.from(
    { length: count },
    (_, i) => new DuckDBTimestampTZValue(base + BigInt(i) * 7_777_777n),
  );
  bench('TIMESTAMPTZ UTC', columnFormatter(TIMESTAMPTZ, utc), stamps);
  bench(
    'TIMESTAMPTZ America/New_York',
    columnFormatter(TIMESTAMPTZ, { timeZone: 'America/New_York' }),
    stamps,
  );
  const decimals = Array.from({ length: count }, (_, i) => decimalValue(BigInt(i * 7919 - 3_000_000), 12, 2));
  bench('DECIMAL(12,2)', columnFormatter(DECIMAL(12, 2), utc), decimals);
  const wide = Array.from({ length: count }, (_, i) => decimalValue(BigInt(i) * 10n ** 25n + 12345n, 38, 10));
  bench('DECIMAL(38,10)', columnFormatter(DECIMAL(38, 10), utc), wide);
});
