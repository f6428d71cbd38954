/**
 * The DuckDB work of compaction, in an instance of its own (bounded memory, spilling to the
 * data directory), so that merging never competes with the query engine's connections or
 * the writer the copy and the stream flush through.
 *
 * Streamed tables keep every row version with `_pga_seq` (the change's LSN) and delete
 * segments of (key, `_pga_seq`): a version is gone when a delete of its key has a higher
 * sequence. Merging applies those deletes, so the merged segment holds only live versions,
 * still with their sequences (a delete flushed later must still find them).
 */
import { mkdir, stat, unlink } from 'node:fs/promises';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { openDuckDb } from '../query/duckdb-instance.js';
import { quoteIdent, quoteLiteral } from '../source/column-types.js';
import { publishFile } from './durable-file.js';
import { parquetCopyOptions } from './parquet-format.js';
import { readSegmentStats, type StoredColumn } from './segment-stats.js';
import type { WrittenSegment } from './segment-writer.js';

export interface SegmentMergerOptions {
  threads: number;
  memoryLimit: string;
  /** Where sorts larger than the memory limit spill (inside the data directory). */
  spillDirectory: string;
}

/** What the segments of a streamed table carry beyond the columns. */
export interface StreamedLayout {
  /** Key columns by stored name: deletes match on them. */
  keyColumns: readonly string[];
  /** Versions with a lower sequence were removed by a TRUNCATE. */
  truncatedSeq: bigint;
}

export interface MergeInput {
  /** Data segments (absolute paths). */
  inputs: readonly string[];
  /** Delete segments applied to them (streamed tables; absolute paths). */
  deletes: readonly string[];
  /** Today's live columns, by stored name and stored type. */
  columns: readonly StoredColumn[];
  /** Sort columns by stored name. */
  orderBy: readonly string[];
  stream: StreamedLayout | undefined;
}

const sequenceColumns: readonly StoredColumn[] = [
  { name: '_pga_seq', storageType: 'BIGINT' },
  { name: '_pga_commit', storageType: 'BIGINT' },
];

