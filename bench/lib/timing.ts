/** Warm timings of one query on one target: a warm-up run, then the median of several. */
import type { QueryTarget, TextRow } from '../targets/query-target.js';
import { median } from './stats.js';

export interface Timing {
  medianMs: number;
  minMs: number;
  runsMs: number[];
}

export type Measured = { ok: true; timing: Timing; rows: TextRow[] } | { ok: false; error: string };

/** `repetitions` timed runs after one untimed warm-up; the rows of the last run. An error stops at once. */
export async function measureQuery(target: QueryTarget, sql: string, repetitions: number): Promise<Measured> {
  try {
    let rows = await target.run(sql);
    const runsMs: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const started = performance.now();
      rows = await target.run(sql);
      runsMs.push(performance.now() - started);
    }
    return { ok: true, timing: { medianMs: median(runsMs), minMs: Math.min(...runsMs), runsMs }, rows };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

/** "SQLSTATE: message" for errors from the wire, the message otherwise. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
