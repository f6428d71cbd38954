/**
 * What a reader of a streamed table sees while writers run:
 * - transfers between accounts, in transactions: every query through the
 *   query server sees the same total (never half a transaction);
 * - a randomized workload of concurrent writers (inserts, updates also of the
 *   key, deletes, savepoints, rollbacks, truncates) ends with the copy equal
 *   to the heap;
 * - one transaction of a million rows arrives whole;
 * - a table registered while another streams joins without stopping it, and
 *   a table unregistered and registered again starts over cleanly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { seededRandom, Workload } from './helpers/workload.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

const accounts = 200;
const initialBalance = 1000;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
    INSERT INTO accounts SELECT g, ${initialBalance} FROM generate_series(1, ${accounts}) g;
    CREATE SEQUENCE item_ids START 100000;
    CREATE TABLE items (id bigint PRIMARY KEY, v bigint NOT NULL, label text);
    INSERT INTO items SELECT g, g, 'initial ' || g FROM generate_series(1, 20000) g;`);
  // A million-row transaction takes ~30 s to apply on a loaded two-core machine: queries wait
  // for it longer than the default analytica.max_wait, since this checks atomicity, not speed.
  daemon = await startDaemon(cluster, ['--chunk-size', '5000', '--max-wait', '180s']);
  heap = await rawClient(cluster.clientConfig());
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await heap.query(`SELECT analytica.register_table('accounts')`);
  await heap.query(`SELECT analytica.wait_for_sync('accounts')`);
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

async function transfers(client: pg.Client, until: () => boolean, seed: number): Promise<number> {
  const random = seededRandom(seed);
  let done = 0;
  while (!until()) {
    const from = 1 + Math.floor(random() * accounts);
    const to = 1 + Math.floor(random() * accounts);
    const amount = 1 + Math.floor(random() * 50);
    try {
      await client.query('BEGIN');
      await client.query('UPDATE accounts SET balance = balance - $2 WHERE id = $1', [from, amount]);
      await client.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [to, amount]);
      await client.query('COMMIT');
      done++;
    } catch (error) {
      await client.query('ROLLBACK');
      if ((error as { code?: string }).code !== '40P01') throw error;
    }
  }
  return done;
}

describe('consistency of streamed copies', () => {
  test('transfers: every query sees the same total, never half a transaction', async () => {
    const writers = [await rawClient(cluster.clientConfig()), await rawClient(cluster.clientConfig())];
    const deadline = Date.now() + 4000;
    const stop = () => Date.now() > deadline;
    try {
      const running = writers.map((w, i) => transfers(w, stop, 11 + i));
      let queries = 0;
      while (!stop()) {
        const rows = await textRows(columnar, 'SELECT sum(balance), count(*) FROM accounts');
        assert.deepEqual(rows, [[String(accounts * initialBalance), String(accounts)]]);
        queries++;
      }
      const done = (await Promise.all(running)).reduce((a, b) => a + b, 0);
      assert.ok(done > 50 && queries > 10, `${done} transfers, ${queries} queries`);
      const check = 'SELECT id, balance FROM accounts ORDER BY id';
      assert.deepEqual(await textRows(columnar, check), await textRows(heap, check));
    } finally {
      for (const w of writers) await w.end();
    }
  });

  test('a table registered while another streams joins without a gap or an overlap', async () => {
    const workload = await Workload.connect(cluster.clientConfig(), { writers: 3, seed: 3 });
    workload.start();
    const transferWriter = await rawClient(cluster.clientConfig());
    let stop = false;
    const running = transfers(transferWriter, () => stop, 5);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Registered mid-workload: its copy's snapshot and the stream must meet exactly.
      await heap.query(`SELECT analytica.register_table('items')`);
      await heap.query(`SELECT analytica.wait_for_sync('items', '60s')`);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      stop = true;
      await running;
      await transferWriter.end();
      await workload.close();
    }
    assert.ok(workload.committed > 20, `the workload committed ${workload.committed} transactions`);
    for (const sql of [
      'SELECT id, v, label FROM items ORDER BY id',
      'SELECT id, balance FROM accounts ORDER BY id',
    ]) {
      assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
    }
  });

  test('a transaction of a million rows arrives whole', async () => {
    const reader = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    let stop = false;
    const seen = new Set<string>();
    // Meanwhile, a reader sees either none or all of the transaction's rows.
    const watching = (async () => {
      while (!stop) {
        const rows = await textRows(reader, `SELECT count(*) FROM items WHERE label = 'bulk'`);
        seen.add(String(rows[0]?.[0]));
      }
    })();
    try {
      await heap.query(`INSERT INTO items SELECT 10000000 + g, g, 'bulk' FROM generate_series(1, 1000000) g`);
      const rows = await textRows(columnar, `SELECT count(*) FROM items WHERE label = 'bulk'`);
      assert.equal(rows[0]?.[0], '1000000');
    } finally {
      stop = true;
      await watching;
      await reader.end();
    }
    assert.deepEqual(
      [...seen].filter((n) => n !== '0' && n !== '1000000'),
      [],
    );
    const summary = 'SELECT count(*), sum(id), sum(v), count(label) FROM items';
    assert.deepEqual(await textRows(columnar, summary), await textRows(heap, summary));
    await heap.query(`DELETE FROM items WHERE label = 'bulk'`);
    assert.deepEqual(await textRows(columnar, summary), await textRows(heap, summary));
  });

  test('unregister and register again: the copy starts over, and the slot goes with the last table', async () => {
    await heap.query(`SELECT analytica.unregister_table('items')`);
    await assert.rejects(columnar.query('SELECT count(*) FROM items'), { code: '42P01' });
    await heap.query(`UPDATE items SET v = -v WHERE id % 3 = 0`);
    await heap.query(`SELECT analytica.register_table('items')`);
    await heap.query(`SELECT analytica.wait_for_sync('items')`);
    const sql = 'SELECT id, v, label FROM items ORDER BY id';
    assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));

    await heap.query(`SELECT analytica.unregister_table('items')`);
    await heap.query(`SELECT analytica.unregister_table('accounts')`);
    const gone = async () => {
      const { rows } = await heap.query(
        `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pg_analytica%') AS slots,
                (SELECT count(*) FROM pg_publication WHERE pubname = 'pg_analytica') AS publications`,
      );
      return rows[0].slots === '0' && rows[0].publications === '0';
    };
    await waitFor(gone, 'the slot and the publication to go with the last streamed table', 20_000);
  });
});
