/**
 * The daemon's Prometheus metrics, on a registry of its own (never prom-client's
 * global one: two daemons in one process, as in tests, must not mix figures):
 * - per table: every figure of analytica.status (table-metrics.ts), read from
 *   the view when scraped, at most once per `tableCacheMs`, so that the view
 *   and the metrics agree;
 * - per database: what its workers did (WorkerActivity), and whether its
 *   launcher runs;
 * - per server: connections, statements by outcome and their latency, bytes sent;
 * - the process: prom-client's default metrics (memory, CPU, event loop, GC).
 */
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { readTableStatus, type TableStatus } from '../catalog/table-status.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { QueryObserver } from '../server/query-observer.js';
import type { WorkerActivity } from '../workers/worker-activity.js';
import { TableMetrics } from './table-metrics.js';

/** One served database, as the metrics see it. */
export interface MetricsDatabase {
  readonly activity: WorkerActivity;
  /** Why its launcher does not serve it, or undefined when it does. */
  readonly notReadyReason: string | undefined;
  /** Where analytica.status is read (the daemon's own pool). */
  readonly pool: pg.Pool;
}

/** analytica.status by database (a database whose view could not be read is absent). */
export type TableReading = ReadonlyMap<string, readonly TableStatus[]>;

/** The query server, as the metrics see it (set once it listens). */
export interface MetricsServerFigures {
  readonly connections: number;
  readonly bytesSent: number;
}

export interface DaemonMetricsOptions {
  readonly databases: ReadonlyMap<string, MetricsDatabase>;
  readonly log: Logger;
  /** How long one reading of analytica.status serves scrapes; default 1000 ms. */
  readonly tableCacheMs?: number;
}

/** Upper bounds of the statement latency histogram, in seconds: 1 ms to 5 min. */
const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class DaemonMetrics implements QueryObserver {
  readonly registry = new Registry();
  readonly #options: DaemonMetricsOptions;
  readonly #tables: TableMetrics;
  readonly #queries: Counter<'outcome' | 'sqlstate_class'>;
  readonly #latency: Histogram<'outcome'>;
  /** Set in #databaseMetrics, from the constructor. */
  #statusReadable!: Gauge<'database'>;
  #server: MetricsServerFigures | undefined;
  #tableReading: { at: number; done: Promise<TableReading> } | undefined;

  constructor(options: DaemonMetricsOptions) {
    this.#options = options;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#tables = new TableMetrics(this.registry, (database, relid) =>
      this.#options.databases.get(database)?.activity.appliedChangesByTable.get(relid),
    );
    this.#databaseMetrics(registers);
    this.#queries = new Counter({
      name: 'pg_analytica_queries_total',
      help: 'Statements answered by the query server, by outcome (ok, error) and SQLSTATE class (00 when ok)',
      labelNames: ['outcome', 'sqlstate_class'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'pg_analytica_query_duration_seconds',
      help: 'Time from a statement reaching the query server to its last row sent, by outcome',
      labelNames: ['outcome'],
      buckets: latencyBuckets,
      registers,
    });
    this.#serverMetrics(registers);
  }

  /** The query server, once it listens (connections and bytes sent are read from it when scraped). */
  attachServer(server: MetricsServerFigures): void {
    this.#server = server;
  }

  queryFinished(sqlState: string | undefined, seconds: number): void {
    const outcome = sqlState === undefined ? 'ok' : 'error';
    this.#queries.inc({ outcome, sqlstate_class: sqlState === undefined ? '00' : sqlState.slice(0, 2) });
    this.#latency.observe({ outcome }, seconds);
  }

  /** The Prometheus text exposition, with table figures at most tableCacheMs old. */
  async render(): Promise<string> {
    await this.#readTables();
    return await this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * analytica.status of every database whose view could be read, the same reading the
   * metrics export (at most tableCacheMs old), so the status page and /metrics agree.
   */
  async tableStatuses(): Promise<TableReading> {
    return await this.#readTables();
  }

  /** Reads analytica.status of every database, or reuses a reading younger than tableCacheMs. */
  async #readTables(): Promise<TableReading> {
    const cacheMs = this.#options.tableCacheMs ?? 1000;
    const reading = this.#tableReading;
    if (reading && Date.now() - reading.at < cacheMs) return await reading.done;
    const done = this.#readAllTables();
    this.#tableReading = { at: Date.now(), done };
    return await done;
  }

  async #readAllTables(): Promise<TableReading> {
    const byDatabase = new Map<string, TableStatus[]>();
    for (const [database, source] of this.#options.databases) {
      try {
        byDatabase.set(database, await readTableStatus(source.pool));
        this.#statusReadable.set({ database }, 1);
      } catch (error) {
        // The other databases' figures are still worth exporting; this one's series go away.
        this.#statusReadable.set({ database }, 0);
        this.#options.log.warn('could not read analytica.status for the metrics', {
          database,
          error: errorMessage(error),
        });
      }
    }
    this.#tables.set(byDatabase);
    return byDatabase;
  }

  #databaseMetrics(registers: Registry[]): void {
    const databases = this.#options.databases;
    const activityCounter = (name: string, help: string, read: (a: WorkerActivity) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['database'],
        registers,
        // The workers count; the counter shows their count as it is when scraped.
        collect() {
          this.reset();
          for (const [database, source] of databases) this.inc({ database }, read(source.activity));
        },
      });
    activityCounter(
      'pg_analytica_applied_changes_total',
      'Changes of committed transactions applied from the change stream',
      (a) => a.appliedChanges,
    );
    activityCounter(
      'pg_analytica_flushes_total',
      'Flushes of streamed changes to segments committed to the catalog',
      (a) => a.flushes,
    );
    activityCounter(
      'pg_analytica_compactions_total',
      'Compactions of a table that replaced segments',
      (a) => a.compactions,
    );
    new Gauge({
      name: 'pg_analytica_launcher_up',
      help: "1 while the database's launcher runs (holds its catalog connection), else 0",
      labelNames: ['database'],
      registers,
      collect() {
        for (const [database, source] of databases)
          this.set({ database }, source.notReadyReason === undefined ? 1 : 0);
      },
    });
    this.#statusReadable = new Gauge({
      name: 'pg_analytica_status_readable',
      help: "1 when the last scrape could read the database's analytica.status, else 0",
      labelNames: ['database'],
      registers,
    });
  }

  #serverMetrics(registers: Registry[]): void {
    const server = () => this.#server;
    new Gauge({
      name: 'pg_analytica_server_connections',
      help: 'Client connections to the query server (logging in or logged in)',
      registers,
      collect() {
        this.set(server()?.connections ?? 0);
      },
    });
    new Counter({
      name: 'pg_analytica_server_bytes_sent_total',
      help: 'Bytes the query server sent to clients',
      registers,
      collect() {
        this.reset();
        this.inc(server()?.bytesSent ?? 0);
      },
    });
  }
}
