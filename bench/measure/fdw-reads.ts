/**
 * Reads through postgres_fdw, timed side by side: the same statement on the
 * heap, on a loopback postgres_fdw server pointing at this very PostgreSQL,
 * on the columnar.* foreign table (postgres_fdw to the daemon), and where it
 * makes sense straight on the daemon. Each answer must equal the heap's text;
 * each plan is kept, so the report shows what was shipped to the remote side.
 */
import pg from 'pg';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { exactDifference } from '../lib/answer-check.js';
import { median } from '../lib/stats.js';
import { type FdwPlan, parsePlan } from '../targets/columnar-fdw-target.js';
import type { TextRow } from '../targets/query-target.js';

export const loopbackServer = 'pga_bench_loopback';
export const loopbackSchema = 'loopback';

/** A place a statement runs: a connection and the name the table has there. */
export interface ReadTarget {
  id: string;
  label: string;
  config: pg.ClientConfig;
  relation: string;
  /** Whether EXPLAIN VERBOSE runs there (the daemon's EXPLAIN is its own, without Remote SQL). */
  explain: boolean;
}

export interface ReadRun {
  target: string;
  label: string;
  sql: string;
  medianMs: number;
  minMs: number;
  runsMs: number[];
  answer: TextRow[];
  /** 'reference' for the heap; the others must equal its text. */
  check: 'reference' | 'match' | 'wrong';
  difference?: string;
  plan?: FdwPlan;
}

const rawText = { getTypeParser: () => (value: string) => value };

/**
 * A postgres_fdw server on this PostgreSQL itself with the same options as
 * the pg_analytica server (fetch_size 10000, use_remote_estimate), and the
 * given tables imported into the `loopback` schema.
 */
export async function createLoopbackServer(
  heap: pg.Client,
  cluster: LocalCluster,
  tables: readonly string[],
): Promise<void> {
  const lit = (s: string) => heap.escapeLiteral(s);
  await heap.query('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
  await heap.query(
    `CREATE SERVER ${loopbackServer} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ${lit(cluster.host)},
       port ${lit(String(cluster.port))}, dbname 'postgres', fetch_size '10000', use_remote_estimate 'true')`,
  );
  await heap.query(
    `CREATE USER MAPPING FOR ${heap.escapeIdentifier(cluster.user)} SERVER ${loopbackServer}
       OPTIONS (user ${lit(cluster.user)}, password ${lit(cluster.password)})`,
  );
  await heap.query(`CREATE SCHEMA ${loopbackSchema}`);
  await heap.query(
    `IMPORT FOREIGN SCHEMA public LIMIT TO (${tables.join(', ')}) FROM SERVER ${loopbackServer} INTO ${loopbackSchema}`,
  );
}

async function connect(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...config, types: rawText, application_name: 'pg_analytica bench wire' });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'");
  return client;
}

async function timed(client: pg.Client, sql: string): Promise<{ ms: number; rows: TextRow[] }> {
  const started = performance.now();
  const { rows } = await client.query<TextRow>({ text: sql, rowMode: 'array' });
  return { ms: performance.now() - started, rows };
}

/**
 * One warm-up per target, then `repetitions` rounds in which every target
 * runs once (round-robin, so load from elsewhere falls on all alike). The
 * first target is the reference whose answer the others must equal.
 */
export async function timeReads(
  targets: readonly ReadTarget[],
  statement: (relation: string) => string,
  repetitions: number,
): Promise<ReadRun[]> {
  const clients: pg.Client[] = [];
  try {
    for (const target of targets) clients.push(await connect(target.config));
    const runs: ReadRun[] = [];
    for (const [i, target] of targets.entries()) {
      const client = clients[i]!;
      const sql = statement(target.relation);
      const plan = target.explain ? await explainOn(client, sql) : undefined;
      const { rows } = await timed(client, sql);
      runs.push({
        target: target.id,
        label: target.label,
        sql,
        medianMs: 0,
        minMs: 0,
        runsMs: [],
        answer: rows,
        check: 'reference',
        ...(plan ? { plan } : {}),
      });
    }
    for (let r = 0; r < repetitions; r++)
      for (const [i, run] of runs.entries()) {
        const { ms, rows } = await timed(clients[i]!, run.sql);
        run.runsMs.push(ms);
        run.answer = rows;
      }
    const reference = runs[0]!.answer;
    for (const run of runs) {
      run.medianMs = median(run.runsMs);
      run.minMs = Math.min(...run.runsMs);
      if (run === runs[0]) continue;
      const difference = exactDifference(reference, run.answer);
      run.check = difference ? 'wrong' : 'match';
      if (difference) run.difference = difference;
    }
    return runs;
  } finally {
    for (const client of clients) await client.end();
  }
}

async function explainOn(client: pg.Client, sql: string): Promise<FdwPlan> {
  const { rows } = await client.query<TextRow>({
    text: `EXPLAIN (VERBOSE, COSTS off, SUMMARY) ${sql}`,
    rowMode: 'array',
  });
  return parsePlan(rows.map((row) => String(row[0])));
}
