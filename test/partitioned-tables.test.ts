/**
 * Partitioned tables: registering the partitioned table keeps one copy of all its partitions,
 * streamed through it (publish_via_partition_root) and queried by its name, directly and as
 * columnar.<name>. Partitions created later stream with no action; partitions attached with
 * rows, detached, dropped or truncated (no row changes in the WAL) make the daemon copy the
 * table again, saying why in analytica.status. The copy must equal the heap after every step.
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

// 4000 events, one every 37 minutes from 2024-01-01 (to mid-April: the default partition holds
// April's).
const schema = `
  CREATE TABLE events (id bigint NOT NULL, created_at timestamptz NOT NULL, kind text, amount numeric(10,2),
                       PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
  CREATE TABLE events_2024_01 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
  CREATE TABLE events_2024_02 PARTITION OF events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
  CREATE TABLE events_2024_03 PARTITION OF events FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
  CREATE TABLE events_default PARTITION OF events DEFAULT;
  INSERT INTO events SELECT g, '2024-01-01 00:00:00+00'::timestamptz + g * interval '37 minutes',
                            (ARRAY['click', 'view', 'buy'])[g % 3 + 1], g / 10.0
    FROM generate_series(1, 4000) g;

  CREATE TABLE orders (id int NOT NULL, region text NOT NULL, total int, PRIMARY KEY (id, region))
    PARTITION BY LIST (region);
  CREATE TABLE orders_eu PARTITION OF orders FOR VALUES IN ('eu');
  CREATE TABLE orders_us PARTITION OF orders FOR VALUES IN ('us');
  CREATE TABLE orders_apac PARTITION OF orders FOR VALUES IN ('apac', 'au');
  INSERT INTO orders SELECT g, (ARRAY['eu', 'us', 'apac', 'au'])[g % 4 + 1], g * 3 FROM generate_series(1, 300) g;

  CREATE TABLE sessions (id bigint PRIMARY KEY, user_name text) PARTITION BY HASH (id);
  CREATE TABLE sessions_0 PARTITION OF sessions FOR VALUES WITH (MODULUS 3, REMAINDER 0);
  CREATE TABLE sessions_1 PARTITION OF sessions FOR VALUES WITH (MODULUS 3, REMAINDER 1);
  CREATE TABLE sessions_2 PARTITION OF sessions FOR VALUES WITH (MODULUS 3, REMAINDER 2);
  INSERT INTO sessions SELECT g, 'user' || g FROM generate_series(1, 200) g;

  CREATE TABLE metrics (id int NOT NULL, day date NOT NULL, source text NOT NULL, value int,
                        PRIMARY KEY (id, day, source)) PARTITION BY RANGE (day);
  CREATE TABLE metrics_2024 PARTITION OF metrics FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
    PARTITION BY LIST (source);
  CREATE TABLE metrics_2024_web PARTITION OF metrics_2024 FOR VALUES IN ('web');
  CREATE TABLE metrics_2024_app PARTITION OF metrics_2024 FOR VALUES IN ('app');
  CREATE TABLE metrics_2025 PARTITION OF metrics FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
    PARTITION BY LIST (source);
  CREATE TABLE metrics_2025_all PARTITION OF metrics_2025 DEFAULT;
  INSERT INTO metrics SELECT g, '2024-06-01'::date + g, (ARRAY['web', 'app'])[g % 2 + 1], g FROM generate_series(1, 400) g;

  CREATE TABLE logs (id int NOT NULL, at date NOT NULL, line text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE logs_2025 PARTITION OF logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  INSERT INTO logs SELECT g, '2024-01-01'::date + g, 'line ' || g FROM generate_series(1, 500) g;`;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(schema);
  // Small segments (compaction kept from merging them) so that pruning has something to skip.
  daemon = await startDaemon(cluster, ['--chunk-size', '300', '--compaction-min-segments', '1000000']);
  heap = await rawClient(cluster.clientConfig());
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await heap.query(`SELECT analytica.register_table('events')`);
  await heap.query(`SELECT analytica.wait_for_sync('events')`);
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

/** The copy equals the heap, read by the table's name from the daemon and through columnar.<table>. */
async function assertCopyEqual(table: string, columns: string, order: string): Promise<number> {
  await heap.query('SELECT analytica.wait_for_sync($1)', [table]);
  const sql = (from: string) => `SELECT ${columns} FROM ${from} ORDER BY ${order}`;
  const expected = await textRows(heap, sql(table));
  assert.deepEqual(await textRows(columnar, sql(table)), expected, `${table} read from the daemon`);
  // Through postgres_fdw on the same session: each statement is a new remote transaction.
  assert.deepEqual(await textRows(heap, sql(`columnar.${table}`)), expected, `columnar.${table}`);
  return expected.length;
}

