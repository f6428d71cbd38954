/**
 * `pg-analytica demo` through the real binary, in a temporary directory of its
 * own (TMPDIR): Ctrl-C while the sample table is being made stops everything
 * and removes what it made (exit 130); run to the end, the printed psql lines
 * work while it serves, and Ctrl-C then exits 0 leaving nothing behind; with
 * --keep the directory stays.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { freePort } from '../src/cluster/local-cluster.js';
import { CliProcess } from './helpers/cli.js';
import { waitFor } from './helpers/cluster.js';

let tmp: string;

before(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'pga-demo-test-'));
  // Under root PostgreSQL runs as another OS user, which must enter the demo's directory.
  await chmod(tmp, 0o755);
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function startDemo(args: string[]): CliProcess {
  return new CliProcess(['demo', ...args], { env: { TMPDIR: tmp }, timeoutMs: 300_000 });
}

async function until(demo: CliProcess, text: string): Promise<void> {
  await waitFor(
    async () => {
      if (demo.child.exitCode !== null) throw new Error(`demo exited early:\n${demo.stdout}\n${demo.stderr}`);
      return demo.stdout.includes(text);
    },
    JSON.stringify(text),
    240_000,
  );
}

test('Ctrl-C while the sample table is made removes everything and exits 130', async () => {
  const demo = startDemo(['--rows', '2000000', '--port', String(await freePort())]);
  await until(demo, 'creating events: 10%');
  assert.equal((await readdir(tmp)).length, 1, 'the demo directory exists while it runs');
  demo.child.kill('SIGINT');
  const run = await demo.finished;
  assert.equal(run.code, 130, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /interrupted: stopping the daemon and PostgreSQL, removing the demo directory/);
  assert.deepEqual(await readdir(tmp), []);
});

test('the printed psql lines work while the demo serves; Ctrl-C then exits 0 and removes everything', async () => {
  const demo = startDemo(['--rows', '200000', '--port', String(await freePort())]);
  await until(demo, 'Serving until Ctrl-C.');
  // The copy is made in chunks of a twentieth of the table (each a step of its progress bar), not of 1M rows.
  const segments = Number(/backfill: 200,000 rows in (\d+) segments/.exec(demo.stdout)?.[1]);
  assert.ok(segments >= 10, demo.stdout);
  const lines = [
    ...demo.stdout.matchAll(
      /PGPASSWORD=(\S+) psql "host=127\.0\.0\.1 port=(\d+) dbname=postgres user=postgres"/g,
    ),
  ];
  assert.equal(lines.length, 2, demo.stdout);
  const [columnar, heap] = lines.map((m) => ({ password: m[1]!, port: Number(m[2]) }));
  for (const [target, sql] of [
    [columnar!, 'SELECT count(*) AS n FROM events'],
    [heap!, 'SELECT count(*) AS n FROM columnar.events'],
  ] as const) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: target.port,
      user: 'postgres',
      database: 'postgres',
      password: target.password,
    });
    await client.connect();
    try {
      assert.equal((await client.query(sql)).rows[0].n, '200000', sql);
    } finally {
      await client.end();
    }
  }
  demo.child.kill('SIGINT');
  const run = await demo.finished;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.deepEqual(await readdir(tmp), []);
});

test('--keep keeps the demo directory and says where', async () => {
  const demo = startDemo(['--rows', '20000', '--port', String(await freePort()), '--keep']);
  await until(demo, 'creating events: 20,000 rows');
  demo.child.kill('SIGINT');
  const run = await demo.finished;
  assert.equal(run.code, 130, `${run.stdout}\n${run.stderr}`);
  const kept = await readdir(tmp);
  assert.equal(kept.length, 1);
  assert.match(
    run.stdout,
    new RegExp(`kept ${path.join(tmp, kept[0]!)} \\(PostgreSQL cluster under postgres/`),
  );
  assert.ok((await readdir(path.join(tmp, kept[0]!))).includes('postgres'));
});
