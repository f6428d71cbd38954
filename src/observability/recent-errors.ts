/**
 * The last errors the daemon saw, for the status page: statements that failed
 * in a client session (as the client was told, SQLSTATE and message), and
 * errors a table's worker recorded in analytica.status (last_error), noticed
 * when the status is read. Bounded: the oldest drop out.
 */
import type { TableStatus } from '../catalog/table-status.js';
import { BoundedRing } from './bounded-ring.js';

export interface RecentError {
  /** Unix time in milliseconds. */
  readonly at: number;
  /** Where it happened: a registered table, or a client session (`role@database from address`). */
  readonly source: { readonly kind: 'table' | 'session'; readonly name: string; readonly database: string };
  /** Empty when unknown: analytica.status keeps a table error's message only. */
  readonly sqlState: string;
  readonly message: string;
}

/** How many errors the status page lists by default. */
export const defaultRecentErrors = 50;

/** Longer messages are cut (the list is for reading, the log has everything). */
export const maxMessageChars = 2000;

export class RecentErrors {
  readonly #ring: BoundedRing<RecentError>;
  /** Per `database.table`, the last_error_at already listed, so a table error is listed once. */
  readonly #seenTableErrors = new Map<string, number>();

  constructor(capacity = defaultRecentErrors) {
    this.#ring = new BoundedRing(capacity);
  }

  add(error: RecentError): void {
    // A message may quote a client's huge literal; the page needs its start.
    const message =
      error.message.length > maxMessageChars ? `${error.message.slice(0, maxMessageChars)}…` : error.message;
    this.#ring.push({ ...error, message });
  }

  /** Lists each table error of a reading of analytica.status not listed before. */
  noteTables(database: string, tables: readonly TableStatus[]): void {
    for (const table of tables) {
      const at = table.figures.lastErrorTimestampSeconds;
      if (table.lastError === null || at === null) continue;
      const key = `${database}.${table.table}`;
      if (this.#seenTableErrors.get(key) === at) continue;
      this.#seenTableErrors.set(key, at);
      this.add({
        at: Math.round(at * 1000),
        source: { kind: 'table', name: table.table, database },
        sqlState: '',
        message: table.lastError,
      });
    }
  }

  /** Newest first. */
  list(): RecentError[] {
    return this.#ring.toArray().reverse();
  }
}
