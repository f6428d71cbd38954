/**
 * `pg-analytica uninstall` through the real CLI binary: refuses while a daemon
 * serves the database and without --yes off a terminal; removes the schema (or
 * extension) and the database's segment directory, leaves the source tables;
 * a second run has nothing to remove; install + start work again afterwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sqlDirectory } from '../src/catalog/schema-installer.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { databaseDirectoryName } from '../src/storage/segment-paths.js';
import { startTestCluster } from './helpers/cluster.js';
import { startDaemon } from './helpers/daemon.js';

const cli = path.resolve('dist/src/cli/index.js');
const database = 'uninstall_app';
let cluster: LocalCluster;
let client: pg.Client;
let daemon: Daemon | undefined;
let dataDir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with stdin a pipe (not a terminal), against `db` of the test cluster. */
function run(args: string[], db = database): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('PG') && key !== 'DATABASE_URL') env[key] = value;
  env.DATABASE_URL = cluster.connectionString(db);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function exists(p: string): Promise<boolean> {
  return await stat(p).then(
    () => true,
    () => false,
  );
}

async function schemaPresent(c: pg.Client = client): Promise<boolean> {
  return (await c.query(`SELECT to_regnamespace('analytica') IS NOT NULL AS present`)).rows[0].present;
}

async function streamObjects(): Promise<{ slots: string; publications: string }> {
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pg\\_analytica%') AS slots,
            (SELECT count(*) FROM pg_publication WHERE pubname LIKE 'pg\\_analytica%') AS publications`,
  );
  return rows[0];
}

/**
 * The segment files under a database directory. The compaction worker's scratch directory
 * comes and goes on its own (a recursive listing can meet a directory just removed), so it
 * is left out.
 */
async function segmentFilesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir)) {
    if (entry === 'scratch') continue;
    for (const file of await readdir(path.join(dir, entry))) {
      if (file.endsWith('.parquet')) files.push(path.join(entry, file));
    }
  }
  return files;
}

async function sourceSummary(): Promise<{ n: string; s: string }> {
  return (await client.query('SELECT count(*) AS n, sum(id)::text AS s FROM items')).rows[0];
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.createDatabase(database);
  client = new pg.Client(cluster.clientConfig(database));
  await client.connect();
  await client.query(`CREATE TABLE items (id int PRIMARY KEY, label text)`);
  await client.query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 2000) g`);
});

after(async () => {
  await daemon?.close();
  await client?.end();
  await cluster?.close();
});

