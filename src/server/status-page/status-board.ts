/**
 * What the status page shows, as one JSON document (/status.json): every
 * registered table with the figures of analytica.status (the same reading as
 * /metrics), the sampled history for the charts, the statements running in
 * the query server, and the recent errors. The page's script polls it.
 */
import type { TableStatus } from '../../catalog/table-status.js';
import type { TableReading } from '../../observability/daemon-metrics.js';
import type { RecentError, RecentErrors } from '../../observability/recent-errors.js';
import type { HistorySample, StatusHistory } from '../../observability/status-history.js';
import type { ActivityRow } from '../session-activity.js';

/** As PostgreSQL's track_activity_query_size (1024 by default): longer statement texts are cut. */
export const maxQueryChars = 1024;

export interface StatusTable {
  readonly database: string;
  readonly table: string;
  readonly state: string;
  readonly mode: string;
  readonly rows: number | null;
  readonly bytes: number | null;
  readonly segments: number | null;
  readonly deleteSegments: number | null;
  readonly lagSeconds: number | null;
  readonly lagBytes: number | null;
  readonly copyRowsDone: number | null;
  readonly copyRowsTotal: number | null;
  readonly lastError: string | null;
  /** Unix time in milliseconds. */
  readonly lastErrorAt: number | null;
  /** Why the daemon last copied the table again by itself, and when (Unix ms; requested until done). */
  readonly recopyReason: string | null;
  readonly recopyAt: number | null;
}

export interface RunningQuery {
  readonly pid: number;
  readonly role: string;
  readonly database: string;
  readonly clientAddress: string;
  /** Unix time in milliseconds. */
  readonly queryStart: number;
  readonly query: string;
  /** The text was longer than maxQueryChars and was cut. */
  readonly truncated: boolean;
}

export interface StatusDocument {
  /** Unix times in milliseconds. */
  readonly now: number;
  readonly startedAt: number;
  readonly tables: readonly StatusTable[];
  readonly history: { readonly intervalMs: number; readonly samples: readonly HistorySample[] };
  readonly queries: readonly RunningQuery[];
  readonly errors: readonly RecentError[];
}

export interface StatusBoardOptions {
  /** analytica.status of every database (DaemonMetrics.tableStatuses). */
  readonly read: () => Promise<TableReading>;
  readonly history: StatusHistory;
  readonly errors: RecentErrors;
  /** The query server's sessions (QueryServer.activities). */
  readonly activities: () => readonly ActivityRow[];
}

export class StatusBoard {
  readonly #options: StatusBoardOptions;
  readonly #startedAt = Date.now();

  constructor(options: StatusBoardOptions) {
    this.#options = options;
  }

  /** The document, with history samples taken after `sinceMs` only (the page has the older ones). */
  async document(sinceMs?: number): Promise<StatusDocument> {
    const reading = await this.#options.read();
    const tables: StatusTable[] = [];
    for (const [database, statuses] of reading) {
      this.#options.errors.noteTables(database, statuses);
      for (const status of statuses) tables.push(statusTable(database, status));
    }
    return {
      now: Date.now(),
      startedAt: this.#startedAt,
      tables,
      history: {
        intervalMs: this.#options.history.intervalMs,
        samples: this.#options.history.samples(sinceMs),
      },
      queries: runningQueries(this.#options.activities()),
      errors: this.#options.errors.list(),
    };
  }
}

function statusTable(database: string, status: TableStatus): StatusTable {
  const { figures } = status;
  return {
    database,
    table: status.table,
    state: status.state,
    mode: status.mode,
    rows: figures.rows,
    bytes: figures.bytes,
    segments: figures.segments,
    deleteSegments: figures.deleteSegments,
    lagSeconds: figures.lagSeconds,
    lagBytes: figures.lagBytes,
    copyRowsDone: figures.copyRowsDone,
    copyRowsTotal: figures.copyRowsTotal,
    lastError: status.lastError,
    lastErrorAt:
      figures.lastErrorTimestampSeconds === null
        ? null
        : Math.round(figures.lastErrorTimestampSeconds * 1000),
    recopyReason: status.recopyReason,
    recopyAt: milliseconds(figures.recopiedTimestampSeconds ?? figures.recopyRequestedTimestampSeconds),
  };
}

function milliseconds(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 1000);
}

/** The active sessions, longest running first. */
function runningQueries(rows: readonly ActivityRow[]): RunningQuery[] {
  return rows
    .filter((row) => row.state === 'active' && row.queryStart !== undefined)
    .map((row) => ({
      pid: row.pid,
      role: row.role,
      database: row.database,
      clientAddress: row.clientAddress,
      queryStart: row.queryStart!,
      ...truncated(row.query),
    }))
    .sort((a, b) => a.queryStart - b.queryStart);
}

/** At most maxQueryChars characters (code points: a surrogate pair is never split). */
function truncated(text: string): { query: string; truncated: boolean } {
  if (text.length <= maxQueryChars) return { query: text, truncated: false };
  // Only the head is split into code points: a statement may be megabytes long.
  const head = Array.from(text.slice(0, 2 * maxQueryChars));
  if (head.length <= maxQueryChars && text.length <= 2 * maxQueryChars)
    return { query: text, truncated: false };
  return { query: head.slice(0, maxQueryChars).join(''), truncated: true };
}
