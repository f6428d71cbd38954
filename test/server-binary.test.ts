/**
 * Binary result formats on the query server: the same statement, asking for
 * every result column in binary, returns the same bytes from the daemon as
 * from PostgreSQL over the heap table.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { type BinaryReply, binaryRows as binaryRowsOf } from './helpers/binary-rows.js';
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

/** The statement's binary reply from `port` (PostgreSQL or the daemon), in one session time zone. */
async function binaryRows(port: number, sql: string, params: string[] = []): Promise<BinaryReply> {
  return await binaryRowsOf(
    { ...cluster.clientConfig(), port },
    sql,
    ["SET TimeZone = 'Europe/Amsterdam'"],
    params,
  );
}

test('every column of every supported type is sent in binary with PostgreSQL’s bytes', async () => {
  const sql = 'SELECT * FROM kinds ORDER BY id';
  const expected = await binaryRows(cluster.port, sql);
  assert.ok(expected.columns.every(([, , format]) => format === 1));
  assert.deepEqual(await binaryRows(daemon.port, sql), expected);
});

test('aggregates and expressions with a text parameter come back in binary too', async () => {
  const sql =
    'SELECT count(*), sum(b), min(tz), max(day), bool_or(ok), s + 1 FROM kinds WHERE id >= $1 GROUP BY s ORDER BY s';
  const expected = await binaryRows(cluster.port, sql, ['1']);
  assert.deepEqual(await binaryRows(daemon.port, sql, ['1']), expected);
});

test('a type without a binary form is refused with 0A000 before any row', async () => {
  const reply = await binaryRows(daemon.port, "SELECT '1.5'::float8::text::money FROM kinds");
  assert.match(reply.error?.code ?? '', /0A000|42883/);
  assert.deepEqual(reply.rows, []);
});

test('bytea literals in hex and escape syntax compare as PostgreSQL reads them', async () => {
  const sql = String.raw`SELECT id FROM kinds WHERE raw = '\x00FF 10'::bytea OR raw = '\\x'::bytea OR raw = E'\\000\\377\\020'::bytea ORDER BY id`;
  for (const port of [cluster.port, daemon.port]) {
    const client = new pg.Client({ ...cluster.clientConfig(), port });
    await client.connect();
    try {
      const { rows } = await client.query({ text: sql, rowMode: 'array' });
      assert.deepEqual(rows, [[1]], `port ${port}`);
      await assert.rejects(client.query(String.raw`SELECT '\xzz'::bytea`), { code: '22023' });
      await assert.rejects(client.query(String.raw`SELECT '\9'::bytea`), { code: '22P02' });
    } finally {
      await client.end();
    }
  }
});
