/**
 * The rows of a catalog query, read from the source in batches through a
 * server-side cursor of the query's read-only transaction:
 *
 *   DECLARE pg_analytica_catalog NO SCROLL CURSOR FOR <statement>
 *   FETCH <n> FROM pg_analytica_catalog     (again as the client reads)
 *
 * so a result of any length costs the daemon one batch at a time, and a
 * client that reads slowly holds back the source instead of filling memory
 * (PostgreSQL keeps the cursor's position, not its rows). A batch is sized
 * from the widest rows seen so far; the connection's byte budget (see
 * catalog-client.ts) fails a batch that still grows past its bound with 54000.
 * A result that ends within the first batch gives its connection back at once
 * (psql's \d, drivers' metadata), so only a longer result holds one, until closed.
 */
import type pg from 'pg';
import { PgError, SqlState } from '../errors.js';
import { budgetOf } from './catalog-client.js';
import type { ResultColumn, RowStream, TextRow } from './engine-types.js';

/** Rows asked for by the first FETCH; later batches are sized by the rows' width. */
const firstBatchRows = 100;
const maxBatchRows = 1000;
/** What one batch is sized to hold in memory. */
const targetBatchBytes = 8 * 1024 * 1024;

const cursorName = 'pg_analytica_catalog';

/** Values exactly as PostgreSQL sent them, in its text format. */
const rawText = { getTypeParser: () => (value: string) => value };

export interface CatalogRowStreamOptions {
  readonly client: pg.PoolClient;
  /** The statement as the source runs it (already narrowed to what the role may see). */
  readonly sql: string;
  /** The source's error, translated (positions mapped back to the client's text). */
  readonly translate: (error: unknown, positionShift: number) => PgError;
  /** Cancels the statement running on the connection (pg_cancel_backend). */
  readonly cancel: () => void;
  /** Ends the transaction and gives the connection back (dropped if it cannot be reused). */
  readonly release: () => Promise<void>;
}

export class CatalogRowStream implements RowStream {
  readonly #options: CatalogRowStreamOptions;
  #columns: readonly ResultColumn[] = [];
  /** Rows fetched and not yet handed out. */
  #pending: TextRow[] = [];
  /** The whole result, when it ended within the first batch (kept for rewind()). */
  #whole: TextRow[] | undefined;
  #ended = false;
  #released = false;
  #closed = false;
  /** The widest batch so far, in bytes per row as the source sent them. */
  #widestRow = 0;

  private constructor(options: CatalogRowStreamOptions) {
    this.#options = options;
  }

  get columns(): readonly ResultColumn[] {
    return this.#columns;
  }

  /** Whether the stream still holds a source connection (the result was longer than one batch). */
  get holdsConnection(): boolean {
    return !this.#released;
  }

  /** Declares the cursor and reads the first batch; on failure the connection is released (broken). */
  static async open(options: CatalogRowStreamOptions, signal?: AbortSignal): Promise<CatalogRowStream> {
    const stream = new CatalogRowStream(options);
    try {
      await stream.#declare(signal);
      await stream.#fetch(firstBatchRows, signal);
      if (stream.#ended) {
        stream.#whole = [...stream.#pending];
        await stream.#release();
      }
      return stream;
    } catch (error) {
      await stream.#release();
      throw error;
    }
  }

  async read(maxRows: number, signal?: AbortSignal): Promise<TextRow[]> {
    if (this.#closed) throw new PgError(SqlState.invalidCursorState, 'the query result is already closed');
    const wanted = maxRows > 0 ? maxRows : Number.POSITIVE_INFINITY;
    const rows: TextRow[] = [];
    while (rows.length < wanted) {
      if (this.#pending.length === 0) {
        if (this.#ended) break;
        await this.#fetchOrFail(this.#batchRows(), signal);
        continue;
      }
      const take = Math.min(wanted - rows.length, this.#pending.length);
      for (const row of this.#pending.splice(0, take)) rows.push(row);
    }
    return rows;
  }

  async rewind(): Promise<void> {
    if (this.#whole !== undefined) {
      this.#pending = [...this.#whole];
      return;
    }
    if (this.#released) {
      throw new PgError(
        SqlState.objectNotInPrerequisiteState,
        'the catalog query result can no longer be rewound',
        {
          hint: 'run the query again',
        },
      );
    }
    this.#pending = [];
    this.#ended = false;
    await this.#run(`CLOSE ${cursorName}`, undefined);
    await this.#declare(undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = [];
    this.#whole = undefined;
    await this.#release();
  }

  async #declare(signal: AbortSignal | undefined): Promise<void> {
    const prefix = `DECLARE ${cursorName} NO SCROLL CURSOR FOR `;
    await this.#run(prefix + this.#options.sql, signal, prefix.length);
  }

  /** A later batch; the connection stays until close() (a cursor may rewind), unless the batch failed. */
  async #fetchOrFail(rows: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.#fetch(rows, signal);
    } catch (error) {
      // The transaction failed (or the connection did): nothing more can be read from it.
      this.#ended = true;
      await this.#release();
      throw error;
    }
  }

  async #fetch(rows: number, signal: AbortSignal | undefined): Promise<void> {
    const budget = budgetOf(this.#options.client);
    budget?.begin(rows);
    const result = await this.#run(`FETCH ${rows} FROM ${cursorName}`, signal);
    if (result.rows.length > 0 && budget !== undefined)
      this.#widestRow = Math.max(this.#widestRow, Math.ceil(budget.received / result.rows.length));
    this.#columns = result.fields.map((field) => ({
      name: field.name,
      tableOid: field.tableID,
      columnNumber: field.columnID,
      typeOid: field.dataTypeID,
      typeSize: field.dataTypeSize,
      typeModifier: field.dataTypeModifier,
    }));
    this.#pending = result.rows;
    if (result.rows.length < rows) this.#ended = true;
  }

  #batchRows(): number {
    if (this.#widestRow === 0) return maxBatchRows;
    return Math.max(1, Math.min(maxBatchRows, Math.floor(targetBatchBytes / this.#widestRow)));
  }

  async #run(
    text: string,
    signal: AbortSignal | undefined,
    positionShift = 0,
  ): Promise<pg.QueryArrayResult<(string | null)[]>> {
    if (this.#released) throw new PgError(SqlState.invalidCursorState, 'the query result is already closed');
    signal?.throwIfAborted();
    const cancel = this.#options.cancel;
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      // Extended protocol: one statement only, whatever the text holds.
      const config = { text, rowMode: 'array', types: rawText, queryMode: 'extended' };
      return await this.#options.client.query<(string | null)[]>(config as pg.QueryArrayConfig);
    } catch (error) {
      throw this.#options.translate(error, positionShift);
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  async #release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#options.release();
  }
}
