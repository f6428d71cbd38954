/**
 * A segment's row count and per-column min/max, read from its Parquet footer
 * (row-group statistics): no second scan of the data. The catalog keeps them so
 * whole segments can be skipped before the engine opens them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSpec } from '../source/column-types.js';

/** What statistics need of a column: its name in the file and its stored type. */
export type StoredColumn = Pick<ColumnSpec, 'name' | 'storageType'>;

import { quoteLiteral } from '../source/column-types.js';

export interface SegmentStats {
  rowCount: number;
  columnStats: Record<string, { min: string | null; max: string | null }>;
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
  const parts = ranged.flatMap((c) => {
    const of = (field: string) =>
      `CASE WHEN path_in_schema = ${quoteLiteral(c.name)} THEN TRY_CAST(${field} AS ${c.storageType}) END`;
    return [`min(${of('stats_min_value')})::VARCHAR`, `max(${of('stats_max_value')})::VARCHAR`];
  });
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
    columnStats[c.name] = {
      min: (row[2 * i] as string | null) ?? null,
      max: (row[2 * i + 1] as string | null) ?? null,
    };
  });
  return { rowCount: Number(rows.getRows()[0]?.[0] ?? 0), columnStats };
}

/**
 * Columns whose min/max the catalog keeps. Not lists, blobs or intervals, and
 * not floats: Parquet statistics leave NaN out, while PostgreSQL orders NaN
 * above every number, so a float range could wrongly exclude a segment.
 */
function hasRangeStatistics(column: StoredColumn): boolean {
  const type = column.storageType;
  return !type.endsWith('[]') && !['BLOB', 'FLOAT', 'DOUBLE'].includes(type) && !type.startsWith('STRUCT');
}
