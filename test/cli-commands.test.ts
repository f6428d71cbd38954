/**
 * The table commands and install/start's foreign server through the real
 * binary, against a throw-away PostgreSQL and a daemon running as a child
 * process: install --help changes nothing; install without --port keeps the
 * foreign server's address and start points it at the port it listens on;
 * register --mode --wait, wait, resync, compact, unregister.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { cliEnv, cliPath, runCli } from './helpers/cli.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { DaemonProcess } from './helpers/daemon-process.js';

let cluster: LocalCluster;
let client: pg.Client;
let databaseUrl: string;

async function foreignServerPort(): Promise<string | undefined> {
  const { rows } = await client.query<{ port: string | null }>(
    `SELECT (SELECT split_part(o, '=', 2) FROM unnest(srvoptions) AS o WHERE o LIKE 'port=%') AS port
       FROM pg_foreign_server WHERE srvname = 'pg_analytica'`,
  );
  return rows[0]?.port ?? undefined;
}

before(async () => {
  cluster = await startTestCluster();
  databaseUrl = cluster.connectionString('postgres');
  client = new pg.Client(cluster.clientConfig());
  await client.connect();
});

after(async () => {
  await client?.end();
  await cluster?.close();
});

describe('install and start agree on the port', () => {
  test('install --help against a database changes nothing', async () => {
    const run = await runCli(['install', '--port', '7000', '--help'], { databaseUrl });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^usage: pg-analytica install/);
    const { rows } = await client.query(`SELECT to_regnamespace('analytica') AS schema`);
    assert.equal(rows[0].schema, null);
    assert.equal(await foreignServerPort(), undefined);
  });

  test('install without --port keeps the address of an existing foreign server', async () => {
    const first = await runCli(['install', '--port', '7000'], { databaseUrl });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await foreignServerPort(), '7000');
    const again = await runCli(['install'], { databaseUrl });
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /keeps its address 127\.0\.0\.1:7000 \(no --port given; pg-analytica start points it/,
    );
    assert.equal(await foreignServerPort(), '7000');
  });

  test('start points the foreign server at the port it listens on', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pga-cli-'));
    const daemon = await DaemonProcess.start(cluster, dataDir);
    try {
      await waitFor(
        async () => (await foreignServerPort()) === String(daemon.port),
        'the foreign server to move',
      );
      assert.match(
        daemon.stderr,
        new RegExp(`now points at 127\\.0\\.0\\.1:${daemon.port} \\(was 127\\.0\\.0\\.1:7000\\)`),
      );
    } finally {
      await daemon.kill();
    }
  });
});

describe('table commands', () => {
  let daemon: DaemonProcess;

  before(async () => {
    await client.query(
      'CREATE TABLE items (id bigint PRIMARY KEY, name text); INSERT INTO items SELECT g, g::text FROM generate_series(1, 5000) g',
    );
    // Small chunks: a copy of many steps, for the progress bar.
    daemon = await DaemonProcess.start(cluster, await mkdtemp(path.join(tmpdir(), 'pga-cli-')), [
      '--chunk-size',
      '2000',
    ]);
  });

  after(async () => {
    await daemon?.kill();
  });

  async function tableRow(): Promise<{ mode: string; state: string; rows: string } | undefined> {
    const { rows } = await client.query(
      `SELECT mode, state, rows::text FROM analytica.tables WHERE relid = 'public.items'::regclass`,
    );
    return rows[0];
  }

  test('register --mode refresh --wait returns once the copy is in sync', async () => {
    const run = await runCli(
      ['register', 'public.items', '--mode', 'refresh', '--wait', '--timeout', '60s'],
      {
        databaseUrl,
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /public\.items is in sync/);
    const row = await tableRow();
    assert.equal(row?.mode, 'refresh');
    assert.equal(row?.state, 'synced');
    assert.equal(row?.rows, '5000');
  });

  test('wait returns once the rows committed before it are copied', async () => {
    await client.query('INSERT INTO items SELECT g, g::text FROM generate_series(5001, 6000) g');
    const run = await runCli(['wait', 'public.items'], { databaseUrl });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await tableRow())?.rows, '6000');
  });

  test('resync copies the table again', async () => {
    const before = (
      await client.query(`SELECT generation FROM analytica.tables WHERE relid = 'public.items'::regclass`)
    ).rows[0].generation;
    const run = await runCli(['resync', 'public.items'], { databaseUrl });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /pg-analytica wait public\.items/);
    const waited = await runCli(['wait', 'public.items', '--timeout', '60s'], { databaseUrl });
    assert.equal(waited.code, 0, waited.stderr);
    const { rows } = await client.query(
      `SELECT generation, rows::text FROM analytica.tables WHERE relid = 'public.items'::regclass`,
    );
    assert.ok(
      Number(rows[0].generation) > Number(before),
      `generation ${rows[0].generation} after ${before}`,
    );
    assert.equal(rows[0].rows, '6000');
  });

  test('compact asks the daemon to compact the table, which it takes up', async () => {
    const requested = async () =>
      (
        await client.query(
          `SELECT compact_requested_at IS NOT NULL AS requested FROM analytica.tables WHERE relid = 'public.items'::regclass`,
        )
      ).rows[0].requested as boolean;
    assert.equal(await requested(), false);
    const run = await runCli(['compact', 'public.items'], { databaseUrl });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /asked the daemon to compact public\.items/);
    // The request is set by the command and cleared by the daemon's compaction worker.
    await waitFor(async () => !(await requested()), 'the compaction worker to take the request');
  });

  test('unregister removes the registration; wait then says the table is not registered', async () => {
    const run = await runCli(['unregister', 'public.items'], { databaseUrl });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await tableRow(), undefined);
    const waited = await runCli(['wait', 'public.items'], { databaseUrl });
    assert.equal(waited.code, 1);
    assert.match(waited.stderr, /^pg-analytica: ERROR 42704: table public\.items is not registered\n$/);
  });

  test('on a terminal, register --wait shows a progress bar of the copy', {
    skip: existsSync('/usr/bin/script') ? false : 'needs script: apt-get install bsdutils',
  }, async () => {
    await client.query(
      'CREATE TABLE big (id bigint PRIMARY KEY, v text); INSERT INTO big SELECT g, repeat(g::text, 5) FROM generate_series(1, 200000) g',
    );
    // script(1) runs the command on a pseudo-terminal, as a user at a shell would.
    const command = `${process.execPath} ${cliPath} register public.big --wait --timeout 2min`;
    const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], {
        env: cliEnv({ databaseUrl }),
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.on('close', (code) => resolve({ code, output }));
    });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /\rcopying public\.big \[#*\.*\] \d+% [\d,]+ \/ [\d,]+ rows/);
    assert.match(run.output, /public\.big is in sync/);
  });

  test('a timeout ends wait with exit code 1 and the reason', async () => {
    await client.query('CREATE TABLE later (id bigint PRIMARY KEY)');
    await daemon.kill();
    await client.query(`SELECT analytica.register_table('later', mode => 'refresh')`);
    const run = await runCli(['wait', 'later', '--timeout', '1s'], { databaseUrl });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /timed out after 00:00:01 waiting for pg_analytica to sync table public\.later\n {2}HINT: is the pg-analytica daemon running/,
    );
  });
});
