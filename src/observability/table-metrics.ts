/**
 * The per-table gauges: every figure of analytica.status, labelled by database
 * and table, set from one reading of the view (see DaemonMetrics).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TableStatus, TableStatusFigures } from '../catalog/table-status.js';

/** Metric name and help of each numeric column of analytica.status. */
export const tableFigureMetrics = {
  rows: ['pg_analytica_table_rows', 'Rows in the columnar copy (analytica.status.rows)'],
  bytes: ['pg_analytica_table_bytes', 'Bytes of the columnar copy on disk (analytica.status.bytes)'],
  sourceBytes: ['pg_analytica_table_source_bytes', 'Size of the source heap table (source_bytes)'],
  segments: ['pg_analytica_table_segments', 'Data segments of the copy (segments)'],
  deleteSegments: ['pg_analytica_table_delete_segments', 'Delete segments of the copy (delete_segments)'],
  copyRowsDone: [
    'pg_analytica_table_copy_rows_done',
    'Rows copied so far by the running copy (progress_rows)',
  ],
  copyRowsTotal: [
    'pg_analytica_table_copy_rows_estimated',
    'Rows the running copy expects to copy (progress_total_rows)',
  ],
  syncedLsn: ['pg_analytica_table_synced_lsn', 'Watermark of the copy as a WAL byte position (synced_lsn)'],
  lagBytes: [
    'pg_analytica_table_lag_bytes',
    'WAL the copy is behind the source, streamed tables (lag_bytes)',
  ],
  lagSeconds: [
    'pg_analytica_table_lag_seconds',
    'Seconds since the copy was last known current; 0 when it holds every committed change (lag_seconds)',
  ],
  slotRetainedBytes: [
    'pg_analytica_table_slot_retained_bytes',
    'WAL the replication slot holds back (slot_retained_bytes)',
  ],
  slotRetainedLimitBytes: [
    'pg_analytica_table_slot_retained_limit_bytes',
    'analytica.max_retained_wal: retained WAL above it is warned about (slot_retained_limit_bytes)',
  ],
  lastSyncTimestampSeconds: [
    'pg_analytica_table_last_sync_timestamp_seconds',
    'When the copy last synced, Unix time (last_sync_at)',
  ],
  lastSyncDurationSeconds: [
    'pg_analytica_table_last_sync_duration_seconds',
    'How long the last sync took (last_sync_ms / 1000)',
  ],
  lastCompactionTimestampSeconds: [
    'pg_analytica_table_last_compaction_timestamp_seconds',
    'When the copy was last compacted, Unix time (last_compaction_at)',
  ],
  lastErrorTimestampSeconds: [
    'pg_analytica_table_last_error_timestamp_seconds',
    'When the last error was recorded, Unix time (last_error_at)',
  ],
  recopyRequestedTimestampSeconds: [
    'pg_analytica_table_recopy_requested_timestamp_seconds',
    'When the daemon last asked for a re-copy of the table itself, Unix time (recopy_requested_at; the reason is recopy_reason)',
  ],
  recopiedTimestampSeconds: [
    'pg_analytica_table_recopied_timestamp_seconds',
    'When that re-copy was published, Unix time (recopied_at)',
  ],
} as const satisfies Record<keyof TableStatusFigures, readonly [string, string]>;

/** Every state analytica.tables.state may take (its CHECK constraint). */
export const tableStates = ['pending', 'backfilling', 'synced', 'refreshing', 'paused', 'error'] as const;

type FigureName = keyof TableStatusFigures;

export class TableMetrics {
  readonly #figures: Map<FigureName, Gauge<'database' | 'table'>>;
  readonly #state: Gauge<'database' | 'table' | 'state'>;
  readonly #error: Gauge<'database' | 'table'>;
  readonly #info: Gauge<'database' | 'table' | 'mode' | 'relid' | 'slot_wal_status'>;
  /** The tables of the last reading of analytica.status, which the live counters label. */
  #tables: ReadonlyMap<string, readonly TableStatus[]> = new Map();

  /** `applied` gives the changes the stream applied to a table (by relid) so far, read when scraped. */
  constructor(
    registry: Registry,
    applied: (database: string, relid: number) => number | undefined = () => undefined,
  ) {
    const registers = [registry];
    const tables = () => this.#tables;
    this.#figures = new Map(
      (Object.entries(tableFigureMetrics) as [FigureName, readonly [string, string]][]).map(
        ([key, [name, help]]) => [
          key,
          new Gauge({ name, help, labelNames: ['database', 'table'], registers }),
        ],
      ),
    );
    this.#state = new Gauge({
      name: 'pg_analytica_table_state',
      help: 'State of the copy: 1 for its current state, 0 for the others (analytica.status.state)',
      labelNames: ['database', 'table', 'state'],
      registers,
    });
    this.#error = new Gauge({
      name: 'pg_analytica_table_error',
      help: '1 while the table has a last_error in analytica.status, else 0',
      labelNames: ['database', 'table'],
      registers,
    });
    new Counter({
      name: 'pg_analytica_table_applied_changes_total',
      help: 'Changes of committed transactions applied to the table from the change stream since the daemon started',
      labelNames: ['database', 'table'],
      registers,
      collect() {
        this.reset();
        for (const [database, statuses] of tables())
          for (const status of statuses) {
            const changes = applied(database, status.relid);
            if (changes !== undefined) this.inc({ database, table: status.table }, changes);
          }
      },
    });
    this.#info = new Gauge({
      name: 'pg_analytica_table_info',
      help: 'Always 1; labels say how the table is synced (mode), its source oid and the slot wal_status',
      labelNames: ['database', 'table', 'mode', 'relid', 'slot_wal_status'],
      registers,
    });
  }

  /** Replaces every table series with those of `byDatabase` (a table gone from the view disappears). */
  set(byDatabase: ReadonlyMap<string, readonly TableStatus[]>): void {
    this.#tables = byDatabase;
    for (const gauge of this.#figures.values()) gauge.reset();
    this.#state.reset();
    this.#error.reset();
    this.#info.reset();
    for (const [database, tables] of byDatabase) {
      for (const status of tables) this.#setTable(database, status);
    }
  }

  #setTable(database: string, status: TableStatus): void {
    const labels = { database, table: status.table };
    for (const [key, gauge] of this.#figures) {
      const value = status.figures[key];
      if (value !== null) gauge.set(labels, value);
    }
    for (const state of tableStates) this.#state.set({ ...labels, state }, state === status.state ? 1 : 0);
    this.#error.set(labels, status.hasError ? 1 : 0);
    this.#info.set(
      {
        ...labels,
        mode: status.mode,
        relid: String(status.relid),
        slot_wal_status: status.slotWalStatus ?? '',
      },
      1,
    );
  }
}
