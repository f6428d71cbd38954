/**
 * width_bucket(operand, bound1, bound2, count) as PostgreSQL computes it (float.c's
 * width_bucket_float8, numeric.c's width_bucket_numeric): the bucket of `operand` among `count`
 * equal buckets from bound1 (inclusive) to bound2 (exclusive), 0 below, count + 1 above, the
 * bounds in either order.
 */
import { PgError, SqlState } from '../../errors.js';
import { isFiniteNumeric, type PgNumeric, pow10 } from './pg-numeric.js';

const MAX_INT4 = 2 ** 31 - 1;

function invalid(message: string): PgError {
  return new PgError(SqlState.invalidArgumentForWidthBucket, message);
}

function checkCount(count: number): void {
  if (count <= 0) throw invalid('count must be greater than zero');
}

/** count + 1, the bucket past the upper bound, which int4 may not hold. */
function pastLast(count: number): number {
  if (count === MAX_INT4) throw new PgError(SqlState.numericValueOutOfRange, 'integer out of range');
  return count + 1;
}

/**
 * The float8 form, in IEEE doubles as PostgreSQL's C does. Older servers compute
 * (count * (x - b1)) / (b2 - b1) + 1; newer ones count * ((x - b1) / (b2 - b1)), halving the
 * operands when the bounds' difference overflows, kept below count, + 1. They differ at bucket
 * edges, so the source's own formula is used (source-behaviour.ts).
 */
export function widthBucketFloat(
  x: number,
  b1: number,
  b2: number,
  count: number,
  dividesFirst: boolean,
): number {
  checkCount(count);
  if (Number.isNaN(x) || Number.isNaN(b1) || Number.isNaN(b2))
    throw invalid('operand, lower bound, and upper bound cannot be NaN');
  if (!Number.isFinite(b1) || !Number.isFinite(b2)) throw invalid('lower and upper bounds must be finite');
  if (b1 === b2) throw invalid('lower bound cannot equal upper bound');
  const ascending = b1 < b2;
  if (ascending ? x < b1 : x > b1) return 0;
  if (ascending ? x >= b2 : x <= b2) return pastLast(count);
  // Distances from b1, both positive whichever way the bounds run.
  const [offset, span] = ascending ? [x - b1, b2 - b1] : [b1 - x, b1 - b2];
  if (!dividesFirst) return Math.trunc((count * offset) / span + 1);
  let bucket: number;
  if (Number.isFinite(span)) bucket = Math.trunc(count * (offset / span));
  else {
    const [halfOffset, halfSpan] = ascending
      ? [x / 2 - b1 / 2, b2 / 2 - b1 / 2]
      : [b1 / 2 - x / 2, b1 / 2 - b2 / 2];
    bucket = Math.trunc(count * (halfOffset / halfSpan));
  }
  return Math.min(bucket, count - 1) + 1;
}

/** The numeric form, exactly: floor((x - b1) * count / (b2 - b1)) + 1 inside the bounds. */
export function widthBucketNumeric(x: PgNumeric, b1: PgNumeric, b2: PgNumeric, count: number): number {
  checkCount(count);
  if (x === 'NaN' || b1 === 'NaN' || b2 === 'NaN')
    throw invalid('operand, lower bound, and upper bound cannot be NaN');
  if (!isFiniteNumeric(b1) || !isFiniteNumeric(b2)) throw invalid('lower and upper bounds must be finite');
  const scale = Math.max(b1.scale, b2.scale, isFiniteNumeric(x) ? x.scale : 0);
  const at = (v: { digits: bigint; scale: number }) => v.digits * pow10(scale - v.scale);
  const [lo, hi] = [at(b1), at(b2)];
  if (lo === hi) throw invalid('lower bound cannot equal upper bound');
  const ascending = lo < hi;
  // ±Infinity as an operand is past one end (cmp_numerics orders it so).
  const below = isFiniteNumeric(x)
    ? ascending
      ? at(x) < lo
      : at(x) > lo
    : (x === '-Infinity') === ascending;
  if (below) return 0;
  const v = isFiniteNumeric(x) ? at(x) : undefined;
  if (v === undefined || (ascending ? v >= hi : v <= hi)) return pastLast(count);
  const bucket = ((v - lo) * BigInt(count)) / (hi - lo) + 1n;
  if (bucket > BigInt(MAX_INT4)) throw new PgError(SqlState.numericValueOutOfRange, 'integer out of range');
  return Number(bucket);
}
