/**
 * The query server as a target, with where each run's time went inside the engine
 * (src/query/phase-clock.ts): `npm run bench` prints, per query, the median of each phase over
 * the timed runs on stderr, so a query slower than its warm runs shows where.
 */

import { type PhaseTotals, queryPhases } from '../../src/query/phase-clock.js';
import type { QueryEngine } from '../../src/query/query-engine.js';
import { median } from '../lib/stats.js';
import type { QueryTarget, TargetId, TextRow } from './query-target.js';

export class PhasedTarget implements QueryTarget {
  readonly id: TargetId;
  readonly #inner: QueryTarget;
  readonly #engine: QueryEngine;
  /** Each run's phases and wall time, by statement text. */
  readonly #runs = new Map<string, (PhaseTotals & { total: number })[]>();

  constructor(inner: QueryTarget, engine: QueryEngine) {
    this.id = inner.id;
    this.#inner = inner;
    this.#engine = engine;
  }

  async run(sql: string): Promise<TextRow[]> {
    const before = this.#engine.phaseTotals;
    const started = performance.now();
    const rows = await this.#inner.run(sql);
    const total = performance.now() - started;
    const after = this.#engine.phaseTotals;
    const phases = Object.fromEntries(queryPhases.map((p) => [p, after[p] - before[p]])) as PhaseTotals;
    this.#runs.set(sql, [...(this.#runs.get(sql) ?? []), { ...phases, total }]);
    return rows;
  }

  /** "phase ms, …" medians of the timed runs (the first, a warm-up, left out). */
  breakdown(sql: string): string {
    const runs = (this.#runs.get(sql) ?? []).slice(1);
    if (runs.length === 0) return '';
    const inEngine = (r: PhaseTotals) => queryPhases.reduce((sum, p) => sum + r[p], 0);
    const parts = queryPhases.map((p) => `${p} ${median(runs.map((r) => r[p])).toFixed(1)}`);
    const rest = median(runs.map((r) => r.total - inEngine(r)));
    return `${parts.join(', ')}, rest ${rest.toFixed(1)} ms`;
  }

  async close(): Promise<void> {
    await this.#inner.close();
  }
}