const eventColumns = 'id, created_at, kind, amount';
const assertEventsEqual = () => assertCopyEqual('events', eventColumns, 'id, created_at');

interface Recopy {
  state: string;
  recopy_reason: string | null;
  recopied_at: string | null;
}

async function status(table: string): Promise<Recopy> {
  const { rows } = await heap.query<Recopy>(
    'SELECT state, recopy_reason, recopied_at FROM analytica.status WHERE relid = $1::regclass',
    [table],
  );
  return rows[0]!;
}

/**
 * The last re-copy of `table` was for `reason` and is done. Called after assertCopyEqual: its
 * analytica.wait_for_sync waits for a streamed partitioned table's copy to hold the partitions
 * the table has now, so no waiting for the launcher is needed.
 */
async function assertRecopiedFor(table: string, reason: RegExp): Promise<void> {
  const s = await status(table);
  assert.match(s.recopy_reason ?? '', reason);
  assert.ok(s.recopied_at, 'the re-copy is published');
  assert.equal(s.state, 'synced');
}

describe('a range-partitioned table registered by its partitioned table', () => {
  test('is one copy of all partitions, sorted first by the partition key', async () => {
    const { rows } = await heap.query(
      `SELECT order_by, mode FROM analytica.status WHERE relid = 'events'::regclass`,
    );
    assert.deepEqual(rows, [{ order_by: '{created_at,id}', mode: 'stream' }]);
    assert.equal(await assertEventsEqual(), 4000);
    // Published through the partitioned table: its partitions are not members of their own.
    const published = await textRows(
      heap,
      `SELECT pubviaroot::text, (SELECT string_agg(tablename, ',') FROM pg_publication_tables t WHERE t.pubname = p.pubname)
         FROM pg_publication p WHERE pubname = 'pg_analytica'`,
    );
    assert.deepEqual(published, [['true', 'events']]);
  });

  test('a range on the partition key reads only the segments that can hold it', async () => {
    const sql = `SELECT count(*), min(id), max(id) FROM events
                  WHERE created_at >= '2024-01-10 00:00:00+00' AND created_at < '2024-01-11 00:00:00+00'`;
    const before = daemon.queryEngine.pruningStats;
    assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
    const after = daemon.queryEngine.pruningStats;
    const scanned = after.segmentsScanned - before.segmentsScanned;
    const total = after.segmentsTotal - before.segmentsTotal;
    assert.ok(total >= 10, `the copy has ${total} segments`);
    assert.ok(scanned <= 2, `scanned ${scanned} of ${total} segments`);
  });

  test('follows inserts, updates and deletes in several partitions, and rows moving between them', async () => {
    await heap.query(`INSERT INTO events VALUES (5001, '2024-01-15', 'buy', 1.5), (5002, '2024-02-15', 'view', 2.5),
                                             (5003, '2024-03-15', 'click', 3.5), (5004, '2024-09-01', 'buy', 4.5)`);
    await heap.query(`UPDATE events SET amount = amount + 100 WHERE id % 97 = 0`);
    await heap.query(`DELETE FROM events WHERE id % 89 = 0`);
    // From January to March, and from February to the default partition: a delete and an insert
    // on the partitions, published as changes of events.
    await heap.query(`UPDATE events SET created_at = '2024-03-20 10:00:00+00' WHERE id = 5`);
    await heap.query(
      `UPDATE events SET created_at = '2024-12-24 10:00:00+00', kind = 'moved' WHERE id = 5002`,
    );
    const moved = await textRows(
      heap,
      `SELECT tableoid::regclass::text FROM events WHERE id IN (5, 5002) ORDER BY id`,
    );
    assert.deepEqual(moved, [['events_2024_03'], ['events_default']]);
    await assertEventsEqual();
    assert.equal((await status('events')).recopy_reason, null, 'row changes need no re-copy');
  });

  test('a partition created later streams the rows routed into it, with no re-copy', async () => {
    await heap.query(
      `CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01')`,
    );
    // The daemon records the new (empty) partition as part of the copy.
    await waitFor(async () => {
      const { rows } = await heap.query(
        `SELECT partitions ? ('events_2025_01'::regclass::oid::text) AS known FROM analytica.tables WHERE relid = 'events'::regclass`,
      );
      return rows[0]?.known === 't';
    }, 'the new partition to be recorded');
    await heap.query(`INSERT INTO events SELECT g, '2025-01-01'::timestamptz + (g - 6000) * interval '1 hour', 'new', g
                        FROM generate_series(6001, 6100) g`);
    await assertEventsEqual();
    // A renamed partition is the same partition.
    await heap.query('ALTER TABLE events_default RENAME TO events_later');
    await heap.query(`INSERT INTO events VALUES (6200, '2024-10-01', 'renamed', 1)`);
    await assertEventsEqual();
    const s = await status('events');
    assert.equal(s.recopy_reason, null);
    assert.equal(s.state, 'synced');
  });

  test('a table attached with its rows makes the daemon copy the table again', async () => {
    await heap.query(`CREATE TABLE events_2025_02 (id bigint NOT NULL, created_at timestamptz NOT NULL, kind text,
                                                   amount numeric(10,2))`);
    await heap.query(`INSERT INTO events_2025_02 SELECT g, '2025-02-01'::timestamptz + (g - 7000) * interval '1 hour', 'attached', g
                        FROM generate_series(7001, 7050) g`);
    await heap.query(
      `ALTER TABLE events ATTACH PARTITION events_2025_02 FOR VALUES FROM ('2025-02-01') TO ('2025-03-01')`,
    );
    assert.equal(await assertEventsEqual(), 4000 + 4 - 44 + 100 + 1 + 50);
    await assertRecopiedFor('events', /^partition public\.events_2025_02 joined the table holding rows$/);
    // Changes after the re-copy stream into the new copy.
    await heap.query(`UPDATE events SET kind = 'changed' WHERE id IN (7001, 6001, 10)`);
    await assertEventsEqual();
  });

  test('a detached partition leaves the copy', async () => {
    await heap.query('ALTER TABLE events DETACH PARTITION events_2024_02');
    // At once, before the daemon followed: the answer leaves the detached rows out, or the
    // query fails with 55000 while the copy is made again — never the rows of the old copy.
    const sql = 'SELECT count(*) FROM events';
    const expected = await textRows(heap, sql);
    const answer = await textRows(columnar, sql).catch((error: { code?: string }) => error);
    if (Array.isArray(answer)) assert.deepEqual(answer, expected);
    else assert.equal(answer.code, '55000', String(answer));
    await assertEventsEqual();
    await assertRecopiedFor('events', /^partition public\.events_2024_02 was detached or dropped$/);
    // Rows written to the detached table are not the partitioned table's any more.
    await heap.query(`INSERT INTO events_2024_02 VALUES (9001, '2024-02-02', 'alone', 1)`);
    await heap.query(`INSERT INTO events VALUES (9002, '2024-03-02', 'routed', 1)`);
    await assertEventsEqual();
  });

  test('a dropped partition leaves the copy', async () => {
    await heap.query('DROP TABLE events_2024_03');
    await assertEventsEqual();
    await assertRecopiedFor('events', /^partition public\.events_2024_03 was detached or dropped$/);
  });

  test('a partition truncated alone (not published) makes the daemon copy the table again', async () => {
    await heap.query('TRUNCATE events_2024_01');
    await assertEventsEqual();
    await assertRecopiedFor('events', /^partition public\.events_2024_01 was truncated or rewritten/);
  });
});

