/**
 * A session's SQL cursors (DECLARE … CURSOR FOR, FETCH, MOVE, CLOSE). Each
 * holds an open RowStream, so rows are produced as they are fetched and every
 * FETCH reads the snapshot the cursor was declared on. Cursors close when
 * their transaction ends, except WITH HOLD ones, which live until CLOSE or the
 * end of the session (a rolled-back transaction also drops the WITH HOLD
 * cursors it declared, as in PostgreSQL).
 * https://www.postgresql.org/docs/current/sql-declare.html
 */
import { PgError, SqlState } from '../errors.js';
import type { ResultColumn, RowStream, TextRow } from '../query/engine-types.js';

export class Cursor {
  readonly name: string;
  readonly hold: boolean;
  /** Declared inside the transaction block still open (dropped if it rolls back). */
  inOpenTransaction: boolean;
  readonly #stream: RowStream;
  /** PostgreSQL's portal position: rows read so far; past the last row once the end was reached. */
  #position = 0;
  #atEnd = false;
  /** The row at the current position (FETCH RELATIVE 0 re-reads it). */
  #current: TextRow | undefined;

  constructor(name: string, stream: RowStream, hold: boolean, inOpenTransaction: boolean) {
    this.name = name;
    this.hold = hold;
    this.inOpenTransaction = inOpenTransaction;
    this.#stream = stream;
  }

  get columns(): readonly ResultColumn[] {
    return this.#stream.columns;
  }

  /** The next `maxRows` rows (Infinity: all), moving the position past them. */
  async forward(maxRows: number, signal?: AbortSignal): Promise<TextRow[]> {
    if (this.#atEnd || maxRows <= 0) return [];
    const rows = await this.#stream.read(Number.isFinite(maxRows) ? maxRows : 0, signal);
    this.#position += rows.length;
    if (rows.length > 0) this.#current = rows[rows.length - 1];
    if (rows.length < maxRows) {
      this.#atEnd = true;
      this.#current = undefined;
      this.#position++;
    }
    return rows;
  }

  /** Back to before the first row; returns how many rows that moved over (MOVE BACKWARD ALL's count). */
  async rewind(): Promise<number> {
    // PostgreSQL counts the rows stepped back over: from row k that is k-1 (past the end: all of them).
    const moved = Math.max(0, this.#position - 1);
    await this.#stream.rewind();
    this.#position = 0;
    this.#atEnd = false;
    this.#current = undefined;
    return moved;
  }

  /** FETCH ABSOLUTE n (n >= 0): the n-th row, rewinding first if the cursor is past it. */
  async absolute(n: number, signal?: AbortSignal): Promise<TextRow[]> {
    if (n === 0) {
      await this.rewind();
      return [];
    }
    if (n === this.#position && !this.#atEnd && this.#current !== undefined) return [this.#current];
    if (n < this.#position || this.#atEnd) await this.rewind();
    return await this.relative(n - this.#position, signal);
  }

  /** FETCH RELATIVE n (n >= 0): skips n-1 rows and returns the next one; 0 re-reads the current row. */
  async relative(n: number, signal?: AbortSignal): Promise<TextRow[]> {
    if (n === 0) return this.#current === undefined ? [] : [this.#current];
    for (let skip = n - 1; skip > 0 && !this.#atEnd; ) {
      const batch = await this.forward(Math.min(skip, 10_000), signal);
      skip -= batch.length;
    }
    return await this.forward(1, signal);
  }

  async close(): Promise<void> {
    await this.#stream.close();
  }
}

export class CursorSet {
  readonly #cursors = new Map<string, Cursor>();

  /** Registers a declared cursor; 42P03 if the name is taken (the stream is then closed). */
  async declare(name: string, stream: RowStream, hold: boolean, inBlock: boolean): Promise<void> {
    if (this.#cursors.has(name)) {
      await stream.close();
      throw new PgError(SqlState.duplicateCursor, `cursor "${name}" already exists`);
    }
    this.#cursors.set(name, new Cursor(name, stream, hold, inBlock));
  }

  has(name: string): boolean {
    return this.#cursors.has(name);
  }

  get(name: string): Cursor {
    const cursor = this.#cursors.get(name);
    if (cursor === undefined)
      throw new PgError(SqlState.invalidCursorName, `cursor "${name}" does not exist`);
    return cursor;
  }

  async close(name: string): Promise<void> {
    const cursor = this.get(name);
    this.#cursors.delete(name);
    await cursor.close();
  }

  async closeAll(): Promise<void> {
    const cursors = [...this.#cursors.values()];
    this.#cursors.clear();
    await Promise.all(cursors.map((cursor) => cursor.close()));
  }

  /** The transaction block ended: its cursors close, WITH HOLD ones survive a COMMIT. */
  async endTransaction(committed: boolean): Promise<void> {
    for (const cursor of [...this.#cursors.values()]) {
      const keep = cursor.hold && (committed || !cursor.inOpenTransaction);
      if (keep) {
        cursor.inOpenTransaction = false;
        continue;
      }
      this.#cursors.delete(cursor.name);
      await cursor.close();
    }
  }
}
