/**
 * Times every query on each target and checks each answer against
 * PostgreSQL's, which runs first. A target's error is kept as a finding
 * ('unsupported' for the query server, which refuses SQL it cannot answer
 * exactly); a wrong answer is a failure.
 */

import { exactDifference, toleranceDifference } from '../lib/answer-check.js';
import { note } from '../lib/phase.js';
import { measureQuery } from '../lib/timing.js';
import type { BenchQuery } from '../queries/bench-query.js';
import type { QueryOutcome } from '../report/bench-report.js';
import type { QueryTarget, TextRow } from '../targets/query-target.js';

/** Runs each query on PostgreSQL, then on `exactTargets`, whose rows must equal PostgreSQL's text. */
export async function runAgainstPostgres(
  queries: readonly BenchQuery[],
  postgres: QueryTarget,
  exactTargets: readonly QueryTarget[],
  repetitions: number,
): Promise<{ outcomes: QueryOutcome[]; expected: Map<string, TextRow[]> }> {
  const outcomes: QueryOutcome[] = [];
  const expected = new Map<string, TextRow[]>();
  for (const query of queries) {
    const outcome: QueryOutcome = { ...query, rows: undefined, timings: {}, checks: {}, details: {} };
    outcomes.push(outcome);
    const reference = await measureQuery(postgres, query.sql, repetitions);
    if (!reference.ok) {
      outcome.checks.postgres = 'error';
      outcome.details.postgres = reference.error;
      note(`  ${query.name}: PostgreSQL failed: ${reference.error}`);
      continue;
    }
    outcome.timings.postgres = reference.timing;
    outcome.rows = reference.rows.length;
    expected.set(query.name, reference.rows);
    for (const target of exactTargets) {
      const measured = await measureQuery(target, query.sql, repetitions);
      if (!measured.ok) {
        outcome.checks[target.id] = 'unsupported';
        outcome.details[target.id] = measured.error;
        continue;
      }
      outcome.timings[target.id] = measured.timing;
      const difference = exactDifference(reference.rows, measured.rows);
      outcome.checks[target.id] = difference ? 'wrong' : 'match';
      if (difference) outcome.details[target.id] = difference;
    }
    note(`  ${query.name}: ${summary(outcome)}`);
  }
  return { outcomes, expected };
}

/** Adds the ceiling's timings to `outcomes`, checking counts and values with a tolerance. */
export async function runCeiling(
  outcomes: readonly QueryOutcome[],
  expected: ReadonlyMap<string, TextRow[]>,
  targets: readonly QueryTarget[],
  repetitions: number,
): Promise<void> {
  for (const outcome of outcomes) {
    const reference = expected.get(outcome.name);
    if (!reference) continue;
    for (const target of targets) {
      const measured = await measureQuery(target, outcome.duckdbSql ?? outcome.sql, repetitions);
      if (!measured.ok) {
        outcome.checks[target.id] = 'error';
        outcome.details[target.id] = measured.error;
        continue;
      }
      outcome.timings[target.id] = measured.timing;
      const difference = toleranceDifference(reference, measured.rows);
      outcome.checks[target.id] = difference ? 'wrong' : 'match';
      if (difference) outcome.details[target.id] = difference;
    }
    note(`  ${outcome.name}: ${summary(outcome)}`);
  }
}

function summary(outcome: QueryOutcome): string {
  return Object.entries(outcome.timings)
    .map(([id, t]) => `${id} ${t.medianMs.toFixed(1)} ms`)
    .concat(
      Object.entries(outcome.checks)
        .filter(([, c]) => c !== 'match')
        .map(([id, c]) => `${id} ${c.toUpperCase()}`),
    )
    .join(', ');
}
