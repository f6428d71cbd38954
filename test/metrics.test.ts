/**
 * The HTTP endpoint of --metrics-port: Prometheus metrics that agree with
 * analytica.status, statements counted by outcome, /healthz and /readyz, and a
 * Grafana dashboard that uses only metrics the endpoint exports.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { loadConfig } from '../src/config.js';
import type { PgError } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import type { Daemon } from '../src/main.js';
import { MetricsServer } from '../src/server/metrics-server.js';
import { launcherLockKey } from '../src/workers/launcher.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let base: string;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL);
    INSERT INTO events SELECT g, 'kind ' || (g % 7) FROM generate_series(1, 5000) g;`);
  daemon = await startDaemon(cluster, ['--metrics-port', '0']);
  heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('events')`);
  await heap.query(`SELECT analytica.wait_for_sync('events')`);
  base = `http://127.0.0.1:${daemon.metricsServer!.port}`;
});

after(async () => {
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(): Promise<Sample[]> {
  const response = await fetch(`${base}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.length === 0 ? undefined : found.reduce((sum, s) => sum + s.value, 0);
}

/** Every numeric column of analytica.status and the metric that carries it (with its unit factor). */
const statusFigures: [column: string, metric: string, factor: number][] = [
  ['rows', 'pg_analytica_table_rows', 1],
  ['bytes', 'pg_analytica_table_bytes', 1],
  ['source_bytes', 'pg_analytica_table_source_bytes', 1],
  ['segments', 'pg_analytica_table_segments', 1],
  ['delete_segments', 'pg_analytica_table_delete_segments', 1],
  ['progress_rows', 'pg_analytica_table_copy_rows_done', 1],
  ['progress_total_rows', 'pg_analytica_table_copy_rows_estimated', 1],
  ["pg_wal_lsn_diff(synced_lsn, '0/0')", 'pg_analytica_table_synced_lsn', 1],
  ['lag_bytes', 'pg_analytica_table_lag_bytes', 1],
  ['lag_seconds', 'pg_analytica_table_lag_seconds', 1],
  ['slot_retained_bytes', 'pg_analytica_table_slot_retained_bytes', 1],
  ['slot_retained_limit_bytes', 'pg_analytica_table_slot_retained_limit_bytes', 1],
  ['extract(epoch FROM last_sync_at)', 'pg_analytica_table_last_sync_timestamp_seconds', 1],
  ['last_sync_ms', 'pg_analytica_table_last_sync_duration_seconds', 1000],
  ['extract(epoch FROM last_compaction_at)', 'pg_analytica_table_last_compaction_timestamp_seconds', 1],
  ['extract(epoch FROM last_error_at)', 'pg_analytica_table_last_error_timestamp_seconds', 1],
  ['extract(epoch FROM recopy_requested_at)', 'pg_analytica_table_recopy_requested_timestamp_seconds', 1],
  ['extract(epoch FROM recopied_at)', 'pg_analytica_table_recopied_timestamp_seconds', 1],
];

