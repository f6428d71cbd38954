/**
 * `npm run bench` / `pg-analytica bench`: one run that generates deterministic
 * data in PostgreSQL, registers and copies it, then measures side by side:
 * every query on the heap, through the query server, through the columnar.*
 * foreign tables (postgres_fdw to the daemon) and on DuckDB alone (the ceiling);
 * backfill against COPY; change apply and commit-to-visible latency; storage;
 * peak RSS. Every answer is checked against PostgreSQL's in the same run; a
 * wrong answer fails the benchmark. Timings never do.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { benchTables, generateTables, orderBy, prewarm } from './data/generate.js';
import { startBenchCluster, startBenchDaemon, tunedSettings } from './lib/bench-cluster.js';
import { type BenchOptions, parseBenchOptions } from './lib/bench-options.js';
import { note, phase } from './lib/phase.js';
import { type Backfill, registerAndWait } from './lib/registration.js';
import { RssSampler } from './lib/rss-sampler.js';
import { median } from './lib/stats.js';
import { psqlCopySeconds } from './measure/copy-rate.js';
import { runAgainstPostgres, runCeiling } from './measure/query-runs.js';
import { measureStorage } from './measure/storage.js';
import { runStreamPhase } from './measure/stream-phase.js';
import { eventsQueries } from './queries/events-queries.js';
import { tpchQueries } from './queries/tpch-queries.js';
import type { BenchReport, CopyRate } from './report/bench-report.js';
import { markdownReport } from './report/markdown-report.js';
import { writeReport } from './report/write-report.js';
import { ColumnarFdwTarget, type FdwPlan, openColumnarFdwTarget } from './targets/columnar-fdw-target.js';
import { DuckDbCeiling } from './targets/duckdb-ceiling.js';
import { PgWireTarget } from './targets/pg-wire-target.js';
import { PhasedTarget } from './targets/phased-target.js';
import type { QueryTarget } from './targets/query-target.js';

/** Session settings of every PostgreSQL-protocol target, so time buckets and printed timestamps agree. */
const session = ["SET TimeZone = 'UTC'"];

