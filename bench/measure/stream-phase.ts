/**
 * The change-stream part of `npm run bench`: a table of its own (`stream_events`),
 * registered and streamed; the apply rate of one large INSERT and one large
 * UPDATE against pg_recvlogical, then commit-to-visible latency under load.
 */
import type pg from 'pg';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { note } from '../lib/phase.js';
import type { BenchReport } from '../report/bench-report.js';
import {
  applyStatements,
  findRecvlogical,
  measureApply,
  measureVisibilityLatency,
  streamTableSql,
} from './stream-workload.js';

const table = 'stream_events';

export async function runStreamPhase(options: {
  cluster: LocalCluster;
  heap: pg.Client;
  columnar: pg.Client;
  rows: number;
  loadSeconds: number;
  loadRowsPerSecond: number;
}): Promise<BenchReport['stream']> {
  const { cluster, heap, columnar, rows } = options;
  await heap.query(streamTableSql(table));
  await heap.query('SELECT analytica.register_table($1)', [table]);
  await heap.query(`SELECT analytica.wait_for_sync($1, interval '10 minutes')`, [table]);
  const recvlogicalProgram = await findRecvlogical();
  if (!recvlogicalProgram) note('  pg_recvlogical not found: the apply rate is shown without its ceiling');
  const apply = [];
  for (const { label, sql } of applyStatements(table, rows)) {
    const measured = await measureApply({
      cluster,
      heap,
      columnar,
      table,
      label,
      sql,
      rows,
      recvlogicalProgram,
    });
    note(`  ${label} of ${rows} rows visible ${measured.applySeconds.toFixed(2)} s after its commit`);
    apply.push(measured);
  }
  const latency = await measureVisibilityLatency({
    cluster,
    columnar,
    table,
    firstId: rows + 1,
    rowsPerSecond: options.loadRowsPerSecond,
    seconds: options.loadSeconds,
  });
  note(
    `  commit → visible under load: p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms`,
  );
  return { apply, latency };
}
