/**
 * A segment's row count and per-column min/max and null count, read from its
 * Parquet footer (row-group statistics): no second scan of the data. The
 * catalog keeps them so whole segments can be skipped before the engine opens
 * them (see src/query/segment-pruner.ts).
 *
 * Format of analytica.segments.column_stats, keyed by stored column name:
 * `{"min": text|null, "max": text|null, "nulls": number|null}`, where min and
 * max are DuckDB's VARCHAR casts of values of the column's storage type and
 * null means "unknown" (or, for min/max, "no value"). Segments written before
 * null counts were kept have no "nulls" key, which readers treat as unknown.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSpec } from '../source/column-types.js';
import { quoteLiteral } from '../source/column-types.js';

/** What statistics need of a column: its name in the file and its stored type. */
export type StoredColumn = Pick<ColumnSpec, 'name' | 'storageType'>;

export interface ColumnStatistics {
  min: string | null;
  max: string | null;
  /** NULLs in the column; null when a row group's footer does not say. */
  nulls: number | null;
}

export interface SegmentStats {
  rowCount: number;
  columnStats: Record<string, ColumnStatistics>;
}

/** Statistics are strings in the footer, so each is cast back to its column's type before taking the min and max. */
export async function readSegmentStats(
  connection: DuckDBConnection,
  file: string,
  columns: readonly StoredColumn[],
): Promise<SegmentStats> {
  const ranged = columns.filter(hasRangeStatistics);
  const rows = await connection.runAndReadAll(
    `SELECT num_rows::VARCHAR FROM parquet_file_metadata(${quoteLiteral(file)})`,
  );
  const parts = ranged.flatMap(statisticsSql);
  const row =
    parts.length === 0
      ? []
      : ((
          await connection.runAndReadAll(
            `SELECT ${parts.join(', ')} FROM parquet_metadata(${quoteLiteral(file)})`,
          )
        ).getRows()[0] ?? []);
  const columnStats: SegmentStats['columnStats'] = {};
  ranged.forEach((c, i) => {
    const [min, max, nulls] = row.slice(3 * i, 3 * i + 3) as (string | null)[];
    columnStats[c.name] = { min: min ?? null, max: max ?? null, nulls: nulls == null ? null : Number(nulls) };
  });
  return { rowCount: Number(rows.getRows()[0]?.[0] ?? 0), columnStats };
}

/**
 * min, max and null count of one column over the row groups, as VARCHAR. A row group holding
 * values but lacking a bound (a writer may leave out statistics, e.g. of strings it cannot
 * truncate, and a value may fail to cast back) makes the segment's bound unknown rather than
 * wrong: min() and max() would otherwise skip it. Truncated bounds (min_is_exact false) are
 * still bounds, as the Parquet format requires of writers.
 */
function statisticsSql(column: StoredColumn): string[] {
  const here = `path_in_schema = ${quoteLiteral(column.name)}`;
  const min = `TRY_CAST(stats_min_value AS ${column.storageType})`;
  const max = `TRY_CAST(stats_max_value AS ${column.storageType})`;
  const holdsValues = 'coalesce(stats_null_count <> num_values, true)';
  const unbounded = `count(*) FILTER (WHERE ${here} AND (${min} IS NULL OR ${max} IS NULL) AND ${holdsValues}) > 0`;
  const nullsUnknown = `count(*) FILTER (WHERE ${here} AND stats_null_count IS NULL) > 0`;
  return [
    `CASE WHEN ${unbounded} THEN NULL ELSE min(${min}) FILTER (WHERE ${here}) END::VARCHAR`,
    `CASE WHEN ${unbounded} THEN NULL ELSE max(${max}) FILTER (WHERE ${here}) END::VARCHAR`,
    `CASE WHEN ${nullsUnknown} THEN NULL ELSE sum(stats_null_count) FILTER (WHERE ${here}) END::VARCHAR`,
  ];
}

/**
 * Columns whose min/max the catalog keeps. Not lists, blobs or intervals, and
 * not floats: Parquet statistics leave NaN out, while PostgreSQL orders NaN
 * above every number, so a float range could wrongly exclude a segment.
 */
export function hasRangeStatistics(column: StoredColumn): boolean {
  const type = column.storageType;
  return !type.endsWith('[]') && !['BLOB', 'FLOAT', 'DOUBLE'].includes(type) && !type.startsWith('STRUCT');
}