/** Runs the whole benchmark; prints the Markdown report on stdout; returns the report (failures in `failures`). */
export async function runBench(argv: readonly string[]): Promise<BenchReport> {
  const options = parseBenchOptions(argv);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pga-bench-'));
  // PostgreSQL runs as another OS user under root, and must be able to enter this directory.
  await chmod(dir, 0o711);
  const rss = new RssSampler();
  const cluster = await phase('starting PostgreSQL', () => startBenchCluster(dir, options));
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  try {
    const startedAt = new Date().toISOString();
    await generateTables(heap, options.rows, options.lineitemRows);
    const copy = await phase('COPY events TO STDOUT with psql (3 runs per format)', () =>
      copyRates(cluster, options.rows),
    );
    const daemon = await phase('starting the daemon (in this process)', () =>
      startBenchDaemon(cluster, dir, options),
    );
    const watcher = new pg.Client(cluster.clientConfig());
    await watcher.connect();
    const targets: QueryTarget[] = [];
    try {
      const backfill: Backfill[] = [];
      for (const table of benchTables)
        backfill.push(
          await phase(`backfill ${table}`, () => registerAndWait(heap, watcher, table, orderBy[table])),
        );
      const storage = await measureStorage(heap, benchTables);
      await phase('pg_prewarm of every table and index', () => prewarm(heap));

      const postgres = await PgWireTarget.connect('postgres', cluster.clientConfig(), session);
      const columnar = new PhasedTarget(
        await PgWireTarget.connect('daemon', { ...cluster.clientConfig(), port: daemon.port }, session),
        daemon.queryEngine,
      );
      const fdw = await phase('postgres_fdw server pg_analytica and the columnar.* foreign tables', () =>
        openColumnarFdwTarget({
          config: cluster.clientConfig(),
          daemon: { host: '127.0.0.1', port: daemon.port },
          session,
        }),
      );
      targets.push(postgres, columnar, ...('run' in fdw ? [fdw] : []));
      const queries = [...eventsQueries(options.rows), ...tpchQueries()];
      const { outcomes, expected } = await phase(
        `${queries.length} queries on PostgreSQL and pg_analytica (${options.repetitions} runs each)`,
        () => runAgainstPostgres(queries, postgres, targets.slice(1), options.repetitions),
      );
      for (const q of queries)
        note(`  ${q.name} on pg_analytica, median per phase: ${columnar.breakdown(q.sql)}`);
      const fdwPlans = fdw instanceof ColumnarFdwTarget ? await planEach(fdw, queries) : undefined;

      const streamClient = new pg.Client({ ...cluster.clientConfig(), port: daemon.port });
      await streamClient.connect();
      const stream = await phase('change stream: apply rate and latency under load', () =>
        runStreamPhase({
          cluster,
          heap,
          columnar: streamClient,
          rows: options.streamRows,
          loadSeconds: options.loadSeconds,
          loadRowsPerSecond: options.loadRowsPerSecond,
        }),
      ).finally(() => streamClient.end());
      const daemonPeakBytes = rss.peakBytes;

      const ceiling = await phase('loading the DuckDB ceiling from the segments', () =>
        DuckDbCeiling.open({
          catalog: heap,
          dataDir: daemon.config.dataDir,
          tables: benchTables,
          threads: options.threads,
          memoryLimit: '8GB',
        }),
      );
      try {
        await phase('queries on DuckDB alone', () =>
          runCeiling(outcomes, expected, [ceiling.native, ceiling.parquet], options.repetitions),
        );
      } finally {
        rss.sample();
        await ceiling.close();
      }
      const report: BenchReport = {
        startedAt,
        options: pickOptions(options),
        machine: await machine(heap, options),
        unavailable: 'unavailable' in fdw ? { [fdw.id]: fdw.unavailable } : {},
        queries: outcomes,
        ...(fdwPlans ? { fdwPlans } : {}),
        ingest: { table: 'events', copy, backfill },
        stream,
        storage,
        peakRss: { daemonBytes: daemonPeakBytes, withCeilingBytes: rss.peakBytes },
        failures: failures(outcomes),
      };
      const files = await writeReport(report, options.outDir);
      process.stdout.write(markdownReport(report));
      note(`wrote ${files.join(', ')}`);
      return report;
    } finally {
      for (const target of targets) await target.close();
      await watcher.end();
      await daemon.close();
    }
  } finally {
    rss.close();
    await heap.end();
    await cluster.close();
    if (options.keep) note(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** How each query runs through columnar.*: whole in the daemon, or partly in the local PostgreSQL. */
async function planEach(
  fdw: ColumnarFdwTarget,
  queries: readonly { set: string; name: string; sql: string }[],
): Promise<Record<string, FdwPlan | { error: string }>> {
  const plans: Record<string, FdwPlan | { error: string }> = {};
  for (const q of queries)
    plans[`${q.set}/${q.name}`] = await fdw.plan(q.sql).catch((error: Error) => ({ error: error.message }));
  return plans;
}

async function copyRates(cluster: Parameters<typeof psqlCopySeconds>[0], rows: number): Promise<CopyRate[]> {
  const rates: CopyRate[] = [];
  for (const format of ['csv', 'binary'] as const) {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await psqlCopySeconds(cluster, 'events', format));
    rates.push({ format, seconds: median(runs), rowsPerSecond: rows / median(runs) });
  }
  return rates;
}

function pickOptions(o: BenchOptions): BenchReport['options'] {
  return {
    rows: o.rows,
    lineitemRows: o.lineitemRows,
    repetitions: o.repetitions,
    streamRows: o.streamRows,
    loadSeconds: o.loadSeconds,
  };
}

async function machine(heap: pg.Client, o: BenchOptions): Promise<BenchReport['machine']> {
  const { rows } = await heap.query<{ v: string }>(
    `SELECT 'PostgreSQL ' || current_setting('server_version') AS v`,
  );
  return {
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: rows[0]!.v,
    postgresSettings: tunedSettings(o),
    duckdbThreads: o.threads,
  };
}

function failures(outcomes: BenchReport['queries']): string[] {
  return outcomes.flatMap((q) =>
    Object.entries(q.checks)
      .filter(([target, check]) => check === 'wrong' || (target === 'postgres' && check === 'error'))
      .map(
        ([target, check]) => `${q.set}/${q.name} on ${target}: ${check}: ${q.details[target as 'postgres']}`,
      ),
  );
}
