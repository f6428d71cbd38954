/**
 * `pg-analytica start` with no DATABASE_URL or PG* variables runs on an
 * embedded PostgreSQL kept under a local directory: registrations and copies
 * survive a clean stop and a kill -9 of the daemon (the server is then reused).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { freePort } from '../src/cluster/local-cluster.js';
import { waitFor } from './helpers/cluster.js';

const cli = path.resolve('dist/src/cli/index.js');
let dir: string;
let daemon: ChildProcess | undefined;

/** The environment without any PostgreSQL connection settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PG') && key !== 'DATABASE_URL') env[key] = value;
  }
  return {
    ...env,
    PG_ANALYTICA_EMBEDDED_DIR: path.join(dir, 'postgres'),
    PG_ANALYTICA_DATA_DIR: path.join(dir, 'data'),
  };
}

async function startDaemon(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      cli,
      'start',
      '--port',
      String(port),
      '--naptime',
      '200ms',
      '--log-level',
      process.env.PG_ANALYTICA_TEST_LOG ?? 'warn',
    ],
    {
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (process.env.PG_ANALYTICA_TEST_LOG) process.stderr.write(chunk);
  });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`pg-analytica start exited: ${stderr}`);
    return stderr.includes('pg-analytica is serving');
  }, 'pg-analytica start to serve');
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

async function embeddedClient(): Promise<pg.Client> {
  const pidFile = await readFile(path.join(dir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8');
  const password = (await readFile(path.join(dir, 'postgres', 'superuser.password'), 'utf8')).trim();
  const port = Number(pidFile.split('\n')[3]);
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  return client;
}

async function columnarCount(port: number, password: string): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query('SELECT count(*) AS n FROM items')).rows[0].n;
  } finally {
    await client.end();
  }
}

after(async () => {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  // The embedded server outlives a killed daemon by design; stop it here.
  const pidFile = await readFile(path.join(dir, 'postgres', 'pgdata', 'postmaster.pid'), 'utf8').catch(
    () => '',
  );
  const pid = Number(pidFile.split('\n')[0]);
  if (pid > 0) {
    try {
      process.kill(pid, 'SIGINT');
      await waitFor(async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 'the embedded PostgreSQL to stop');
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

test('the embedded PostgreSQL and the copies survive a stop and a kill -9 of the daemon', async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pga-embedded-'));
  await chmod(dir, 0o711);
  const port = await freePort();
  daemon = await startDaemon(port);
  const client = await embeddedClient();
  const password = (await readFile(path.join(dir, 'postgres', 'superuser.password'), 'utf8')).trim();
  try {
    await client.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
    await client.query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g`);
    await client.query(`SELECT analytica.register_table('items')`);
    await client.query(`SELECT analytica.wait_for_sync('items')`);
    assert.equal(await columnarCount(port, password), '1000');
  } finally {
    await client.end();
  }

  await stop(daemon, 'SIGTERM');
  daemon = await startDaemon(port);
  assert.equal(await columnarCount(port, password), '1000', 'after a clean restart');

  await stop(daemon, 'SIGKILL');
  daemon = await startDaemon(port);
  const again = await embeddedClient();
  try {
    await again.query(`INSERT INTO items VALUES (1001, 'late')`);
    await again.query(`SELECT analytica.wait_for_sync('items')`);
    // Streamed changes are visible at once; the status counts them once they are flushed.
    await waitFor(async () => {
      const { rows } = await again.query(`SELECT state, rows FROM analytica.status`);
      return rows[0].state === 'synced' && rows[0].rows === '1001';
    }, 'the status to count the flushed row');
  } finally {
    await again.end();
  }
  assert.equal(await columnarCount(port, password), '1001', 'after a kill -9 and restart');
  await stop(daemon, 'SIGTERM');
});
