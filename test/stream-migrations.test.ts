/**
 * Migrations followed in place: a streamed table under a background writer (inserts, updates,
 * deletes) goes through the migrations a web framework (Rails, Django, Prisma) emits over a day,
 * and after every step the copy equals the heap — read from the daemon by the table's name and
 * through postgres_fdw as columnar.orders, `SELECT *` with the heap's column names and order —
 * and analytica.status shows a re-copy reason only for the steps the WAL cannot carry (a
 * volatile default, a type change that converts values). No step ever needs analytica.resync().
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { Logger, silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient } from './helpers/daemon.js';
import { Writer } from './helpers/order-writer.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;
let writer: Writer;
let dataDir: string;

const schema = `
  CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');
  CREATE TABLE orders (id bigserial PRIMARY KEY, customer varchar(50) NOT NULL, qty int NOT NULL,
                       price int, status order_status NOT NULL DEFAULT 'pending', note text,
                       created_at timestamp NOT NULL DEFAULT '2024-05-01 10:00');
  INSERT INTO orders (customer, qty, price, status, note)
    SELECT 'customer ' || g % 97, g % 13, g * 7, (ARRAY['pending', 'paid', 'shipped'])[g % 3 + 1]::order_status,
           CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || g END
      FROM generate_series(1, 3000) g;`;

/** The daemon on the test's data directory (started again by the restart test). */
async function start(): Promise<Daemon> {
  return await Daemon.start({
    env: { DATABASE_URL: cluster.connectionString('postgres') },
    argv: ['--port', '0', '--data-dir', dataDir, '--naptime', '200ms', '--chunk-size', '500'],
    // PG_ANALYTICA_TEST_LOG=debug shows the daemon's log while a test runs.
    log: process.env.PG_ANALYTICA_TEST_LOG
      ? new Logger({ level: process.env.PG_ANALYTICA_TEST_LOG as 'debug' })
      : silentLogger,
  });
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(schema);
  dataDir = await mkdtemp(path.join(tmpdir(), 'pga-migrations-'));
  daemon = await start();
  heap = await rawClient(cluster.clientConfig());
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await heap.query(`SELECT analytica.register_table('orders')`);
  await heap.query(`SELECT analytica.wait_for_sync('orders')`);
  writer = new Writer(await rawClient(cluster.clientConfig()));
  writer.start();
});

