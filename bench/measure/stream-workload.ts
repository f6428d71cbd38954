/**
 * The change-stream measurements shared by `bench/stream.ts` and `bench/run.ts`,
 * on a table of their own (so the tables queried by the benchmark stay as
 * generated):
 * - apply rate: one large transaction, from its commit until a query through
 *   the query server sees it, against pg_recvlogical receiving the same
 *   transaction from a slot of its own into /dev/null (decoding and sending,
 *   nothing applied: the ceiling);
 * - commit-to-visible latency under a steady write load: a probe commits a row
 *   and queries it through the query server, which waits for the stream to
 *   reach the moment the query started.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { resolvePostgresBinaries } from '../../src/cluster/postgres-binaries.js';
import { percentile, seconds } from '../lib/stats.js';

export function streamTableSql(table: string): string {
  return `CREATE TABLE ${table} (id bigint PRIMARY KEY, ts timestamptz NOT NULL, kind text NOT NULL,
                                 amount numeric(12,2), payload text)`;
}

/** The two large transactions whose apply rate is measured: `rows` inserted, then all of them updated. */
export function applyStatements(table: string, rows: number): { label: 'insert' | 'update'; sql: string }[] {
  return [
    {
      label: 'insert',
      sql: `INSERT INTO ${table} SELECT g, '2026-01-01'::timestamptz + g * interval '1 second', 'kind ' || (g % 17),
                                        g % 100000 / 100.0, md5(g::text) FROM generate_series(1, ${rows}) g`,
    },
    { label: 'update', sql: `UPDATE ${table} SET amount = amount + 1, kind = 'updated'` },
  ];
}

export interface ApplyRate {
  label: string;
  rows: number;
  statementSeconds: number;
  /** From the statement's commit until a query through the query server sees it. */
  applySeconds: number;
  /** pg_recvlogical receiving the same transaction; NaN without pg_recvlogical. */
  recvlogicalSeconds: number;
}

/** pg_recvlogical from --recvlogical, the PostgreSQL binaries in use, or the system's. */
export async function findRecvlogical(explicit?: string): Promise<string | undefined> {
  const candidates = [
    explicit,
    path.join((await resolvePostgresBinaries(undefined, false)).binDir, 'pg_recvlogical'),
    ...['17', '16', '15'].map((v) => `/usr/lib/postgresql/${v}/bin/pg_recvlogical`),
  ];
  for (const candidate of candidates) {
    const usable = candidate
      ? await access(candidate, constants.X_OK).then(
          () => true,
          () => false,
        )
      : false;
    if (usable) return candidate;
  }
  return undefined;
}

/** pg_recvlogical from an existing slot until `endLsn`; returns seconds from start to exit. */
async function recvlogical(
  cluster: LocalCluster,
  program: string,
  slot: string,
  endLsn: string,
): Promise<number> {
  const started = performance.now();
  const args = ['-d', cluster.connectionString(), '--slot', slot, '--start', '--endpos', endLsn];
  args.push('-o', 'proto_version=1', '-o', 'publication_names=pg_analytica', '-f', '/dev/null', '--no-loop');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pg_recvlogical exited with ${code}`)),
    );
  });
  return seconds(started);
}

/**
 * Runs `sql` on the heap, then a query through the query server (which waits
 * until the stream applied it), then pg_recvlogical over the same WAL.
 */
export async function measureApply(options: {
  cluster: LocalCluster;
  heap: pg.Client;
  columnar: pg.Client;
  table: string;
  label: string;
  sql: string;
  rows: number;
  recvlogicalProgram: string | undefined;
}): Promise<ApplyRate> {
  const { heap, columnar, label } = options;
  // A slot of pg_recvlogical's own, positioned before the transaction.
  const slot = `bench_recv_${label}`;
  await heap.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  try {
    const started = performance.now();
    await heap.query(options.sql);
    const committed = performance.now();
    const { rows: lsn } = await heap.query('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await columnar.query(`SELECT count(*) FROM ${options.table}`);
    const applySeconds = seconds(committed);
    const recvlogicalSeconds = options.recvlogicalProgram
      ? await recvlogical(options.cluster, options.recvlogicalProgram, slot, lsn[0].lsn)
      : Number.NaN;
    const statementSeconds = (committed - started) / 1000;
    return { label, rows: options.rows, statementSeconds, applySeconds, recvlogicalSeconds };
  } finally {
    await heap.query('SELECT pg_drop_replication_slot($1)', [slot]);
  }
}

export interface VisibilityLatency {
  rowsPerSecond: number;
  seconds: number;
  probes: number;
  p50Ms: number;
  p99Ms: number;
  /** The next free id after the load. */
  nextId: number;
}

/**
 * A writer commits `rowsPerSecond` rows (100 transactions a second) into
 * `table` while a probe commits one row at a time and queries it through the
 * query server; each probe's latency is from its commit to its answer.
 */
export async function measureVisibilityLatency(options: {
  cluster: LocalCluster;
  columnar: pg.Client;
  table: string;
  firstId: number;
  rowsPerSecond: number;
  seconds: number;
  onProbe?: () => void;
}): Promise<VisibilityLatency> {
  const { table, columnar } = options;
  const writer = new pg.Client(options.cluster.clientConfig());
  const probe = new pg.Client(options.cluster.clientConfig());
  await writer.connect();
  await probe.connect();
  let nextId = options.firstId;
  let stop = false;
  const perTransaction = Math.max(1, Math.round(options.rowsPerSecond / 100));
  const writing = (async () => {
    const begin = performance.now();
    for (let sent = 1; !stop; sent++) {
      const first = nextId;
      nextId += perTransaction;
      await writer.query(
        `INSERT INTO ${table} SELECT g, now(), 'load', 1, 'x' FROM generate_series($1::bigint, $2::bigint) g`,
        [first, first + perTransaction - 1],
      );
      const ahead = sent * 10 - (performance.now() - begin);
      if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
    }
  })();
  const latencies: number[] = [];
  try {
    const deadline = performance.now() + options.seconds * 1000;
    while (performance.now() < deadline) {
      const id = nextId++;
      await probe.query(`INSERT INTO ${table} VALUES ($1, now(), 'probe', 0, NULL)`, [id]);
      const committedAt = performance.now();
      const { rows } = await columnar.query(`SELECT count(*) AS n FROM ${table} WHERE id = $1`, [id]);
      latencies.push(performance.now() - committedAt);
      if (String(rows[0].n) !== '1') throw new Error(`probe ${id} not visible after its commit`);
      options.onProbe?.();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    stop = true;
    await writing;
    await writer.end();
    await probe.end();
  }
  return {
    rowsPerSecond: options.rowsPerSecond,
    seconds: options.seconds,
    probes: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    nextId,
  };
}
