/**
 * variance and standard deviation of integers and numerics, exactly as PostgreSQL's
 * numeric_stddev_internal() (numeric.c) computes them: from N, sum(x) and sum(x*x),
 *
 *   numerator = N * sumX2 - sumX * sumX         (exact, at twice sumX's display scale)
 *   variance  = numerator / (N * (N - 1))       (or N * N for the population; div_var at
 *                                                select_div_scale, rounded half away from zero)
 *   stddev    = sqrt(variance) at the same scale (sqrt_var of the rounded variance, rounded)
 *
 * NULL for no rows (and one row for the sample forms), 0 when the numerator is not positive.
 * The arithmetic is the pga_numeric_* functions' (numeric-exact.ts), exact at any length.
 */
import { arithmeticText, asNumericText, bind, divideText, sqrtText } from './numeric-exact.js';

/** The spread aggregates: [population?, stddev?] by PostgreSQL name. */
export const SPREAD_FUNCTIONS: Readonly<Record<string, { sample: boolean; root: boolean }>> = {
  stddev: { sample: true, root: true },
  stddev_samp: { sample: true, root: true },
  stddev_pop: { sample: false, root: true },
  variance: { sample: true, root: false },
  var_samp: { sample: true, root: false },
  var_pop: { sample: false, root: false },
};

/**
 * DuckDB SQL for a spread aggregate given the SQL of count(x) (BIGINT) and the numeric texts
 * of sum(x) and sum(x*x).
 */
export function spreadText(name: string, count: string, sumX: string, sumX2: string): string {
  const kind = SPREAD_FUNCTIONS[name]!;
  const n = `CAST(${count} AS HUGEINT)`;
  const numerator = arithmeticText(
    '-',
    arithmeticText('*', asNumericText(n), sumX2),
    arithmeticText('*', sumX, sumX),
  );
  const denominator = kind.sample ? `${n} * (${n} - 1)` : `${n} * ${n}`;
  const values = `{'n': ${n}, 'num': ${numerator}, 'den': ${asNumericText(denominator)}}`;
  return bind(values, (v) => {
    const variance = divideText(`${v}['num']`, `${v}['den']`, false);
    const empty = kind.sample ? `${v}['n'] <= 1` : `${v}['n'] = 0`;
    const notPositive = `(starts_with(${v}['num'], '-') OR NOT regexp_matches(${v}['num'], '[1-9]'))`;
    return `CASE WHEN ${empty} OR ${v}['num'] IS NULL THEN NULL WHEN ${notPositive} THEN '0' ELSE ${kind.root ? sqrtText(variance) : variance} END`;
  });
}
