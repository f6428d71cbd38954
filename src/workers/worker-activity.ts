/**
 * What one database's workers have done since the daemon started: plain
 * counters, only ever increased, read by the metrics endpoint when scraped
 * (the workers know nothing of how they are exported).
 */
export class WorkerActivity {
  /** Changes (insert, update, delete, truncate) of committed transactions applied from the stream. */
  appliedChanges = 0;
  /** The same, per table (by source relid). */
  readonly appliedChangesByTable = new Map<number, number>();
  /** Stream flushes that committed segments to the catalog. */
  flushes = 0;
  /** Compactions of a table that replaced segments. */
  compactions = 0;
}