describe('other partitioning', () => {
  test('list partitioning', async () => {
    await heap.query(`SELECT analytica.register_table('orders')`);
    assert.equal(await assertCopyEqual('orders', 'id, region, total', 'id, region'), 300);
    await heap.query(`INSERT INTO orders VALUES (1000, 'au', 1), (1001, 'us', 2)`);
    await heap.query(`UPDATE orders SET region = 'eu' WHERE id = 1000`);
    await heap.query(`DELETE FROM orders WHERE id % 10 = 0`);
    await assertCopyEqual('orders', 'id, region, total', 'id, region');
  });

  test('hash partitioning', async () => {
    await heap.query(`SELECT analytica.register_table('sessions')`);
    assert.equal(await assertCopyEqual('sessions', 'id, user_name', 'id'), 200);
    await heap.query(`UPDATE sessions SET id = id + 1000 WHERE id < 20`);
    await heap.query(`INSERT INTO sessions SELECT g, 'late' || g FROM generate_series(500, 520) g`);
    await assertCopyEqual('sessions', 'id, user_name', 'id');
  });

  test('two levels of partitions', async () => {
    await heap.query(`SELECT analytica.register_table('metrics')`);
    const { rows } = await heap.query(
      `SELECT order_by FROM analytica.status WHERE relid = 'metrics'::regclass`,
    );
    assert.deepEqual(rows, [{ order_by: '{day,id,source}' }]);
    assert.equal(await assertCopyEqual('metrics', 'id, day, source, value', 'id, day, source'), 400);
    await heap.query(
      `INSERT INTO metrics VALUES (1000, '2025-03-01', 'web', 1), (1001, '2024-03-01', 'app', 2)`,
    );
    await heap.query(`UPDATE metrics SET source = 'app' WHERE id = 1`);
    await heap.query(`CREATE TABLE metrics_2024_tv PARTITION OF metrics_2024 FOR VALUES IN ('tv')`);
    await heap.query(`INSERT INTO metrics VALUES (1002, '2024-05-01', 'tv', 3)`);
    await assertCopyEqual('metrics', 'id, day, source, value', 'id, day, source');
    // A sub-partition detached at the second level leaves the copy too.
    await heap.query('ALTER TABLE metrics_2024 DETACH PARTITION metrics_2024_web');
    await assertCopyEqual('metrics', 'id, day, source, value', 'id, day, source');
    await assertRecopiedFor('metrics', /^partition public\.metrics_2024_web was detached or dropped$/);
  });
});

