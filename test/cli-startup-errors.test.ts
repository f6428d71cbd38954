/**
 * Start-up failures through the real binary, each said in one line of what
 * happened and one of what to do, without a stack trace: a wrong password, a
 * missing database, a second daemon on the same database (at once, not after
 * 30 s), wal_level not logical (the daemon serves on, and says how to stream);
 * and a foreign server the daemon's role may not alter (start prints the
 * statement its owner runs).
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { pointForeignServer } from '../src/cli/start.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { CliProcess, hasStackTrace, runCli } from './helpers/cli.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { DaemonProcess } from './helpers/daemon-process.js';

const dataDir = () => mkdtemp(path.join(tmpdir(), 'pga-cli-'));

describe('start-up failures against a running PostgreSQL', () => {
  let cluster: LocalCluster;

  before(async () => {
    cluster = await startTestCluster();
  });

  after(async () => {
    await cluster?.close();
  });

  test('a wrong password, for a one-shot command and for start', async () => {
    const databaseUrl = `postgresql://postgres:wrong@127.0.0.1:${cluster.port}/postgres`;
    for (const args of [['status'], ['start', '--port', '0', '--data-dir', await dataDir()]]) {
      const run = await runCli(args, { databaseUrl });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(
        run.stderr,
        'pg-analytica: password authentication failed for user "postgres"\n' +
          '  correct the password in DATABASE_URL or PGPASSWORD (or ~/.pgpass)\n',
      );
    }
  });

  test('a database that does not exist', async () => {
    const run = await runCli(['status'], { databaseUrl: cluster.connectionString('nowhere') });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr,
      'pg-analytica: database "nowhere" does not exist\n' +
        '  create the database, or name an existing one in DATABASE_URL or PGDATABASE\n',
    );
  });

  test('a database without the control schema', async () => {
    const run = await runCli(['status'], { databaseUrl: cluster.connectionString('postgres') });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr,
      'pg-analytica: relation "analytica.status" does not exist: pg_analytica is not installed in this database\n' +
        '  run pg-analytica install (or pg-analytica start, which installs it) against this database\n',
    );
  });

  test('a second daemon on the same database is refused at once', async () => {
    const first = await DaemonProcess.start(cluster, await dataDir());
    try {
      const started = performance.now();
      const second = await runCli(['start', '--port', '0', '--data-dir', await dataDir()], {
        databaseUrl: cluster.connectionString('postgres'),
      });
      const seconds = (performance.now() - started) / 1000;
      assert.equal(second.code, 1, second.stderr);
      const lines = second.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, second.stderr);
      assert.match(
        lines[0]!,
        /^pg-analytica: ERROR 55000: another pg-analytica daemon is already serving database postgres \(it holds advisory lock \d+ on the connection of server process \d+\)$/,
      );
      assert.match(
        lines[1]!,
        /^ {2}HINT: stop that daemon first, or serve other databases with --databases; if it is gone, SELECT pg_terminate_backend\(\d+\)$/,
      );
      // It took 31 s before (a 30 s wait for the lock); now the lock holder is alive after 2 s.
      assert.ok(seconds < 15, `took ${seconds.toFixed(1)} s`);
      assert.equal(first.child.exitCode, null, 'the first daemon keeps running');
    } finally {
      await first.kill();
    }
  });
});

describe('wal_level is not logical', () => {
  let cluster: LocalCluster;

  before(async () => {
    cluster = await startTestCluster({ wal_level: 'replica' });
  });

  after(async () => {
    await cluster?.close();
  });

  test('start serves, and says in two lines that tables are re-copied and how to stream', async () => {
    const daemon = new CliProcess(
      ['start', '--port', '0', '--data-dir', await dataDir(), '--log-level', 'error'],
      {
        databaseUrl: cluster.connectionString('postgres'),
      },
    );
    try {
      await waitFor(async () => {
        if (daemon.child.exitCode !== null) throw new Error(`start exited: ${daemon.stderr}`);
        return daemon.stderr.includes('pg-analytica is serving');
      }, 'the daemon to start');
      assert.match(
        daemon.stderr,
        /^pg-analytica: wal_level is replica, not logical: tables of postgres are re-copied when they change instead of streamed\n {2}to stream changes, run ALTER SYSTEM SET wal_level = logical as a superuser and restart PostgreSQL\n/m,
      );
      assert.ok(!hasStackTrace(daemon.stderr), daemon.stderr);
    } finally {
      daemon.child.kill('SIGTERM');
      const run = await daemon.finished;
      assert.equal(run.code, 0, run.stderr);
    }
  });
});

describe('a foreign server the daemon may not alter', () => {
  let cluster: LocalCluster;

  before(async () => {
    cluster = await startTestCluster();
  });

  after(async () => {
    await cluster?.close();
  });

  test('start prints the statement its owner runs, and that statement points it at the daemon', async () => {
    await cluster.exec(`
      CREATE EXTENSION postgres_fdw;
      CREATE SERVER pg_analytica FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '7000', dbname 'postgres');
      CREATE ROLE daemon_role LOGIN PASSWORD 'daemon-secret';`);
    const limited = new pg.Client({
      ...cluster.clientConfig(),
      user: 'daemon_role',
      password: 'daemon-secret',
    });
    await limited.connect();
    try {
      const lines = await pointForeignServer(limited, { host: '0.0.0.0', port: 7123 });
      assert.deepEqual(lines, [
        'pg-analytica: foreign server pg_analytica of postgres points at 127.0.0.1:7000, not at this daemon, so columnar.* queries fail',
        `  its owner (or a superuser) should run in postgres: ALTER SERVER "pg_analytica" OPTIONS (SET host '127.0.0.1', SET port '7123');`,
      ]);
      await cluster.exec(lines[1]!.slice(lines[1]!.indexOf('ALTER SERVER')));
      assert.deepEqual(await pointForeignServer(limited, { host: '0.0.0.0', port: 7123 }), []);
    } finally {
      await limited.end();
    }
  });
});
