/**
 * Updates that leave a TOASTed value unchanged, on a table without REPLICA IDENTITY FULL:
 * pgoutput sends such a value as "unchanged" without the value, and the stream takes it from
 * the copy (the lines in memory, the chunks of the flush window, or the segments). Multi-megabyte
 * jsonb (compressed) and text (stored uncompressed, out of line) values, updated in every order
 * the stream can meet them; after each step the copy equals the heap, read directly through the
 * daemon and through columnar.orders (postgres_fdw), and the table is still streaming.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

/** A jsonb of about `kb` kilobytes (line items with random codes: PostgreSQL compresses it). */
const jsonbOf = (kb: number, seed: string) =>
  `(SELECT jsonb_build_object('seed', ${seed}, 'items', jsonb_agg(jsonb_build_object(
             'sku', md5(random()::text || i || ${seed}), 'quantity', 1, 'status', 'in stock', 'warehouse', 'main')))
      FROM generate_series(1, ${Math.ceil((kb * 1024) / 90)}) i)`;
/** Random text of about `kb` kilobytes (the column is STORAGE EXTERNAL: out of line, never compressed). */
const textOf = (kb: number, seed: string) =>
  `(SELECT string_agg(md5(random()::text || i || ${seed}), '') FROM generate_series(1, ${Math.ceil((kb * 1024) / 32)}) i)`;

