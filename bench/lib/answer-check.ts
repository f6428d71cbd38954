/**
 * Answers are checked against PostgreSQL's in the same run.
 * - The query server must return exactly PostgreSQL's rows, text for text and
 *   in order (every query orders its result fully): that is its contract.
 * - DuckDB alone prints values its own way (timestamps, decimals, doubles), so
 *   its rows are checked for count, and cell by cell where both sides are
 *   numbers (relative tolerance 1e-9) or plain text; timestamps and dates are
 *   compared on their date part.
 */
import type { TextRow } from '../targets/query-target.js';

/** undefined when equal, else what differs first. */
export function exactDifference(
  expected: readonly TextRow[],
  actual: readonly TextRow[],
): string | undefined {
  if (expected.length !== actual.length)
    return `${actual.length} rows instead of ${expected.length}; first rows: ${preview(actual)} vs PostgreSQL ${preview(expected)}`;
  for (let i = 0; i < expected.length; i++) {
    const [e, a] = [JSON.stringify(expected[i]), JSON.stringify(actual[i])];
    if (e !== a) return `row ${i + 1}: ${a} instead of PostgreSQL's ${e}`;
  }
  return undefined;
}

const numeric = /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i;
const datePrefix = /^\d{4}-\d{2}-\d{2}/;

function sameCell(expected: string | null, actual: string | null): boolean {
  if (expected === null || actual === null) return expected === actual;
  if (numeric.test(expected) && numeric.test(actual)) {
    const [e, a] = [Number(expected), Number(actual)];
    return Math.abs(e - a) <= 1e-9 * Math.max(1, Math.abs(e));
  }
  if (datePrefix.test(expected)) return expected.slice(0, 10) === actual.slice(0, 10);
  return expected === actual;
}

export function toleranceDifference(
  expected: readonly TextRow[],
  actual: readonly TextRow[],
): string | undefined {
  if (expected.length !== actual.length) return `${actual.length} rows instead of ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const [e, a] = [expected[i]!, actual[i]!];
    if (e.length !== a.length || e.some((cell, j) => !sameCell(cell, a[j] ?? null)))
      return `row ${i + 1}: ${JSON.stringify(a)} instead of PostgreSQL's ${JSON.stringify(e)}`;
  }
  return undefined;
}

function preview(rows: readonly TextRow[]): string {
  return JSON.stringify(rows.slice(0, 2));
}
