/**
 * The figures of analytica.status, read as the metrics endpoint exports them:
 * the same view, so that what a DBA sees in psql and in Prometheus agree.
 * Numbers come as float8 (a metric's value); an LSN as its byte position.
 */
import type pg from 'pg';

/** Numeric columns of analytica.status, by metric-friendly name; null where the view has NULL. */
export interface TableStatusFigures {
  rows: number | null;
  bytes: number | null;
  sourceBytes: number | null;
  segments: number | null;
  deleteSegments: number | null;
  copyRowsDone: number | null;
  copyRowsTotal: number | null;
  syncedLsn: number | null;
  lagBytes: number | null;
  lagSeconds: number | null;
  slotRetainedBytes: number | null;
  slotRetainedLimitBytes: number | null;
  lastSyncTimestampSeconds: number | null;
  lastSyncDurationSeconds: number | null;
  lastCompactionTimestampSeconds: number | null;
  lastErrorTimestampSeconds: number | null;
  recopyRequestedTimestampSeconds: number | null;
  recopiedTimestampSeconds: number | null;
}

export interface TableStatus {
  table: string;
  relid: number;
  mode: string;
  state: string;
  /** True while last_error is set. */
  hasError: boolean;
  /** analytica.status.last_error: the message of the error the table's worker last recorded. */
  lastError: string | null;
  /** Why the daemon last copied the table again by itself (a partition or schema change). */
  recopyReason: string | null;
  slotWalStatus: string | null;
  figures: TableStatusFigures;
}

/** Every analytica.status row the connection's role may see. */
export async function readTableStatus(client: pg.ClientBase | pg.Pool): Promise<TableStatus[]> {
  const { rows } = await client.query<Record<string, string | number | boolean | null>>(
    `SELECT table_name, relid::bigint::float8 AS relid, mode, state, last_error IS NOT NULL AS has_error,
            last_error, recopy_reason,
            slot_wal_status,
            rows::float8 AS rows, bytes::float8 AS bytes, source_bytes::float8 AS source_bytes,
            segments::float8 AS segments, delete_segments::float8 AS delete_segments,
            progress_rows::float8 AS copy_rows_done, progress_total_rows::float8 AS copy_rows_total,
            pg_wal_lsn_diff(synced_lsn, '0/0')::float8 AS synced_lsn,
            lag_bytes::float8 AS lag_bytes, lag_seconds::float8 AS lag_seconds,
            slot_retained_bytes::float8 AS slot_retained_bytes,
            slot_retained_limit_bytes::float8 AS slot_retained_limit_bytes,
            extract(epoch FROM last_sync_at)::float8 AS last_sync_timestamp_seconds,
            (last_sync_ms / 1000.0)::float8 AS last_sync_duration_seconds,
            extract(epoch FROM last_compaction_at)::float8 AS last_compaction_timestamp_seconds,
            extract(epoch FROM last_error_at)::float8 AS last_error_timestamp_seconds,
            extract(epoch FROM recopy_requested_at)::float8 AS recopy_requested_timestamp_seconds,
            extract(epoch FROM recopied_at)::float8 AS recopied_timestamp_seconds
       FROM analytica.status ORDER BY table_name`,
  );
  return rows.map((row) => {
    const figure = (name: string) => (row[name] === null ? null : Number(row[name]));
    return {
      table: String(row.table_name),
      relid: Number(row.relid),
      mode: String(row.mode),
      state: String(row.state),
      hasError: row.has_error === true,
      lastError: row.last_error === null ? null : String(row.last_error),
      recopyReason: row.recopy_reason === null ? null : String(row.recopy_reason),
      slotWalStatus: row.slot_wal_status === null ? null : String(row.slot_wal_status),
      figures: {
        rows: figure('rows'),
        bytes: figure('bytes'),
        sourceBytes: figure('source_bytes'),
        segments: figure('segments'),
        deleteSegments: figure('delete_segments'),
        copyRowsDone: figure('copy_rows_done'),
        copyRowsTotal: figure('copy_rows_total'),
        syncedLsn: figure('synced_lsn'),
        lagBytes: figure('lag_bytes'),
        lagSeconds: figure('lag_seconds'),
        slotRetainedBytes: figure('slot_retained_bytes'),
        slotRetainedLimitBytes: figure('slot_retained_limit_bytes'),
        lastSyncTimestampSeconds: figure('last_sync_timestamp_seconds'),
        lastSyncDurationSeconds: figure('last_sync_duration_seconds'),
        lastCompactionTimestampSeconds: figure('last_compaction_timestamp_seconds'),
        lastErrorTimestampSeconds: figure('last_error_timestamp_seconds'),
        recopyRequestedTimestampSeconds: figure('recopy_requested_timestamp_seconds'),
        recopiedTimestampSeconds: figure('recopied_timestamp_seconds'),
      },
    };
  });
}