describe('refresh mode and foreign partitions', () => {
  test('mode refresh copies a partitioned table again when a partition changes', async () => {
    await heap.query(`CREATE TABLE archive (id int NOT NULL, year int NOT NULL, note text, PRIMARY KEY (id, year))
                        PARTITION BY LIST (year);
                      CREATE TABLE archive_2023 PARTITION OF archive FOR VALUES IN (2023);
                      INSERT INTO archive SELECT g, 2023, 'old' FROM generate_series(1, 50) g;
                      SELECT analytica.register_table('archive', mode => 'refresh');`);
    assert.equal(await assertCopyEqual('archive', 'id, year, note', 'id, year'), 50);
    await heap.query(`INSERT INTO archive VALUES (100, 2023, 'new')`);
    assert.equal(await assertCopyEqual('archive', 'id, year, note', 'id, year'), 51);
    await heap.query(`CREATE TABLE archive_2024 (id int NOT NULL, year int NOT NULL, note text);
                      INSERT INTO archive_2024 SELECT g, 2024, 'attached' FROM generate_series(1, 20) g;
                      ALTER TABLE archive ATTACH PARTITION archive_2024 FOR VALUES IN (2024);`);
    assert.equal(await assertCopyEqual('archive', 'id, year, note', 'id, year'), 71);
    await heap.query('ALTER TABLE archive DETACH PARTITION archive_2023');
    assert.equal(await assertCopyEqual('archive', 'id, year, note', 'id, year'), 20);
  });

  test('a foreign table as a partition is refused at registration, and stops the table when attached later', async () => {
    await heap.query(`CREATE TABLE remote_source (id int, year int, note text);
                      CREATE TABLE ledger (id int NOT NULL, year int NOT NULL, note text) PARTITION BY LIST (year);
                      CREATE TABLE ledger_2024 PARTITION OF ledger FOR VALUES IN (2024);
                      CREATE FOREIGN TABLE ledger_remote PARTITION OF ledger FOR VALUES IN (2020)
                        SERVER pg_analytica OPTIONS (table_name 'remote_source');`);
    await assert.rejects(
      heap.query(`SELECT analytica.register_table('ledger', mode => 'refresh')`),
      (error: pg.DatabaseError) => {
        assert.equal(error.code, '0A000');
        assert.match(
          error.message,
          /partition (public\.)?ledger_remote of (public\.)?ledger is a foreign table/,
        );
        return true;
      },
    );
    await heap.query('ALTER TABLE ledger DETACH PARTITION ledger_remote');
    await heap.query(`SELECT analytica.register_table('ledger', mode => 'refresh')`);
    await heap.query(`SELECT analytica.wait_for_sync('ledger')`);
    await heap.query(`ALTER TABLE ledger ATTACH PARTITION ledger_remote FOR VALUES IN (2020)`);
    await assert.rejects(
      heap.query(`SELECT analytica.wait_for_sync('ledger')`),
      (error: pg.DatabaseError) => {
        assert.equal(error.code, '55000');
        assert.match(
          error.message,
          /partition public\.ledger_remote is a foreign table, which pg_analytica cannot copy/,
        );
        return true;
      },
    );
    await heap.query(`SELECT analytica.unregister_table('ledger')`);
  });
});

