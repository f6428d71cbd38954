/**
 * Casts between date/time types where DuckDB differs: timestamp and
 * timestamptz to time. PostgreSQL gives NULL for ±infinity (timestamp_time)
 * where DuckDB fails, and takes a timestamptz's time of day in the session
 * TimeZone, which DuckDB only does through the local timestamp.
 */
import type { PgType } from '../typing/pg-types.js';

/** DuckDB SQL for `value::target`, or undefined when DuckDB's own cast means the same. */
export function emitDateTimeCast(
  emit: () => string,
  source: PgType | undefined,
  target: string,
): string | undefined {
  if (target !== 'time' || (source?.name !== 'timestamp' && source?.name !== 'timestamptz')) return undefined;
  const value = emit();
  if (source.name === 'timestamp')
    return `(CASE WHEN isinf(${value}) THEN NULL ELSE CAST(${value} AS TIME) END)`;
  return `(CASE WHEN isinf(${value}) THEN NULL ELSE CAST(CAST(${value} AS TIMESTAMP) AS TIME) END)`;
}
