/**
 * numeric without precision is held as PostgreSQL's exact text (docs/types.md), and so is every
 * numeric whose display scale varies by value (a quotient, avg()): no DuckDB type holds such
 * values, and storing them rounded would change answers. Where the value's order matters
 * (comparisons, ORDER BY, min/max) the text is read through numericKey() (numeric-exact.ts),
 * exact for any scale; arithmetic goes through the exact pga_numeric_* functions (numeric-exact.ts).
 */
import { numericInput } from '../../numeric/pg-numeric.js';
import { quoteLiteral } from '../sql-text.js';
import { bind, numericKey } from './numeric-exact.js';

/** DuckDB SQL ordering numeric text `x` by value (equal values, equal keys). */
export function exactNumeric(x: string): string {
  return numericKey(x);
}

/** The numeric a literal reads as (numeric_in), printed as numeric_out prints it (pg-numeric.ts). */
export const numericLiteralText = numericInput;

/** An untyped literal compared with numeric text: its key (numericKey), 22P02 when not a number. */
export function exactNumericLiteral(text: string): string {
  return numericKey(quoteLiteral(numericLiteralText(text)));
}

/**
 * float8_numeric / float4_numeric: a float becomes the numeric its DBL_DIG (15) or FLT_DIG (6)
 * significant digits print as (`%.15g`), then read as numeric_in reads it — the exponent
 * shifts the point (`1e+20` is 100000000000000000000, `1.5e-05` is 0.000015). NaN and
 * ±Infinity become numeric's own.
 */
export function floatNumericText(x: string, float4: boolean): string {
  return bind(`printf('%.${float4 ? 6 : 15}g', ${x})`, (g) =>
    bind(`{'g': ${g}, 'body': ltrim(${g}, '-')}`, (t) => {
      const mantissa = `split_part(${t}['body'], 'e', 1)`;
      const exponent = `CASE WHEN contains(${t}['body'], 'e') THEN CAST(split_part(${t}['body'], 'e', 2) AS INTEGER) ELSE 0 END`;
      const integer = `split_part(${mantissa}, '.', 1)`;
      const digits = `(${integer} || split_part(${mantissa}, '.', 2))`;
      return bind(`{'d': ${digits}, 'p': length(${integer}) + ${exponent}}`, (n) => {
        const placed = `CASE WHEN ${n}['p'] <= 0 THEN '0.' || repeat('0', -${n}['p']) || ${n}['d']
            WHEN ${n}['p'] >= length(${n}['d']) THEN ${n}['d'] || repeat('0', ${n}['p'] - length(${n}['d']))
            ELSE left(${n}['d'], ${n}['p']) || '.' || substr(${n}['d'], ${n}['p'] + 1) END`;
        return `CASE WHEN ${t}['g'] IS NULL THEN NULL WHEN ${t}['g'] = 'nan' THEN 'NaN'
            WHEN ${t}['g'] = 'inf' THEN 'Infinity' WHEN ${t}['g'] = '-inf' THEN '-Infinity'
            WHEN ${t}['g'] IN ('0', '-0') THEN '0'
            ELSE CASE WHEN starts_with(${t}['g'], '-') THEN '-' ELSE '' END || ${placed} END`;
      });
    }),
  );
}