describe('partitions and their partitioned table', () => {
  test('registering a partition of a registered table is refused, and the hint names the registered table', async () => {
    await assert.rejects(
      heap.query(`SELECT analytica.register_table('events_2024_01')`),
      (error: pg.DatabaseError) => {
        assert.equal(error.code, '42710');
        assert.match(
          error.message,
          /table (public\.)?events_2024_01 is a partition of (public\.)?events, which is registered/,
        );
        assert.match(error.hint ?? '', /query (public\.)?events/);
        return true;
      },
    );
    await assert.rejects(columnar.query('SELECT count(*) FROM events_2024_01'), (error: pg.DatabaseError) => {
      assert.equal(error.code, '42P01');
      assert.match(
        error.hint ?? '',
        /partition of public\.events, which is registered: query public\.events/,
      );
      return true;
    });
  });

  test('a partition registered alone streams as before; its partitioned table cannot be registered too', async () => {
    await heap.query(`SELECT analytica.register_table('logs_2024')`);
    assert.equal(await assertCopyEqual('logs_2024', 'id, at, line', 'id'), 365);
    // Rows written through the partitioned table (not registered) reach the partition's copy.
    await heap.query(
      `INSERT INTO logs VALUES (1000, '2024-07-01', 'routed'), (1001, '2025-07-01', 'elsewhere')`,
    );
    await heap.query(`UPDATE logs SET line = 'changed' WHERE id < 5`);
    await heap.query(`DELETE FROM logs_2024 WHERE id BETWEEN 10 AND 20`);
    await assertCopyEqual('logs_2024', 'id, at, line', 'id');
    await assert.rejects(heap.query(`SELECT analytica.register_table('logs')`), (error: pg.DatabaseError) => {
      assert.equal(error.code, '42710');
      assert.match(
        error.message,
        /partition (public\.)?logs_2024 of (public\.)?logs is registered on its own/,
      );
      assert.match(error.hint ?? '', /analytica\.unregister_table\('(public\.)?logs_2024'\)/);
      return true;
    });
  });

  test('mode append is refused for a partitioned table', async () => {
    await heap.query(`CREATE TABLE feed (id bigserial PRIMARY KEY, body text) PARTITION BY RANGE (id);
                      CREATE TABLE feed_1 PARTITION OF feed FOR VALUES FROM (1) TO (1000000)`);
    await assert.rejects(
      heap.query(`SELECT analytica.register_table('feed', mode => 'append')`),
      (error: pg.DatabaseError) => {
        assert.equal(error.code, '0A000');
        assert.match(error.message, /cannot register partitioned table (public\.)?feed in mode append/);
        assert.match(error.hint ?? '', /mode => 'stream'/);
        return true;
      },
    );
    assert.deepEqual(
      await textRows(heap, `SELECT count(*)::text FROM analytica.tables WHERE relid = 'feed'::regclass`),
      [['0']],
    );
  });

  test('unregistering the partitioned table drops its foreign table and its publication membership', async () => {
    await heap.query(`SELECT analytica.unregister_table('orders')`);
    const left = await textRows(
      heap,
      `SELECT to_regclass('columnar.orders')::text,
              (SELECT count(*) FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                WHERE p.pubname = 'pg_analytica' AND pr.prrelid = 'orders'::regclass)::text`,
    );
    assert.deepEqual(left, [[null, '0']]);
    // The others stream on.
    await heap.query(`INSERT INTO sessions VALUES (9999, 'after')`);
    await assertCopyEqual('sessions', 'id, user_name', 'id');
  });
});
