/**
 * The status page's parts without a daemon: the bounded rings, the recent
 * errors, the history's throughput, statement truncation, the Host check; and
 * the package shipping the page's files where the installed code finds them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { TableStatus } from '../src/catalog/table-status.js';
import { silentLogger } from '../src/log.js';
import { BoundedRing } from '../src/observability/bounded-ring.js';
import { maxMessageChars, RecentErrors } from '../src/observability/recent-errors.js';
import { StatusHistory } from '../src/observability/status-history.js';
import { maxQueryChars, StatusBoard } from '../src/server/status-page/status-board.js';
import { statusAssetsDirectory, trustedHost } from '../src/server/status-page/status-page-routes.js';
import { WorkerActivity } from '../src/workers/worker-activity.js';

let scratch: string;

before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'pga-status-parts-'));
});

after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('status page parts', () => {
  test('a bounded ring keeps the newest items, oldest first', () => {
    const ring = new BoundedRing<number>(3);
    assert.deepEqual(ring.toArray(), []);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.equal(ring.last(), 5);
    assert.equal(ring.size, 3);
    assert.throws(() => new BoundedRing(0), RangeError);
  });

  test('recent errors list a table error once, newest first, and keep only the last ones', () => {
    const errors = new RecentErrors(2);
    const table = (lastError: string | null, at: number | null) =>
      ({
        table: 'public.t',
        lastError,
        figures: { lastErrorTimestampSeconds: at },
      }) as unknown as TableStatus;
    errors.noteTables('db', [table('disk full', 100)]);
    errors.noteTables('db', [table('disk full', 100)]);
    assert.equal(errors.list().length, 1);
    errors.noteTables('db', [table(null, null)]);
    errors.noteTables('db', [table('disk full again', 200)]);
    errors.add({
      at: 300_000,
      source: { kind: 'session', name: 's', database: 'db' },
      sqlState: '42P01',
      message: 'm',
    });
    assert.deepEqual(
      errors.list().map((e) => [e.at, e.message]),
      [
        [300_000, 'm'],
        [200_000, 'disk full again'],
      ],
    );
    errors.add({
      at: 400_000,
      source: { kind: 'session', name: 's', database: 'db' },
      sqlState: '22P02',
      message: 'x'.repeat(10 * maxMessageChars),
    });
    assert.equal(errors.list()[0]!.message, `${'x'.repeat(maxMessageChars)}…`);
    assert.equal(errors.list().length, 2);
  });

  test('the history samples lag per table and changes/s per database, and keeps the last hour only', async () => {
    const activity = new WorkerActivity();
    let lag = 0;
    const history = new StatusHistory({
      read: async () =>
        new Map([
          [
            'db',
            [
              {
                table: 'public.t',
                figures: { lagSeconds: lag, lagBytes: lag * 100 },
              } as unknown as TableStatus,
            ],
          ],
        ]),
      activities: new Map([['db', activity]]),
      log: silentLogger,
      capacity: 2,
    });
    await history.sample();
    activity.appliedChanges += 500;
    lag = 3;
    await new Promise((resolve) => setTimeout(resolve, 250));
    await history.sample();
    const [first, second] = history.samples();
    assert.deepEqual(
      first!.applied,
      [{ database: 'db', perSecond: null }],
      'nothing to compare the first with',
    );
    const perSecond = second!.applied[0]!.perSecond!;
    const seconds = (second!.at - first!.at) / 1000;
    assert.ok(Math.abs(perSecond - 500 / seconds) < 1e-6, `${perSecond}/s over ${seconds} s`);
    assert.deepEqual(second!.tables, [{ database: 'db', table: 'public.t', lagSeconds: 3, lagBytes: 300 }]);
    assert.deepEqual(history.samples(first!.at), [second], 'only samples after since');
    await history.sample();
    assert.equal(history.samples().length, 2, 'the oldest sample dropped out');
    assert.equal(history.samples()[0], second);
    history.close();
  });

  test('a long statement is cut at track_activity_query_size characters, never inside a character', async () => {
    const long = `SELECT '${'😀'.repeat(maxQueryChars)}'`;
    const board = new StatusBoard({
      read: async () => new Map(),
      history: { intervalMs: 10_000, samples: () => [] } as never,
      errors: new RecentErrors(),
      activities: () => [
        {
          pid: 7,
          role: 'r',
          database: 'd',
          clientAddress: '127.0.0.1',
          backendStart: 0,
          state: 'active',
          query: long,
          queryStart: 1,
        },
        {
          pid: 8,
          role: 'r',
          database: 'd',
          clientAddress: '',
          backendStart: 0,
          state: 'idle',
          query: 'x',
          queryStart: 1,
        },
      ],
    });
    const { queries } = await board.document();
    assert.equal(queries.length, 1, 'idle sessions are not running queries');
    assert.equal(queries[0]!.truncated, true);
    assert.equal([...queries[0]!.query].length, maxQueryChars);
    assert.equal(queries[0]!.query, [...long].slice(0, maxQueryChars).join(''));
  });

  test('Host headers: addresses, localhost and this machine are trusted, other names are not', () => {
    assert.ok(trustedHost('127.0.0.1:9187', '127.0.0.1'));
    assert.ok(trustedHost('[::1]:9187', '127.0.0.1'));
    assert.ok(trustedHost('localhost', '127.0.0.1'));
    assert.ok(trustedHost('db.example:9187', 'db.example'));
    assert.ok(!trustedHost('evil.example:9187', '0.0.0.0'));
    assert.ok(!trustedHost('127.0.0.1.evil.example', '127.0.0.1'));
  });
});

const run = promisify(execFile);

describe('status page files in the package', () => {
  test('npm pack ships them, and the installed code finds them', { timeout: 120_000 }, async () => {
    const root = path.resolve(statusAssetsDirectory, '../../../..');
    // prepack would build dist/ again; this run's build is the one under test.
    const { stdout } = await run(
      'npm',
      ['pack', '--ignore-scripts', '--pack-destination', scratch, '--json'],
      { cwd: root },
    );
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    const files = new Set(packed!.files.map((f) => f.path));
    for (const file of [
      'src/server/status-page/assets/index.html',
      'src/server/status-page/assets/status.css',
      'src/server/status-page/assets/status.js',
      'dist/src/server/status-page/status-page-routes.js',
      'dist/src/cli/index.js',
      'sql/pg_analytica.control',
    ])
      assert.ok(files.has(file), `the package has ${file}`);
    assert.ok(![...files].some((f) => f.startsWith('test/') || f.startsWith('dist/test/')), 'no tests');
    // Installed: unpacked elsewhere, the compiled routes read the shipped files.
    const installed = path.join(scratch, 'installed');
    await mkdir(installed);
    await run('tar', ['-xzf', path.join(scratch, packed!.filename), '-C', installed]);
    const probe = path.join(scratch, 'probe.mjs');
    await writeFile(
      probe,
      `const m = await import(${JSON.stringify(path.join(installed, 'package/dist/src/server/status-page/status-page-routes.js'))});
       const routes = await m.statusPageRoutes({ board: {}, listenHost: '127.0.0.1' });
       const page = await routes.get('/')({ headers: {} });
       console.log(JSON.stringify({ dir: m.statusAssetsDirectory, paths: [...routes.keys()], length: page.body.length }));`,
    );
    const answer = JSON.parse((await run(process.execPath, [probe])).stdout) as {
      dir: string;
      paths: string[];
      length: number;
    };
    assert.equal(answer.dir, path.join(installed, 'package/src/server/status-page/assets/'));
    assert.deepEqual(answer.paths.sort(), ['/', '/status.css', '/status.js', '/status.json']);
    assert.equal(answer.length, (await readFile(path.join(statusAssetsDirectory, 'index.html'))).length);
  });
});
