/**
 * Quoting and position helpers shared by the SQL front end. Everything the
 * rewriter emits that came from a client passes through quoteIdent or
 * quoteLiteral, so no client text is ever spliced into DuckDB SQL raw.
 */

/** Always quotes, doubling embedded quotes: safe for any identifier, including keywords. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A standard-conforming string literal. DuckDB, like PostgreSQL with
 * standard_conforming_strings=on, treats backslashes in '…' literally, so
 * doubling the quote is the only escape needed.
 */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The parser reports locations as byte offsets into the UTF-8 text, while
 * PostgreSQL reports positions to clients as 1-based character counts.
 */
export function charPosition(text: string, byteOffset: number): number | undefined {
  if (byteOffset < 0) return undefined;
  return Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').length + 1;
}

/** Slices UTF-8 text by byte offsets (statement boundaries come as bytes). */
export function sliceBytes(text: string, start: number, end?: number): string {
  return Buffer.from(text, 'utf8').subarray(start, end).toString('utf8');
}

/**
 * Starts the message of an error() the rewritten SQL raises at run time for a
 * construct only its argument types rule out; duckdb-errors.ts turns it into 0A000.
 */
export const unsupportedMarker = 'pg_analytica does not support ';
