/**
 * The life of a registration with the daemon running: refreshes bring changes
 * in, unregistering or dropping the source removes the copy and its files, a
 * copy that cannot be made surfaces as the table's error, and only one
 * launcher serves a database.
 */
import assert from 'node:assert/strict';
import type { Dirent } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { silentLogger } from '../src/log.js';
import type { Daemon } from '../src/main.js';
import { privateDataDirectory } from '../src/storage/data-directory.js';
import { SegmentWriter } from '../src/storage/segment-writer.js';
import { Launcher } from '../src/workers/launcher.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let columnar: pg.Client;

/** Every file under the data directory, relative to it. */
async function dataFiles(): Promise<string[]> {
  let entries: Dirent[];
  for (;;) {
    try {
      entries = await readdir(daemon.config.dataDir, { recursive: true, withFileTypes: true });
      break;
    } catch (error) {
      // A directory the daemon removed while it was listed: list again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(daemon.config.dataDir, path.join(e.parentPath, e.name)))
    .sort();
}

async function catalogPaths(): Promise<string[]> {
  const { rows } = await heap.query('SELECT path FROM analytica.segments ORDER BY path');
  return rows.map((r) => r.path as string).sort();
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE orders (id bigint PRIMARY KEY, amount numeric(10,2), placed timestamptz);
    INSERT INTO orders SELECT g, g / 100.0, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 5000) g;`);
  daemon = await startDaemon(cluster, ['--chunk-size', '1000']);
  heap = await rawClient(cluster.clientConfig());
  await heap.query("SET TimeZone = 'UTC'");
  columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  await heap.query(`SELECT analytica.register_table('orders', '{placed}', 'refresh')`);
  await heap.query(`SELECT analytica.wait_for_sync('orders')`);
});

after(async () => {
  await heap?.end();
  await columnar?.end();
  await daemon?.close();
  await cluster?.close();
});

const summary = 'SELECT count(*), sum(amount), min(placed), max(placed) FROM orders';

describe('daemon lifecycle', () => {
  test('the data directory is readable by the daemon’s OS user only', async () => {
    assert.equal(((await stat(daemon.config.dataDir)).mode & 0o777).toString(8), '700');
    // One that exists with wider modes (a mkdir under a umask of 022) is narrowed at start.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pga-open-'));
    try {
      await chmod(dataDir, 0o755);
      await privateDataDirectory(dataDir);
      assert.equal(((await stat(dataDir)).mode & 0o777).toString(8), '700');
      await privateDataDirectory(path.join(dataDir, 'new', 'dir'));
      assert.equal(((await stat(path.join(dataDir, 'new', 'dir'))).mode & 0o777).toString(8), '700');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('changes committed before wait_for_sync are in the copy after it', async () => {
    assert.deepEqual(await textRows(columnar, summary), await textRows(heap, summary));
    await heap.query(`UPDATE orders SET amount = amount + 1 WHERE id % 7 = 0`);
    await heap.query(`DELETE FROM orders WHERE id % 11 = 0`);
    await heap.query(`INSERT INTO orders VALUES (100000, 12.34, '2030-01-01')`);
    await heap.query(`SELECT analytica.wait_for_sync('orders')`);
    assert.deepEqual(await textRows(columnar, summary), await textRows(heap, summary));
    const { rows } = await heap.query(
      `SELECT state, rows, (SELECT count(*) FROM orders) AS heap_rows FROM analytica.status`,
    );
    assert.deepEqual(rows[0], { state: 'synced', rows: rows[0].heap_rows, heap_rows: '4547' });
    // Old files go right after the publishing commit, which wait_for_sync may beat.
    await waitFor(
      async () => JSON.stringify(await dataFiles()) === JSON.stringify(await catalogPaths()),
      'old files to go',
    );
  });

  test('wait_for_sync sees every commit made before it, while another session keeps committing', async () => {
    const writer = await rawClient(cluster.clientConfig());
    let writing = true;
    const writes = (async () => {
      for (let id = -1; writing; id--) await writer.query(`INSERT INTO orders VALUES (${id}, 1, now())`);
    })();
    try {
      for (let marker = 300_000; marker < 300_015; marker++) {
        await heap.query(`INSERT INTO orders VALUES (${marker}, 2, now())`);
        await heap.query(`SELECT analytica.wait_for_sync('orders', '30s')`);
        assert.deepEqual(await textRows(columnar, `SELECT count(*) FROM orders WHERE id = ${marker}`), [
          ['1'],
        ]);
      }
    } finally {
      writing = false;
      await writes;
      await writer.end();
    }
    await heap.query(`SELECT analytica.wait_for_sync('orders')`);
    assert.deepEqual(await textRows(columnar, summary), await textRows(heap, summary));
  });

  test('the launcher reconnects when its connection is cut', async () => {
    const { rows } = await heap.query(
      `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'pg_analytica launcher'`,
    );
    assert.deepEqual(rows, [{ done: 't' }]);
    await heap.query(`INSERT INTO orders VALUES (100001, 1.00, '2031-01-01')`);
    await heap.query(`SELECT analytica.wait_for_sync('orders', '30s')`);
    assert.deepEqual(await textRows(columnar, summary), await textRows(heap, summary));
  });

  test('a copy that cannot be made is the error wait_for_sync raises', async () => {
    await cluster.exec(
      // Five chunks with the NaN in the first: the failure comes while the next chunk is being read.
      `CREATE TABLE bad (id int PRIMARY KEY, n numeric(10,2));
       INSERT INTO bad VALUES (1, 'NaN');
       INSERT INTO bad SELECT g, g FROM generate_series(2, 5000) g;`,
    );
    await heap.query(`SELECT analytica.register_table('bad')`);
    await assert.rejects(
      heap.query(`SELECT analytica.wait_for_sync('bad', '20s')`),
      (error: pg.DatabaseError) => {
        assert.equal(error.code, '55000');
        assert.match(
          error.message,
          /cannot sync table public.bad: column "n" \(numeric\(10,2\)\) has the value "NaN"/,
        );
        return true;
      },
    );
    const { rows } = await heap.query(
      `SELECT state, last_error FROM analytica.status WHERE table_name = 'public.bad'`,
    );
    assert.equal(rows[0].state, 'error');
    await assert.rejects(columnar.query('SELECT * FROM bad'), { code: '55000', message: /not ready yet/ });
    await heap.query(`UPDATE bad SET n = 1.5 WHERE id = 1`);
    await heap.query(`SELECT analytica.sync_now('bad')`);
    await heap.query(`SELECT analytica.wait_for_sync('bad', '20s')`);
    const check = 'SELECT count(*), sum(n), min(n) FROM bad';
    assert.deepEqual(await textRows(columnar, check), await textRows(heap, check));
  });

  test('column types are checked again at every copy, and row-level security is never bypassed', async () => {
    await cluster.exec(`
      CREATE TYPE public.text AS (x int);
      CREATE TABLE sneaky (id int PRIMARY KEY, v int[]);
      INSERT INTO sneaky VALUES (1, '{1}');`);
    await heap.query(`SELECT analytica.register_table('sneaky', mode => 'refresh')`);
    await heap.query(`SELECT analytica.wait_for_sync('sneaky')`);
    // A type of the owner's own could bring casts that would run with the daemon's privileges.
    await cluster.exec(`ALTER TABLE sneaky ALTER COLUMN v TYPE public.text[] USING NULL`);
    await heap.query(`SELECT analytica.sync_now('sneaky')`);
    await assert.rejects(heap.query(`SELECT analytica.wait_for_sync('sneaky', '20s')`), {
      code: '55000',
      message: /column "v" of public.sneaky has type .*text\[\], which pg_analytica cannot copy/,
    });
    await heap.query(`SELECT analytica.unregister_table('sneaky')`);

    // PostgreSQL does not enforce an array column's dimensions: such values fail the copy loudly.
    await cluster.exec(
      `CREATE TABLE grid (id int PRIMARY KEY, v text[]); INSERT INTO grid VALUES (1, '{{a,b},{c,d}}')`,
    );
    await heap.query(`SELECT analytica.register_table('grid')`);
    await assert.rejects(heap.query(`SELECT analytica.wait_for_sync('grid', '20s')`), {
      code: '55000',
      message: /column "v" holds an array of more than one dimension/,
    });
    await heap.query(`SELECT analytica.unregister_table('grid')`);

    await cluster.exec(`CREATE TABLE guarded (id int PRIMARY KEY); INSERT INTO guarded VALUES (1)`);
    await heap.query(`SELECT analytica.register_table('guarded')`);
    await heap.query(`SELECT analytica.wait_for_sync('guarded')`);
    await cluster.exec('ALTER TABLE guarded ENABLE ROW LEVEL SECURITY');
    await assert.rejects(columnar.query('SELECT * FROM guarded'), {
      code: '0A000',
      message: /table guarded has row-level security enabled/,
    });
    await heap.query(`SELECT analytica.unregister_table('guarded')`);
  });

  test('unregistering removes the copy and its files', async () => {
    await heap.query(`SELECT analytica.unregister_table('bad')`);
    await assert.rejects(columnar.query('SELECT * FROM bad'), { code: '42P01', message: /not registered/ });
    await waitFor(
      async () => JSON.stringify(await dataFiles()) === JSON.stringify(await catalogPaths()),
      'files of bad to go',
    );
  });

  test('dropping the source unregisters it and removes the files', async () => {
    await cluster.exec(
      `CREATE TABLE doomed (id int PRIMARY KEY); INSERT INTO doomed SELECT generate_series(1, 10)`,
    );
    await heap.query(`SELECT analytica.register_table('doomed')`);
    await heap.query(`SELECT analytica.wait_for_sync('doomed')`);
    await cluster.exec('DROP TABLE doomed');
    await waitFor(async () => {
      const { rows } = await heap.query(`SELECT count(*)::int AS n FROM analytica.tables`);
      return rows[0].n === '1';
    }, 'the registration of doomed to go');
    await waitFor(
      async () => JSON.stringify(await dataFiles()) === JSON.stringify(await catalogPaths()),
      'files of doomed to go',
    );
    assert.deepEqual(
      await textRows(columnar, 'SELECT count(*) FROM orders'),
      await textRows(heap, 'SELECT count(*) FROM orders'),
    );
  });

  test('a second launcher for the same database is refused', async () => {
    const writer = await SegmentWriter.create({ threads: 1, memoryLimit: '256MB' });
    try {
      await assert.rejects(
        Launcher.start(
          {
            database: 'postgres',
            sourceConfig: cluster.clientConfig(),
            dataDir: daemon.config.dataDir,
            naptimeMs: 1000,
            chunkSize: 1000,
            writer,
            pinnedPaths: () => new Set(),
            log: silentLogger,
            lockWaitMs: 300,
          },
          false,
        ),
        /another pg-analytica daemon is already serving database postgres/,
      );
    } finally {
      writer.close();
    }
  });
});
