/**
 * Storage of each table: bytes of the copy's visible segments (data and
 * delete) against PostgreSQL's heap, its indexes and TOAST
 * (pg_total_relation_size), and the heap alone.
 */
import type pg from 'pg';

export interface StorageSize {
  table: string;
  segments: number;
  segmentBytes: number;
  heapBytes: number;
  totalRelationBytes: number;
}

export async function measureStorage(catalog: pg.Client, tables: readonly string[]): Promise<StorageSize[]> {
  const { rows } = await catalog.query<{
    table: string;
    segments: string;
    segment_bytes: string;
    heap_bytes: string;
    total_bytes: string;
  }>(
    `SELECT x.name AS table, count(s.segment_id) AS segments, coalesce(sum(s.byte_size), 0) AS segment_bytes,
            pg_table_size(x.name::regclass) AS heap_bytes, pg_total_relation_size(x.name::regclass) AS total_bytes
       FROM unnest($1::text[]) WITH ORDINALITY AS x(name, ord)
       JOIN analytica.tables t ON t.relid = x.name::regclass
       LEFT JOIN analytica.segments s ON s.relid = t.relid AND s.generation = t.generation
      GROUP BY x.name, x.ord ORDER BY x.ord`,
    [tables],
  );
  return rows.map((r) => ({
    table: r.table,
    segments: Number(r.segments),
    segmentBytes: Number(r.segment_bytes),
    heapBytes: Number(r.heap_bytes),
    totalRelationBytes: Number(r.total_bytes),
  }));
}
