/**
 * How far a change stream has made transactions visible to queries, and the
 * queries waiting for it to get further (the freshness contract: a query sees
 * every transaction committed before it started).
 */
import { PgError, SqlState } from '../errors.js';
import { formatLsn } from '../source/pgoutput/index.js';

interface Waiter {
  lsn: bigint;
  resolve: () => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

export class AppliedPosition {
  #lsn = 0n;
  #waiters: Waiter[] = [];
  /** Called when a waiter starts waiting, so the stream can ask the server where it stands. */
  readonly #onWait: () => void;

  constructor(onWait: () => void) {
    this.#onWait = onWait;
  }

  get lsn(): bigint {
    return this.#lsn;
  }

  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /** True when advancing to `lsn` would release a waiting query. */
  wouldRelease(lsn: bigint): boolean {
    return this.#waiters.some((w) => w.lsn <= lsn);
  }

  advance(lsn: bigint): void {
    if (lsn <= this.#lsn) return;
    this.#lsn = lsn;
    const ready = this.#waiters.filter((w) => w.lsn <= lsn);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.lsn > lsn);
    for (const waiter of ready) {
      waiter.cleanup();
      waiter.resolve();
    }
  }

  /** Resolves once `lsn` is reached; rejects with SQLSTATE 57014 after `maxWaitMs`, or when `signal` aborts. */
  async waitFor(lsn: bigint, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    if (lsn <= this.#lsn) return;
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { lsn, resolve, reject, cleanup: () => undefined };
      const fail = (error: unknown) => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.cleanup();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new PgError(
              SqlState.queryCanceled,
              `canceling statement: the columnar copy did not catch up with WAL position ${formatLsn(lsn)} within ${maxWaitMs} ms`,
              {
                detail: `the change stream has applied up to ${formatLsn(this.#lsn)}`,
                hint: 'see analytica.status for the lag; analytica.max_wait sets how long a query waits',
              },
            ),
          ),
        maxWaitMs,
      );
      const onAbort = () =>
        fail(new PgError(SqlState.queryCanceled, 'canceling statement due to user request'));
      signal?.addEventListener('abort', onAbort, { once: true });
      waiter.cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#waiters.push(waiter);
      this.#onWait();
    });
  }

  /** The stream stopped for good: waiting queries fail. */
  failAll(error: unknown): void {
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }
}
