/**
 * The catalog side of compaction: what a table's visible generation holds, and the swap of
 * old segments for new ones in one transaction. A swap commits only if every segment it
 * replaces is still there in the same generation: a refresh, a resync or a streamed TRUNCATE
 * that retired them first wins, and the compaction's output is discarded.
 */
import type pg from 'pg';
import type { ColumnSpec } from '../source/column-types.js';
import { insertSegment, type NewSegment, type TableMode } from './catalog.js';

export interface CatalogSegment {
  segmentId: number;
  kind: 'data' | 'delete';
  path: string;
  rowCount: number;
  byteSize: number;
}

export interface CompactionCandidate {
  relid: number;
  schemaName: string;
  tableName: string;
  mode: TableMode;
  generation: number;
  /** Every column of the spec, dropped ones included. */
  columns: ColumnSpec[];
  orderBy: string[];
  keyColumns: string[] | null;
  truncatedSeq: string | null;
  /** The pending analytica.compact_now() request, as exact text. */
  compactRequestedAt: string | null;
  segments: CatalogSegment[];
}

/** Registered tables with a visible copy in a state the stream or the copy keeps current. */
export async function listCompactionCandidates(client: pg.ClientBase): Promise<CompactionCandidate[]> {
  const { rows } = await client.query(
    `SELECT t.relid::bigint AS relid, t.schema_name, t.table_name, t.mode, t.generation::int AS generation,
            t.columns, t.order_by, t.key_columns, t.truncated_seq::text AS truncated_seq,
            to_char(t.compact_requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS compact_requested_at,
            coalesce((SELECT json_agg(json_build_object('segmentId', s.segment_id, 'kind', s.kind, 'path', s.path,
                                                        'rowCount', s.row_count, 'byteSize', s.byte_size)
                                      ORDER BY s.segment_id)
                        FROM analytica.segments s WHERE s.relid = t.relid AND s.generation = t.generation),
                     '[]') AS segments
       FROM analytica.tables t
      WHERE t.generation > 0 AND t.columns IS NOT NULL AND t.state = 'synced'
      ORDER BY t.relid`,
  );
  return rows.map((r) => ({
    relid: Number(r.relid),
    schemaName: r.schema_name,
    tableName: r.table_name,
    mode: r.mode,
    generation: r.generation,
    columns: r.columns,
    orderBy: r.order_by,
    keyColumns: r.key_columns,
    truncatedSeq: r.truncated_seq,
    compactRequestedAt: r.compact_requested_at,
    segments: (r.segments as CatalogSegment[]).map((s) => ({
      ...s,
      segmentId: Number(s.segmentId),
      rowCount: Number(s.rowCount),
      byteSize: Number(s.byteSize),
    })),
  }));
}

export interface SegmentSwap {
  relid: number;
  generation: number;
  /** Segment ids replaced. */
  removed: readonly number[];
  added: readonly NewSegment[];
}

/**
 * Replaces `removed` by `added` in one transaction on `client` (not in a transaction yet).
 * Returns false, changing nothing, when a segment to replace is gone or the generation moved on.
 */
export async function swapSegments(client: pg.ClientBase, swap: SegmentSwap): Promise<boolean> {
  await client.query('BEGIN');
  try {
    // The table row's lock orders the swap with flushes and publications of the same table.
    const current = await client.query(
      'SELECT 1 FROM analytica.tables WHERE relid = $1 AND generation = $2 FOR UPDATE',
      [swap.relid, swap.generation],
    );
    const removed =
      current.rowCount === 1
        ? await client.query(
            'DELETE FROM analytica.segments WHERE relid = $1 AND generation = $2 AND segment_id = ANY($3::bigint[])',
            [swap.relid, swap.generation, swap.removed],
          )
        : undefined;
    if (removed?.rowCount !== swap.removed.length) {
      await client.query('ROLLBACK');
      return false;
    }
    for (const segment of swap.added) await insertSegment(client, segment);
    await client.query(
      `UPDATE analytica.tables t
          SET version = t.version + 1, last_compaction_at = now(),
              bytes = coalesce((SELECT sum(byte_size) FROM analytica.segments s
                                 WHERE s.relid = t.relid AND s.generation = t.generation), 0)
        WHERE relid = $1`,
      [swap.relid],
    );
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Clears an analytica.compact_now() request once answered, unless a newer one came in. */
export async function finishCompactionRequest(
  client: pg.ClientBase,
  relid: number,
  requestedAt: string,
): Promise<void> {
  await client.query(
    `UPDATE analytica.tables SET compact_requested_at = NULL
      WHERE relid = $1 AND compact_requested_at <= $2::timestamptz`,
    [relid, requestedAt],
  );
}