export class SegmentMerger {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance;
    this.#connection = connection;
  }

  static async create(options: SegmentMergerOptions): Promise<SegmentMerger> {
    await mkdir(options.spillDirectory, { recursive: true });
    const { instance, connection } = await openDuckDb(options);
    await connection.run(`SET temp_directory = ${quoteLiteral(options.spillDirectory)}`);
    // Merged rows need no particular order from the scan: the ORDER BY sorts them.
    await connection.run('SET preserve_insertion_order = false');
    return new SegmentMerger(instance, connection);
  }

  /**
   * Writes the live rows of `input` sorted by its order to `target`, durably; returns its
   * statistics (rowCount 0 when every row was deleted: the file is then removed).
   */
  async merge(input: MergeInput, target: string): Promise<WrittenSegment> {
    const columns = [...input.columns, ...(input.stream ? sequenceColumns : [])];
    // A column added after every input was written is in none of them: NULL (read by name, an
    // input lacking a column reads NULL only when another input has it).
    const present = await this.#columnsIn(input.inputs);
    const typed = columns.map((c) => {
      const value = present.has(c.name) ? `d.${quoteIdent(c.name)}` : 'NULL';
      return `CAST(${value} AS ${c.storageType}) AS ${quoteIdent(c.name)}`;
    });
    let sql = `SELECT ${typed.join(', ')} FROM ${readParquet(input.inputs, true)} d`;
    if (input.stream) {
      if (input.deletes.length > 0)
        sql += ` ANTI JOIN (${deleteKeys(input.deletes, input.stream)}) x ON ${supersedes(input.stream, 'x', 'd')}`;
      sql += ` WHERE d._pga_seq >= ${input.stream.truncatedSeq}`;
    }
    if (input.orderBy.length > 0)
      sql += ` ORDER BY ${input.orderBy.map((c) => `${quoteIdent(c)} ASC NULLS LAST`).join(', ')}`;
    return this.#write(sql, columns, target);
  }

  /** The names of the top-level columns any of the files has. */
  async #columnsIn(files: readonly string[]): Promise<Set<string>> {
    const result = await this.#connection.runAndReadAll(`DESCRIBE SELECT * FROM ${readParquet(files, true)}`);
    return new Set(result.getRows().map(([name]) => String(name)));
  }

  /**
   * Per data segment, how many of its row versions the deletes remove: which segments are
   * worth rewriting. Reads only the key and sequence columns.
   */
  async deadRows(
    inputs: readonly string[],
    deletes: readonly string[],
    stream: StreamedLayout,
  ): Promise<Map<string, number>> {
    if (inputs.length === 0 || deletes.length === 0) return new Map();
    const keys = [...stream.keyColumns, '_pga_seq'].map((k) => `d.${quoteIdent(k)}`).join(', ');
    const reader = readParquet(inputs, true, true);
    const result = await this.#connection.runAndReadAll(
      `SELECT filename, count(*)::BIGINT FROM (SELECT ${keys}, filename FROM ${reader} d) d
        SEMI JOIN (${deleteKeys(deletes, stream)}) x ON ${supersedes(stream, 'x', 'd')}
        GROUP BY filename`,
    );
    return new Map(result.getRows().map(([file, count]) => [String(file), Number(count)]));
  }

  /**
   * One delete segment in place of `deletes`: per key only the highest sequence (it hides
   * everything the lower ones did), and only keys that still hide a version in `remaining`,
   * the data segments the deletes were not applied to. Deletes cannot hide versions flushed
   * after them: for one key, PostgreSQL orders the changes, so later versions have higher
   * sequences. Returns rowCount 0 (and writes no file) when no delete is still needed.
   */
  async consolidateDeletes(
    deletes: readonly string[],
    remaining: readonly string[],
    stream: StreamedLayout,
    target: string,
  ): Promise<WrittenSegment | undefined> {
    if (remaining.length === 0) return undefined;
    const keys = stream.keyColumns.map((k) => `x.${quoteIdent(k)}`).join(', ');
    const versions = [...stream.keyColumns, '_pga_seq'].map(quoteIdent).join(', ');
    const sql = `SELECT ${keys}, max(x._pga_seq) AS _pga_seq, max(x._pga_commit) AS _pga_commit
                   FROM ${readParquet(deletes, false)} x
                   SEMI JOIN (SELECT ${versions} FROM ${readParquet(remaining, true)}) d
                     ON ${supersedes(stream, 'x', 'd')}
                  GROUP BY ${keys} ORDER BY ${keys}`;
    // Delete segments need no statistics: they are never skipped.
    return this.#write(sql, [], target);
  }

  /** COPY of `sql` to `target` through a fsynced temporary file; statistics of `statsColumns`. */
  async #write(sql: string, statsColumns: readonly StoredColumn[], target: string): Promise<WrittenSegment> {
    const temporary = `${target}.tmp`;
    try {
      await this.#connection.run(`COPY (${sql}) TO ${quoteLiteral(temporary)} (${parquetCopyOptions})`);
      const stats = await readSegmentStats(this.#connection, temporary, statsColumns);
      if (stats.rowCount === 0) {
        await unlink(temporary);
        return { ...stats, byteSize: 0 };
      }
      await publishFile(temporary, target);
      return { ...stats, byteSize: (await stat(target)).size };
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Older segments of a streamed table may lack columns added since: read by name, missing ones NULL. */
function readParquet(files: readonly string[], byName: boolean, withFilename = false): string {
  const options = [byName ? 'union_by_name = true' : '', withFilename ? 'filename = true' : ''].filter(
    Boolean,
  );
  return `read_parquet([${files.map(quoteLiteral).join(', ')}]${options.map((o) => `, ${o}`).join('')})`;
}

function deleteKeys(deletes: readonly string[], stream: StreamedLayout): string {
  const columns = [...stream.keyColumns, '_pga_seq', '_pga_commit'].map(quoteIdent).join(', ');
  return `SELECT ${columns} FROM ${readParquet(deletes, false)}`;
}

/** The delete `x` removes the version `d`: same key, higher sequence. */
function supersedes(stream: StreamedLayout, x: string, d: string): string {
  const sameKey = stream.keyColumns.map((k) => `${x}.${quoteIdent(k)} = ${d}.${quoteIdent(k)}`);
  return [...sameKey, `${x}._pga_seq > ${d}._pga_seq`].join(' AND ');
}
