/**
 * What each client session of the query server is doing, as PostgreSQL's
 * pg_stat_activity shows it to a superuser: role, database, client address,
 * when the session and its current statement started, and the statement's
 * text as the client sent it (for the extended protocol, Parse's text with
 * its $n placeholders: bound parameter values are never shown, as in
 * PostgreSQL). The status page lists the active ones.
 * https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW
 */

export interface ActivityRow {
  /** The process id the session was given in BackendKeyData (0 before the greeting). */
  readonly pid: number;
  readonly role: string;
  readonly database: string;
  readonly clientAddress: string;
  /** Unix times in milliseconds. */
  readonly backendStart: number;
  readonly state: 'active' | 'idle';
  /** The running statement's text, or the last one's while idle ('' before the first). */
  readonly query: string;
  readonly queryStart: number | undefined;
}

export interface SessionIdentity {
  readonly role: string;
  readonly database: string;
  readonly clientAddress: string;
}

export class SessionActivity {
  readonly identity: SessionIdentity;
  pid = 0;
  readonly #backendStart = Date.now();
  readonly #registry: Set<SessionActivity>;
  #state: ActivityRow['state'] = 'idle';
  #query = '';
  #queryStart: number | undefined;

  constructor(identity: SessionIdentity, registry: Set<SessionActivity>) {
    this.identity = identity;
    this.#registry = registry;
    registry.add(this);
  }

  /** How errors name the session: `role@database from address (pid n)`. */
  get label(): string {
    const { role, database, clientAddress } = this.identity;
    return `${role}@${database} from ${clientAddress || 'local'} (pid ${this.pid})`;
  }

  /** A statement (or a simple Query's string of them) started running. */
  start(query: string): void {
    this.#state = 'active';
    this.#query = query;
    this.#queryStart = Date.now();
  }

  idle(): void {
    this.#state = 'idle';
  }

  /** The session ended: it is no longer listed. */
  close(): void {
    this.#registry.delete(this);
  }

  row(): ActivityRow {
    return {
      pid: this.pid,
      ...this.identity,
      backendStart: this.#backendStart,
      state: this.#state,
      query: this.#query,
      queryStart: this.#queryStart,
    };
  }
}

/** Every session of one query server. */
export class SessionActivities {
  readonly #sessions = new Set<SessionActivity>();

  open(identity: SessionIdentity): SessionActivity {
    return new SessionActivity(identity, this.#sessions);
  }

  rows(): ActivityRow[] {
    return [...this.#sessions].map((session) => session.row());
  }
}
