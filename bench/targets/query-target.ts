/**
 * Where a benchmark query runs: PostgreSQL on the heap, the query server, the
 * columnar.* foreign tables, or DuckDB alone. Every target answers with rows
 * of text (null for NULL) so answers compare across targets.
 */
export type TextRow = (string | null)[];

export type TargetId = 'postgres' | 'daemon' | 'columnarFdw' | 'duckdbNative' | 'duckdbParquet';

export interface QueryTarget {
  readonly id: TargetId;
  /** Runs `sql` and returns every row; throws what the engine reports. */
  run(sql: string): Promise<TextRow[]>;
  close(): Promise<void>;
}

/** A target this build cannot measure, and why: shown as "n/a" with the reason as a footnote. */
export interface UnavailableTarget {
  readonly id: TargetId;
  readonly unavailable: string;
}

export const targetLabels: Record<TargetId, string> = {
  postgres: 'PostgreSQL heap',
  daemon: 'pg_analytica',
  columnarFdw: 'columnar.* via postgres_fdw',
  duckdbNative: 'DuckDB native',
  duckdbParquet: 'DuckDB Parquet',
};
