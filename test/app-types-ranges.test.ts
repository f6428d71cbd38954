/**
 * The continuous built-in ranges (issue 13): tstzrange (booking and billing schemas), tsrange and
 * numrange. A table with each is registered, copied, then changed through the stream; values are
 * compared with the heap text-for-text and byte-for-byte in binary, in several session time zones
 * (a tstzrange prints its bounds in the session's TimeZone, and literal bounds without an offset
 * are read in it), and so are the queries a dashboard runs on them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { refusedWith, sameRowsAndTypes } from './helpers/assertions.js';
import { binaryRows } from './helpers/binary-rows.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

const schema = `
  CREATE TABLE booking (id int PRIMARY KEY, during tstzrange, period tsrange, price numrange);`;

const copied = [
  `1, '[2024-01-01 10:00+00,2024-01-02 10:00+00)', '[2024-01-01 10:00,2024-01-02 10:00)', '[1.5,2.5]'`,
  `2, '(2024-01-01 00:00+05:30,2024-01-01 12:00:00.25-05]', '(2024-01-01 00:00:00.5,)', '[1.50,2.500)'`,
  `3, 'empty', 'empty', 'empty'`,
  `4, '(,)', '(,2024-06-01 00:00)', '(,0.001)'`,
  `5, '[2020-01-01 00:00+00,infinity)', '[-infinity,infinity]', '[-3,1e2)'`,
  `6, NULL, NULL, NULL`,
  `7, '[2024-01-01 23:30+00,2024-01-01 23:30+00]', '[2024-01-01 00:00,2024-01-01 00:00]', '[1.5,1.5]'`,
];
const streamed = [
  `8, '[2024-01-01 04:00+00,2024-01-01 06:00+00)', '[2024-01-01 04:00,2024-01-01 06:00)', '(0,1.25)'`,
  `9, '["2023-12-31 20:00:00-05","2024-01-01 03:00:00+02")', '["2024-03-10 02:30:00",)', '[100.000,100.0001)'`,
  // Equal to row 1's numrange (numeric_cmp), printed otherwise.
  `11, NULL, NULL, '[1.50,2.50]'`,
  // Bounds before year 1 AD (PostgreSQL prints them with BC).
  `12, '["0044-03-15 12:00:00+00 BC",)', '[0044-03-15 12:00 BC,0001-01-01 00:00)', NULL`,
];

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

const zones = ['UTC', 'America/New_York', 'Asia/Kolkata'];

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`${schema}\nINSERT INTO booking VALUES ${copied.map((r) => `(${r})`).join(', ')};`);
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  await heap.query(`SELECT analytica.register_table('booking')`);
  await heap.query(`SELECT analytica.wait_for_sync('booking')`);
  // After the copy, written in another zone than the daemon's: streamed in, updated, deleted.
  await heap.query("SET TimeZone = 'Asia/Kolkata'");
  await heap.query(`INSERT INTO booking VALUES ${streamed.map((r) => `(${r})`).join(', ')}`);
  await heap.query(
    `UPDATE booking SET during = '[2024-01-01 09:00,2024-01-01 17:00)', price = '[0.10,0.2]' WHERE id = 4`,
  );
  await heap.query(`INSERT INTO booking (id) VALUES (10)`);
  await heap.query('DELETE FROM booking WHERE id = 10');
  await heap.query(`SELECT analytica.wait_for_sync('booking')`);
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

async function inZone(zone: string): Promise<void> {
  await heap.query(`SET TimeZone = '${zone}'`);
  await columnar.query(`SET TimeZone = '${zone}'`);
}

const sameRows = (sql: string) => sameRowsAndTypes(heap, columnar, sql);
const refused = (sql: string, code: string, message: RegExp) => refusedWith(columnar, sql, code, message);

const queries = [
  'SELECT * FROM booking ORDER BY id',
  'SELECT id, during FROM booking ORDER BY during, id',
  'SELECT id, period FROM booking ORDER BY period DESC, id',
  'SELECT id, price FROM booking ORDER BY price, id',
  'SELECT id FROM booking WHERE during @> now() ORDER BY id',
  `SELECT id FROM booking WHERE during @> '2024-01-01 05:00:00+00'::timestamptz ORDER BY id`,
  `SELECT id FROM booking WHERE during && '[2024-01-01 00:00,2024-01-01 08:00)' ORDER BY id`,
  `SELECT id FROM booking WHERE '[2024-01-01 11:00,2024-01-01 12:00]' <@ during ORDER BY id`,
  `SELECT id FROM booking WHERE during = '[2024-01-01 15:00+05,2024-01-02 15:00+05)' ORDER BY id`,
  `SELECT id FROM booking WHERE period @> '2024-01-01 12:00'::timestamp ORDER BY id`,
  `SELECT id FROM booking WHERE period && '[2024-01-01 05:00,2024-01-01 05:00]' ORDER BY id`,
  'SELECT id FROM booking WHERE price @> 1.5 ORDER BY id',
  'SELECT id FROM booking WHERE price @> 2.5::numeric ORDER BY id',
  `SELECT id FROM booking WHERE price = '[1.50,2.5000]' ORDER BY id`,
  `SELECT id FROM booking WHERE price && '(0.1,1.5)' ORDER BY id`,
  `SELECT id FROM booking WHERE price < '[1.5,2)' ORDER BY id`,
  `SELECT id, lower(during), upper(during), lower(period), upper(period), lower(price), upper(price)
     FROM booking ORDER BY id`,
  `SELECT id, isempty(during), lower_inc(during), upper_inc(during), lower_inf(during), upper_inf(during),
          lower_inc(price), upper_inc(price), lower_inf(period), upper_inf(period)
     FROM booking ORDER BY id`,
  'SELECT lower(during), count(*) FROM booking GROUP BY lower(during) ORDER BY 1',
  'SELECT during, count(*) FROM booking GROUP BY during ORDER BY during',
  'SELECT count(DISTINCT during), count(DISTINCT period), count(period) FROM booking',
  'SELECT id, lag(during) OVER (ORDER BY id), concat(price, period) FROM booking ORDER BY id',
  // Groups of equal numranges that print differently are read by their count and first id.
  'SELECT count(*), min(id) FROM booking GROUP BY price ORDER BY 2',
  'SELECT count(DISTINCT price) FROM booking',
  'SELECT id FROM booking WHERE price IN (SELECT price FROM booking WHERE id = 1) ORDER BY id',
];

for (const zone of zones) {
  describe(`tstzrange, tsrange and numrange in TimeZone ${zone}`, () => {
    before(async () => await inZone(zone));
    for (const sql of queries) test(sql, async () => await sameRows(sql));

    test('parameters are read in the session’s TimeZone, as PostgreSQL reads them', async () => {
      const cases: [string, string[]][] = [
        ['SELECT id FROM booking WHERE during && $1 ORDER BY id', ['[2024-01-01 00:00,2024-01-01 08:00)']],
        [
          'SELECT id FROM booking WHERE during && $1::tstzrange ORDER BY id',
          ['[2024-01-01 00:00,2024-01-01 08:00)'],
        ],
        ['SELECT id FROM booking WHERE during @> $1::timestamptz ORDER BY id', ['2024-01-01 05:00']],
        ['SELECT id FROM booking WHERE price @> $1::numeric ORDER BY id', ['2.50']],
        ['SELECT $1::tstzrange AS r', ['[2024-01-01 00:00,2024-01-01 08:00)']],
      ];
      for (const [text, values] of cases) {
        const expected = await heap.query({ text, values, rowMode: 'array' });
        const actual = await columnar.query({ text, values, rowMode: 'array' });
        assert.deepEqual(actual.rows, expected.rows, `${text} with ${values.join(', ')}`);
      }
    });

    test('binary results carry PostgreSQL’s range_send bytes', async () => {
      const sql = 'SELECT id, during, period, price FROM booking ORDER BY id';
      const setup = [`SET TimeZone = '${zone}'`];
      const expected = await binaryRows(cluster.clientConfig(), sql, setup);
      assert.equal(expected.error, undefined);
      assert.deepEqual(
        await binaryRows({ ...cluster.clientConfig(), port: daemon.port }, sql, setup),
        expected,
      );
    });

    test('through columnar.* the foreign table reads the same values and filters', async () => {
      const sql = (from: string) =>
        `SELECT id, during, period, price FROM ${from} WHERE during && '[2024-01-01,2024-01-02)' ORDER BY id`;
      assert.deepEqual(await textRows(heap, sql('columnar.booking')), await textRows(heap, sql('booking')));
      const all = (from: string) => `SELECT * FROM ${from} ORDER BY id`;
      assert.deepEqual(await textRows(heap, all('columnar.booking')), await textRows(heap, all('booking')));
    });
  });
}

describe('what the engine does not compute on these ranges is refused', () => {
  before(async () => await inZone('America/New_York'));

  test('operators and casts', async () => {
    await refused('SELECT during::text FROM booking', '0A000', /cast from tstzrange to text/);
    // These would print the copy's UTC bounds where PostgreSQL prints the session's.
    await refused(`SELECT coalesce(concat(during), '') FROM booking`, '0A000', /concat\(\) of a tstzrange/);
    await refused(`SELECT concat('at ', during) FROM booking`, '0A000', /concat\(\) of a tstzrange value/);
    await refused(`SELECT price + '[1,2)' FROM booking`, '0A000', /operator \+ on numrange values/);
    await refused('SELECT max(during) FROM booking', '42883', /function max\(tstzrange\) does not exist/);
    await refused(
      `SELECT id FROM booking WHERE during && '[2024-01-01 00:00 Europe/Berlin,)'`,
      '0A000',
      /timestamptz "2024-01-01 00:00 Europe\/Berlin" in a range/,
    );
  });

  test('a multirange column is refused at registration with the column named', async () => {
    await heap.query('CREATE TABLE multi (id int PRIMARY KEY, spans tstzmultirange)');
    await assert.rejects(
      heap.query(`SELECT analytica.register_table('multi')`),
      (error: pg.DatabaseError) => {
        assert.equal(error.code, '0A000', error.message);
        assert.match(
          error.message,
          /column spans of table public\.multi has unsupported type tstzmultirange/,
        );
        return true;
      },
    );
  });
});
