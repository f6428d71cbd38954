/**
 * Turns one chunk of PostgreSQL COPY text (tab-separated, \\N for NULL,
 * backslash escapes) into one sorted, ZSTD-compressed
 * Parquet segment, through a DuckDB instance of its own (the query engine's
 * instance is locked down and cannot write files). Also computes the per-column
 * min/max kept in the catalog.
 */
import { stat, unlink } from 'node:fs/promises';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { IngestColumn } from '../source/column-types.js';
import { quoteIdent, quoteLiteral } from '../source/column-types.js';
import { publishFile } from './durable-file.js';

export interface SegmentWriterOptions {
  threads: number;
  memoryLimit: string;
}

export interface WrittenSegment {
  rowCount: number;
  byteSize: number;
  columnStats: Record<string, { min: string | null; max: string | null }>;
}

/** Row groups of 122,880 rows: DuckDB's vector-aligned default, and the unit of its min/max pruning. */
const rowGroupSize = 122_880;

export class SegmentWriter {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance;
    this.#connection = connection;
  }

  static async create(options: SegmentWriterOptions): Promise<SegmentWriter> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads),
      memory_limit: options.memoryLimit,
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    return new SegmentWriter(instance, connection);
  }

  /** Writes `csvFile` (PostgreSQL CSV of `columns`) sorted by `orderBy` to `target`, durably. */
  async write(
    csvFile: string,
    columns: readonly IngestColumn[],
    orderBy: readonly string[],
    target: string,
  ): Promise<WrittenSegment> {
    const fields = columns.map((_, i) => `c${i}`);
    const csvColumns = columns
      .map((c, i) => `${quoteLiteral(fields[i]!)}: ${quoteLiteral(c.csvType)}`)
      .join(', ');
    const select = columns
      .map((c, i) => `${c.load(quoteIdent(fields[i]!))} AS ${quoteIdent(c.name)}`)
      .join(', ');
    const order =
      orderBy.length > 0
        ? ` ORDER BY ${orderBy.map((c) => `${quoteIdent(c)} ASC NULLS LAST`).join(', ')}`
        : '';
    const temporary = `${target}.tmp`;
    try {
      // One pass: parse, convert, sort, compress. No intermediate table.
      await this.#connection.run(
        `COPY (SELECT ${select} FROM read_csv(${quoteLiteral(csvFile)}, columns = {${csvColumns}},
           header = false, auto_detect = false, delim = '\t', quote = '', escape = '', nullstr = '\\N')${order})
         TO ${quoteLiteral(temporary)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupSize})`,
      );
      const stats = await this.#stats(temporary, columns);
      await publishFile(temporary, target);
      return { ...stats, byteSize: (await stat(target)).size };
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw conversionError(error, columns);
    }
  }

  /** Row count and per-column min/max, read back from the written file (exact, and cheap next to the write). */
  async #stats(file: string, columns: readonly IngestColumn[]): Promise<Omit<WrittenSegment, 'byteSize'>> {
    const ranged = columns.filter(
      (c) => !c.storageType.endsWith('[]') && c.storageType !== 'BLOB' && !c.storageType.startsWith('STRUCT'),
    );
    const parts = ['count(*)::VARCHAR'];
    for (const c of ranged)
      parts.push(`min(${quoteIdent(c.name)})::VARCHAR`, `max(${quoteIdent(c.name)})::VARCHAR`);
    const reader = await this.#connection.runAndReadAll(
      `SELECT ${parts.join(', ')} FROM read_parquet(${quoteLiteral(file)})`,
    );
    const row = reader.getRows()[0] ?? [];
    const columnStats: WrittenSegment['columnStats'] = {};
    ranged.forEach((c, i) => {
      columnStats[c.name] = {
        min: (row[1 + 2 * i] as string | null) ?? null,
        max: (row[2 + 2 * i] as string | null) ?? null,
      };
    });
    return { rowCount: Number(row[0] ?? 0), columnStats };
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
