/**
 * pg-analytica demo: an embedded PostgreSQL, a sample table of a few million
 * rows, registration, backfill progress, and the same analytic queries on the
 * heap and through the query server, timed side by side and compared.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createForeignServer, createUserMapping } from '../catalog/foreign-server.js';
import { freePort, LocalCluster } from '../cluster/local-cluster.js';
import type { Logger } from '../log.js';
import { Daemon } from '../main.js';
import { type ParsedArgs, UsageError } from './args.js';
import type { Command } from './flags.js';
import { formatCount, Progress } from './progress.js';
import { demoQueries, sampleRowsSql, sampleTableSql } from './sample-data.js';

const defaultPort = 6433;

export const demo: Command = {
  spec: {
    name: 'demo',
    summary:
      'Try it all: a throw-away PostgreSQL and daemon, a sample table, query times side by side.\n' +
      'The same queries run on the heap, on the daemon and on columnar.events inside PostgreSQL;\n' +
      'then both keep serving until Ctrl-C.',
    options: {
      rows: { type: 'string', value: 'n', description: 'rows of the sample table (default 3000000)' },
      port: {
        type: 'string',
        value: 'port',
        description: `the daemon's port (default ${defaultPort}; a free one if ${defaultPort} is taken)`,
      },
      keep: {
        type: 'boolean',
        description: 'keep the temporary directory (PostgreSQL cluster and Parquet files) on exit',
      },
    },
    details:
      'Everything lives in one temporary directory, removed when the demo stops (Ctrl-C, at any point)\n' +
      'unless --keep is given. The daemon and PostgreSQL keep serving after the comparison so the printed\n' +
      'psql commands work; Ctrl-C stops both.',
  },
  run: runDemo,
};

interface DemoState {
  dir: string;
  keep: boolean;
  cluster?: Promise<LocalCluster>;
  daemon?: Promise<Daemon>;
  /** Set when the demo stops: a step still running starts nothing more. */
  stopped?: boolean;
}

function startNothingMore(state: DemoState): void {
  if (state.stopped) throw new Error('the demo is stopping');
}

async function runDemo(args: ParsedArgs, log: Logger): Promise<void> {
  const rows = wholeNumber(args.flags.get('rows') ?? '3000000', '--rows', 1);
  const port = args.flags.has('port') ? wholeNumber(args.flags.get('port')!, '--port', 0, 65535) : undefined;
  const dir = await mkdtemp(path.join(tmpdir(), 'pg-analytica-demo-'));
  // PostgreSQL may run as another OS user (under root), which must be able to enter this directory.
  await chmod(dir, 0o711);
  const state: DemoState = { dir, keep: args.flags.has('keep') };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= cleanUp(state);
    return stopping;
  };
  // Ctrl-C (or SIGTERM) at any point: stop what was started, remove the directory, and exit
  // 128 + the signal's number (130 for Ctrl-C) while still starting; 0 once serving.
  const interrupted = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const work = showDemo(state, rows, port, log).then(() => 'shown' as const);
  work.catch(() => undefined);
  try {
    const outcome = await Promise.race([work, interrupted]);
    if (outcome !== 'shown') {
      console.log('\ninterrupted: stopping the daemon and PostgreSQL, removing the demo directory…');
      await stop();
      process.exit(outcome === 'SIGTERM' ? 143 : 130);
    }
    console.log('\nServing until Ctrl-C.');
    await interrupted;
    console.log('\nstopping…');
  } finally {
    await stop();
  }
}

/** Everything up to the psql lines; the cluster and daemon stay in `state` for cleanUp. */
async function showDemo(
  state: DemoState,
  rows: number,
  port: number | undefined,
  log: Logger,
): Promise<void> {
  console.log('pg-analytica demo: starting a throw-away PostgreSQL…');
  state.cluster = LocalCluster.start({
    dir: path.join(state.dir, 'postgres'),
    persistent: state.keep,
    settings: { shared_buffers: '1GB' },
    log,
  });
  const cluster = await state.cluster;
  await createSampleTable(state, cluster, rows);
  const daemonPort = port ?? (await preferredPort(defaultPort));
  startNothingMore(state);
  state.daemon = Daemon.start({
    env: { ...process.env, DATABASE_URL: cluster.connectionString('postgres') },
    argv: [
      ...['--port', String(daemonPort), '--data-dir', path.join(state.dir, 'data'), '--naptime', '1s'],
      // Segments of a twentieth of the table, so the backfill's progress moves in 5% steps.
      ...['--chunk-size', String(Math.max(10_000, Math.ceil(rows / 20)))],
    ],
    log,
  });
  const daemon = await state.daemon;
  if (port === undefined && daemonPort !== defaultPort)
    console.log(`port ${defaultPort} is taken: the daemon listens on ${daemonPort}`);
  await withClient(cluster, async (client) => {
    // columnar.events inside PostgreSQL, through postgres_fdw, as `pg-analytica install` sets it up.
    await createForeignServer(client, { host: '127.0.0.1', port: daemon.port });
    await createUserMapping(client, cluster.user, cluster.password);
  });
  await cluster.exec(`SELECT analytica.register_table('events', order_by => '{ts}')`);
  await showBackfill(cluster);
  await compareQueries(cluster, daemon.port);
  console.log(
    `\nConnect with psql (password: ${cluster.password}):\n` +
      `  PGPASSWORD=${cluster.password} psql "host=127.0.0.1 port=${daemon.port} dbname=postgres user=postgres"   # columnar\n` +
      `  PGPASSWORD=${cluster.password} psql "host=127.0.0.1 port=${cluster.port} dbname=postgres user=postgres"   # heap, and columnar.events through postgres_fdw`,
  );
}

