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
import { startTestCluster, waitForDataSegments } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

const schema = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE DOMAIN matrix AS int[][];
  CREATE TABLE grid (
    id int PRIMARY KEY, i2 int[][], i3 int[][][], t2 text[][], n2 numeric(10,2)[][], b2 bool[][],
    d2 date[][], ts2 timestamptz[][], u2 uuid[][], m2 mood[][], j2 jsonb[][], i1 int[], dm matrix
  );`;

const columns = 'id, i2, i3, t2, n2, b2, d2, ts2, u2, m2, j2, i1, dm';
const rows = [
  `1, '{{1,2},{3,4}}', '{{{1,2},{3,4}},{{5,6},{7,8}}}', '{{"a b","x\\"y"},{NULL,""}}', '{{1.5,2},{-3.25,NULL}}',
   '{{t,f}}', '{{2024-01-01,2024-02-29}}', '{{"2024-01-01 10:00+00","2024-06-01 00:00:00.5+00"}}',
   '{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}', '{{sad,happy},{ok,NULL}}', '{{"{\\"a\\": 1}",null}}', '{1,2}', '{{1,2},{3,4}}'`,
  `2, '{{1,2,3}}', '{{{1}}}', '{{"back\\\\slash","NULL"},{"{",","},{"}"," "}}', '{{0.01}}', '{{NULL}}',
   '{{infinity}}', '{{-infinity}}', NULL, '{{ok}}', '{{"[1, 2]"}}', '{}', '{{5}}'`,
  `3, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', NULL, '{}'`,
  `4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{3}', NULL`,
  `5, '{{1,2},{3,5}}', '{{{9,8,7}}}', '{{"",é},{"tab\there",z}}', '{{99999999.99,0}}', '{{f},{t}}',
   '{{2000-01-01},{1999-12-31}}', '{{"2024-01-01 10:00+00"}}', '{{00000000-0000-0000-0000-000000000000,NULL}}',
   '{{happy}}', '{{"{}","\\"s\\""}}', '{5}', '{{1,2,3},{4,5,6}}'`,
  `6, '{{NULL,1},{2,NULL}}', '{{{1,2},{3,4}},{{5,6},{7,8}}}', '{{a}}', NULL, '{{t}}', NULL, NULL, NULL,
   '{{sad,sad}}', NULL, '{1,NULL}', NULL`,
  `7, '{{1},{2},{3},{4}}', '{{{1,2,3,4}}}', '{{a,b},{c,d}}', '{{1,2},{3,4}}', NULL, NULL, NULL, NULL, NULL, NULL, '{1,2,3,4}', '{{9},{8}}'`,
  // The elements of 7's in other dimensions: array_cmp orders the two by their dimensions.
  `9, '{{1,2},{3,4}}', '{{{1,2}},{{3,4}}}', '{{a},{b},{c},{d}}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{1,2,3,4}', '{{1,2},{3,4}}'`,
];

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

const insert = (list: string[]) =>
  `INSERT INTO grid (${columns}) VALUES ${list.map((r) => `(${r})`).join(', ')}`;

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
  await heap.query(insert([`8, '{{1}}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`]));
  await heap.query('DELETE FROM grid WHERE id = 8');
  await heap.query(`SELECT analytica.wait_for_sync('grid')`);
  await waitForDataSegments(heap, 'grid', 2);
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
const refused = (sql: string, what: RegExp) => refusedWith(columnar, sql, '0A000', what);

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
    assert.deepEqual(
      await binaryRows({ ...cluster.clientConfig(), port: daemon.port }, sql, setup),
      expected,
    );
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

