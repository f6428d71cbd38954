/**
 * The rows of one SELECT running in DuckDB, converted to PostgreSQL's text
 * format chunk by chunk as they are read. It owns a DuckDB connection and the
 * views the query reads, so a cursor fetched over minutes still reads the
 * snapshot it was declared on; close() gives both back.
 */
import type { DuckDBConnection, DuckDBResult, DuckDBType } from '@duckdb/node-api';
import { PgError, SqlState } from '../errors.js';
import { translateDuckDbError } from './duckdb-errors.js';
import type { ResultColumn, RowStream, TextRow } from './engine-types.js';
import type { ColumnFormatter as Formatter } from './pg-text-format.js';

export interface ColumnOutput {
  readonly columns: readonly ResultColumn[];
  readonly formatters: readonly Formatter[];
}

export interface DuckDbRowStreamOptions {
  readonly connection: DuckDBConnection;
  readonly sql: string;
  /** Starts the statement (again, for a rewind); default: the connection streams `sql`. */
  readonly start?: () => Promise<DuckDBResult>;
  /** The RowDescription and a text formatter per column, from DuckDB's result columns. */
  readonly describe: (names: readonly string[], types: readonly DuckDBType[]) => ColumnOutput;
  /** Gives back the connection (reusable only when `finished`) and the views. */
  readonly release: (finished: boolean) => Promise<void>;
  /** Called with a DuckDB error before it is translated (for the debug log). */
  readonly onError?: (error: unknown) => void;
}

export class DuckDbRowStream implements RowStream {
  readonly columns: readonly ResultColumn[];
  readonly #options: DuckDbRowStreamOptions;
  readonly #formatters: readonly Formatter[];
  #result: DuckDBResult;
  /** Rows of the last chunk not yet handed out. */
  #pending: TextRow[] = [];
  #ended = false;
  #closed = false;

  private constructor(options: DuckDbRowStreamOptions, result: DuckDBResult) {
    const output = options.describe(result.columnNames(), result.columnTypes());
    this.columns = output.columns;
    this.#formatters = output.formatters;
    this.#options = options;
    this.#result = result;
  }

  /** Starts the query; on failure the caller still owns (and releases) what it passed in. */
  static async open(options: DuckDbRowStreamOptions): Promise<DuckDbRowStream> {
    return new DuckDbRowStream(options, await startOf(options)());
  }

  async read(maxRows: number, signal?: AbortSignal): Promise<TextRow[]> {
    if (this.#closed) throw new PgError(SqlState.invalidCursorState, 'the query result is already closed');
    const wanted = maxRows > 0 ? maxRows : Number.POSITIVE_INFINITY;
    const rows: TextRow[] = [];
    const interrupt = () => this.#options.connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      while (rows.length < wanted) {
        if (this.#pending.length === 0 && !(await this.#fetch(signal))) break;
        const take = Math.min(wanted - rows.length, this.#pending.length);
        for (const row of this.#pending.splice(0, take)) rows.push(row);
      }
      return rows;
    } finally {
      signal?.removeEventListener('abort', interrupt);
    }
  }

  async rewind(): Promise<void> {
    this.#pending = [];
    this.#ended = false;
    try {
      this.#result = await startOf(this.#options)();
    } catch (error) {
      throw this.#translate(error, undefined);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    await this.#options.release(this.#ended);
  }

  /** Reads one more chunk into #pending; false at the end. */
  async #fetch(signal: AbortSignal | undefined): Promise<boolean> {
    if (this.#ended) return false;
    signal?.throwIfAborted();
    let chunk: Awaited<ReturnType<DuckDBResult['fetchChunk']>>;
    try {
      chunk = await this.#result.fetchChunk();
    } catch (error) {
      throw this.#translate(error, signal);
    }
    if (!chunk || chunk.rowCount === 0) {
      this.#ended = true;
      return false;
    }
    const formatters = this.#formatters;
    this.#pending = chunk.getRows().map((row) => row.map((value, i) => formatters[i]!(value)));
    return true;
  }

  #translate(error: unknown, signal: AbortSignal | undefined): PgError {
    if (signal?.aborted)
      return new PgError(SqlState.queryCanceled, 'canceling statement due to user request');
    this.#options.onError?.(error);
    return translateDuckDbError(error);
  }
}

function startOf(options: DuckDbRowStreamOptions): () => Promise<DuckDBResult> {
  return options.start ?? (() => options.connection.stream(options.sql));
}