/** Stops what was started (waiting for a start in progress), then removes the directory unless kept. */
async function cleanUp(state: DemoState): Promise<void> {
  state.stopped = true;
  const daemon = await state.daemon?.catch(() => undefined);
  await daemon?.close().catch(() => undefined);
  const cluster = await state.cluster?.catch(() => undefined);
  await cluster?.close().catch(() => undefined);
  if (state.keep)
    console.log(`kept ${state.dir} (PostgreSQL cluster under postgres/, Parquet files under data/)`);
  else await rm(state.dir, { recursive: true, force: true });
}

/** The sample table, filled in steps of about 1% so its progress bar moves smoothly. */
async function createSampleTable(state: DemoState, cluster: LocalCluster, rows: number): Promise<void> {
  const progress = new Progress('creating events');
  await cluster.exec(sampleTableSql());
  const step = Math.max(10_000, Math.ceil(rows / 100));
  for (let from = 1; from <= rows; from += step) {
    startNothingMore(state);
    const to = Math.min(rows, from + step - 1);
    await cluster.exec(sampleRowsSql(from, to, rows));
    progress.update(to, rows);
  }
  await cluster.exec('VACUUM ANALYZE events');
  progress.done(`${formatCount(rows)} rows`);
}

/**
 * A connection of the demo. When Ctrl-C stops PostgreSQL under it, its query rejects (and the
 * demo is exiting anyway); the 'error' event an idle connection also gets must not crash it.
 */
function demoClient(config: pg.ClientConfig): pg.Client {
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  return client;
}

function wholeNumber(raw: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(
      `invalid value for ${flag}: ${JSON.stringify(raw)}; expected a whole number from ${min} to ${max}`,
    );
  return n;
}

async function showBackfill(cluster: LocalCluster): Promise<void> {
  const progress = new Progress('backfill');
  const client = demoClient(cluster.clientConfig());
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query(
        `SELECT state, rows, progress_rows, progress_total_rows, segments, bytes, source_bytes, last_sync_ms, last_error
           FROM analytica.status WHERE table_name = 'public.events'`,
      );
      const s = rows[0];
      if (s?.state === 'error') throw new Error(`backfill failed: ${s.last_error}`);
      if (s?.state === 'synced') {
        const rate = Math.round((Number(s.rows) * 1000) / Math.max(1, Number(s.last_sync_ms)));
        progress.update(Number(s.rows), Number(s.rows));
        progress.done(
          `${formatCount(Number(s.rows))} rows in ${s.segments} segments, ${(Number(s.last_sync_ms) / 1000).toFixed(1)} s ` +
            `(${formatCount(rate)} rows/s); ${mb(s.bytes)} of Parquet for ${mb(s.source_bytes)} of heap ` +
            `(${(Number(s.source_bytes) / Math.max(1, Number(s.bytes))).toFixed(1)}x smaller)`,
        );
        return;
      }
      if (s?.progress_total_rows) progress.update(Number(s.progress_rows), Number(s.progress_total_rows));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await client.end();
  }
}

/**
 * Each demo query on the heap, on the daemon, and inside PostgreSQL on the
 * columnar.events foreign table (search_path puts columnar first).
 */
async function compareQueries(cluster: LocalCluster, port: number): Promise<void> {
  const raw = { getTypeParser: () => (value: string) => value };
  const heap = demoClient({ ...cluster.clientConfig(), types: raw });
  const columnar = demoClient({ ...cluster.clientConfig(), port, types: raw });
  const foreign = demoClient({ ...cluster.clientConfig(), types: raw });
  await Promise.all([heap.connect(), columnar.connect(), foreign.connect()]);
  try {
    await heap.query("SET TimeZone = 'UTC'");
    await foreign.query("SET TimeZone = 'UTC'; SET search_path = columnar, public");
    console.log(
      '\nquery                     heap ms   columnar ms   speedup   columnar.* in PostgreSQL ms   same answer',
    );
    for (const query of demoQueries) {
      const heapRun = await medianRun(heap, query.sql);
      const columnarRun = await medianRun(columnar, query.sql);
      const foreignRun = await medianRun(foreign, query.sql);
      const expected = JSON.stringify(heapRun.rows);
      const same =
        JSON.stringify(columnarRun.rows) === expected && JSON.stringify(foreignRun.rows) === expected;
      console.log(
        `${query.name.padEnd(24)} ${heapRun.ms.toFixed(1).padStart(8)} ${columnarRun.ms.toFixed(1).padStart(13)} ` +
          `${`${(heapRun.ms / columnarRun.ms).toFixed(1)}x`.padStart(9)} ${foreignRun.ms.toFixed(1).padStart(29)}   ${same ? 'yes' : 'NO'}`,
      );
    }
  } finally {
    await Promise.all([heap.end(), columnar.end(), foreign.end()]);
  }
}

async function withClient(cluster: LocalCluster, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = demoClient(cluster.clientConfig());
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** One warm-up, then the median of three timed runs. */
async function medianRun(client: pg.Client, sql: string): Promise<{ ms: number; rows: unknown[] }> {
  let rows = (await client.query({ text: sql, rowMode: 'array' })).rows;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    rows = (await client.query({ text: sql, rowMode: 'array' })).rows;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[1]!, rows };
}

function mb(bytes: unknown): string {
  return `${(Number(bytes) / 1e6).toFixed(1)} MB`;
}

async function preferredPort(port: number): Promise<number> {
  const { createServer } = await import('node:net');
  return await new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => freePort().then(resolve));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(port)));
  });
}
