/**
 * The pg.Client the query engine's pools are made of: connections to the
 * source that run table resolution and clients' catalog queries.
 *
 * node-postgres reads a server message whole before it hands it over, and it
 * parses inside the socket's 'data' handler: a value larger than V8's longest
 * string (about 512 MiB; `SELECT repeat('x', 600000000)`) makes pg-protocol
 * throw ERR_STRING_TOO_LONG there, where nothing catches it and the process
 * exits. So the socket of each connection counts what the source sends for
 * the statement running (reset by budget.begin()): past `maxBytes` it is
 * destroyed with 54000 before the message is complete, and an exception from
 * a 'data' handler destroys this connection instead of escaping. Either way
 * the error reaches the query that was running; the 'error' event of a client
 * that is checked out of its pool (pg-pool listens only while it is idle) is
 * handled here so that it cannot end the process.
 */
import { Socket } from 'node:net';
import pg from 'pg';
import { PgError, SqlState } from '../errors.js';

/** What the source may send for one statement (a FETCH of a catalog result), in bytes. */
export const maxSourceResultBytes = 256 * 1024 * 1024;

/** Bytes the source sent since the statement running began. */
export class SourceByteBudget {
  /** Bytes received since begin(). */
  received = 0;
  /** Rows the running statement asked for (for the error message only). */
  rows: number | undefined;
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** A statement starts: its answer gets the whole budget. */
  begin(rows?: number): void {
    this.received = 0;
    this.rows = rows;
  }

  exceeded(): PgError {
    const limit = `${Math.round(this.maxBytes / (1024 * 1024))} MB`;
    const what =
      this.rows === undefined || this.rows <= 1
        ? `a row of the result is larger than ${limit}`
        : `${this.rows} rows of the result came to more than ${limit}`;
    return new PgError(SqlState.programLimitExceeded, `the catalog query's result is too large: ${what}`, {
      hint: 'select fewer or smaller values (substr(), length()), or run the query in PostgreSQL itself',
    });
  }
}

/** A socket that counts received bytes against a budget and keeps 'data' handler exceptions in. */
class BudgetedSocket extends Socket {
  readonly #budget: SourceByteBudget;

  constructor(budget: SourceByteBudget) {
    super();
    this.#budget = budget;
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'data') return super.emit(event, ...args);
    const chunk = args[0] as Buffer;
    this.#budget.received += chunk.length;
    if (this.#budget.received > this.#budget.maxBytes) {
      this.destroy(this.#budget.exceeded());
      return false;
    }
    try {
      return super.emit(event, ...args);
    } catch (error) {
      this.destroy(
        new PgError(SqlState.connectionFailure, 'the answer of the source database could not be read', {
          cause: error,
          detail: error instanceof Error ? error.message : String(error),
        }),
      );
      return false;
    }
  }
}

export class CatalogClient extends pg.Client {
  readonly budget: SourceByteBudget;

  constructor(config: pg.ClientConfig = {}) {
    const budget = new SourceByteBudget(maxSourceResultBytes);
    // Over TLS the count is of encrypted bytes, a little more than the plain ones: still a bound.
    // pg-pool makes the password non-enumerable (kept out of logs), so a spread drops it.
    super({ ...config, password: config.password, stream: () => new BudgetedSocket(budget) });
    this.budget = budget;
    // The query that was running gets the error; the event itself is only noted.
    this.on('error', () => undefined);
  }
}

/** The budget of a client from a pool of CatalogClients (undefined for a plain pg.Client). */
export function budgetOf(client: pg.ClientBase): SourceByteBudget | undefined {
  return client instanceof CatalogClient ? client.budget : undefined;
}
