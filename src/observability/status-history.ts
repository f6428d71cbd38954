/**
 * The last hour of each table's lag and each database's throughput, sampled
 * in memory for the status page's charts (a sample every 10 s, 360 of them by
 * default). Nothing is persisted: a restarted daemon starts a new hour, as
 * Prometheus (/metrics) is there for longer history.
 */
import type { TableStatus } from '../catalog/table-status.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { WorkerActivity } from '../workers/worker-activity.js';
import { BoundedRing } from './bounded-ring.js';

export interface TableLagSample {
  readonly database: string;
  readonly table: string;
  /** analytica.status.lag_seconds and lag_bytes at the sample (null where the view has NULL). */
  readonly lagSeconds: number | null;
  readonly lagBytes: number | null;
}

export interface HistorySample {
  /** Unix time in milliseconds. */
  readonly at: number;
  readonly tables: readonly TableLagSample[];
  /**
   * Changes applied from the change stream per second since the previous sample, per
   * database (the stream counts per database: one slot serves all of a database's tables);
   * null at the first sample, which has nothing to compare with.
   */
  readonly applied: readonly { readonly database: string; readonly perSecond: number | null }[];
}

export interface StatusHistoryOptions {
  /** analytica.status of every database (DaemonMetrics.tableStatuses). */
  readonly read: () => Promise<ReadonlyMap<string, readonly TableStatus[]>>;
  readonly activities: ReadonlyMap<string, WorkerActivity>;
  readonly log: Logger;
  /** Default 10 s. */
  readonly intervalMs?: number;
  /** Default 360: an hour of 10 s samples. */
  readonly capacity?: number;
}

export class StatusHistory {
  readonly intervalMs: number;
  readonly #options: StatusHistoryOptions;
  readonly #ring: BoundedRing<HistorySample>;
  #lastApplied: { at: number; counts: Map<string, number> } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;

  constructor(options: StatusHistoryOptions) {
    this.#options = options;
    this.intervalMs = options.intervalMs ?? 10_000;
    this.#ring = new BoundedRing(options.capacity ?? 360);
  }

  /** Takes a sample now and then every intervalMs until close(). */
  start(): void {
    if (this.#timer !== undefined) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.intervalMs);
    // The history never keeps the process alive on its own.
    this.#timer.unref();
  }

  /** Takes one sample (a sample still being taken is waited for instead of overlapped). */
  async sample(): Promise<void> {
    this.#sampling ??= this.#takeSample().finally(() => {
      this.#sampling = undefined;
    });
    await this.#sampling;
  }

  /** Samples taken after `sinceMs` (all by default), oldest first. */
  samples(sinceMs = Number.NEGATIVE_INFINITY): HistorySample[] {
    return this.#ring.toArray().filter((sample) => sample.at > sinceMs);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #takeSample(): Promise<void> {
    let reading: ReadonlyMap<string, readonly TableStatus[]>;
    try {
      reading = await this.#options.read();
    } catch (error) {
      // A gap in the chart says as much as a log line; the next sample tries again.
      this.#options.log.warn('could not sample analytica.status for the status page', {
        error: errorMessage(error),
      });
      return;
    }
    const at = Date.now();
    const tables: TableLagSample[] = [];
    for (const [database, statuses] of reading)
      for (const status of statuses)
        tables.push({
          database,
          table: status.table,
          lagSeconds: status.figures.lagSeconds,
          lagBytes: status.figures.lagBytes,
        });
    this.#ring.push({ at, tables, applied: this.#throughput(at) });
  }

  #throughput(at: number): HistorySample['applied'] {
    const counts = new Map([...this.#options.activities].map(([db, a]) => [db, a.appliedChanges]));
    const previous = this.#lastApplied;
    this.#lastApplied = { at, counts };
    const seconds = previous === undefined ? 0 : (at - previous.at) / 1000;
    return [...counts].map(([database, count]) => {
      const before = previous?.counts.get(database);
      return {
        database,
        perSecond: before === undefined || seconds <= 0 ? null : (count - before) / seconds,
      };
    });
  }
}
