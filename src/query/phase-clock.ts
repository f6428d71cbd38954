/**
 * Where a query's time goes inside the engine, summed per phase since the engine started:
 * `npm run bench -- --overhead` (bench/query-overhead.ts) reads it before and after a query
 * to print a per-phase breakdown. Two performance.now() calls a phase, nothing else: it is
 * always on, so the numbers come from the code that serves clients.
 */
import type { RowStream, TextRow } from './engine-types.js';

export const queryPhases = [
  /** The catalog statement: names, privileges, collations, partitions, segments (table-resolver.ts). */
  'resolve',
  /** Waiting for the change stream to apply what committed before the query (streamed tables). */
  'freshness',
  /** Pinning the table versions, checking files, pruning segments, making DuckDB views. */
  'views',
  /** The typed front end: parameter inference, typing, DuckDB SQL emitted, column privileges. */
  'typing',
  /** PostgreSQL's Describe of the statement (source-describe.ts; a cache hit costs a lookup). */
  'describe',
  /** DuckDB: binding, planning and starting the statement. */
  'duckdbOpen',
  /** DuckDB: producing the rows and formatting them as PostgreSQL text. */
  'duckdbFetch',
] as const;

export type QueryPhase = (typeof queryPhases)[number];

export type PhaseTotals = Record<QueryPhase, number>;

export class PhaseClock {
  /** Milliseconds spent in each phase, summed over every query. */
  readonly totals: PhaseTotals = Object.fromEntries(queryPhases.map((p) => [p, 0])) as PhaseTotals;

  async time<T>(phase: QueryPhase, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.totals[phase] += performance.now() - started;
    }
  }

  timeSync<T>(phase: QueryPhase, run: () => T): T {
    const started = performance.now();
    try {
      return run();
    } finally {
      this.totals[phase] += performance.now() - started;
    }
  }

  /** The stream with the time of its reads counted as `duckdbFetch`. */
  timedReads<S extends RowStream>(stream: S): S {
    const read = stream.read.bind(stream);
    stream.read = (maxRows: number, signal?: AbortSignal): Promise<TextRow[]> =>
      this.time('duckdbFetch', () => read(maxRows, signal));
    return stream;
  }
}
