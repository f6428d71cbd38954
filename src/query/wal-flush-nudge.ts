/**
 * Makes the source flush its WAL when a query waits for the change stream.
 *
 * A query on a streamed table waits until the stream has passed the source's WAL insert
 * position taken when it started (analytica.commit_horizon). The walsender only sends WAL that
 * is flushed, and PostgreSQL flushes WAL at commits: WAL written by a transaction still open
 * (a row updated, a lock taken on a catalog) stays unflushed while nothing commits after it —
 * with synchronous_commit off, even after commits. The stream then never reaches the position
 * and every such query waits out analytica.max_wait. A transactional logical message committed
 * with synchronous_commit on flushes everything before it; pgoutput does not send it (the
 * daemon's subscription does not ask for messages), so it only moves the stream forward.
 */
import type pg from 'pg';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** How long a query waits for the stream before asking for a flush. */
export const nudgeAfterMs = 50;

export const nudgeSql = `BEGIN;
SET LOCAL synchronous_commit = on;
SELECT pg_catalog.pg_logical_emit_message(true, 'pg_analytica', '');
COMMIT`;

export class WalFlushNudge {
  readonly #pools: ReadonlyMap<string, pg.Pool>;
  readonly #log: Logger;
  /** One nudge in flight per database: the waiting queries share it. */
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(pools: ReadonlyMap<string, pg.Pool>, log: Logger) {
    this.#pools = pools;
    this.#log = log;
  }

  /** Asks the source of `database` to flush its WAL; never throws (a failed nudge only leaves the wait as it was). */
  nudge(database: string): Promise<void> {
    const running = this.#inFlight.get(database);
    if (running) return running;
    const pool = this.#pools.get(database);
    if (!pool) return Promise.resolve();
    const done = pool
      .query(nudgeSql)
      .then(() => undefined)
      .catch((error: unknown) => {
        this.#log.debug('could not make the source flush its WAL', { database, error: errorMessage(error) });
      })
      .finally(() => this.#inFlight.delete(database));
    this.#inFlight.set(database, done);
    return done;
  }
}
