/**
 * Differential test of the whole path: a table with every supported type,
 * NULLs and edge values is registered, copied into Parquet by the daemon, and
 * read back through the query server; every value and every RowDescription
 * type must equal what PostgreSQL returns from the heap.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

const columns = `
  id int PRIMARY KEY,
  i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
  n12 numeric(12,2), n38 numeric(38,10), nbig numeric(50,5), nfree numeric,
  t text, vc varchar(20), c5 char(5), b boolean,
  d date, ts timestamp, tstz timestamptz, tm time, iv interval, u uuid,
  j json, jb jsonb, by bytea, m mood,
  a_i4 integer[], a_i8 bigint[], a_t text[], a_n numeric(10,3)[], a_tstz timestamptz[], a_b boolean[],
  a_by bytea[], a_d date[], a_u uuid[], a_f8 double precision[], a_vc varchar(5)[],
  tz timetz, ip inet, cr cidr, mc macaddr, m8 macaddr8, dm posint, a_m mood[], a_ip inet[]`;

/** Hand-picked edge values, one row each (columns not named are NULL). */
const edgeRows: Record<string, string>[] = [
  {
    i2: '-32768',
    i4: '-2147483648',
    i8: '-9223372036854775808',
    f4: "'NaN'",
    f8: "'NaN'",
    n12: '-9999999999.99',
  },
  {
    i2: '32767',
    i4: '2147483647',
    i8: '9223372036854775807',
    f4: "'Infinity'",
    f8: "'Infinity'",
    n12: '0.01',
  },
  { i2: '0', f4: "'-Infinity'", f8: "'-Infinity'", n38: "'1234567890123456789012345678.1234567890'" },
  {
    f4: "'-0'",
    f8: "'-0'",
    n38: "'-9999999999999999999999999999.9999999999'",
    nbig: "'123456789012345678901234567890123456789012345.12345'",
  },
  { f4: '1.17549435e-38', f8: '5e-324', nfree: "'3.14159265358979323846264338327950288419716939937510'" },
  { f4: '3.4028235e38', f8: '1.7976931348623157e308', nfree: "'NaN'" },
  { f4: '1e-45', f8: '1e-05', nfree: "'-0.000000000000000000000000000000000001'" },
  { f4: '0.1', f8: '0.1', nfree: "'Infinity'" },
  { f8: '1e15', t: "''", vc: "''", c5: "'ab'" },
  { f8: '1e16', t: "'unicode ✓ 日本語 🎉'", c5: "''" },
  { f8: '123456789.123', t: `'quote "x" and \\ backslash'`, vc: "'NULL'" },
  { t: "E'line\\nbreak\\ttab\\r'", b: 'true', d: "'1969-12-31'", ts: "'1969-07-20 20:17:40.123456'" },
  { t: "'comma, here'", b: 'false', d: "'0044-03-15 BC'", ts: "'0001-01-01 00:00:00'" },
  { t: "'NULL'", d: "'2024-02-29'", ts: "'2024-03-10 02:30:00'", tstz: "'2024-03-10 06:59:59.999999+00'" },
  { d: "'infinity'", ts: "'infinity'", tstz: "'infinity'", tm: "'23:59:59.999999'" },
  { d: "'-infinity'", ts: "'-infinity'", tstz: "'-infinity'", tm: "'00:00:00'" },
  {
    d: "'1900-01-01'",
    ts: "'0044-03-15 12:00:00 BC'",
    tstz: "'1883-11-18 12:00:00 America/New_York'",
    tm: "'12:34:56.5'",
  },
  { tstz: "'1960-01-01 00:00:00-05'", iv: "'1 year 2 mons 3 days 04:05:06.789'" },
  { tstz: "'2024-11-03 05:30:00.5+00'", iv: "'-1 days +02:00:00'" },
  { tstz: "'0044-03-15 12:00:00+00 BC'", iv: "'0'" },
  { iv: "'-00:00:01'", u: "'00000000-0000-0000-0000-000000000000'" },
  { iv: "'3 mons -5 days'", u: "'ffffffff-ffff-ffff-ffff-ffffffffffff'" },
  { iv: "'-178000000 years'", j: `'{"b": 1, "a": [1, 2]}'`, jb: `'{"b": 1, "a": [1, 2]}'` },
  { iv: "'1000000 hours 0.000001 seconds'", j: "'[]'", jb: '\'"text"\'', by: "'\\x00ff00'" },
  { by: "'\\x'", m: "'ok'", a_i4: "'{}'", a_t: "'{}'" },
  {
    m: "'happy'",
    a_i4: "'{1,NULL,3}'",
    a_t: `'{"","a b","q\\"uote","back\\\\\\\\slash","NULL",NULL,"{braces}","comma,"}'`,
  },
  { a_i8: "'{-9223372036854775808,9223372036854775807}'", a_n: "'{1.500,-2.125,NULL}'", a_b: "'{t,f,NULL}'" },
  {
    a_tstz: '\'{"2024-01-01 00:00:00.5+00",NULL,"1969-12-31 23:59:59+00"}\'',
    a_d: "'{2024-02-29,1900-01-01}'",
  },
  {
    a_by: '\'{"\\\\\\\\x00ff",NULL}\'',
    a_u: "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'",
    a_f8: "'{NaN,Infinity,-0,0.1,1e-05}'",
  },
  { a_vc: '\'{""," x ",ab}\'' },
  { tz: "'00:00:00+15:59'", ip: "'0.0.0.0/0'", cr: "'0.0.0.0/0'", mc: "'00:00:00:00:00:00'", dm: '1' },
  {
    tz: "'24:00:00-15:59'",
    ip: "'255.255.255.255'",
    cr: "'255.255.255.255/32'",
    m8: "'ff:ff:ff:ff:ff:ff:ff:ff'",
  },
  {
    tz: "'12:34:56.789012+05:30'",
    ip: "'::ffff:10.1.2.3/120'",
    cr: "'2001:db8::/32'",
    a_m: "'{sad,NULL,happy}'",
  },
  {
    tz: "'12:00:00-00:00:01'",
    ip: "'fe80::1:0:0:0:1/64'",
    cr: "'::/0'",
    a_ip: "'{10.0.0.1,::1,NULL}'",
    dm: '2147483647',
  },
  { ip: "'1:0:0:0:2:0:0:3'", mc: "'08-00-2B-01-02-03'", m8: "'0800.2b01.0203'", a_m: "'{}'" },
  // COPY text-format escapes: a literal backslash before n, control characters, trailing backslashes.
  {
    t: String.raw`E'back\\nslash \\\\ end\\'`,
    vc: String.raw`E'\b\f\v\x01'`,
    j: String.raw`'{"k": "tab\tquote\" slash\\"}'`,
  },
];

