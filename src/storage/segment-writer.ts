/**
 * Turns one chunk of PostgreSQL COPY text (tab-separated, \\N for NULL,
 * backslash escapes) into one sorted, ZSTD-compressed
 * Parquet segment, through a DuckDB instance of its own (the query engine's
 * instance is locked down and cannot write files). Also computes the per-column
 * min/max kept in the catalog.
 */
import { stat, unlink } from 'node:fs/promises';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { openDuckDb } from '../query/duckdb-instance.js';
import type { IngestColumn } from '../source/column-types.js';
import { quoteIdent, quoteLiteral } from '../source/column-types.js';
import { readChunkSql, withLongLines } from './chunk-files.js';
import { publishFile } from './durable-file.js';
import { parquetCopyOptions } from './parquet-format.js';
import { readSegmentStats, type SegmentStats } from './segment-stats.js';

export interface SegmentWriterOptions {
  threads: number;
  memoryLimit: string;
}

export interface WrittenSegment extends SegmentStats {
  byteSize: number;
}

export class SegmentWriter {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance;
    this.#connection = connection;
  }

  static async create(options: SegmentWriterOptions): Promise<SegmentWriter> {
    const { instance, connection } = await openDuckDb(options);
    return new SegmentWriter(instance, connection);
  }

  /** Writes `csvFile` (PostgreSQL CSV of `columns`) sorted by `orderBy` to `target`, durably. */
  async write(
    csvFile: string | readonly string[],
    columns: readonly IngestColumn[],
    orderBy: readonly string[],
    target: string,
  ): Promise<WrittenSegment> {
    const order =
      orderBy.length > 0
        ? ` ORDER BY ${orderBy.map((c) => `${quoteIdent(c)} ASC NULLS LAST`).join(', ')}`
        : '';
    const temporary = `${target}.tmp`;
    try {
      // One pass: parse, convert, sort, compress. No intermediate table.
      await withLongLines((maxLineBytes) =>
        this.#connection.run(
          `COPY (${readChunkSql(csvFile, columns, maxLineBytes)}${order})
           TO ${quoteLiteral(temporary)} (${parquetCopyOptions})`,
        ),
      );
      const stats = await readSegmentStats(this.#connection, temporary, columns);
      await publishFile(temporary, target);
      return { ...stats, byteSize: (await stat(target)).size };
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw conversionError(error, columns);
    }
  }

  /** Runs one statement on the writer's DuckDB (which may read and write files) and returns its rows. */
  async query(sql: string): Promise<unknown[][]> {
    const reader = await this.#connection.runAndReadAll(sql);
    return reader.getRows();
  }

  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * DuckDB names the failing field by its CSV position ("c3") and quotes the
 * whole line; say which column and value could not be stored instead.
 */
function conversionError(error: unknown, columns: readonly IngestColumn[]): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const match = /converting column "c(\d+)"\. Could not convert string "([^"]*)" to '([^']+)'/.exec(message);
  const column = match ? columns[Number(match[1])] : undefined;
  if (!match || !column) return error;
  const hint =
    column.storageType.startsWith('DECIMAL') && /^[+-]?(NaN|Infinity)$/i.test(match[2]!)
      ? `; ${column.pgType} stores it, DECIMAL cannot: remove such values or change the column to double precision or unconstrained numeric`
      : '';
  return new Error(
    `column ${quoteIdent(column.name)} (${column.pgType}) has the value "${match[2]}", which cannot be stored as ${column.storageType}${hint}`,
    { cause: error },
  );
}
