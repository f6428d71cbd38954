/**
 * numeric without precision is held as PostgreSQL's exact text (docs/types.md), and so is every
 * numeric whose display scale varies by value (a quotient, avg()): no DuckDB type holds such
 * values, and storing them rounded would change answers. Where the value's order matters
 * (comparisons, ORDER BY, min/max) the text is read through numericKey() (numeric-exact.ts),
 * exact for any scale; arithmetic goes through exact HUGEINT pairs (numeric-exact.ts).
 */
import { PgError, SqlState } from '../../../errors.js';
import { quoteLiteral } from '../sql-text.js';
import { numericKey } from './numeric-exact.js';

/** DuckDB SQL ordering numeric text `x` by value (equal values, equal keys). */
export function exactNumeric(x: string): string {
  return numericKey(x);
}

/**
 * The numeric a literal reads as (numeric_in): digits, point, exponent, NaN and Infinity
 * spellings, printed as numeric_out prints it — the display scale is the literal's decimals
 * less its exponent (`1.50` keeps 2, `1e5` has 0). A bad literal fails as in PostgreSQL (22P02).
 */
export function numericLiteralText(text: string): string {
  const special = /^\s*([+-]?)(nan|inf|infinity)\s*$/i.exec(text);
  if (special !== null) {
    if (special[2]?.toLowerCase() === 'nan') return 'NaN';
    return `${special[1] === '-' ? '-' : ''}Infinity`;
  }
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (match === null || `${match[2]}${match[3] ?? ''}` === '')
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type numeric: "${text}"`);
  const exponent = Number(match[4] ?? '0');
  let digits = `${match[2]}${match[3] ?? ''}`;
  let scale = (match[3] ?? '').length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const padded = digits.padStart(scale + 1, '0');
  const integer = padded.slice(0, padded.length - scale).replace(/^0+(?=\d)/, '');
  const sign = match[1] === '-' && /[1-9]/.test(digits) ? '-' : '';
  return `${sign}${integer}${scale > 0 ? `.${padded.slice(-scale)}` : ''}`;
}

/** An untyped literal compared with numeric text: its key (numericKey), 22P02 when not a number. */
export function exactNumericLiteral(text: string): string {
  return numericKey(quoteLiteral(numericLiteralText(text)));
}
