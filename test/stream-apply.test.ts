/**
 * Continuous sync through logical replication: inserts, updates (also of the
 * key), deletes and truncates reach the columnar copy, a query sees every
 * transaction committed before it started (no wait_for_sync needed), and the
 * copy equals the heap row for row.
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

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12,2), tags text[], span interval,
                           opened timestamptz, note jsonb);
    INSERT INTO accounts SELECT g, 'owner ' || g, g * 10, ARRAY['a' || g, NULL, 'x "y"'], g * interval '1 hour 1 second',
                                '2024-01-01'::timestamptz + g * interval '1 day', jsonb_build_object('n', g)
      FROM generate_series(1, 2000) g;`);
  daemon = await startDaemon(cluster, ['--chunk-size', '500']);
  heap = await rawClient(cluster.clientConfig());
  await heap.query("SET TimeZone = 'UTC'");
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

const everyRow = 'SELECT * FROM accounts ORDER BY id';

async function assertSame(sql = everyRow): Promise<void> {
  assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
}

describe('continuous sync', () => {
  test('the table is registered in stream mode and joins the publication', async () => {
    const { rows } = await heap.query(
      `SELECT s.mode, s.state, (SELECT count(*) FROM pg_publication_tables WHERE pubname = 'pg_analytica' AND tablename = 'accounts') AS published
         FROM analytica.status s`,
    );
    assert.deepEqual(rows, [{ mode: 'stream', state: 'synced', published: '1' }]);
    await assertSame();
  });

  test('a committed insert, update and delete are visible to the next query without waiting', async () => {
    await heap.query(`INSERT INTO accounts VALUES (5001, 'new', 1.5, '{}', '-1 day 02:00', now(), '[1,2]')`);
    await heap.query(
      `UPDATE accounts SET balance = balance + 1, tags = array_append(tags, 'z') WHERE id % 10 = 0`,
    );
    await heap.query(`DELETE FROM accounts WHERE id % 13 = 0`);
    await assertSame();
  });

  test('a transaction left open after writing does not hold up queries: the daemon has its WAL flushed', async () => {
    const open = await rawClient(cluster.clientConfig());
    try {
      // Its WAL is written but not flushed (nothing commits after it; test clusters also run
      // with synchronous_commit off), so the walsender cannot send past it on its own.
      await cluster.exec('CREATE TABLE IF NOT EXISTS side_table ()');
      await open.query('BEGIN');
      await open.query(`UPDATE accounts SET owner = 'pending' WHERE id = 7`);
      // An ACCESS EXCLUSIVE lock is WAL-logged (for standbys): a short record, reliably left
      // in the unflushed last page.
      await open.query('LOCK TABLE side_table IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      assert.deepEqual(await textRows(columnar, 'SELECT owner FROM accounts WHERE id = 7'), [['owner 7']]);
      const ms = Date.now() - started;
      assert.ok(ms < 5000, `the query waited ${ms} ms for the stream`);
      await open.query('COMMIT');
      assert.deepEqual(await textRows(columnar, 'SELECT owner FROM accounts WHERE id = 7'), [['pending']]);
    } finally {
      await open.end();
    }
  });

  test('an update of the key moves the row', async () => {
    await heap.query(`UPDATE accounts SET id = id + 100000 WHERE id BETWEEN 1 AND 20`);
    await assertSame();
    await heap.query(`UPDATE accounts SET id = id - 100000 WHERE id > 100000 AND id < 100010`);
    await assertSame();
  });

  test('a transaction with savepoints and a rolled-back part applies only what committed', async () => {
    await heap.query('BEGIN');
    await heap.query(`INSERT INTO accounts (id, owner) VALUES (6001, 'kept')`);
    await heap.query('SAVEPOINT s');
    await heap.query(`INSERT INTO accounts (id, owner) VALUES (6002, 'rolled back')`);
    await heap.query(`DELETE FROM accounts WHERE id = 30`);
    await heap.query('ROLLBACK TO SAVEPOINT s');
    await heap.query(`UPDATE accounts SET owner = 'changed twice' WHERE id = 6001`);
    await heap.query(`DELETE FROM accounts WHERE id = 31`);
    await heap.query(`INSERT INTO accounts (id, owner) VALUES (31, 'deleted and inserted again')`);
    await heap.query('COMMIT');
    await heap.query('BEGIN');
    await heap.query(`INSERT INTO accounts (id, owner) VALUES (6003, 'never')`);
    await heap.query('ROLLBACK');
    await assertSame();
  });

  test('changes are flushed to segments with their watermark, and the copy stays exact', async () => {
    await heap.query(`UPDATE accounts SET note = '{"flushed": true}' WHERE id < 100`);
    await waitFor(async () => {
      const { rows } = await heap.query(
        `SELECT count(*) FILTER (WHERE kind = 'delete') AS deletes FROM analytica.segments`,
      );
      return Number(rows[0].deletes) > 0;
    }, 'a delete segment in the catalog');
    // The flushed row count converges on the heap's once the last change is flushed.
    await waitFor(async () => {
      const { rows } = await heap.query(
        `SELECT t.rows = (SELECT count(*) FROM accounts) AND t.synced_lsn <= pg_current_wal_lsn() AND t.version > 1 AS done
           FROM analytica.tables t`,
      );
      return rows[0].done === 't';
    }, 'the flushed row count to match the heap');
    await assertSame();
  });

  test('TRUNCATE empties the copy, and rows inserted after it in the same transaction stay', async () => {
    await heap.query('BEGIN');
    await heap.query(`INSERT INTO accounts (id, owner) VALUES (7001, 'before truncate')`);
    await heap.query('TRUNCATE accounts');
    await heap.query(`INSERT INTO accounts (id, owner) VALUES (7002, 'after truncate')`);
    await heap.query('COMMIT');
    await assertSame();
    await heap.query(`INSERT INTO accounts SELECT g, 'again ' || g FROM generate_series(1, 300) g`);
    await assertSame();
    await heap.query(`SELECT analytica.wait_for_sync('accounts')`);
    await assertSame('SELECT count(*), sum(id) FROM accounts');
  });

  test('wait_for_sync returns once the stream has applied the caller’s commits', async () => {
    await heap.query(`INSERT INTO accounts (id, owner) VALUES (8001, 'waited for')`);
    await heap.query(`SELECT analytica.wait_for_sync('accounts', '20s')`);
    const { rows } = await heap.query(
      `SELECT (applied_lsn >= pg_current_wal_lsn() - 1000000)::text AS close FROM analytica.stream_state`,
    );
    assert.equal(rows[0].close, 'true');
    await assertSame();
  });

  test('a table without a primary key is refused for streaming, with a hint', async () => {
    await heap.query('CREATE TABLE keyless (a int, b text)');
    await assert.rejects(
      heap.query(`SELECT analytica.register_table('keyless', mode => 'stream')`),
      (error: Error & { code?: string; hint?: string }) => {
        assert.equal(error.code, '55000');
        assert.match(error.message, /no primary key/);
        assert.match(error.hint ?? '', /mode => 'refresh'/);
        return true;
      },
    );
    await assert.rejects(heap.query(`SELECT analytica.register_table('keyless')`), /no primary key/);
    await heap.query(`SELECT analytica.register_table('keyless', mode => 'refresh')`);
    await heap.query(`SELECT analytica.unregister_table('keyless')`);
  });
});