/** Deterministic pseudo-random rows on top of the edge cases. */
function randomRows(count: number): Record<string, string>[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const rows: Record<string, string>[] = [];
  for (let i = 0; i < count; i++) {
    const r = () => next();
    rows.push({
      i4: String(Math.floor(r() * 4e9 - 2e9)),
      i8: String(BigInt(Math.floor(r() * 2 ** 53)) * 1000n),
      f4: String(Math.fround((r() - 0.5) * 10 ** Math.floor(r() * 20 - 10))),
      f8: String((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20)),
      n12: ((r() - 0.5) * 1e9).toFixed(2),
      t: `'${'txt'.repeat(Math.floor(r() * 4))}${Math.floor(r() * 1000)}'`,
      tstz: `'${new Date(Date.UTC(1950, 0, 1) + r() * 3e12).toISOString()}'::timestamptz + '${Math.floor(r() * 999999)} microseconds'`,
      d: `'${new Date(Date.UTC(1800, 0, 1) + r() * 8e12).toISOString().slice(0, 10)}'`,
      // Same-sign fields: DuckDB orders mixed-sign intervals ('2 mons -29 days') differently (docs/types.md).
      iv: `'${Math.floor(r() * 15)} mons ${Math.floor(r() * 30)} days ${Math.floor(r() * 1e9)} microseconds'`,
      b: r() < 0.5 ? 'true' : 'false',
    });
  }
  return rows;
}

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(
    `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
     CREATE TABLE everything (${columns});`,
  );
  const rows = [...edgeRows, {}, ...randomRows(500)];
  const values = rows.map((row, i) => {
    const names = Object.keys(row);
    return `INSERT INTO everything (id${names.map((n) => `, ${n}`).join('')}) VALUES (${i + 1}${names.map((n) => `, ${row[n]}`).join('')});`;
  });
  await cluster.exec(values.join('\n'));
  daemon = await startDaemon(cluster, ['--chunk-size', '100']);
  heap = await rawClient(cluster.clientConfig());
  await heap.query("SET TimeZone = 'UTC'");
  await heap.query(`SELECT analytica.register_table('everything')`);
  await heap.query(`SELECT analytica.wait_for_sync('everything')`);
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

