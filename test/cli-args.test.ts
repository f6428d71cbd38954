/**
 * The command line's argument parser, through the real binary: --help on every
 * command prints usage and does nothing, --version, unknown flags and bad
 * values refused with exit code 2 naming what is valid, and start-up failures
 * that need no database (a malformed DATABASE_URL, a refused connection) said
 * in two lines without a stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseCommandArgs } from '../src/cli/args.js';
import { start } from '../src/cli/start.js';
import { freePort } from '../src/cluster/local-cluster.js';
import { settingSpecs } from '../src/config.js';
import { hasStackTrace, runCli } from './helpers/cli.js';

const commands = [
  'start',
  'install',
  'status',
  'register',
  'wait',
  'resync',
  'compact',
  'unregister',
  'demo',
  'bench',
  'uninstall',
];

describe('pg-analytica --help and --version', () => {
  test('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const run = await runCli(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), `pg-analytica ${version}`);
  });

  test('pg-analytica --help lists every command', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0, run.stderr);
    for (const name of commands) assert.match(run.stdout, new RegExp(`^  ${name} `, 'm'), name);
  });

  test('--help and -h of every command print its usage and act on nothing', async () => {
    // No database is reachable at this URL: a command that acted would fail with exit code 1.
    const databaseUrl = `postgresql://nobody:secret@127.0.0.1:${await freePort()}/none`;
    const tmp = await mkdtemp(path.join(tmpdir(), 'pga-cli-help-'));
    try {
      for (const name of commands) {
        for (const flag of ['--help', '-h']) {
          const run = await runCli([name, flag], { databaseUrl, env: { TMPDIR: tmp }, timeoutMs: 20_000 });
          assert.equal(run.code, 0, `${name} ${flag}: ${run.stderr}`);
          assert.match(run.stdout, new RegExp(`^usage: pg-analytica ${name}`), name);
          assert.match(run.stdout, /-h, --help/);
          assert.equal(run.stderr, '', name);
        }
      }
      // demo --help and bench --help made no temporary directory (and so started no PostgreSQL).
      assert.deepEqual(await readdir(tmp), []);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  test('demo --help documents its port and --keep', async () => {
    const run = await runCli(['demo', '--help']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /--port <port> +the daemon's port \(default 6433; a free one if 6433 is taken\)/,
    );
    assert.match(run.stdout, /--keep +keep the temporary directory/);
  });

  test('--help wins over other arguments, even wrong ones', async () => {
    const run = await runCli(['start', '--prot', '1', '--help'], { timeoutMs: 20_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /--memory-limit <value>/);
  });
});

describe('usage errors exit with code 2 and say what is valid', () => {
  test('an unknown flag is refused, naming the closest valid one and all valid ones', async () => {
    const run = await runCli(['start', '--prot', '58212']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /unknown flag --prot for pg-analytica start; did you mean --port\?/);
    assert.match(run.stderr, /valid flags: .*--naptime.*--port/);
    assert.ok(!hasStackTrace(run.stderr), run.stderr);
  });

  test('an unknown command names the closest one', async () => {
    const run = await runCli(['regster', 't']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /unknown command "regster"; did you mean register\?/);
  });

  test('bad setting values name the valid ones and the default', async () => {
    const threads = await runCli(['start', '--threads', '-3']);
    assert.equal(threads.code, 2, threads.stderr);
    assert.match(
      threads.stderr,
      /invalid value for --threads: "-3" \(expected a whole number of at least 1; the default is 2\)/,
    );
    const memory = await runCli(['start', '--memory-limit', 'lots']);
    assert.equal(memory.code, 2, memory.stderr);
    assert.match(
      memory.stderr,
      /invalid value for --memory-limit: "lots" \(expected a size such as 512MB or 4GB/,
    );
    const level = await runCli(['status', '--log-level', 'loud']);
    assert.equal(level.code, 2);
    assert.match(level.stderr, /expected debug, info, warn or error/);
  });

  test('choices, missing values and arguments are refused before anything connects', async () => {
    const mode = await runCli(['register', 'public.t', '--mode', 'fast']);
    assert.equal(mode.code, 2);
    assert.match(mode.stderr, /invalid value for --mode: "fast"; expected one of stream, append, refresh/);
    const missing = await runCli(['start', '--port']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--port needs a value, as in --port <value>/);
    const boolean = await runCli(['uninstall', '--yes=no']);
    assert.equal(boolean.code, 2);
    assert.match(boolean.stderr, /--yes takes no value/);
    const table = await runCli(['wait']);
    assert.equal(table.code, 2);
    assert.match(table.stderr, /missing <table>: usage is pg-analytica wait <table>/);
    const extra = await runCli(['compact', 'a', 'b']);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /unexpected argument "b"/);
    const timeout = await runCli(['wait', 'public.t', '--timeout', 'soon']);
    assert.equal(timeout.code, 2);
    assert.match(timeout.stderr, /expected a duration such as 30s, 5min or 1h/);
  });

  test('start accepts the flag of every setting of the defaults table', () => {
    for (const spec of Object.values(settingSpecs)) {
      const parsed = parseCommandArgs(start.spec, [`--${spec.flag}`, 'x']);
      assert.equal(parsed.flags.get(spec.flag), 'x', spec.flag);
    }
    assert.equal(parseCommandArgs(start.spec, ['--databases=a,b']).flags.get('databases'), 'a,b');
  });
});

describe('start-up failures without a database say what to do', () => {
  test('a malformed DATABASE_URL', async () => {
    const run = await runCli(['status'], { databaseUrl: 'postgres//broken' });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(
      run.stderr,
      'pg-analytica: DATABASE_URL is not a PostgreSQL URL: "postgres//broken"\n' +
        '  write it as postgresql://user:password@host:5432/database (or unset it and use PGHOST, PGPORT, PGUSER, PGDATABASE)\n',
    );
  });

  test('a refused connection, for a one-shot command and for start', async () => {
    const port = await freePort();
    for (const args of [['status'], ['start', '--port', '0']]) {
      const run = await runCli(args, {
        databaseUrl: `postgresql://u:p@127.0.0.1:${port}/db`,
        timeoutMs: 30_000,
      });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(
        run.stderr,
        `pg-analytica: cannot connect to PostgreSQL at 127.0.0.1:${port}: connection refused\n` +
          '  start PostgreSQL there, or point DATABASE_URL (or PGHOST, PGPORT) at a running server\n',
      );
    }
  });
});
