/** Speedups over PostgreSQL on the heap: PostgreSQL's median over the target's median. */
import type { TargetId } from '../targets/query-target.js';
import type { QueryOutcome } from './bench-report.js';

export const comparedTargets: readonly TargetId[] = [
  'daemon',
  'columnarFdw',
  'duckdbNative',
  'duckdbParquet',
];

/** undefined when either side has no timing or the target's answer was not PostgreSQL's. */
export function speedup(outcome: QueryOutcome, target: TargetId): number | undefined {
  const base = outcome.timings.postgres?.medianMs;
  const time = outcome.timings[target]?.medianMs;
  if (base === undefined || time === undefined || outcome.checks[target] !== 'match') return undefined;
  return base / Math.max(time, 0.001);
}
