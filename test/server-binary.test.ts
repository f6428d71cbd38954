/**
 * Binary result formats on the query server: node-postgres in binary mode
 * asks for every result column in binary; the rows it decodes from the daemon
 * must equal those it decodes from PostgreSQL for the same heap table.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { startDaemon } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE kinds (
      id int PRIMARY KEY, s smallint, b bigint, r real, d double precision, n numeric(14,4), t text,
      v varchar(10), c char(3), ok boolean, day date, ts timestamp, tz timestamptz, iv interval,
      u uuid, j jsonb, raw bytea, ints int[], words text[]
    );
    INSERT INTO kinds VALUES
      (1, -32768, 9223372036854775807, 1.5, -0.25, 12345.6789, 'héllo', 'v', 'ab', true, '2024-02-29',
       '2024-02-29 12:34:56.789', '2024-02-29 12:34:56.789+02', '1 year 2 mons 3 days 04:05:06.5',
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, "x"]}', '\\x00ff10', '{1,NULL,3}', '{a,"b c",NULL}'),
      (2, NULL, NULL, 'NaN', '-Infinity', -0.0001, '', NULL, NULL, false, 'infinity', NULL, '1970-01-01 00:00:00+00',
       '-00:00:01', NULL, 'null', '\\x', '{}', '{}'),
      (3, 7, -1, NULL, 1e300, NULL, NULL, 'x', 'z', NULL, '0001-01-01', '2000-01-01 00:00:00', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  `);
  daemon = await startDaemon(cluster);
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  await heap.query(`SELECT analytica.register_table('kinds')`);
  await heap.query(`SELECT analytica.wait_for_sync('kinds')`);
  await heap.end();
});

after(async () => {
  await daemon?.close();
  await cluster?.close();
});

async function binaryRows(port: number, sql: string) {
  // `binary` is a node-postgres option its type declarations leave out.
  const client = new pg.Client({ ...cluster.clientConfig(), port, binary: true } as pg.ClientConfig);
  await client.connect();
  try {
    await client.query("SET TimeZone = 'Europe/Amsterdam'");
    const result = await client.query({ text: sql, rowMode: 'array' });
    return { types: result.fields.map((f) => [f.name, f.dataTypeID, f.format]), rows: result.rows };
  } finally {
    await client.end();
  }
}

test('every column of every supported type reads the same in binary as from PostgreSQL', async () => {
  const sql = 'SELECT * FROM kinds ORDER BY id';
  const expected = await binaryRows(cluster.port, sql);
  const actual = await binaryRows(daemon.port, sql);
  assert.deepEqual(actual.types, expected.types);
  assert.deepEqual(actual.rows, expected.rows);
});

test('aggregates and expressions come back in binary too', async () => {
  const sql =
    'SELECT count(*), sum(b), min(tz), max(day), bool_or(ok), avg(d), s + 1 FROM kinds GROUP BY s ORDER BY s';
  const expected = await binaryRows(cluster.port, sql);
  assert.deepEqual(await binaryRows(daemon.port, sql), expected);
});
