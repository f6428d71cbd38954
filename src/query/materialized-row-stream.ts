/** A RowStream over rows already in memory (catalog answers, SHOW, tests' executors). */
import type { QueryResult, RowStream, TextRow } from './engine-types.js';

export function materializedRowStream(result: QueryResult): RowStream {
  let next = 0;
  return {
    columns: result.columns,
    async read(maxRows: number): Promise<TextRow[]> {
      const end = maxRows > 0 ? Math.min(result.rows.length, next + maxRows) : result.rows.length;
      const rows = result.rows.slice(next, end);
      next = end;
      return rows;
    },
    async rewind(): Promise<void> {
      next = 0;
    },
    async close(): Promise<void> {},
  };
}
