/**
 * Chunk files of streamed changes, as the delta and the segment writer read them. A chunk is
 * COPY text (what the stream writes for every change) or, when an update's unchanged TOASTed
 * values had to be taken from the copy, Parquet written by DuckDB with the resolved values in
 * their storage types (see workers/unchanged-values.ts): turning them back into COPY text would
 * need the inverse of every type's load expression.
 */
import { stat } from 'node:fs/promises';
import type { IngestColumn } from '../source/column-types.js';
import { quoteIdent, quoteLiteral, readCopyTextSql } from '../source/column-types.js';

export const resolvedChunkSuffix = '.parquet';

export function isResolvedChunk(file: string): boolean {
  return file.endsWith(resolvedChunkSuffix);
}

/** DuckDB SELECT of chunk files (COPY text, Parquet or both) as `columns`, in that order. */
export function readChunkSql(
  file: string | readonly string[],
  columns: readonly IngestColumn[],
  maxLineBytes?: number,
): string {
  const files = typeof file === 'string' ? [file] : file;
  const text = files.filter((f) => !isResolvedChunk(f));
  const resolved = files.filter(isResolvedChunk);
  if (resolved.length === 0) return readCopyTextSql(file, columns, maxLineBytes);
  const select = columns.map(
    (c) => `CAST(${quoteIdent(c.name)} AS ${c.storageType}) AS ${quoteIdent(c.name)}`,
  );
  const parquet = `SELECT ${select.join(', ')} FROM read_parquet([${resolved.map(quoteLiteral).join(', ')}])`;
  return text.length === 0 ? parquet : `${readCopyTextSql(text, columns, maxLineBytes)} UNION ALL ${parquet}`;
}

/**
 * A bound on the longest line of COPY text files: the largest file, twice over (a row of a
 * multi-megabyte value is one line; DuckDB refuses lines past 2,000,000 bytes unless told).
 */
export async function longestLineBound(file: string | readonly string[]): Promise<number> {
  const files = (typeof file === 'string' ? [file] : file).filter((f) => !isResolvedChunk(f));
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return 2 * Math.max(0, ...sizes) + 2;
}

const lineTooLong = /Maximum line size of \d+ bytes exceeded\. Actual Size:\s*(\d+) bytes/;

/**
 * Runs a read of COPY text (outside any transaction: it may run again) with DuckDB's default
 * line limit, and again with a higher one while a line is longer: files of a copy can be large,
 * and a bound from their size would make DuckDB's read buffers as large.
 */
export async function withLongLines<T>(read: (maxLineBytes?: number) => Promise<T>): Promise<T> {
  let maxLineBytes: number | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      return await read(maxLineBytes);
    } catch (error) {
      const match = lineTooLong.exec(error instanceof Error ? error.message : String(error));
      if (!match || attempt >= 8) throw error;
      maxLineBytes = Math.max(2 * Number(match[1]), 2 * (maxLineBytes ?? 0));
    }
  }
}
