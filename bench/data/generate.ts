/** Creates and fills every benchmark table in PostgreSQL, then leaves them as a user would: vacuumed, analyzed, checkpointed. */
import type pg from 'pg';
import { note, phase } from '../lib/phase.js';
import { formatCount } from '../lib/stats.js';
import { eventsSql, eventsTables } from './events.js';
import { tpchScale, tpchSql, tpchTables } from './tpch.js';

export const benchTables = [...eventsTables, ...tpchTables] as const;

/** The copy's sort order per table: time for the facts, the primary key (the default) for the rest. */
export const orderBy: Partial<Record<(typeof benchTables)[number], string[]>> = {
  events: ['ts'],
  orders: ['o_orderdate'],
  lineitem: ['l_shipdate'],
};

export async function generateTables(heap: pg.Client, rows: number, lineitemRows: number): Promise<void> {
  await phase(`generating events (${formatCount(rows)} rows)`, () => heap.query(eventsSql(rows)));
  const scale = tpchScale(lineitemRows);
  await phase(
    `generating TPC-H tables (${formatCount(scale.orders)} orders, ~${formatCount(scale.orders * 4)} lineitem rows)`,
    () => heap.query(tpchSql(lineitemRows)),
  );
  await phase('VACUUM ANALYZE, CHECKPOINT', async () => {
    for (const table of benchTables) await heap.query(`VACUUM ANALYZE ${table}`);
    await heap.query('CHECKPOINT');
  });
}

/** Loads every table and index into shared_buffers (see bench-cluster.ts for why a warm-up query is not enough). */
export async function prewarm(heap: pg.Client): Promise<void> {
  await heap.query('CREATE EXTENSION IF NOT EXISTS pg_prewarm');
  const { rows } = await heap.query<{ blocks: string }>(
    `SELECT sum(pg_prewarm(c.oid)) AS blocks FROM pg_class c
      WHERE c.oid IN (SELECT unnest($1::regclass[]) UNION SELECT indexrelid FROM pg_index WHERE indrelid = ANY ($1::regclass[]))`,
    [benchTables],
  );
  note(`  ${formatCount((Number(rows[0]?.blocks) * 8192) / 1048576)} MiB loaded into shared_buffers`);
}