describe('queries on multi-dimensional arrays answer as PostgreSQL', () => {
  const queries = [
    'SELECT id, i2, i3 FROM grid WHERE i2 IS NOT NULL ORDER BY id',
    'SELECT id FROM grid WHERE i3 IS NULL ORDER BY id',
    'SELECT id, i2[1][2], i2[2][1], i2[0][1], i2[3][1], i2[1], i2[1][1][1], i3[2][1][2], t2[1][1], t2[2][1] FROM grid ORDER BY id',
    'SELECT id, m2[1][2], n2[2][1], d2[1][1], ts2[1][1], u2[1][1], b2[1][1], j2[1][1] FROM grid ORDER BY id',
    'SELECT id, array_ndims(i2), array_ndims(i3), array_ndims(i1), array_dims(i2), array_dims(i3), array_dims(i1) FROM grid ORDER BY id',
    // A domain over int[][] is the array of its base type, with the domain's dimensions.
    'SELECT id, dm, dm[2][1] AS d21, array_dims(dm), cardinality(dm) FROM grid WHERE 4 = ANY (dm) OR dm IS NULL ORDER BY dm, id',
    'SELECT id, array_length(i2, 1), array_length(i2, 2), array_length(i2, 3), array_length(i3, 3), array_length(i2, 0) FROM grid ORDER BY id',
    'SELECT id, array_upper(i2, 1), array_upper(i2, 2), array_lower(i2, 2), array_lower(i2, 3), array_upper(i1, 1) FROM grid ORDER BY id',
    'SELECT id, cardinality(i2), cardinality(i3), cardinality(t2), cardinality(m2) FROM grid ORDER BY id',
    'SELECT id, unnest(i2) FROM grid ORDER BY id, 2',
    'SELECT id, unnest(t2) AS t FROM grid WHERE id IN (1, 2, 5) ORDER BY id, t',
    'SELECT id FROM grid WHERE 3 = ANY (i2) ORDER BY id',
    'SELECT id FROM grid WHERE 7 = ANY (i3) ORDER BY id',
    `SELECT id FROM grid WHERE 'a b' = ANY (t2) ORDER BY id`,
    'SELECT id FROM grid WHERE 0 < ALL (i2) ORDER BY id',
    `SELECT id FROM grid WHERE 'happy' = ANY (m2) ORDER BY id`,
    `SELECT id FROM grid WHERE i2 @> '{1,2}' ORDER BY id`,
    `SELECT id FROM grid WHERE i2 @> ARRAY[4] ORDER BY id`,
    `SELECT id FROM grid WHERE i2 <@ '{1,2,3,4,5,7,8}' ORDER BY id`,
    `SELECT id FROM grid WHERE i2 && '{5,9}' ORDER BY id`,
    'SELECT id FROM grid WHERE i2 && i1 ORDER BY id',
    'SELECT id FROM grid WHERE i3 @> i2 ORDER BY id',
    `SELECT id, array_to_string(i2, ','), array_to_string(i3, '-', '*'), array_to_string(t2, '|') FROM grid ORDER BY id`,
    `SELECT id FROM grid WHERE i2 = '{}' ORDER BY id`,
    `SELECT id FROM grid WHERE i2 <> '{}' ORDER BY id`,
    `SELECT id FROM grid WHERE i2 = '{1,2}' ORDER BY id`,
    'SELECT id FROM grid WHERE i2 = i1 ORDER BY id',
    'SELECT a.id, b.id FROM grid a JOIN grid b ON a.i3 = b.i3 AND a.id < b.id ORDER BY 1, 2',
    'SELECT a.id, b.id FROM grid a JOIN grid b ON a.i2 <> b.i2 WHERE a.id = 6 ORDER BY 1, 2',
    'SELECT count(i2), count(DISTINCT i2), count(DISTINCT i3), count(DISTINCT t2), count(DISTINCT m2) FROM grid',
    'SELECT count(*), min(id) FROM grid GROUP BY i3 ORDER BY 2',
    'SELECT count(*), min(id) FROM grid GROUP BY 1 = 1, i3 ORDER BY 2',
    'SELECT i3, count(*), min(id) FROM grid GROUP BY 1 ORDER BY 3',
    'SELECT DISTINCT t2 IS NULL AS missing FROM grid ORDER BY 1',
    // ORDER BY as array_cmp: elements in storage order (NULL after values), then count, then dimensions.
    'SELECT id, i2 FROM grid ORDER BY i2, id',
    'SELECT id, i2 FROM grid ORDER BY i2 DESC NULLS LAST, id',
    'SELECT i3, id FROM grid ORDER BY 1 DESC, 2',
    'SELECT id, t2 FROM grid ORDER BY t2 COLLATE "C", id',
    'SELECT id, m2, n2 FROM grid ORDER BY m2, n2, id',
    'SELECT id, d2, ts2, b2 FROM grid ORDER BY d2 NULLS FIRST, ts2, b2, id',
    'SELECT id, row_number() OVER (ORDER BY i2, id) FROM grid ORDER BY id',
    'SELECT i2 FROM grid UNION ALL SELECT i2 FROM grid ORDER BY 1',
    // Through a subquery the column keeps its dimensions.
    'SELECT id, x[2][2], cardinality(x), x = x, array_dims(x) FROM (SELECT i2 AS x, id FROM grid) s ORDER BY id',
    'SELECT id FROM (SELECT i2 AS x, id FROM grid) s WHERE 3 = ANY (x) ORDER BY id',
    'SELECT x, id FROM (SELECT i2 AS x, id FROM grid) s ORDER BY id',
    'WITH w AS (SELECT i3 AS y, id FROM grid) SELECT id, y, y[1][1][1] AS y111 FROM w ORDER BY y, id',
  ];
  for (const sql of queries) test(sql, async () => await sameRows(sql));

  test('the same answers through columnar.* (postgres_fdw pushes the operations down)', async () => {
    const shipped = [
      'SELECT id, i2[1][2], array_ndims(i2), array_length(i2, 2), cardinality(i3) FROM TABLE WHERE 3 = ANY (i2) ORDER BY id',
      `SELECT id FROM TABLE WHERE i2 @> '{1,2}' AND i2 IS NOT NULL ORDER BY id`,
      `SELECT id, array_dims(i3), array_upper(i3, 3) FROM TABLE WHERE array_ndims(i3) = 3 ORDER BY id`,
      'SELECT count(DISTINCT i2), count(i3) FROM TABLE',
      'SELECT id, i2 FROM TABLE ORDER BY i2, id',
      `SELECT id FROM TABLE WHERE i2 = '{}' ORDER BY id`,
      `SELECT id, array_to_string(t2, '|') FROM TABLE ORDER BY id`,
    ];
    for (const sql of shipped) {
      assert.deepEqual(
        await textRows(heap, sql.replace('TABLE', 'columnar.grid')),
        await textRows(heap, sql.replace('TABLE', 'grid')),
        sql,
      );
    }
  });

  test('binary results of subscripts and dimension functions equal PostgreSQL’s', async () => {
    const sql = 'SELECT id, i2[1][1], array_dims(i2), array_length(i3, 2), t2 FROM grid ORDER BY id';
    const setup = ["SET TimeZone = 'UTC'"];
    assert.deepEqual(
      await binaryRows({ ...cluster.clientConfig(), port: daemon.port }, sql, setup),
      await binaryRows(cluster.clientConfig(), sql, setup),
    );
  });

  const refusals: [string, RegExp][] = [
    // Elements whose DuckDB order is not PostgreSQL's (uuid, jsonb): no sort key.
    ['SELECT id FROM grid ORDER BY u2', /ORDER BY a multi-dimensional array \(uuid\[\]\)/],
    ['SELECT DISTINCT j2 FROM grid ORDER BY 1', /ORDER BY a multi-dimensional array \(jsonb\[\]\)/],
    // Under DISTINCT the key cannot be applied.
    ['SELECT DISTINCT i2 FROM grid ORDER BY 1', /ORDER BY a multi-dimensional array/],
    ['SELECT j2 FROM grid UNION SELECT j2 FROM grid ORDER BY 1', /ORDER BY a multi-dimensional array/],
    [
      'SELECT min(i2) FROM grid',
      /function min\(\) of a multi-dimensional array \(integer\[\] of 2 dimensions\)/,
    ],
    ['SELECT i2[1:1] FROM grid', /slices and fields of multi-dimensional arrays/],
    ['SELECT i2 || i2 FROM grid', /operator \|\| of a multi-dimensional array/],
    ['SELECT array_agg(i2) FROM grid', /function array_agg\(\) of a multi-dimensional array/],
    ['SELECT coalesce(i2, i2) FROM grid', /this use of a multi-dimensional array/],
    ['SELECT array_position(i2, 1) FROM grid', /this use of a multi-dimensional array/],
    ['SELECT id FROM grid WHERE i2 < i2', /operator < of a multi-dimensional array/],
    ['SELECT i3::text FROM grid', /a cast of a multi-dimensional array \(integer\[\] of 3 dimensions\)/],
    [`SELECT id FROM grid WHERE i2 = '{{1,2},{3,4}}'`, /this comparison with a multi-dimensional array/],
    ['SELECT id, row_number() OVER (PARTITION BY i2) FROM grid', /this use of a multi-dimensional array/],
    ['SELECT id, u FROM grid, unnest(i2) AS u', /multi-dimensional array/],
    // ARRAY[] of arrays builds one in PostgreSQL (cardinality 4, not 2).
    ['SELECT cardinality(ARRAY[ARRAY[1,2],ARRAY[3,4]])', /ARRAY\[\] of arrays/],
    ['SELECT cardinality(ARRAY[i1, i1]) FROM grid', /ARRAY\[\] of arrays/],
  ];
  for (const [sql, what] of refusals)
    test(`refused with 0A000: ${sql}`, async () => await refused(sql, what));
});

