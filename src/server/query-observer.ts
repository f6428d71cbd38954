/**
 * What the query server tells whoever watches it about each statement it
 * answered: how it ended (the SQLSTATE of its error, or none) and how long it
 * took. The metrics endpoint implements it; the server knows nothing of how
 * it is exported.
 */
export interface QueryObserver {
  /** A statement ended: `sqlState` is its error's SQLSTATE, undefined when it succeeded. */
  queryFinished(sqlState: string | undefined, seconds: number): void;
}
