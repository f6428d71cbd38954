/**
 * Bounds the connections that logins open on the source server. Every login
 * is verified by the source PostgreSQL (auth-relay.ts), so each client that
 * sends a StartupMessage makes the daemon hold one source backend until the
 * client answers the password request or the login deadline passes. Without a
 * bound, clients that never log in take the source's connection slots, down
 * to the ones its superuser needs.
 *
 * Checked before any source connection is opened:
 * - at most `maxRelays` relay connections at once, and at most
 *   `maxRelaysPerHost` of them for one client address, so one host can never
 *   hold them all; a login past either waits, in arrival order, until a relay
 *   it may take ends, or its own deadline passes (53300 then);
 * - at most `waitingFactor` × `maxRelaysPerHost` logins in progress (relaying
 *   or waiting) from one address; past it a login is refused at once with
 *   53300, so one host cannot fill the daemon's own connection slots with
 *   waiting logins either. A client pool opening a few dozen connections at
 *   once still gets them all, a few at a time.
 */
import { PgError, SqlState } from '../errors.js';

export interface RelayLimiterOptions {
  /** Relay connections to the source at once. */
  readonly maxRelays: number;
  /** Relay connections at once for one client address. */
  readonly maxRelaysPerHost: number;
}

export const defaultMaxAuthRelays = 10;
export const defaultMaxAuthRelaysPerHost = 5;

/** Logins in progress per address, as a multiple of its relay share. */
const waitingFactor = 4;

/** Gives the slot back; calling it twice is harmless. */
export type ReleaseRelay = () => void;

interface HostLogins {
  /** Relays this address holds. */
  active: number;
  /** Its logins holding or waiting for a relay. */
  inProgress: number;
}

interface Waiter {
  readonly host: string;
  readonly grant: () => void;
}

export class RelayLimiter {
  readonly #options: RelayLimiterOptions;
  #active = 0;
  readonly #hosts = new Map<string, HostLogins>();
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
   * has too many logins in progress, or when no slot frees up before `signal`
   * aborts (the login deadline).
   */
  async acquire(host: string, signal: AbortSignal): Promise<ReleaseRelay> {
    const logins = this.#hosts.get(host) ?? { active: 0, inProgress: 0 };
    const maxInProgress = waitingFactor * this.#options.maxRelaysPerHost;
    if (logins.inProgress >= maxInProgress) {
      throw tooManyClients(
        `${logins.inProgress} logins from host ${host} are already in progress (at most ${maxInProgress}: ${waitingFactor} × --max-auth-relays-per-host)`,
      );
    }
    logins.inProgress++;
    this.#hosts.set(host, logins);
    try {
      // A waiter is counted active as it is handed the slot (#grantWaiters), so none is taken twice.
      if (this.#mayTake(host)) this.#take(host);
      else await this.#wait(host, signal);
    } catch (error) {
      this.#leave(host, false);
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#leave(host, true);
      this.#grantWaiters();
    };
  }

  #mayTake(host: string): boolean {
    return (
      this.#active < this.#options.maxRelays &&
      (this.#hosts.get(host)?.active ?? 0) < this.#options.maxRelaysPerHost
    );
  }

  #take(host: string): void {
    this.#active++;
    const logins = this.#hosts.get(host);
    if (logins !== undefined) logins.active++;
  }

  #leave(host: string, held: boolean): void {
    const logins = this.#hosts.get(host);
    if (held) this.#active--;
    if (logins === undefined) return;
    if (held) logins.active--;
    if (--logins.inProgress <= 0) this.#hosts.delete(host);
  }

  /** Hands freed relays to the earliest waiters that may take them. */
  #grantWaiters(): void {
    for (let i = 0; i < this.#waiting.length && this.#active < this.#options.maxRelays; ) {
      const waiter = this.#waiting[i]!;
      if (!this.#mayTake(waiter.host)) {
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#take(waiter.host);
      waiter.grant();
    }
  }

  #wait(host: string, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(
          tooManyClients(
            `no connection to verify the password became free before the login deadline (--max-auth-relays ${this.#options.maxRelays}, --max-auth-relays-per-host ${this.#options.maxRelaysPerHost})`,
          ),
        );
      };
      const waiter: Waiter = {
        host,
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
}

/** PostgreSQL's words when its connection slots are full. */
function tooManyClients(detail: string): PgError {
  return new PgError(SqlState.tooManyConnections, 'sorry, too many clients already', {
    severity: 'FATAL',
    detail,
    hint: 'Try again in a moment; clients that never finish logging in are dropped after --authentication-timeout.',
  });
}
