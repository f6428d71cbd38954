/**
 * Mode append (no logical replication needed): passes copy only rows past the key watermark,
 * never lose a row of a transaction that commits after a later one, and refuse updates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

const everyRow = 'SELECT id, msg FROM log ORDER BY id';

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, msg text);
    INSERT INTO log (msg) SELECT 'initial ' || g FROM generate_series(1, 3000) g;`);
  daemon = await startDaemon(cluster, ['--chunk-size', '1000']);
  heap = await rawClient(cluster.clientConfig());
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

describe('mode append', () => {
  test('needs an integer primary key filled by a sequence', async () => {
    await heap.query('CREATE TABLE plain (id int PRIMARY KEY, v text)');
    await assert.rejects(heap.query(`SELECT analytica.register_table('plain', mode => 'append')`), {
      code: '55000',
      message: /needs a one-column integer primary key filled by a sequence/,
    });
  });

  test('the first copy, then only new rows, in passes past the watermark', async () => {
    await heap.query(`SELECT analytica.register_table('log', mode => 'append')`);
    await heap.query(`SELECT analytica.wait_for_sync('log')`);
    assert.deepEqual(await textRows(columnar, everyRow), await textRows(heap, everyRow));
    await heap.query(`INSERT INTO log (msg) SELECT 'more ' || g FROM generate_series(1, 2500) g`);
    await heap.query(`SELECT analytica.wait_for_sync('log')`);
    assert.deepEqual(await textRows(columnar, everyRow), await textRows(heap, everyRow));
    const { rows } = await heap.query(
      `SELECT t.generation, t.append_watermark, t.rows, (SELECT count(*) FROM analytica.segments s WHERE s.relid = t.relid) AS segments
         FROM analytica.tables t WHERE t.relid = 'log'::regclass`,
    );
    // Appended, not copied again: still the first generation, with more segments.
    assert.equal(rows[0].generation, '1');
    assert.equal(rows[0].append_watermark, '5500');
    assert.equal(rows[0].rows, '5500');
    assert.ok(Number(rows[0].segments) >= 6, `segments: ${rows[0].segments}`);
  });

  test('a transaction that commits after a later one is not skipped', async () => {
    const early = await rawClient(cluster.clientConfig());
    const late = await rawClient(cluster.clientConfig());
    try {
      // The early transaction takes the next key and stays open.
      await early.query('BEGIN');
      await early.query(`INSERT INTO log (msg) VALUES ('early, committed last')`);
      // A later one takes a higher key and commits first.
      await late.query(`INSERT INTO log (msg) VALUES ('late, committed first')`);
      // A pass now must not move the watermark past the early key while it is in flight.
      const waiting = heap.query(`SELECT analytica.wait_for_sync('log', '30s')`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await early.query(`INSERT INTO log (msg) VALUES ('early, second row')`);
      await early.query('COMMIT');
      await waiting;
      await heap.query(`SELECT analytica.wait_for_sync('log')`);
      assert.deepEqual(await textRows(columnar, everyRow), await textRows(heap, everyRow));
      const early2 = await textRows(columnar, `SELECT count(*) FROM log WHERE msg LIKE 'early%'`);
      assert.equal(early2[0]?.[0], '2');
    } finally {
      await early.end();
      await late.end();
    }
  });

  test('an update puts the table in error, and resync copies it again', async () => {
    await heap.query(`UPDATE log SET msg = 'changed' WHERE id = 10`);
    await heap.query(`INSERT INTO log (msg) VALUES ('after the update')`);
    await waitFor(async () => {
      const { rows } = await heap.query(
        `SELECT state, last_error FROM analytica.status WHERE table_name = 'public.log'`,
      );
      return rows[0].state === 'error' && /mode append/.test(rows[0].last_error);
    }, 'the append table to refuse the update');
    await heap.query(`SELECT analytica.resync('log')`);
    await heap.query(`SELECT analytica.wait_for_sync('log')`);
    assert.deepEqual(await textRows(columnar, everyRow), await textRows(heap, everyRow));
  });
});