describe('metrics endpoint', () => {
  test('is off by default, and loopback when on', () => {
    assert.equal(loadConfig({}, []).metricsPort, undefined);
    const on = loadConfig({ PG_ANALYTICA_METRICS_PORT: '9187' }, []);
    assert.deepEqual([on.metricsPort, on.metricsHost], [9187, '127.0.0.1']);
    assert.throws(() => loadConfig({}, ['--metrics-port', 'lots']), /--metrics-port.*TCP port/);
  });

  test('a metrics port in use is refused with what to do', async () => {
    const taken = daemon.metricsServer!.port;
    const start = MetricsServer.start({
      host: '127.0.0.1',
      port: taken,
      metrics: async () => ({ body: '', contentType: 'text/plain' }),
      notReadyReason: () => undefined,
      log: silentLogger,
    });
    await assert.rejects(start, (error: PgError) => {
      assert.equal(error.code, 'F0000');
      assert.equal(
        error.message,
        `the metrics endpoint cannot listen on 127.0.0.1:${taken}: the port is in use`,
      );
      assert.match(error.hint ?? '', /--metrics-port/);
      return true;
    });
  });

  test('every figure of analytica.status appears with the same value', async () => {
    // Still and current: a few statements' worth of WAL must not make the figures move under us.
    await waitFor(
      async () => (await heap.query(`SELECT 1 FROM analytica.status WHERE lag_seconds = 0`)).rowCount === 1,
      'the copy to be current',
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the metrics' table cache
    const select = statusFigures.map(([column], i) => `(${column})::float8 AS f${i}`).join(', ');
    const { rows } = await heap.query<Record<string, string | null>>(
      `SELECT table_name, state, mode, ${select} FROM analytica.status`,
    );
    const samples = await scrape();
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    const labels = { database: 'postgres', table: 'public.events' };
    for (const [i, [column, metric, factor]] of statusFigures.entries()) {
      const expected = row[`f${i}`];
      const got = value(samples, metric, labels);
      if (expected === null) assert.equal(got, undefined, `${metric}: status ${column} is NULL`);
      else assert.equal(got! * factor, Number(expected), `${metric} = status ${column}`);
    }
    assert.equal(row.state, 'synced');
    assert.equal(value(samples, 'pg_analytica_table_state', { ...labels, state: 'synced' }), 1);
    assert.equal(value(samples, 'pg_analytica_table_state', { ...labels, state: 'error' }), 0);
    assert.equal(value(samples, 'pg_analytica_table_error', labels), 0);
    assert.equal(value(samples, 'pg_analytica_table_info', { ...labels, mode: String(row.mode) }), 1);
    assert.equal(value(samples, 'pg_analytica_table_rows', labels), 5000);
    assert.equal(value(samples, 'pg_analytica_launcher_up', { database: 'postgres' }), 1);
    assert.ok(value(samples, 'process_resident_memory_bytes')! > 0, 'process memory');
  });

  test('worker counters count streamed changes and flushes', async () => {
    const before = await scrape();
    const db = { database: 'postgres' };
    await heap.query(`INSERT INTO events SELECT g, 'new' FROM generate_series(5001, 5100) g`);
    await heap.query(`DELETE FROM events WHERE id <= 10`);
    await heap.query(`SELECT analytica.wait_for_sync('events')`);
    await waitFor(
      async () =>
        value(await scrape(), 'pg_analytica_flushes_total', db)! >
        value(before, 'pg_analytica_flushes_total', db)!,
      'a flush to be counted',
      10_000,
    );
    const after = await scrape();
    const applied = value(after, 'pg_analytica_applied_changes_total', db)!;
    assert.equal(applied - value(before, 'pg_analytica_applied_changes_total', db)!, 110);
    const table = { ...db, table: 'public.events' };
    const appliedToTable = value(after, 'pg_analytica_table_applied_changes_total', table) ?? 0;
    assert.equal(
      appliedToTable - (value(before, 'pg_analytica_table_applied_changes_total', table) ?? 0),
      110,
    );
    assert.equal(value(after, 'pg_analytica_compactions_total', db), 0);
  });

  test('statements are counted by outcome and SQLSTATE class, with latency and bytes sent', async () => {
    const before = await scrape();
    const columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    try {
      await columnar.query('SELECT count(*) FROM events');
      await columnar.query({ text: 'SELECT kind FROM events WHERE id = $1', values: [42] });
      await assert.rejects(columnar.query('SELECT no_such_column FROM events'), { code: '42703' });
      await assert.rejects(
        columnar.query({ text: 'SELECT * FROM no_such_table WHERE $1 = 1', values: [1] }),
        {
          code: '42P01',
        },
      );
      const during = await scrape();
      assert.equal(value(during, 'pg_analytica_server_connections'), 1);
    } finally {
      await columnar.end();
    }
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      (value(after, name, labels) ?? 0) - (value(before, name, labels) ?? 0);
    assert.equal(delta('pg_analytica_queries_total', { outcome: 'ok', sqlstate_class: '00' }), 2);
    assert.equal(delta('pg_analytica_queries_total', { outcome: 'error', sqlstate_class: '42' }), 2);
    assert.equal(delta('pg_analytica_query_duration_seconds_count', { outcome: 'ok' }), 2);
    assert.equal(delta('pg_analytica_query_duration_seconds_count', { outcome: 'error' }), 2);
    assert.ok(delta('pg_analytica_server_bytes_sent_total') > 0, 'bytes sent grew');
    await waitFor(
      async () => value(await scrape(), 'pg_analytica_server_connections') === 0,
      'the connection to be gone',
      5000,
    );
  });

  test('/healthz and /readyz answer; readyz says why not once a launcher stops', async () => {
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.deepEqual([ready.status, await ready.text()], [200, 'ready\n']);
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
    // The launcher's catalog connection is killed and its lock taken before it can come back
    // (as when another daemon grabbed the database): readyz says so until the lock is free again.
    const blocker = await rawClient(cluster.clientConfig());
    try {
      await blocker.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_analytica launcher';
         SELECT pg_advisory_lock(${launcherLockKey});`,
      );
      const notReady = await waitFor(
        async () => {
          const response = await fetch(`${base}/readyz`);
          return response.status === 503 ? await response.text() : undefined;
        },
        'readyz to answer 503',
        5000,
      );
      assert.match(notReady, /^not ready: database postgres: its launcher lost the catalog connection\n$/);
      const samples = await scrape();
      assert.equal(value(samples, 'pg_analytica_launcher_up', { database: 'postgres' }), 0);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
    } finally {
      await blocker.end();
    }
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, 'readyz to recover', 30_000);
  });

  test('the Grafana dashboard parses and uses only metrics the endpoint exports', async () => {
    const dashboard = JSON.parse(
      await readFile(new URL('../../grafana/pg-analytica-dashboard.json', import.meta.url), 'utf8'),
    ) as {
      panels: { targets?: { expr: string }[] }[];
    };
    // Declared by a TYPE line: a metric without samples now (copy progress while no copy runs,
    // like a NULL in analytica.status) still exists.
    const response = await fetch(`${base}/metrics`);
    const exported = new Set<string>();
    for (const [, name, type] of (await response.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(name!);
      if (type === 'histogram')
        for (const suffix of ['_bucket', '_sum', '_count']) exported.add(name + suffix);
    }
    const used = new Set<string>();
    for (const panel of dashboard.panels)
      for (const target of panel.targets ?? [])
        for (const name of target.expr.match(/\b(?:pg_analytica|process|nodejs)_[a-z0-9_]+/g) ?? [])
          used.add(name);
    assert.ok(used.size >= 10, `the dashboard uses ${used.size} metrics`);
    const missing = [...used].filter((name) => !exported.has(name));
    assert.deepEqual(missing, [], 'metrics the dashboard uses but the endpoint does not export');
  });
});
