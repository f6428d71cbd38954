/**
 * What one client can make the daemon hold (docs/security.md#what-a-client-can-cost): the
 * daemon runs as a child process, so that a crash is seen as one and its
 * resident memory is measured apart from the test's. Each case checks that
 * the daemon still answers other sessions afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { failure } from './helpers/assertions.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, textRows } from './helpers/daemon.js';
import { DaemonProcess } from './helpers/daemon-process.js';
import { cstring, queryMessage, typed, WireClient } from './helpers/wire.js';

const nobodyPassword = 'nobody-pw';
let cluster: LocalCluster;
let daemon: DaemonProcess;

function daemonConfig(overrides: pg.ClientConfig = {}): pg.ClientConfig {
  return { ...cluster.clientConfig(), port: daemon.port, ...overrides };
}

/** The daemon's resident set size, from /proc. */
async function daemonRssBytes(): Promise<number> {
  const status = await readFile(`/proc/${daemon.child.pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  assert.ok(kb !== undefined, 'VmRSS in /proc/<pid>/status');
  return Number(kb) * 1024;
}

function assertAlive(): void {
  assert.equal(daemon.child.exitCode, null, `the daemon exited:\n${daemon.stderr}`);
  assert.equal(daemon.child.signalCode, null, `the daemon was killed:\n${daemon.stderr}`);
}

/** A new session answers a query on a registered table and a catalog query. */
async function assertServes(what: string): Promise<void> {
  assertAlive();
  const client = await rawClient(daemonConfig());
  try {
    assert.deepEqual(await textRows(client, 'SELECT count(*), sum(id) FROM t'), [['100', '5050']], what);
    assert.deepEqual(await textRows(client, 'SELECT current_database()'), [['postgres']], what);
  } finally {
    await client.end();
  }
}

async function loggedIn(user = 'postgres', password = cluster.password): Promise<WireClient> {
  const wire = await WireClient.connect(daemon.port);
  await wire.login(user, password, 'postgres');
  return wire;
}

const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE t (id int PRIMARY KEY, v text);
    INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 100) i;
    CREATE ROLE nobody LOGIN PASSWORD '${nobodyPassword}';
  `);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pga-limits-'));
  daemon = await DaemonProcess.start(cluster, dataDir, ['--naptime', '200ms']);
  const heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('public.t')`);
  await heap.query(`SELECT analytica.wait_for_sync('public.t')`);
  await heap.end();
});

after(async () => {
  await daemon?.kill();
  await cluster?.close();
});

describe('catalog query results', () => {
  test('a value too large for the client library fails that query with 54000; the daemon lives on', {
    timeout: 120_000,
  }, async () => {
    const nobody = await rawClient(daemonConfig({ user: 'nobody', password: nobodyPassword }));
    try {
      const error = await failure(nobody, `SELECT repeat('x', 600000000) AS r, current_database()`);
      assert.equal(error.code, '54000', error.message);
      assert.match(error.message, /too large/);
      // The same session goes on.
      assert.deepEqual(await textRows(nobody, 'SELECT current_user'), [['nobody']]);
    } finally {
      await nobody.end();
    }
    await assertServes('after a value of 600 MB');
  });

  test('a long result read slowly, then dropped, costs the daemon a bounded amount of memory', {
    timeout: 180_000,
  }, async () => {
    const before = await daemonRssBytes();
    const wire = await loggedIn();
    // current_database() makes it a catalog query, read from the source.
    // The client reads nothing: TCP fills up and the daemon must wait, not buffer.
    wire.socket.pause();
    await wire.write(
      queryMessage(
        `SELECT i, repeat('x', 200) AS pad, current_database() FROM generate_series(1, 5000000) i`,
      ),
    );
    let peak = before;
    for (let i = 0; i < 16; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      peak = Math.max(peak, await daemonRssBytes());
    }
    wire.destroy();
    await assertServes('after a slow reader went away');
    const afterClose = await daemonRssBytes();
    console.log(`# 5M rows of 200 B unread: RSS ${mb(before)} → peak ${mb(peak)} → ${mb(afterClose)}`);
    assert.ok(peak - before < 300 * 1024 * 1024, `RSS grew by ${mb(peak - before)} while unread`);
    assert.ok(afterClose - before < 300 * 1024 * 1024, `RSS grew by ${mb(afterClose - before)} after close`);
  });
});

