/**
 * The bounds of the continuous built-in ranges: numrange (numeric), tsrange (timestamp) and
 * tstzrange (timestamptz). Timestamps are microseconds since 1970-01-01 00:00 (UTC for
 * timestamptz), ±(2^63 - 1) for ±infinity as format-datetime.ts marks them. The copy holds
 * tstzrange's text as the daemon's UTC sessions print it, so it is the same whatever the writer's
 * zone; each session prints it in its own TimeZone (timestamptz_out). A numeric bound keeps its
 * digits and display scale (numeric_out of numeric_in), and compares by value as numeric_cmp does
 * (NaN above everything, as PostgreSQL sorts it).
 */
import { PgError, SqlState } from '../../errors.js';
import { formatTimestamp, timestampTzFormatter } from '../format-datetime.js';
import { timeZoneOffsets } from '../format-timezone.js';
import { dateTimeLiteral } from '../sql/datetime/datetime-literal.js';

export const TIMESTAMP_INFINITY = 9_223_372_036_854_775_807n;
/** PostgreSQL's timestamp epoch (2000-01-01) in microseconds since 1970-01-01. */
export const PG_EPOCH_MICROS = 946_684_800_000_000n;

const STORED =
  /^(-?)(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::(\d\d))?)?( BC)?$/;

function invalidTimestamp(text: string, zoned: boolean): PgError {
  return new PgError(
    SqlState.featureNotSupported,
    `${zoned ? 'timestamptz' : 'timestamp'} "${text}" in a range is not supported by pg_analytica`,
    { hint: 'write range bounds as YYYY-MM-DD HH:MM:SS with an optional UTC offset' },
  );
}

/**
 * A timestamp bound's text → microseconds since 1970 (UTC for timestamptz: a bound without an
 * offset is local time in `timeZone`, as timestamptz_in reads it). Literals go through
 * datetime-literal.ts, which reads PostgreSQL's other spellings.
 */
export function timestampMicros(text: string, zoned: boolean, timeZone: string): bigint {
  const special = text.trim().toLowerCase();
  if (special === 'infinity' || special === '+infinity') return TIMESTAMP_INFINITY;
  if (special === '-infinity') return -TIMESTAMP_INFINITY;
  // A zone name would be read by datetime-literal.ts as if absent; refused instead.
  if (/\/|[a-z]{3,}/i.test(text.replace(/ BC$/, ''))) throw invalidTimestamp(text, zoned);
  const literal = STORED.test(text) ? text : dateTimeLiteral(text, zoned ? 'timestamptz' : 'timestamp');
  const m = literal === undefined ? null : STORED.exec(literal);
  if (m === null) throw invalidTimestamp(text, zoned);
  let year = Number(m[2]) * (m[1] === '-' ? -1 : 1);
  if (m[13] !== undefined) year = 1 - year;
  const date = new Date(0);
  date.setUTCFullYear(year, Number(m[3]) - 1, Number(m[4]));
  date.setUTCHours(Number(m[5]), Number(m[6]), Number(m[7]));
  if (date.getUTCDate() !== Number(m[4]))
    throw new PgError(SqlState.datetimeFieldOverflow, `date/time field value out of range: "${text}"`);
  const local = BigInt(date.getTime() / 1000) * 1_000_000n + BigInt((m[8] ?? '').padEnd(6, '0'));
  if (!zoned) return local;
  if (m[9] !== undefined) {
    const offset =
      (Number(m[10]) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0)) * (m[9] === '-' ? -1 : 1);
    return local - BigInt(offset) * 1_000_000n;
  }
  // Local time in the session's zone: the offset in effect at that instant.
  const zone = timeZoneOffsets(timeZone);
  const seconds = Number(local / 1_000_000n);
  const offset = zone.fixedOffset ?? zone.offsetAt(seconds - zone.offsetAt(seconds));
  return local - BigInt(offset) * 1_000_000n;
}

/** timestamp_out / timestamptz_out (in `timeZone`) of microseconds since 1970. */
export function formatTimestampBound(micros: bigint, zoned: boolean, timeZone: string): string {
  return zoned ? timestampTzFormatter(timeZoneOffsets(timeZone))(micros) : formatTimestamp(micros);
}

const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** numeric_out(numeric_in(text)): '01.50' → '1.50', '1e2' → '100', '.5' → '0.5'. */
export function normalizeNumeric(text: string): string {
  const t = text.trim();
  const special = t.toLowerCase();
  if (special === 'nan') return 'NaN';
  if (special === 'infinity' || special === '+infinity' || special === 'inf') return 'Infinity';
  if (special === '-infinity' || special === '-inf') return '-Infinity';
  const m = NUMBER.exec(t);
  if (m === null || (m[2] === '' && (m[3] ?? '') === ''))
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type numeric: "${text}"`);
  const exponent = Number(m[4] ?? 0);
  const fraction = m[3] ?? '';
  const scale = Math.max(0, fraction.length - exponent);
  // All digits as an integer, then the point placed `scale` digits from the right.
  let digits = `${m[2]}${fraction}`;
  const shift = exponent - fraction.length + scale;
  digits = shift >= 0 ? digits + '0'.repeat(shift) : digits.slice(0, shift);
  digits = digits.padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale).replace(/^0+(?=\d)/, '');
  const body = scale > 0 ? `${whole}.${digits.slice(digits.length - scale)}` : whole;
  return m[1] === '-' && /[1-9]/.test(body) ? `-${body}` : body;
}

/**
 * A string whose byte order is numeric_cmp's order: class (−∞, negative, zero, positive, +∞,
 * NaN), then the decimal exponent, then the significant digits with a terminator so that no key
 * is a prefix of another (negatives complemented, so larger magnitudes sort first).
 */
export function numericKey(text: string): string {
  if (text === '-Infinity') return '0';
  if (text === 'Infinity') return '4';
  if (text === 'NaN') return '5';
  const negative = text.startsWith('-');
  const [whole = '', fraction = ''] = text.replace('-', '').split('.');
  const all = `${whole}${fraction}`;
  const first = all.search(/[1-9]/);
  if (first < 0) return '2';
  const significant = all.slice(first).replace(/0+$/, '');
  const exponent = whole.length - first; // value = 0.significant × 10^exponent
  if (!negative) return `3${String(exponent + 500_000).padStart(7, '0')}${significant} `;
  const complement = [...significant].map((d) => String(9 - Number(d))).join('');
  return `1${String(500_000 - exponent).padStart(7, '0')}${complement}~`;
}

export function compareNumeric(a: string, b: string): number {
  const [x, y] = [numericKey(a), numericKey(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
