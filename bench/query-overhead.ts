/**
 * Where the time of a small query goes: the benchmark's data (events and TPC-H, as
 * `npm run bench` makes them), the daemon in this process, and for each chosen query its
 * first run and its warm runs split into the engine's phases (src/query/phase-clock.ts):
 * catalog resolution, freshness wait, views, typing/emit, source Describe, DuckDB open and
 * fetch, and the rest (wire protocol, parsing, the server), against PostgreSQL on the heap.
 *
 *   npm run bench -- --overhead [--rows 300000] [--runs 40] [--queries count,point_lookup]
 *   npm run build && node dist/bench/query-overhead.js [same flags]
 *
 * Timings are printed, never asserted.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseFlags } from '../src/config.js';
import type { Daemon } from '../src/main.js';
import { type PhaseTotals, queryPhases } from '../src/query/phase-clock.js';
import { benchTables, generateTables, orderBy, prewarm } from './data/generate.js';
import { startBenchCluster, startBenchDaemon } from './lib/bench-cluster.js';
import { parseBenchOptions } from './lib/bench-options.js';
import { note, phase } from './lib/phase.js';
import { registerAndWait } from './lib/registration.js';
import { median } from './lib/stats.js';
import type { BenchQuery } from './queries/bench-query.js';
import { eventsQueries } from './queries/events-queries.js';
import { tpchQueries } from './queries/tpch-queries.js';

const usage = '[--rows 300000] [--runs 40] [--queries count,point_lookup,...] [--threads 2]';

const defaultQueries = ['count', 'point_lookup', 'one_hour', 'hourly_week', 'q6'];

type Breakdown = PhaseTotals & { rest: number; total: number };

/** One run through the daemon: its wall time and the engine's phases during it. */
async function profiled(daemon: Daemon, client: pg.Client, sql: string): Promise<Breakdown> {
  const before = daemon.queryEngine.phaseTotals;
  const started = performance.now();
  await client.query({ text: sql, rowMode: 'array' });
  const total = performance.now() - started;
  const after = daemon.queryEngine.phaseTotals;
  const phases = Object.fromEntries(queryPhases.map((p) => [p, after[p] - before[p]])) as PhaseTotals;
  const inEngine = queryPhases.reduce((sum, p) => sum + phases[p], 0);
  return { ...phases, rest: total - inEngine, total };
}

/** Per phase, the median over the runs (so the column medians need not add up to the total's). */
function medians(runs: readonly Breakdown[]): Breakdown {
  const keys = [...queryPhases, 'rest', 'total'] as const;
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))])) as Breakdown;
}

function means(runs: readonly Breakdown[]): Breakdown {
  const keys = [...queryPhases, 'rest', 'total'] as const;
  return Object.fromEntries(
    keys.map((k) => [k, runs.reduce((sum, r) => sum + r[k], 0) / runs.length]),
  ) as Breakdown;
}

async function timed(client: pg.Client, sql: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await client.query({ text: sql, rowMode: 'array' });
    times.push(performance.now() - started);
  }
  return median(times);
}

const header = `| query | run | ${queryPhases.join(' | ')} | rest (wire, server) | total ms | PostgreSQL ms | speed-up |`;

function row(name: string, run: string, b: Breakdown, postgresMs: number): string {
  const cells = [...queryPhases, 'rest', 'total'].map((k) => b[k as keyof Breakdown].toFixed(2));
  return `| ${name} | ${run} | ${cells.join(' | ')} | ${postgresMs.toFixed(2)} | ${(postgresMs / b.total).toFixed(2)}× |`;
}

export async function runOverhead(argv: readonly string[]): Promise<void> {
  const valued = ['queries', 'runs', 'rows', 'lineitem-rows', 'threads'];
  const { flags, unknown } = parseFlags([...argv], {
    ...Object.fromEntries(valued.map((name) => [name, { type: 'string' as const }])),
    overhead: { type: 'boolean' },
  });
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown.join(', ')}\nusage: npm run bench -- --overhead ${usage}`);
  const runs = Number(flags.get('runs') ?? 40);
  const names = (flags.get('queries') ?? defaultQueries.join(',')).split(',');
  const passOn = ['rows', 'lineitem-rows', 'threads'].flatMap((f) =>
    flags.has(f) ? [`--${f}`, flags.get(f)!] : [],
  );
  const options = parseBenchOptions(flags.has('rows') ? passOn : ['--rows', '300000', ...passOn]);
  const all = [...eventsQueries(options.rows), ...tpchQueries()];
  const queries = names.map((n) => {
    const q = all.find((c) => c.name === n);
    if (!q) throw new Error(`no bench query named ${n}; there are ${all.map((c) => c.name).join(', ')}`);
    return q;
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pga-bench-overhead-'));
  await chmod(dir, 0o711);
  const cluster = await phase('starting PostgreSQL', () => startBenchCluster(dir, options));
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  try {
    await generateTables(heap, options.rows, options.lineitemRows);
    const daemon = await phase('starting the daemon', () => startBenchDaemon(cluster, dir, options));
    try {
      for (const table of benchTables)
        await phase(`backfill ${table}`, () => registerAndWait(heap, heap, table, orderBy[table]));
      await prewarm(heap);
      await measure(daemon, cluster.clientConfig(), queries, runs);
    } finally {
      await daemon.close();
    }
  } finally {
    await heap.end();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(
  daemon: Daemon,
  config: pg.ClientConfig,
  queries: readonly BenchQuery[],
  runs: number,
): Promise<void> {
  const postgres = new pg.Client(config);
  const columnar = new pg.Client({ ...config, port: daemon.port });
  await postgres.connect();
  await columnar.connect();
  try {
    for (const c of [postgres, columnar]) await c.query("SET TimeZone = 'UTC'");
    const lines = [header, `|${'---|'.repeat(queryPhases.length + 7)}`];
    const noTable: BenchQuery = {
      set: 'events',
      name: 'SELECT 1 (no table)',
      description: '',
      sql: 'SELECT 1',
    };
    for (const q of [noTable, ...queries]) {
      await postgres.query(q.sql);
      const postgresMs = await timed(postgres, q.sql, runs);
      // The first run of the statement: its Describe, and maybe the table's view, are new.
      lines.push(row(q.name, 'first', await profiled(daemon, columnar, q.sql), postgresMs));
      const warm: Breakdown[] = [];
      for (let i = 0; i < runs; i++) warm.push(await profiled(daemon, columnar, q.sql));
      lines.push(row(q.name, `warm p50 of ${runs}`, medians(warm), postgresMs));
      // The mean shows what the median hides: a run now and then that waits (for the stream).
      lines.push(row(q.name, 'warm mean', means(warm), postgresMs));
      note(`  ${q.name}: ${medians(warm).total.toFixed(2)} ms (PostgreSQL ${postgresMs.toFixed(2)} ms)`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await columnar.end();
    await postgres.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runOverhead(process.argv.slice(2));
