/** The benchmark's results, as written to the JSON file and rendered as Markdown and SVG. */
import type { Backfill } from '../lib/registration.js';
import type { Timing } from '../lib/timing.js';
import type { StorageSize } from '../measure/storage.js';
import type { ApplyRate, VisibilityLatency } from '../measure/stream-workload.js';
import type { BenchQuery } from '../queries/bench-query.js';
import type { FdwPlan } from '../targets/columnar-fdw-target.js';
import type { TargetId } from '../targets/query-target.js';

/** How a target's answer compared with PostgreSQL's. */
export type Check = 'match' | 'wrong' | 'unsupported' | 'error';

export interface QueryOutcome extends BenchQuery {
  /** Rows in PostgreSQL's answer. */
  rows: number | undefined;
  timings: Partial<Record<TargetId, Timing>>;
  checks: Partial<Record<TargetId, Check>>;
  /** The error or the difference behind a check other than 'match'. */
  details: Partial<Record<TargetId, string>>;
}

export interface CopyRate {
  format: string;
  seconds: number;
  rowsPerSecond: number;
}

export interface BenchReport {
  startedAt: string;
  options: {
    rows: number;
    lineitemRows: number;
    repetitions: number;
    streamRows: number;
    loadSeconds: number;
  };
  machine: {
    cpus: number;
    memoryGiB: number;
    node: string;
    postgres: string;
    /** The tuning the heap runs with (see lib/bench-cluster.ts). */
    postgresSettings: Record<string, string>;
    duckdbThreads: number;
  };
  /** Targets this build cannot measure, with the reason. */
  unavailable: Partial<Record<TargetId, string>>;
  queries: QueryOutcome[];
  /** EXPLAIN VERBOSE of each query (`set/name`) on the columnar.* foreign tables, when they exist. */
  fdwPlans?: Record<string, FdwPlan | { error: string }>;
  ingest: { table: string; copy: CopyRate[]; backfill: Backfill[] };
  stream: { apply: ApplyRate[]; latency: VisibilityLatency | undefined };
  storage: StorageSize[];
  peakRss: { daemonBytes: number; withCeilingBytes: number };
  /** Why the benchmark fails: wrong answers and errors of PostgreSQL itself. */
  failures: string[];
}
