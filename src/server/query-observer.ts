/**
 * What the query server tells whoever watches it about each statement it
 * answered: how it ended (the SQLSTATE of its error, or none) and how long it
 * took, and for a failed one what the client was told. The metrics endpoint
 * and the status page implement it; the server knows nothing of how it is
 * exported.
 */
export interface QueryObserver {
  /** A statement ended: `sqlState` is its error's SQLSTATE, undefined when it succeeded. */
  queryFinished(sqlState: string | undefined, seconds: number): void;
  /** A statement failed with the error the client was sent. */
  queryFailed?(failure: QueryFailure): void;
  /** A login was refused (wrong password, no matching address rule, …) with the error the client was sent. */
  loginFailed?(failure: QueryFailure): void;
}

export interface QueryFailure {
  readonly sqlState: string;
  readonly message: string;
  readonly database: string;
  /** Which session: `role@database from address (pid n)`. */
  readonly session: string;
}