describe('pg-analytica uninstall', () => {
  let dbDir: string;

  test('refuses while a daemon serves the database, removing nothing', async () => {
    daemon = await startDaemon(cluster, [], database);
    dataDir = daemon.config.dataDir;
    dbDir = path.join(dataDir, databaseDirectoryName(database));
    await client.query(`SELECT analytica.register_table('items')`);
    await client.query(`SELECT analytica.wait_for_sync('items')`);
    await client.query(`SELECT analytica.create_foreign_server('127.0.0.1', ${daemon.port})`);
    assert.equal(
      (await client.query(`SELECT to_regclass('columnar.items') IS NOT NULL AS made`)).rows[0].made,
      true,
    );
    // Only segment files are compared: the worker's scratch directory comes and goes on its own.
    const segmentFiles = async () => (await segmentFilesUnder(dbDir)).sort();
    const segmentsBefore = await segmentFiles();
    assert.ok(segmentsBefore.length > 0);

    const result = await run(['uninstall', '--yes', '--data-dir', dataDir]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /stop the pg-analytica daemon first/);
    assert.ok(await schemaPresent());
    assert.deepEqual(await segmentFiles(), segmentsBefore);
    // The table streams: its slot and publication exist until the uninstall.
    assert.deepEqual(await streamObjects(), { slots: '1', publications: '1' });
    await daemon.close();
    daemon = undefined;
  });

  test('without --yes on a non-terminal it refuses and says to pass --yes', async () => {
    const result = await run(['uninstall', '--data-dir', dataDir]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /pass --yes/);
    assert.ok(await schemaPresent());
    assert.ok(await exists(dbDir));
  });

  test('refuses a data directory that is / or the home directory, before removing anything', async () => {
    for (const dir of ['/', homedir()]) {
      const result = await run(['uninstall', '--yes', '--data-dir', dir]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /refusing to remove files under data directory/);
      assert.ok(await schemaPresent());
    }
  });

  test('--yes removes the schema and the database directory, and leaves the source tables', async () => {
    const before = await sourceSummary();
    const result = await run(['uninstall', '--yes', '--data-dir', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /removed schema analytica \(1 registered table\)/);
    assert.match(result.stdout, /foreign server pg_analytica with its foreign tables/);
    const { rows } = await client.query(
      `SELECT to_regclass('columnar.items') AS t, (SELECT count(*) FROM pg_foreign_server) AS servers,
              to_regnamespace('columnar') AS foreign_schema`,
    );
    assert.deepEqual(rows, [{ t: null, servers: '0', foreign_schema: null }]);
    assert.match(result.stdout, /[1-9]\d* segment files?, \d+ files? in all, [1-9]\d* bytes/);
    assert.equal(await schemaPresent(), false);
    assert.deepEqual(await streamObjects(), { slots: '0', publications: '0' });
    assert.equal(await exists(dbDir), false);
    assert.ok(await exists(dataDir), 'only the database directory goes, not the data directory');
    assert.deepEqual(await sourceSummary(), before);
    assert.deepEqual(before, { n: '2000', s: '2001000' });
  });

  test('a second uninstall has nothing to remove and exits 0', async () => {
    const result = await run(['uninstall', '--yes', '--data-dir', dataDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /nothing to remove/);
  });

  test('install and a daemon start work again from scratch', async () => {
    const installed = await run(['install']);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /installed/);
    daemon = await startDaemon(cluster, ['--data-dir', dataDir], database);
    await client.query(`SELECT analytica.register_table('items')`);
    await client.query(`SELECT analytica.wait_for_sync('items')`);
    const { rows } = await client.query(
      `SELECT rows::text AS rows, state, to_regclass('columnar.items') IS NOT NULL AS foreign_table FROM analytica.status`,
    );
    assert.deepEqual(rows, [{ rows: '2000', state: 'synced', foreign_table: true }]);
    assert.ok((await segmentFilesUnder(dbDir)).length > 0);
    await daemon.close();
    daemon = undefined;
  });

  test('drops the extension when installed with CREATE EXTENSION', async () => {
    const extDb = 'uninstall_ext';
    await cluster.createDatabase(extDb);
    const ext = new pg.Client(cluster.clientConfig(extDb));
    await ext.connect();
    try {
      const { rows } = await ext.query(`SELECT setting FROM pg_config WHERE name = 'SHAREDIR'`);
      const extensionDir = path.join(rows[0].setting, 'extension');
      for (const file of (await readdir(sqlDirectory)).filter((f) => f.startsWith('pg_analytica'))) {
        // Shared with other test files' clusters: write only when missing or different.
        const target = path.join(extensionDir, file);
        const same = await Promise.all([readFile(path.join(sqlDirectory, file)), readFile(target)]).then(
          ([a, b]) => a.equals(b),
          () => false,
        );
        if (!same) await copyFile(path.join(sqlDirectory, file), target);
      }
      await ext.query('CREATE EXTENSION pg_analytica');
      const result = await run(['uninstall', '--yes', '--data-dir', dataDir], extDb);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /removed extension pg_analytica \d+\.\d+ and its schema analytica \(0 registered tables\)/,
      );
      assert.equal(
        (await ext.query(`SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_analytica'`))
          .rows[0].n,
        0,
      );
      assert.equal(await schemaPresent(ext), false);
      // The other database's copy is untouched.
      assert.ok(await exists(dbDir));
    } finally {
      await ext.end();
    }
  });
});
