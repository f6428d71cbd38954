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
 */
import { arithmeticText, asNumericText, bind, divideText, pairOf, pairText } from './numeric-exact.js';

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

/**
 * sqrt_var: the square root of numeric text `x` (not negative) at x's display scale, rounded
 * half away from zero. With x = V / 10^s at display scale d, the result's digits are
 * sqrt(V * 10^(2d - s)) rounded, found
 * digit by digit over the radicand's digit pairs (the schoolbook method): the partial root and
 * remainder stay below twice the result, so a radicand of any length fits HUGEINT.
 */
function sqrtText(x: string): string {
  const zero = 'CAST(0 AS HUGEINT)';
  return pairText(
    bind(pairOf(x), (p) => {
      // The radicand V * 10^(2d - s) for a root at the display scale d, padded to even digits.
      const digits = `CAST(${p}['v'] AS VARCHAR) || repeat('0', CAST(2 * ${p}['d'] - ${p}['s'] AS INTEGER))`;
      return bind(
        `{'t': CASE WHEN length(${digits}) % 2 = 1 THEN '0' ELSE '' END || ${digits}, 's': ${p}['d']}`,
        (q) => {
          const pairs = `list_transform(range(length(${q}['t']) // 2), lambda pga_i: {'r': ${zero}, 'm': ${zero}, 'd': CAST(substr(${q}['t'], CAST(2 * pga_i + 1 AS INTEGER), 2) AS HUGEINT)})`;
          const step = (acc: string, next: string) => {
            const c = `(${acc}['m'] * 100 + ${next}['d'])`;
            const digit = `CAST(list_max(list_filter(range(10), lambda pga_x: (20 * ${acc}['r'] + pga_x) * pga_x <= ${c})) AS HUGEINT)`;
            return bind(
              `{'c': ${c}, 'x': ${digit}}`,
              (k) =>
                `{'r': 10 * ${acc}['r'] + ${k}['x'], 'm': ${k}['c'] - (20 * ${acc}['r'] + ${k}['x']) * ${k}['x'], 'd': ${zero}}`,
            );
          };
          const root = `list_reduce(${pairs}, lambda pga_a, pga_n: ${step('pga_a', 'pga_n')}, {'r': ${zero}, 'm': ${zero}, 'd': ${zero}})`;
          return bind(
            root,
            (r) =>
              `CASE WHEN ${p} IS NULL THEN NULL ELSE {'v': ${r}['r'] + CASE WHEN ${r}['m'] > ${r}['r'] THEN 1 ELSE 0 END, 's': ${q}['s'], 'd': ${q}['s']} END`,
          );
        },
      );
    }),
  );
}