describe('values the declared dimensions cannot hold', () => {
  for (const [table, declared, value, pattern] of [
    [
      'flat_in_2d',
      'integer[][]',
      "'{1,2}'",
      /column "a" holds an array whose dimensions are not the 2 it is declared with.*array_ndims\("a"\) = 2/,
    ],
    ['cube_in_2d', 'text[][]', "'{{{a}}}'", /column "a" holds an array whose dimensions are not the 2/],
    ['shifted_2d', 'integer[][]', "'[0:0][1:1]={{1}}'", /column "a" holds an array whose dimensions/],
    ['grid_in_1d', 'integer[]', "'{{1,2},{3,4}}'", /column "a" holds an array of more than one dimension/],
  ] as const) {
    test(`${value} in a ${declared} column stops the copy, and the stream, with the column named`, async () => {
      await heap.query(
        `CREATE TABLE ${table} (id int PRIMARY KEY, a ${declared}); INSERT INTO ${table} VALUES (1, ${value})`,
      );
      await heap.query(`SELECT analytica.register_table('${table}')`);
      const stopped = async () =>
        await assert.rejects(
          heap.query(`SELECT analytica.wait_for_sync('${table}', '30s')`),
          (error: pg.DatabaseError) => {
            assert.equal(error.code, '55000', error.message);
            assert.match(error.message, pattern);
            return true;
          },
        );
      await stopped();
      // Copied without it, the same value arriving through the stream stops the table the same way.
      await heap.query(`DELETE FROM ${table}; SELECT analytica.resync('${table}')`);
      await heap.query(`SELECT analytica.wait_for_sync('${table}', '30s')`);
      await heap.query(`INSERT INTO ${table} VALUES (2, ${value})`);
      await stopped();
      await heap.query(`SELECT analytica.unregister_table('${table}')`);
    });
  }
});

