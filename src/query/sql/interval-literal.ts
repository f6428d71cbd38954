/**
 * Interval literals with a field: `interval '90' day`, `interval '3' month`, `interval '1' year`,
 * `interval '30' second(2)`. The parser gives the fields as a bit mask in the cast's first type
 * modifier (INTERVAL_MASK in PostgreSQL's src/include/utils/datetime.h). A bare number is read
 * in the rightmost field's unit (DecodeInterval: "interval '90' day to second" is 90 seconds),
 * which is all TPC-H and most SQL written to the standard uses. Other text with a field (where
 * PostgreSQL also truncates the lower fields, AdjustIntervalForTypmod) is refused rather than
 * read without the truncation.
 */
import type { Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { quoteLiteral } from './sql-text.js';

const MASK = {
  month: 1 << 1,
  year: 1 << 2,
  day: 1 << 3,
  hour: 1 << 10,
  minute: 1 << 11,
  second: 1 << 12,
} as const;

/** INTERVAL_FULL_RANGE: no field given (`interval(3) '…'` has only a precision). */
const FULL_RANGE = 0x7fff;

/** Rightmost field first: the unit a bare number is read in, and how DuckDB spells it. */
const UNITS: readonly [number, string, number][] = [
  [MASK.second, 'seconds', 1],
  [MASK.minute, 'minutes', 1],
  [MASK.hour, 'hours', 1],
  [MASK.day, 'days', 1],
  [MASK.month, 'months', 1],
  [MASK.year, 'months', 12],
];

/** The field mask of an interval cast's modifiers, undefined when there is none (or only a precision). */
export function intervalFields(typmods: readonly Node[] | undefined): number | undefined {
  const first = typmods?.[0];
  if (first === undefined || !('A_Const' in first) || first.A_Const.ival === undefined) return undefined;
  const mask = first.A_Const.ival.ival ?? 0;
  return mask === FULL_RANGE ? undefined : mask;
}

/** DuckDB SQL for `interval 'text' <fields>`. */
export function emitIntervalWithFields(
  ctx: EmitContext,
  text: string,
  mask: number,
  location?: number,
): string {
  const unit = UNITS.find(([bit]) => (mask & bit) !== 0);
  const match = /^\s*([+-]?\d+)\s*$/.exec(text);
  if (unit === undefined || match === null) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `interval literal '${text}' with a field is not supported by pg_analytica`,
      location,
      "write the interval without a field, e.g. interval '90 days', or as a whole number with one: interval '90' day",
    );
  }
  const [, name, factor] = unit;
  const amount = BigInt(match[1]!) * BigInt(factor);
  const limit = name === 'seconds' ? 2n ** 63n / 1_000_000n : 2n ** 31n;
  if (amount >= limit || amount < -limit) {
    throw ctx.error(SqlState.datetimeFieldOverflow, `interval field value out of range: "${text}"`, location);
  }
  return `CAST(${quoteLiteral(`${amount} ${name}`)} AS INTERVAL)`;
}
