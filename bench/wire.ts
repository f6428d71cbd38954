/**
 * `npm run bench:wire`: the wire protocol and postgres_fdw, side by side in one run.
 *
 *   npm run bench:wire                      # 10 M-row aggregate, 1 M-row fetch, 5,000 SELECT 1: ~10 min on 2 cores
 *   npm run bench:wire -- --quick           # small sizes, to check that everything runs and answers right
 *
 * a. `SELECT 1` round trips over one connection (simple, extended, prepared) against
 *    PostgreSQL on loopback and against the daemon, which runs as its own process;
 * b. a whole table read through postgres_fdw (every row and column fetched, then
 *    aggregated locally) from the daemon (columnar.events_fetch) and from PostgreSQL
 *    itself (a loopback postgres_fdw server), with the local heap scan as reference;
 * c. a GROUP BY aggregate on the heap (prewarmed, parallel workers as in `npm run bench`),
 *    through the loopback server, through columnar.events and straight on the daemon.
 *
 * Every answer must equal the heap's text; a wrong answer exits 1, a timing never does.
 * Writes bench/results/wire-<rows>-rows.{json,md} and prints the Markdown on stdout.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { eventsSql } from './data/events.js';
import { startBenchCluster, tunedSettings } from './lib/bench-cluster.js';
import { DaemonProcess } from './lib/daemon-process.js';
import { note, phase } from './lib/phase.js';
import { registerAndWait } from './lib/registration.js';
import { formatCount } from './lib/stats.js';
import { parseWireOptions, type WireOptions } from './lib/wire-options.js';
import {
  createLoopbackServer,
  loopbackSchema,
  type ReadRun,
  type ReadTarget,
  timeReads,
} from './measure/fdw-reads.js';
import { measureRoundTrips } from './measure/round-trip.js';
import { type WireReport, wireMarkdown } from './report/wire-report.js';

const aggregateTable = 'events';
const fetchTable = 'events_fetch';

/** Every row and column crosses the wire: OFFSET 0 keeps the subquery (and its whole-row use) from being flattened. */
const fetchStatement = (relation: string) =>
  `SELECT count(*) AS n, sum(length(t::text)) AS text_bytes, sum(hashtext(t::text)::bigint) AS checksum
     FROM (SELECT * FROM ${relation} OFFSET 0) t`;

/**
 * avg is rounded as in `npm run bench`'s queries: the daemon's avg(integer) is not PostgreSQL's
 * exact numeric in the last digit (e.g. …347194 for …347193), which would fail the answer check.
 */
const aggregateStatement = (relation: string) =>
  `SELECT country, count(*) AS n, sum(revenue) AS revenue, round(avg(duration_ms), 2) AS avg_ms
     FROM ${relation} GROUP BY country ORDER BY country`;

async function prepareTables(heap: pg.Client, options: WireOptions): Promise<void> {
  for (const [table, rows] of [
    [aggregateTable, options.rows],
    [fetchTable, options.fetchRows],
  ] as const)
    await phase(`generating ${table} (${formatCount(rows)} rows)`, () => heap.query(eventsSql(rows, table)));
  await phase('VACUUM ANALYZE, CHECKPOINT', async () => {
    await heap.query(`VACUUM ANALYZE ${aggregateTable}, ${fetchTable}`);
    await heap.query('CHECKPOINT');
  });
}

async function prewarm(heap: pg.Client): Promise<void> {
  await heap.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  const tables = [aggregateTable, fetchTable];
  await heap.query(
    `SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
      WHERE c.oid IN (SELECT unnest($1::regclass[]) UNION SELECT indexrelid FROM pg_index WHERE indrelid = ANY ($1::regclass[]))`,
    [tables],
  );
}

function readTargets(
  cluster: LocalCluster,
  daemon: DaemonProcess,
  table: string,
  direct: boolean,
): ReadTarget[] {
  const config = cluster.clientConfig();
  const targets: ReadTarget[] = [
    {
      id: 'heap',
      label: `heap \`public.${table}\`, no fdw`,
      config,
      relation: `public.${table}`,
      explain: true,
    },
    {
      id: 'loopbackFdw',
      label: `postgres_fdw → PostgreSQL (loopback) \`${loopbackSchema}.${table}\``,
      config,
      relation: `${loopbackSchema}.${table}`,
      explain: true,
    },
    {
      id: 'columnarFdw',
      label: `postgres_fdw → pg_analytica \`columnar.${table}\``,
      config,
      relation: `columnar.${table}`,
      explain: true,
    },
  ];
  if (direct)
    targets.push({
      id: 'daemon',
      label: 'pg_analytica directly (node-postgres, no fdw)',
      config: { ...config, port: daemon.port },
      relation: table,
      explain: false,
    });
  return targets;
}

