/**
 * Bounds the connections that logins open on the source server. Every login
 * is verified by the source PostgreSQL (auth-relay.ts), so each client that
 * sends a StartupMessage makes the daemon hold one source backend until the
 * client answers the password request or the login deadline passes. Without a
 * bound, clients that never log in take the source's connection slots, down
 * to the ones its superuser needs.
 *
 * Two limits, both checked before any source connection is opened:
 * - at most `maxRelays` relay connections at once; a login past it waits, in
 *   arrival order, until one ends or its own deadline passes (53300 then);
 * - at most `maxRelaysPerHost` logins in progress (holding or waiting for a
 *   relay) from one client address; a login past it is refused at once with
 *   53300, so one host cannot queue up everyone else's turn, nor keep the
 *   daemon's own connection slots busy.
 */
import { PgError, SqlState } from '../errors.js';

export interface RelayLimiterOptions {
  /** Relay connections to the source at once. */
  readonly maxRelays: number;
  /** Logins in progress from one client address (relaying or waiting to). */
  readonly maxRelaysPerHost: number;
}

export const defaultMaxAuthRelays = 10;
export const defaultMaxAuthRelaysPerHost = 5;

/** Gives the slot back; calling it twice is harmless. */
export type ReleaseRelay = () => void;

interface Waiter {
  readonly grant: () => void;
}

export class RelayLimiter {
  readonly #options: RelayLimiterOptions;
  #active = 0;
  readonly #perHost = new Map<string, number>();
  readonly #waiting: Waiter[] = [];

  constructor(options: Partial<RelayLimiterOptions> = {}) {
    this.#options = {
      maxRelays: options.maxRelays ?? defaultMaxAuthRelays,
      maxRelaysPerHost: options.maxRelaysPerHost ?? defaultMaxAuthRelaysPerHost,
    };
  }

  /** Relay connections open now (for tests and metrics). */
  get active(): number {
    return this.#active;
  }

  /**
   * A relay slot for a login from `host`. Throws 53300 when the host already
   * has its share of logins in progress, or when no slot frees up before
   * `signal` aborts (the login deadline).
   */
  async acquire(host: string, signal: AbortSignal): Promise<ReleaseRelay> {
    const inProgress = this.#perHost.get(host) ?? 0;
    if (inProgress >= this.#options.maxRelaysPerHost) {
      throw tooManyClients(
        `${inProgress} logins from host ${host} are already in progress (at most ${this.#options.maxRelaysPerHost}, --max-auth-relays-per-host)`,
      );
    }
    this.#perHost.set(host, inProgress + 1);
    try {
      // A waiter is counted active by release() as it is handed the slot, so none is taken twice.
      if (this.#active >= this.#options.maxRelays || this.#waiting.length > 0) await this.#wait(signal);
      else this.#active++;
    } catch (error) {
      this.#leaveHost(host);
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#leaveHost(host);
      const next = this.#waiting.shift();
      if (next === undefined) this.#active--;
      else next.grant();
    };
  }

  #wait(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(
          tooManyClients(
            `all ${this.#options.maxRelays} connections the daemon may use to verify passwords stayed busy until the login deadline (--max-auth-relays)`,
          ),
        );
      };
      const waiter: Waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #leaveHost(host: string): void {
    const left = (this.#perHost.get(host) ?? 1) - 1;
    if (left <= 0) this.#perHost.delete(host);
    else this.#perHost.set(host, left);
  }
}

/** PostgreSQL's words when its connection slots are full. */
function tooManyClients(detail: string): PgError {
  return new PgError(SqlState.tooManyConnections, 'sorry, too many clients already', {
    severity: 'FATAL',
    detail,
    hint: 'Try again in a moment; clients that never finish logging in are dropped after --authentication-timeout.',
  });
}
