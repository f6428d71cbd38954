/**
 * The table versions one transaction block reads (the engine's TableSnapshot):
 * filled by the first statement that reads each table, released when the block
 * ends or the session does.
 */
import type { TableSnapshot } from '../query/engine-types.js';

export class TransactionSnapshot implements TableSnapshot {
  readonly #tables = new Map<string, unknown>();
  readonly #releases: (() => Promise<void>)[] = [];

  get(database: string, relid: number): unknown {
    return this.#tables.get(`${database}\u0000${relid}`);
  }

  keep(database: string, relid: number, table: unknown, release: () => Promise<void>): void {
    this.#tables.set(`${database}\u0000${relid}`, table);
    this.#releases.push(release);
  }

  /** Unpins everything; the next block starts empty. */
  async release(): Promise<void> {
    this.#tables.clear();
    const releases = this.#releases.splice(0);
    await Promise.all(releases.map((release) => release()));
  }
}