after(async () => {
  await writer?.close();
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Read {
  columns: string[];
  rows: (string | null)[][];
}

/** Every value as PostgreSQL's text, with the result's column names. */
async function read(client: pg.Client, sql: string): Promise<Read> {
  const result = await client.query({ text: sql, rowMode: 'array' });
  return { columns: result.fields.map((f) => f.name), rows: result.rows };
}

interface Recopies {
  recopy_reason: string | null;
  recopy_requested_at: string | null;
  recopied_at: string | null;
  state: string;
  last_error: string | null;
}

async function recopies(): Promise<Recopies> {
  const { rows } = await heap.query<Recopies>(
    `SELECT recopy_reason, recopy_requested_at::text, recopied_at::text, state, last_error
       FROM analytica.status WHERE relid = 'orders'::regclass`,
  );
  return rows[0]!;
}

const checks = [
  'SELECT * FROM orders ORDER BY id',
  'SELECT status, count(*), sum(qty) FROM orders GROUP BY status ORDER BY status',
];

/**
 * Runs one migration step while the writer writes, then (writer paused) checks that the copy
 * equals the heap by the daemon and through columnar.orders, and that a re-copy was asked for
 * exactly when `recopy` says (with a reason matching it).
 */
async function step(
  migration: string | string[],
  recopy: RegExp | null,
  more: string[] = [],
  before: Recopies | undefined = undefined,
): Promise<void> {
  // `before`: the state read before DDL the caller ran itself (a re-copy may be asked for at once).
  before ??= await recopies();
  const writesBefore = writer.writes;
  for (const sql of Array.isArray(migration) ? migration : [migration]) await heap.query(sql);
  // Some writes after the migration: the stream learns of a schema change from the next change.
  await waitFor(async () => {
    if (writer.failure) throw writer.failure;
    return writer.writes > writesBefore + 20;
  }, 'writes after the migration');
  await writer.pause();
  try {
    await heap.query(`UPDATE orders SET qty = qty WHERE id = (SELECT max(id) FROM orders)`);
    await heap.query(`SELECT analytica.wait_for_sync('orders')`);
    for (const sql of [...checks, ...more]) {
      const expected = await read(heap, sql);
      assert.deepEqual(await read(columnar, sql), expected, `from the daemon: ${sql}`);
      const viaFdw = await read(heap, sql.replace(/\bFROM orders\b/, 'FROM columnar.orders'));
      assert.deepEqual(viaFdw, expected, `through columnar.orders: ${sql}`);
    }
    const after = await recopies();
    assert.equal(after.state, 'synced');
    assert.equal(after.last_error, null);
    if (recopy) {
      assert.notEqual(after.recopy_requested_at, before.recopy_requested_at, 'a re-copy was asked for');
      assert.match(after.recopy_reason ?? '', recopy);
      assert.ok(after.recopied_at, 'the re-copy is done');
    } else {
      assert.equal(after.recopy_requested_at, before.recopy_requested_at, 'no re-copy was needed');
    }
  } finally {
    writer.start();
  }
}

describe('framework migrations on a streamed table under writes', () => {
  test('add a nullable column (Rails add_column)', async () => {
    await step('ALTER TABLE orders ADD COLUMN coupon text', null);
  });

  test('add columns with constant defaults: older rows read the default, later explicit NULLs stay NULL', async () => {
    await step(
      `ALTER TABLE orders ADD COLUMN priority int NOT NULL DEFAULT 3, ADD COLUMN currency varchar(3) NOT NULL DEFAULT 'EUR',
         ADD COLUMN flagged boolean DEFAULT false, ADD COLUMN discount numeric(5,2) DEFAULT 1.50,
         ADD COLUMN tags text[] DEFAULT '{a,"b c",NULL}', ADD COLUMN added_at timestamptz DEFAULT now(),
         ADD COLUMN ttl interval DEFAULT '1 day 02:00', ADD COLUMN meta jsonb DEFAULT '{"v": [1, "x\\\\y"]}',
         ADD COLUMN label text DEFAULT E'tab\\there', ADD COLUMN state order_status DEFAULT 'paid',
         ADD COLUMN ratio float8 DEFAULT 0.1, ADD COLUMN blob bytea DEFAULT '\\x00ff'`,
      null,
      [
        'SELECT priority, flagged, count(*) FROM orders WHERE priority = 3 AND currency = $$EUR$$ GROUP BY 1, 2 ORDER BY 1, 2',
        'SELECT count(*) FROM orders WHERE flagged IS NULL OR discount IS NULL',
      ],
    );
    await step(
      `INSERT INTO orders (customer, qty, flagged, discount, tags, added_at, meta, state)
         VALUES ('explicit nulls', 1, NULL, NULL, NULL, NULL, NULL, NULL)`,
      null,
      [
        'SELECT id, flagged, discount, tags, added_at, meta, state FROM orders WHERE flagged IS NULL ORDER BY id',
      ],
    );
  });

  test('Django: add a column with a default and drop the default in one transaction', async () => {
    await step(
      [
        'BEGIN',
        `ALTER TABLE orders ADD COLUMN region text DEFAULT 'eu'`,
        'ALTER TABLE orders ALTER COLUMN region DROP DEFAULT',
        `UPDATE orders SET region = 'us' WHERE id % 11 = 0`,
        'COMMIT',
      ],
      null,
    );
  });

  test('backfill in batches, then SET NOT NULL (and compaction merges old and new rows)', async () => {
    const migration = [`ALTER TABLE orders ALTER COLUMN coupon SET DEFAULT 'none'`];
    for (let from = 0; from < 4000; from += 500) {
      migration.push(
        `UPDATE orders SET coupon = 'C' || id WHERE id > ${from} AND id <= ${from + 500} AND coupon IS NULL`,
      );
    }
    migration.push(`UPDATE orders SET coupon = 'late' WHERE coupon IS NULL`);
    migration.push('ALTER TABLE orders ALTER COLUMN coupon SET NOT NULL');
    await step(migration, null);
    await heap.query(`SELECT analytica.compact_now('orders')`);
    await waitFor(async () => {
      const { rows } = await heap.query(
        `SELECT compact_requested_at IS NULL AS done FROM analytica.tables WHERE relid = 'orders'::regclass`,
      );
      return rows[0]?.done === 't';
    }, 'compaction of orders');
    await step('SELECT 1', null, ['SELECT count(*) FROM orders WHERE priority = 3 AND discount = 1.50']);
  });

  test('add a column with a volatile default: one automatic re-copy, with the reason', async () => {
    await step(
      'ALTER TABLE orders ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid()',
      /column public_id was added with a volatile default/,
    );
  });

  test('a volatile default dropped again before the next write: still one re-copy, never NULLs', async () => {
    // Rails: add_column … default: -> { 'gen_random_uuid()' }, then change_column_default … nil,
    // with no write in between: only the table's rewrite says the rows got values. The launcher's
    // schema check may also find the catalog between the two (the volatile default still there),
    // and ask for the re-copy at once: either reason is right, and the re-copy counts from here.
    const before = await recopies();
    await writer.pause();
    try {
      await heap.query('ALTER TABLE orders ADD COLUMN api_key uuid DEFAULT gen_random_uuid()');
      await heap.query('ALTER TABLE orders ALTER COLUMN api_key DROP DEFAULT');
    } finally {
      writer.start();
    }
    await step(
      'SELECT 1',
      /column api_key was added (while the table was rewritten|with a volatile default)/,
      [],
      before,
    );
  });

  test('rename a column: SELECT * through columnar.orders works, later columns appear', async () => {
    await step('ALTER TABLE orders RENAME COLUMN note TO remarks', null);
    await step('ALTER TABLE orders ADD COLUMN after_rename int', null);
  });

  test('type changes PostgreSQL casts: followed in place where the values stay exact', async () => {
    await step('ALTER TABLE orders ALTER COLUMN customer TYPE text', null);
    await step('ALTER TABLE orders ALTER COLUMN qty TYPE bigint', null);
    await step('ALTER TABLE orders ALTER COLUMN price TYPE numeric(12,2)', null, [
      'SELECT sum(price), max(price) FROM orders',
    ]);
  });

  test('type changes that convert values: one automatic re-copy', async () => {
    await step(
      'ALTER TABLE orders ALTER COLUMN created_at TYPE timestamptz',
      /column created_at changed type from timestamp without time zone to timestamp with time zone/,
    );
    // text → varchar(n): PostgreSQL cuts blanks past n, which the copy would keep.
    await step('ALTER TABLE orders ALTER COLUMN label TYPE varchar(20)', /column label changed type/);
    // Back to back, the second most likely while the copy for the first runs: still one state
    // at the end, synced, never an error.
    await step(
      [
        'ALTER TABLE orders ADD COLUMN nonce uuid DEFAULT gen_random_uuid()',
        'UPDATE orders SET qty = qty WHERE id % 3 = 0',
        'ALTER TABLE orders ALTER COLUMN created_at TYPE timestamp',
      ],
      // The reason names what the stream met: one of the columns, or, when the second change
      // arrives while the first one's copy runs, the columns that copy cannot follow.
      /column (nonce|created_at)|a copy in progress cannot follow it/,
    );
  });

  test('enum labels added, after and BEFORE existing ones: followed in place, in sort order', async () => {
    await step(
      [
        `ALTER TYPE order_status ADD VALUE 'refunded'`,
        `UPDATE orders SET status = 'refunded' WHERE id % 7 = 0`,
      ],
      null,
    );
    await step(
      [
        `ALTER TYPE order_status ADD VALUE 'draft' BEFORE 'pending'`,
        `UPDATE orders SET status = 'draft', state = 'draft' WHERE id % 9 = 0`,
      ],
      null,
      [`SELECT status, min(id) FROM orders WHERE status < 'paid' GROUP BY status ORDER BY status`],
    );
  });

  test('an enum label renamed: one automatic re-copy', async () => {
    await step(
      [
        `ALTER TYPE order_status RENAME VALUE 'shipped' TO 'sent'`,
        `UPDATE orders SET status = 'sent' WHERE id % 10 = 0`,
      ],
      /label shipped of type .*order_status \(column status\) was renamed/,
    );
  });

  test('drop a column, add an index, create and drop a table in one transaction', async () => {
    await step('ALTER TABLE orders DROP COLUMN remarks', null);
    await step('CREATE INDEX orders_customer ON orders (customer)', null);
    await step(
      [
        'BEGIN',
        'CREATE TABLE scratch_import (id int)',
        'INSERT INTO scratch_import VALUES (1)',
        'DROP TABLE scratch_import',
        'COMMIT',
      ],
      null,
    );
  });

  test('a column added, then only deletes: no segment holds the column yet', async () => {
    await writer.pause();
    try {
      await heap.query('ALTER TABLE orders ADD COLUMN only_deletes int DEFAULT 9, ADD COLUMN bare text');
      await heap.query('DELETE FROM orders WHERE id % 13 = 0');
      await heap.query(`SELECT analytica.wait_for_sync('orders')`);
      for (const sql of checks) assert.deepEqual(await read(columnar, sql), await read(heap, sql), sql);
    } finally {
      writer.start();
    }
    await step('SELECT 1', null);
  });

  test('rows written before ADD COLUMN … DEFAULT in its own transaction read the default', async () => {
    await step(
      [
        'BEGIN',
        `INSERT INTO orders (customer, qty) VALUES ('same tx before', 1)`,
        'ALTER TABLE orders ADD COLUMN tier int DEFAULT 2',
        `INSERT INTO orders (customer, qty, tier) VALUES ('same tx after', 2, NULL)`,
        'COMMIT',
      ],
      null,
      [`SELECT customer, tier FROM orders WHERE customer LIKE 'same tx%' ORDER BY customer`],
    );
  });

  test('a query holding columnar.orders delays altering it, not the stream', async () => {
    const holder = await rawClient(cluster.clientConfig());
    const foreignColumns = async () =>
      (
        await heap.query(
          `SELECT array_agg(attname::text ORDER BY attnum) AS names FROM pg_attribute
            WHERE attrelid = 'columnar.orders'::regclass AND attnum > 0 AND NOT attisdropped`,
        )
      ).rows[0].names as string;
    await writer.pause();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM columnar.orders');
      await heap.query('ALTER TABLE orders RENAME COLUMN coupon TO voucher');
      await heap.query(`UPDATE orders SET voucher = 'held' WHERE id % 17 = 0`);
      // The stream went on (the copy is current) while the foreign table waits for the lock.
      await heap.query(`SELECT analytica.wait_for_sync('orders')`);
      const sql = 'SELECT id, voucher FROM orders ORDER BY id';
      assert.deepEqual(await read(columnar, sql), await read(heap, sql));
      assert.match(await foreignColumns(), /\bcoupon\b/);
      await holder.query('COMMIT');
      await waitFor(async () => /\bvoucher\b/.test(await foreignColumns()), 'columnar.orders to be altered');
    } finally {
      await holder.end();
      writer.start();
    }
    await step('SELECT 1', null);
  });

  test('the daemon restarts: the copy it adopts still reads the defaults of added columns', async () => {
    await writer.pause();
    // The daemon's sessions end when it stops: its clients first.
    await columnar.end();
    await daemon.close();
    daemon = await start();
    await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
    columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    writer.start();
    await step(`UPDATE orders SET qty = qty + 1 WHERE id % 5 = 0`, null, [
      'SELECT tier, only_deletes, count(*) FROM orders GROUP BY 1, 2 ORDER BY 1, 2',
    ]);
  });

  test('a column added and changed again before the stream gets there is followed step by step', async () => {
    // The stream reads the catalog when it reaches the first; the second has often committed by then.
    await step(
      [
        'ALTER TABLE orders ADD COLUMN points varchar(10)',
        `UPDATE orders SET points = 'p' || id WHERE id % 4 = 0`,
        // No rewrite (a rewrite would make the first look like a volatile default dropped since).
        'ALTER TABLE orders ALTER COLUMN points TYPE varchar(20)',
        `UPDATE orders SET points = 'points ' || id WHERE id % 8 = 0`,
      ],
      null,
    );
  });

  test('a deploy at night: migrations with no write after them are followed without one (schema catch-up)', async () => {
    const before = await recopies();
    await writer.pause();
    try {
      await heap.query(`ALTER TYPE order_status ADD VALUE 'on_hold' BEFORE 'paid'`);
      await heap.query('ALTER TABLE orders ADD COLUMN nightly int NOT NULL DEFAULT 5, ADD COLUMN batch text');
      await heap.query('ALTER TABLE orders RENAME COLUMN batch TO batch_name');
      const sqls = [...checks, `SELECT count(*) FROM orders WHERE status < 'on_hold' OR nightly = 5`];
      // Nothing writes to orders: the stream learns of all this from the catalog. A new enum
      // label is unknown (22P02) until the launcher's next pass finds it; nothing answers 55000.
      await waitFor(
        async () => {
          for (const sql of sqls) {
            const expected = await read(heap, sql);
            try {
              assert.deepEqual(await read(columnar, sql), expected, `from the daemon: ${sql}`);
              const fdw = sql.replace(/\bFROM orders\b/, 'FROM columnar.orders');
              assert.deepEqual(await read(heap, fdw), expected, `through columnar.orders: ${sql}`);
            } catch (error) {
              if ((error as { code?: string }).code === '22P02' || error instanceof assert.AssertionError)
                return false;
              throw error;
            }
          }
          return true;
        },
        'the copy to follow the migrations with no write',
        10_000,
      );
      assert.equal((await recopies()).recopy_requested_at, before.recopy_requested_at, 'no re-copy');
    } finally {
      writer.start();
    }
    // Writes afterwards bring the relation message the catch-up anticipated: nothing applied twice.
    await step(`UPDATE orders SET nightly = nightly + 1, batch_name = 'b' WHERE id % 6 = 0`, null, [
      'SELECT nightly, count(*) FROM orders GROUP BY 1 ORDER BY 1',
    ]);
  });

  test('a column of a type the copy cannot hold: the stream goes on, the table says why', async () => {
    await heap.query('ALTER TABLE orders ADD COLUMN search tsvector');
    await waitFor(async () => {
      const s = await recopies();
      return s.state === 'error' && /search/.test(s.last_error ?? '') ? s : undefined;
    }, 'the table to say which column it cannot copy');
    await heap.query('ALTER TABLE orders DROP COLUMN search');
    await waitFor(async () => (await recopies()).state === 'synced', 'the table to be copied again');
    await step('SELECT 1', null);
  });

  test('the columns of columnar.orders are the heap columns, in order and with their types', async () => {
    const columns = (table: string) =>
      heap.query(
        `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
          WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [table],
      );
    assert.deepEqual((await columns('columnar.orders')).rows, (await columns('orders')).rows);
  });
});