describe('client input', () => {
  test('pipelined huge Query messages, answers unread, are held back by TCP, not memory', {
    timeout: 120_000,
  }, async () => {
    const before = await daemonRssBytes();
    const wire = await loggedIn();
    wire.socket.pause();
    // The first answer (100 MB) is never read, so the session waits on it while the rest arrives.
    await wire.write(
      queryMessage(`SELECT repeat('x', 1000), current_database() FROM generate_series(1, 100000)`),
    );
    const huge = typed('Q', cstring(`SELECT 1 -- ${'x'.repeat(6 * 1024 * 1024)}`));
    let sent = 0;
    while (sent < 200) {
      const accepted = wire.socket.write(huge);
      sent++;
      if (accepted) continue;
      const drained = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 3000);
        wire.socket.once('drain', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (!drained) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const grown = (await daemonRssBytes()) - before;
    console.log(`# ${sent} Query messages of 6 MB written before TCP stopped them: RSS +${mb(grown)}`);
    assert.ok(sent < 200, `the daemon took all ${sent} messages of 6 MB (${mb(sent * huge.length)})`);
    assert.ok(grown < 300 * 1024 * 1024, `RSS grew by ${mb(grown)}`);
    await assertServes('while a client pipelines huge messages');
    wire.destroy();
  });
});

describe('source connections', () => {
  test('sessions whose catalog queries wait hold their own connections, not the daemon’s', {
    timeout: 120_000,
  }, async () => {
    const heap = await rawClient(cluster.clientConfig());
    const sessions: pg.Client[] = [];
    try {
      // Every catalog query reading pg_seclabel waits on this lock, holding its connection.
      await heap.query('BEGIN');
      await heap.query('LOCK TABLE pg_catalog.pg_seclabel IN ACCESS EXCLUSIVE MODE');
      // The first query after the lock waits for the change stream to pass the open transaction.
      await assertServes('with the lock taken');
      for (let i = 0; i < 8; i++) sessions.push(await rawClient(daemonConfig()));
      const waiting = sessions.map((s) => textRows(s, 'SELECT count(*) >= 0 FROM pg_catalog.pg_seclabel'));
      // Awaited below; until then a failure here must not surface as an unhandled rejection.
      for (const wait of waiting) wait.catch(() => undefined);
      await waitForSql(
        heap,
        `SELECT count(*) >= 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'pg_analytica catalog'`,
      );
      const other = await rawClient(daemonConfig());
      try {
        const started = Date.now();
        assert.deepEqual(await textRows(other, 'SELECT count(*), sum(id) FROM t'), [['100', '5050']]);
        const ms = Date.now() - started;
        console.log(`# a registered-table query while 8 catalog queries wait: ${ms} ms`);
        assert.ok(ms < 2000, `the query took ${ms} ms`);
      } finally {
        await other.end();
      }
      await heap.query('COMMIT');
      assert.deepEqual(await Promise.all(waiting), Array(8).fill([['t']]));
    } finally {
      await heap.query('ROLLBACK').catch(() => undefined);
      await heap.end();
      for (const session of sessions) await session.end();
    }
  });

  test('a session holds one source connection: a second long catalog result waits for CLOSE', {
    timeout: 60_000,
  }, async () => {
    const client = await rawClient(daemonConfig());
    try {
      await client.query(
        'DECLARE big CURSOR WITH HOLD FOR SELECT i, current_database() FROM generate_series(1, 100000) i',
      );
      assert.deepEqual(await textRows(client, 'FETCH 2 FROM big'), [
        ['1', 'postgres'],
        ['2', 'postgres'],
      ]);
      const error = await failure(client, 'SELECT count(*) FROM pg_catalog.pg_class');
      assert.equal(error.code, '54000', error.message);
      await client.query('CLOSE big');
      assert.deepEqual(await textRows(client, 'SELECT count(*) > 0 FROM pg_catalog.pg_class'), [['t']]);
    } finally {
      await client.end();
    }
  });
});

async function waitForSql(client: pg.Client, sql: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await textRows(client, sql))[0]?.[0] === 't') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const activity = await client.query(
    `SELECT application_name, state, wait_event_type, wait_event, left(query, 60) AS query FROM pg_stat_activity`,
  );
  assert.fail(`timed out waiting for: ${sql}\n${JSON.stringify(activity.rows, null, 1)}`);
}
