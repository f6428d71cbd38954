/**
 * Arrays declared with several dimensions (issue 13): a table with 2-D and 3-D columns of the
 * supported element types is copied, then changed through the stream; every value reads back
 * with PostgreSQL's text and binary output, directly and through columnar.*, and the queries a
 * dashboard runs on them answer as on the heap. What the engine cannot answer as PostgreSQL does
 * is refused with 0A000; a value the column cannot hold stops the table with the column named.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { refusedWith, sameRowsAndTypes } from './helpers/assertions.js';
import { binaryRows } from './helpers/binary-rows.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

const schema = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE grid (
    id int PRIMARY KEY, i2 int[][], i3 int[][][], t2 text[][], n2 numeric(10,2)[][], b2 bool[][],
    d2 date[][], ts2 timestamptz[][], u2 uuid[][], m2 mood[][], j2 jsonb[][], i1 int[]
  );`;

const columns = 'id, i2, i3, t2, n2, b2, d2, ts2, u2, m2, j2, i1';
const rows = [
  `1, '{{1,2},{3,4}}', '{{{1,2},{3,4}},{{5,6},{7,8}}}', '{{"a b","x\\"y"},{NULL,""}}', '{{1.5,2},{-3.25,NULL}}',
   '{{t,f}}', '{{2024-01-01,2024-02-29}}', '{{"2024-01-01 10:00+00","2024-06-01 00:00:00.5+00"}}',
   '{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}', '{{sad,happy},{ok,NULL}}', '{{"{\\"a\\": 1}",null}}', '{1,2}'`,
  `2, '{{1,2,3}}', '{{{1}}}', '{{"back\\\\slash","NULL"},{"{",","},{"}"," "}}', '{{0.01}}', '{{NULL}}',
   '{{infinity}}', '{{-infinity}}', NULL, '{{ok}}', '{{"[1, 2]"}}', '{}'`,
  `3, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', NULL`,
  `4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{3}'`,
  `5, '{{1,2},{3,5}}', '{{{9,8,7}}}', '{{"",é},{"tab\there",z}}', '{{99999999.99,0}}', '{{f},{t}}',
   '{{2000-01-01},{1999-12-31}}', '{{"2024-01-01 10:00+00"}}', '{{00000000-0000-0000-0000-000000000000,NULL}}',
   '{{happy}}', '{{"{}","\\"s\\""}}', '{5}'`,
  `6, '{{NULL,1},{2,NULL}}', '{{{1,2},{3,4}},{{5,6},{7,8}}}', '{{a}}', NULL, '{{t}}', NULL, NULL, NULL,
   '{{sad,sad}}', NULL, '{1,NULL}'`,
  `7, '{{1},{2},{3},{4}}', '{{{1,2,3,4}}}', '{{a,b},{c,d}}', '{{1,2},{3,4}}', NULL, NULL, NULL, NULL, NULL, NULL, '{1,2,3,4}'`,
];

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

const insert = (list: string[]) => `INSERT INTO grid (${columns}) VALUES ${list.map((r) => `(${r})`).join(', ')}`;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`${schema}\n${insert(rows.slice(0, 4))};`);
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  await heap.query("SET TimeZone = 'UTC'");
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  await heap.query(`SELECT analytica.register_table('grid')`);
  await heap.query(`SELECT analytica.wait_for_sync('grid')`);
  // After the copy: rows streamed in, one updated, one deleted.
  await heap.query(insert(rows.slice(4)));
  await heap.query(`UPDATE grid SET i2 = '{{7,7},{8,8}}', t2 = '{{"up dated",NULL}}' WHERE id = 1`);
  await heap.query(insert([`8, '{{1}}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`]));
  await heap.query('DELETE FROM grid WHERE id = 8');
  await heap.query(`SELECT analytica.wait_for_sync('grid')`);
  await waitFor(async () => {
    const { rows } = await heap.query(
      `SELECT count(*)::int AS n FROM analytica.segments WHERE relid = 'grid'::regclass AND kind = 'data'`,
    );
    return rows[0].n >= 2;
  }, 'the streamed rows flushed to a segment');
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await columnar.query("SET TimeZone = 'UTC'");
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

const sameRows = (sql: string) => sameRowsAndTypes(heap, columnar, sql);
const refused = (sql: string) => refusedWith(columnar, sql, '0A000', /pg_analytica|not supported/);

describe('multi-dimensional arrays are copied and streamed exactly', () => {
  test('SELECT * gives the heap text of every value and the array type OIDs', async () => {
    await sameRows(`SELECT * FROM grid ORDER BY id`);
  });

  test('binary results carry array_send bytes (ndim, lower bounds 1)', async () => {
    // Enum arrays have no binary output in the daemon (a user type's OID): text only, above.
    const sql = `SELECT ${columns.replace(', m2', '')} FROM grid ORDER BY id`;
    const setup = ["SET TimeZone = 'UTC'"];
    const expected = await binaryRows(cluster.clientConfig(), sql, setup);
    assert.equal(expected.error, undefined);
    assert.deepEqual(await binaryRows({ ...cluster.clientConfig(), port: daemon.port }, sql, setup), expected);
  });

  test('through columnar.* the foreign table reads the same values', async () => {
    const sql = (from: string) => `SELECT * FROM ${from} ORDER BY id`;
    assert.deepEqual(await textRows(heap, sql('columnar.grid')), await textRows(heap, sql('grid')));
    const { rows: types } = await heap.query(
      `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'columnar.grid'::regclass AND attname = 'i2'`,
    );
    assert.deepEqual(types, [{ format_type: 'integer[]' }]);
  });
});
