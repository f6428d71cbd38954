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
import { parseFlags } from '../config.js';
import type { Logger } from '../log.js';
import { Daemon } from '../main.js';
import { formatCount, Progress } from './progress.js';
import { demoQueries, sampleTableSql } from './sample-data.js';

export async function demo(argv: readonly string[], log: Logger): Promise<void> {
  const { flags } = parseFlags(argv);
  const rows = Number(flags.get('rows') ?? 3_000_000);
  if (!Number.isInteger(rows) || rows < 1)
    throw new Error(`--rows must be a positive whole number, not ${flags.get('rows')}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'pg-analytica-demo-'));
  // PostgreSQL may run as another OS user (under root), which must be able to enter this directory.
  await chmod(dir, 0o711);
  console.log('pg-analytica demo: starting an embedded PostgreSQL…');
  const cluster = await LocalCluster.start({
    dir: path.join(dir, 'postgres'),
    settings: { shared_buffers: '1GB' },
    log,
  });
  let daemon: Daemon | undefined;
  try {
    await timed(`creating table events with ${formatCount(rows)} rows`, async () => {
      await cluster.exec(sampleTableSql(rows));
      await cluster.exec('VACUUM ANALYZE events');
    });
    const port = flags.get('port') ?? String(await preferredPort(6433));
    daemon = await Daemon.start({
      env: { ...process.env, DATABASE_URL: cluster.connectionString('postgres') },
      argv: [
        '--port',
        port,
        '--data-dir',
        path.join(dir, 'data'),
        '--naptime',
        '1s',
        ...argv.filter((a) => a !== '--keep'),
      ],
      log,
    });
    await withClient(cluster, async (client) => {
      // columnar.events inside PostgreSQL, through postgres_fdw, as `pg-analytica install` sets it up.
      await createForeignServer(client, { host: '127.0.0.1', port: daemon!.port });
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
    if (flags.has('keep')) {
      console.log('\nRunning until Ctrl-C.');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await daemon?.close();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function showBackfill(cluster: LocalCluster): Promise<void> {
  const progress = new Progress('backfill');
  const client = new pg.Client(cluster.clientConfig());
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
  const heap = new pg.Client({ ...cluster.clientConfig(), types: raw });
  const columnar = new pg.Client({ ...cluster.clientConfig(), port, types: raw });
  const foreign = new pg.Client({ ...cluster.clientConfig(), types: raw });
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
  const client = new pg.Client(cluster.clientConfig());
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

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  process.stdout.write(`${label}…`);
  const result = await work();
  console.log(` ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
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