const big = { doc: 3 * 1024, body: 5 * 1024 };

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, doc jsonb, body text, note text);
    ALTER TABLE orders ALTER COLUMN body SET STORAGE EXTERNAL;
    INSERT INTO orders SELECT g, 'new', ${jsonbOf(big.doc, 'g')}, ${textOf(big.body, 'g')}, 'n' || g
      FROM generate_series(1, 6) g;
    INSERT INTO orders SELECT g, 'new', ${jsonbOf(12.8, 'g')}, ${textOf(4, 'g')}, NULL FROM generate_series(7, 606) g;`);
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  await connectColumnar();
  await heap.query(`SELECT analytica.register_table('orders')`);
  await heap.query(`SELECT analytica.wait_for_sync('orders')`);
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

async function connectColumnar(): Promise<void> {
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
}

const digest = (table: string) =>
  `SELECT id, status, md5(doc::text), md5(body), length(body), note FROM ${table} ORDER BY id`;

/** The copy equals the heap, through the daemon and through columnar.<table>, and still streams. */
async function assertSame(table = 'orders'): Promise<void> {
  const expected = await textRows(heap, digest(`public.${table}`));
  assert.deepEqual(await textRows(columnar, digest(table)), expected, 'through the daemon');
  // Through postgres_fdw on the same session: each statement is a new remote transaction.
  assert.deepEqual(await textRows(heap, digest(`columnar.${table}`)), expected, 'through columnar.*');
  const { rows } = await heap.query(
    `SELECT state, last_error FROM analytica.tables WHERE relid = $1::regclass`,
    [table],
  );
  assert.deepEqual(rows, [{ state: 'synced', last_error: null }]);
}

/** How many of the values are stored out of line: those pgoutput sends as "unchanged". */
async function outOfLine(where: string): Promise<{ doc: string; body: string }> {
  const { rows } = await heap.query(
    `SELECT count(*) FILTER (WHERE pg_column_compression(doc) IS NOT NULL AND pg_column_size(doc) > 2000) AS doc,
            count(*) FILTER (WHERE pg_column_compression(body) IS NULL AND pg_column_size(body) > 2000) AS body
       FROM orders WHERE ${where}`,
  );
  return rows[0];
}

async function segmentCount(): Promise<number> {
  const { rows } = await heap.query(
    `SELECT count(*) AS n FROM analytica.segments s JOIN analytica.tables t USING (relid, generation)
      WHERE t.relid = 'orders'::regclass`,
  );
  return Number(rows[0].n);
}

describe('updates leaving TOASTed values unchanged, without REPLICA IDENTITY FULL', () => {
  test('the values are TOASTed as the test means: jsonb compressed, text uncompressed, out of line', async () => {
    const { rows } = await heap.query(`SELECT relreplident FROM pg_class WHERE oid = 'orders'::regclass`);
    assert.deepEqual(rows, [{ relreplident: 'd' }]);
    assert.deepEqual(await outOfLine('id <= 6'), { doc: '6', body: '6' });
    assert.deepEqual(await outOfLine('id > 6'), { doc: '600', body: '600' });
    await assertSame();
  });

  test("UPDATE orders SET status = 'shipped' WHERE id = 7 (a 12.8 kB jsonb, in the segments)", async () => {
    await heap.query(`UPDATE orders SET status = 'shipped' WHERE id = 7`);
    await assertSame();
  });

  test('multi-megabyte values in the segments', async () => {
    await heap.query(`UPDATE orders SET status = 'shipped' WHERE id IN (1, 2)`);
    await heap.query(`UPDATE orders SET note = 'gift' WHERE id = 3`);
    await assertSame();
  });

  test('updates in the transaction of the insert', async () => {
    await heap.query('BEGIN');
    await heap.query(
      `INSERT INTO orders VALUES (1001, 'new', ${jsonbOf(big.doc, '1001')}, ${textOf(big.body, '1001')}, NULL)`,
    );
    await heap.query(`UPDATE orders SET status = 'paid' WHERE id = 1001`);
    await heap.query(`UPDATE orders SET note = 'twice' WHERE id = 1001`);
    await heap.query('COMMIT');
    await assertSame();
  });

  test('repeated updates before a flush, each leaving another value unchanged', async () => {
    await heap.query('BEGIN');
    await heap.query(`UPDATE orders SET doc = ${jsonbOf(big.doc, '42')}, status = 'a' WHERE id = 4`);
    await heap.query(`UPDATE orders SET body = ${textOf(big.body, '4')}, status = 'b' WHERE id = 4`);
    await heap.query(`UPDATE orders SET status = 'c' WHERE id = 4`);
    await heap.query('COMMIT');
    // In transactions of their own (their lines meet in memory or in the flush window's chunks).
    await heap.query(`UPDATE orders SET doc = ${jsonbOf(20, '43')} WHERE id = 5`);
    await heap.query(`UPDATE orders SET body = ${textOf(30, '5')} WHERE id = 5`);
    await heap.query(`UPDATE orders SET status = 'd' WHERE id = 5`);
    await assertSame();
  });

  test('an update then a delete, and a key change with the values unchanged', async () => {
    await heap.query('BEGIN');
    await heap.query(`UPDATE orders SET status = 'gone' WHERE id = 8`);
    await heap.query(`DELETE FROM orders WHERE id = 8`);
    await heap.query('COMMIT');
    await heap.query(`UPDATE orders SET id = 2006 WHERE id = 6`);
    await heap.query(`UPDATE orders SET status = 'moved' WHERE id = 2006`);
    await heap.query('BEGIN');
    await heap.query(`UPDATE orders SET id = 2009, status = 'moved' WHERE id = 9`);
    await heap.query(`UPDATE orders SET id = 3009 WHERE id = 2009`);
    await heap.query('COMMIT');
    await assertSame();
  });

  test('many rows updated in one statement (more than one chunk of lookups)', async () => {
    await heap.query(`UPDATE orders SET status = 'bulk'`);
    await assertSame();
    await heap.query(`UPDATE orders SET note = 'bulk ' || id WHERE id % 2 = 0`);
    await assertSame();
  });

  test('an update after a compaction', async () => {
    await heap.query(`SELECT analytica.compact_now('orders')`);
    await waitFor(async () => {
      const { rows } = await heap.query(
        `SELECT compact_requested_at IS NULL AS done FROM analytica.tables WHERE relid = 'orders'::regclass`,
      );
      return rows[0]?.done === 't';
    }, 'the compaction');
    await heap.query(`UPDATE orders SET status = 'after compaction' WHERE id IN (1, 10, 2006)`);
    await assertSame();
  });

  test('a daemon restart between an update and its flush: the update streamed again resolves the same', async () => {
    const dataDir = daemon.config.dataDir;
    await columnar.end();
    await daemon.close();
    // No flush for an hour: the update stays in the delta until the daemon stops.
    daemon = await startDaemon(cluster, ['--data-dir', dataDir, '--naptime', '1h']);
    await connectColumnar();
    const before = await segmentCount();
    await heap.query(`UPDATE orders SET status = 'before restart' WHERE id IN (2, 11, 1001)`);
    await heap.query(`UPDATE orders SET note = 'before restart' WHERE id = 2`);
    await assertSame();
    assert.equal(await segmentCount(), before, 'the updates are not flushed yet');
    await columnar.end();
    await daemon.close();
    daemon = await startDaemon(cluster, ['--data-dir', dataDir]);
    await connectColumnar();
    await assertSame();
    await waitFor(async () => (await segmentCount()) > before, 'the flush after the restart');
    await assertSame();
  });

  test('an update during the copy of its table waits for the copy, which holds the row', async () => {
    await heap.query(`CREATE TABLE invoices (LIKE orders INCLUDING ALL)`);
    await heap.query(
      `INSERT INTO invoices SELECT g, 'new', ${jsonbOf(big.doc, 'g')}, ${textOf(big.body, 'g')}, NULL
         FROM generate_series(1, 8) g`,
    );
    await heap.query(`SELECT analytica.register_table('invoices')`);
    // The copy has its snapshot once it says it is copying: a change committed now is the stream's.
    await waitFor(async () => {
      const { rows } = await heap.query(
        `SELECT state FROM analytica.tables WHERE relid = 'invoices'::regclass`,
      );
      return rows[0]?.state !== 'pending';
    }, 'the copy of invoices to start');
    await heap.query(`UPDATE invoices SET status = 'paid' WHERE id IN (1, 8)`);
    await heap.query(`SELECT analytica.wait_for_sync('invoices')`);
    await assertSame('invoices');
  });
});