describe('every supported type survives the copy exactly', () => {
  test('the copy was written as several segments', async () => {
    const { rows } = await heap.query(`SELECT state, rows, segments FROM analytica.status`);
    assert.equal(rows[0].state, 'synced');
    assert.equal(rows[0].rows, String(edgeRows.length + 501));
    assert.ok(Number(rows[0].segments) > 1, `expected several segments, got ${rows[0].segments}`);
  });

  test('SELECT * returns the same text for every value, and the same column types', async () => {
    const sql = 'SELECT * FROM everything ORDER BY id';
    const expected = await heap.query({ text: sql, rowMode: 'array' });
    const actual = await columnar.query({ text: sql, rowMode: 'array' });
    assert.deepEqual(
      actual.fields.map((f) => [f.name, f.dataTypeID]),
      expected.fields.map((f) => [f.name, f.dataTypeID]),
    );
    assert.equal(actual.rows.length, expected.rows.length);
    for (let i = 0; i < expected.rows.length; i++) {
      for (let c = 0; c < expected.fields.length; c++) {
        const want = expected.rows[i]![c];
        assert.equal(
          actual.rows[i]![c],
          want,
          `row id ${expected.rows[i]![0]}, column ${expected.fields[c]!.name}`,
        );
      }
    }
  });

  test('columns are read back in other session time zones as PostgreSQL prints them', async () => {
    for (const zone of ['America/New_York', 'Asia/Kolkata', 'Europe/Berlin']) {
      await heap.query(`SET TimeZone = '${zone}'`);
      await columnar.query(`SET TimeZone = '${zone}'`);
      const sql = 'SELECT id, tstz, a_tstz FROM everything ORDER BY id';
      assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql), zone);
    }
    await heap.query("SET TimeZone = 'UTC'");
    await columnar.query("SET TimeZone = 'UTC'");
  });

  test('segment statistics in the catalog are the exact min and max of the data', async () => {
    const { rows } = await heap.query(`
      SELECT min((column_stats->'i8'->>'min')::bigint) = (SELECT min(i8) FROM everything) AS i8_min,
             max((column_stats->'i8'->>'max')::bigint) = (SELECT max(i8) FROM everything) AS i8_max,
             min((column_stats->'n12'->>'min')::numeric) = (SELECT min(n12) FROM everything) AS n12_min,
             bool_and(NOT column_stats ? 'f8') AS f8_max,
             min((column_stats->'t'->>'min')) = (SELECT min(t COLLATE "C") FROM everything) AS t_min,
             sum(row_count) = (SELECT count(*) FROM everything) AS rows
        FROM analytica.segments`);
    assert.deepEqual(rows[0], { i8_min: 't', i8_max: 't', n12_min: 't', f8_max: 't', t_min: 't', rows: 't' });
  });

  test('aggregates, filters and ordering agree', async () => {
    const queries = [
      'SELECT count(*), count(i4), count(DISTINCT b), min(i8), max(i8), sum(i8), sum(n12), min(n38), max(n38) FROM everything',
      'SELECT b, count(*), sum(n12), min(tstz), max(tstz), min(d), max(d) FROM everything GROUP BY b ORDER BY b',
      `SELECT id, t FROM everything WHERE t LIKE 'txt%' ORDER BY t DESC, id LIMIT 20`,
      `SELECT m, count(*) FROM everything WHERE m IS NOT NULL GROUP BY m ORDER BY m`,
      `SELECT id FROM everything WHERE tstz >= '1990-01-01' AND tstz < '2000-01-01' ORDER BY id`,
      `SELECT id, iv FROM everything WHERE iv > '1 mon' ORDER BY iv, id LIMIT 25`,
      `SELECT id, f8 FROM everything WHERE f8 > 1000 ORDER BY f8 DESC, id LIMIT 10`,
      // Integer columns divide as integers, truncating toward zero, as in PostgreSQL.
      `SELECT id, i4 / 7, i4 / (id - 300), i8 / 1000000007, i2 / 3 FROM everything WHERE id <> 300 ORDER BY id`,
      'SELECT sum(i4) / count(*), count(*) / 7, sum(i2) / 3 FROM everything',
      // round(x, n) has exactly n decimals, also over an average of integers (a double in DuckDB).
      'SELECT b, round(avg(i4), 2), round(avg(n12), 4), round(sum(n12), 0), round(avg(i2), -1) FROM everything GROUP BY b ORDER BY b',
    ];
    for (const sql of queries)
      assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql), sql);
  });
});