/** The fetch is only a fetch if postgres_fdw ships a plain scan: no aggregate may run remotely. */
function fetchPlanProblems(runs: readonly ReadRun[]): string[] {
  return runs.flatMap((run) => {
    if (run.target === 'heap' || !run.plan) return [];
    const remote = run.plan.remoteSql;
    const plain = remote.length === 1 && !/\b(count|sum|length|hashtext)\(/.test(remote[0]!);
    return plain && run.plan.relations.length === 0
      ? []
      : [`fetch on ${run.target} is not a plain remote scan: ${JSON.stringify(run.plan)}`];
  });
}

async function runWire(options: WireOptions): Promise<WireReport> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pga-bench-wire-'));
  await chmod(dir, 0o711);
  const sizing = { rows: options.rows + options.fetchRows, lineitemRows: 0 };
  const loadAverage: Record<string, number> = { start: os.loadavg()[0]! };
  const cluster = await phase('starting PostgreSQL', () => startBenchCluster(dir, sizing));
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  let daemon: DaemonProcess | undefined;
  try {
    const startedAt = new Date().toISOString();
    await prepareTables(heap, options);
    const dataDir = path.join(dir, 'data');
    daemon = await phase('starting the daemon (own process)', () =>
      DaemonProcess.start(cluster, { dataDir, threads: options.threads }),
    );
    await createForeignServer(heap, { host: daemon.host, port: daemon.port });
    await createUserMapping(heap, cluster.user, cluster.password);
    const watcher = new pg.Client(cluster.clientConfig());
    await watcher.connect();
    try {
      for (const table of [aggregateTable, fetchTable])
        await phase(`backfill ${table}`, () => registerAndWait(heap, watcher, table, ['ts']));
    } finally {
      await watcher.end();
    }
    await createLoopbackServer(heap, cluster, [aggregateTable, fetchTable]);
    await phase('pg_prewarm', () => prewarm(heap));

    loadAverage.roundTrips = os.loadavg()[0]!;
    const roundTrips = await phase(`a. SELECT 1 round trips (${formatCount(options.queries)} per row)`, () =>
      measureRoundTrips(
        [
          { id: 'postgres', label: 'PostgreSQL', config: cluster.clientConfig() },
          { id: 'daemon', label: 'pg_analytica', config: { ...cluster.clientConfig(), port: daemon!.port } },
        ],
        { queries: options.queries, warmup: 500, rounds: 5 },
      ),
    );
    loadAverage.fetch = os.loadavg()[0]!;
    const fetchRuns = await phase(`b. ${formatCount(options.fetchRows)} rows through postgres_fdw`, () =>
      timeReads(readTargets(cluster, daemon!, fetchTable, false), fetchStatement, options.repetitions),
    );
    loadAverage.aggregate = os.loadavg()[0]!;
    const aggregateRuns = await phase(`c. aggregate over ${formatCount(options.rows)} rows`, () =>
      timeReads(readTargets(cluster, daemon!, aggregateTable, true), aggregateStatement, options.repetitions),
    );
    loadAverage.end = os.loadavg()[0]!;
    const wrong = [...fetchRuns, ...aggregateRuns]
      .filter((r) => r.check === 'wrong')
      .map((r) => `${r.label}: ${r.difference}`);
    const { rows } = await heap.query<{ v: string }>(
      `SELECT 'PostgreSQL ' || current_setting('server_version') AS v`,
    );
    return {
      startedAt,
      options: {
        rows: options.rows,
        fetchRows: options.fetchRows,
        queries: options.queries,
        repetitions: options.repetitions,
        quick: options.quick,
      },
      machine: {
        cpus: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        postgres: rows[0]!.v,
        postgresSettings: tunedSettings(sizing),
        loadAverage,
      },
      roundTrips,
      fetch: { rows: options.fetchRows, statement: fetchStatement('<table>'), runs: fetchRuns },
      aggregate: { rows: options.rows, statement: aggregateStatement('<table>'), runs: aggregateRuns },
      failures: [...wrong, ...fetchPlanProblems(fetchRuns)],
    };
  } finally {
    await heap.end();
    await daemon?.close();
    await cluster.close();
    if (options.keep) note(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

try {
  const options = parseWireOptions(process.argv.slice(2));
  const report = await runWire(options);
  await mkdir(options.outDir, { recursive: true });
  const base = path.join(options.outDir, `wire-${options.rows}-rows`);
  const markdown = wireMarkdown(report);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  process.stdout.write(markdown);
  note(`wrote ${base}.json, ${base}.md`);
  for (const failure of report.failures) note(`FAILED: ${failure}`);
  process.exitCode = report.failures.length > 0 ? 1 : 0;
} catch (error) {
  process.stderr.write(
    `bench:wire: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 2;
}
