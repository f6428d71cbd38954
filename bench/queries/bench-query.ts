/**
 * One benchmark query. The same text runs on PostgreSQL, on the query server
 * and on DuckDB (the ceiling); `duckdbSql` exists only for a query whose
 * PostgreSQL text means something else in DuckDB. Every query orders its
 * result fully, so rows compare in order, and rounds what floating point
 * could make differ in the last digits.
 */
export interface BenchQuery {
  set: 'events' | 'tpch';
  name: string;
  /** What the query exercises, for the report. */
  description: string;
  sql: string;
  duckdbSql?: string;
}
