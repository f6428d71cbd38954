/**
 * numeric without precision is held as PostgreSQL's exact text (docs/types.md): no DuckDB type
 * holds every numeric value, and storing it rounded would change answers. Where the value's
 * order matters (comparisons, ORDER BY, min/max) it is read as DECIMAL(38,18) — exact for
 * every value with at most 20 integer and 18 fractional digits — and a value outside that
 * range (or NaN, ±Infinity) stops the query with 0A000 instead of being rounded.
 */
import { PgError, SqlState } from '../../../errors.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';

const INTEGER_DIGITS = 20;
const FRACTION_DIGITS = 18;
export const EXACT_DECIMAL = `DECIMAL(${INTEGER_DIGITS + FRACTION_DIGITS},${FRACTION_DIGITS})`;

const OUT_OF_RANGE =
  `${unsupportedMarker}comparing or sorting the numeric value %s of a column declared numeric without ` +
  `precision: it computes on such columns exactly only up to ${INTEGER_DIGITS} integer and ` +
  `${FRACTION_DIGITS} fractional digits (declare the column numeric(p,s) with p <= 38)`;

/** DuckDB SQL reading numeric text `x` as an exact DECIMAL, or failing with 0A000 naming the value. */
export function exactNumeric(x: string): string {
  const fits = `regexp_full_match(${x}, '-?[0-9]{1,${INTEGER_DIGITS}}(\\.[0-9]{0,${FRACTION_DIGITS}})?')`;
  const [before, after] = OUT_OF_RANGE.split('%s');
  const message = `${quoteLiteral(before ?? '')} || ${x} || ${quoteLiteral(after ?? '')}`;
  return `(CASE WHEN ${x} IS NULL THEN NULL WHEN ${fits} THEN CAST(${x} AS ${EXACT_DECIMAL}) ELSE error(${message}) END)`;
}

/**
 * An untyped literal compared with such a column: numeric_in's syntax (digits, point,
 * exponent; NaN and Infinity spellings), checked here so a bad literal fails as in PostgreSQL.
 */
export function exactNumericLiteral(text: string): string {
  const match = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (match === null || `${match[2]}${match[3] ?? ''}` === '') {
    if (/^\s*[+-]?(nan|inf|infinity)\s*$/i.test(text))
      throw new PgError(SqlState.featureNotSupported, OUT_OF_RANGE.replace('%s', text.trim()));
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type numeric: "${text}"`);
  }
  const exponent = Number(match[4] ?? '0');
  let digits = `${match[2]}${match[3] ?? ''}`.replace(/^0+/, '');
  let scale = (match[3] ?? '').length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  // Trailing fractional zeros do not change the value.
  while (scale > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale--;
  }
  const padded = digits.padStart(scale + 1, '0');
  const integer = padded.slice(0, padded.length - scale);
  if (integer.replace(/^0+/, '').length > INTEGER_DIGITS || scale > FRACTION_DIGITS)
    throw new PgError(SqlState.featureNotSupported, OUT_OF_RANGE.replace('%s', text.trim()));
  const sign = match[1] === '-' && /[1-9]/.test(digits) ? '-' : '';
  const value = `${sign}${integer}${scale > 0 ? `.${padded.slice(-scale)}` : ''}`;
  return `CAST(${quoteLiteral(value)} AS ${EXACT_DECIMAL})`;
}

/**
 * sum() of numeric held as text, exactly: the values summed as DECIMAL(38,18) (each checked by
 * exactNumeric(); a sum past 20 integer digits fails in DuckDB), printed with the largest
 * scale among the values, as numeric addition keeps the larger display scale (add_var). The
 * result is text again, described as numeric.
 */
export function exactNumericSum(x: string, filter: string): string {
  const total = `CAST(sum(${exactNumeric(x)})${filter} AS VARCHAR)`;
  const scale = `max(length(split_part(${x}, '.', 2)))${filter}`;
  return `(CASE WHEN ${scale} = 0 THEN split_part(${total}, '.', 1) ELSE substr(${total}, 1, strpos(${total}, '.') + ${scale}) END)`;
}