describe('registration', () => {
  test('a domain over interval[][] is refused with the column named (interval arrays have one dimension)', async () => {
    await heap.query(
      'CREATE DOMAIN spans2d AS interval[][]; CREATE TABLE dspans (id int PRIMARY KEY, s spans2d)',
    );
    await refusedWith(
      heap,
      `SELECT analytica.register_table('dspans')`,
      '0A000',
      /column s of table public\.dspans/,
    );
  });
});

describe('a multi-dimensional column added to a streamed table', () => {
  test('ADD COLUMN … int[][] is followed with its dimensions (read from pg_attribute)', async () => {
    await heap.query(`CREATE TABLE evolving (id int PRIMARY KEY, v int); INSERT INTO evolving VALUES (1, 1)`);
    await heap.query(`SELECT analytica.register_table('evolving')`);
    await heap.query(`SELECT analytica.wait_for_sync('evolving')`);
    await heap.query(`ALTER TABLE evolving ADD COLUMN m int[][]`);
    await heap.query(`INSERT INTO evolving VALUES (2, 2, '{{1,2},{3,4}}'), (3, 3, '{}')`);
    // A constant default: the rows already there read it (attmissingval) without a re-copy.
    await heap.query(`ALTER TABLE evolving ADD COLUMN d text[][] DEFAULT '{{"a b",NULL},{c,d}}'`);
    await heap.query(`INSERT INTO evolving VALUES (4, 4, '{{9}}', '{{x}}')`);
    await heap.query(`SELECT analytica.wait_for_sync('evolving')`);
    await sameRows('SELECT id, m, m[2][1], array_dims(m), d, d[1][1] FROM evolving ORDER BY id');
    const { rows } = await heap.query(
      `SELECT c->>'ndims' AS ndims FROM analytica.tables t, jsonb_array_elements(t.columns::jsonb) c
        WHERE t.relid = 'evolving'::regclass AND c->>'name' = 'm'`,
    );
    assert.deepEqual(rows, [{ ndims: '2' }]);
  });
});
