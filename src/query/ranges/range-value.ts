/**
 * The built-in range types, from and to PostgreSQL's text (the copy holds range_out's text:
 * '[1,5)', '(,3)', 'empty'; tstzrange's bounds in UTC, see range-elements.ts). The discrete ones
 * (int4range, int8range, daterange) are canonicalized; numrange, tsrange and tstzrange are not. Learned from
 * src/backend/utils/adt/rangetypes.c: range_cmp orders empty first, then by lower bound (an
 * unbounded one first), then by upper bound (an unbounded one last), comparing bounds as
 * range_cmp_bounds does; a discrete range is canonical with an inclusive lower and exclusive
 * upper bound. range_send writes a flags byte, then each finite bound as int32 length + the
 * element's send bytes.
 */
import { PgError, SqlState } from '../../errors.js';
import {
  compareNumeric,
  formatTimestampBound,
  normalizeNumeric,
  numericKey,
  PG_EPOCH_MICROS,
  TIMESTAMP_INFINITY,
  timestampMicros,
} from './range-elements.js';

export type RangeKind = 'int4' | 'int8' | 'date' | 'num' | 'ts' | 'tstz';

/** A bound's value: integers, days since 2000-01-01, µs since 1970; a numeric's text. */
type Element = bigint | string;

interface Bound {
  readonly value: Element | undefined;
  readonly inclusive: boolean;
  readonly lower: boolean;
}

export interface RangeValue {
  readonly empty: boolean;
  readonly lower: Bound;
  readonly upper: Bound;
}

const DAY_MS = 86_400_000;
/** PostgreSQL's date epoch (2000-01-01) in days since 1970-01-01. */
const PG_EPOCH_DAYS = 10_957n;
const DATE_INFINITY = 2_147_483_647n;
const DATE_MINUS_INFINITY = -2_147_483_648n;

function invalid(kind: RangeKind, text: string): PgError {
  return new PgError(SqlState.invalidTextRepresentation, `malformed range literal: "${text}"`, {
    detail: `as ${kind}range`,
  });
}

/** A date's text ('2024-01-31', 'infinity') → days since 2000-01-01; other spellings refused. */
function dateDays(text: string): bigint {
  if (text === 'infinity') return DATE_INFINITY;
  if (text === '-infinity') return DATE_MINUS_INFINITY;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) {
    throw new PgError(
      SqlState.featureNotSupported,
      `date "${text}" in a range is not supported by pg_analytica`,
      {
        hint: 'write dates as YYYY-MM-DD (years 1 to 9999)',
      },
    );
  }
  const date = new Date(0);
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number(m[1]) < 1 || date.getUTCDate() !== Number(m[3]) || date.getUTCMonth() !== Number(m[2]) - 1)
    throw new PgError(SqlState.datetimeFieldOverflow, `date/time field value out of range: "${text}"`);
  return BigInt(Math.round(date.getTime() / DAY_MS)) - PG_EPOCH_DAYS;
}

function formatDate(days: bigint): string {
  if (days === DATE_INFINITY) return 'infinity';
  if (days === DATE_MINUS_INFINITY) return '-infinity';
  return new Date(Number(days + PG_EPOCH_DAYS) * DAY_MS).toISOString().slice(0, 10);
}

const DISCRETE = new Set<RangeKind>(['int4', 'int8', 'date']);

/**
 * An element's text as a value: integers as themselves, dates as days, timestamps as µs,
 * numerics as numeric_out's text. `timeZone` reads a timestamptz without an offset.
 */
export function elementValue(kind: RangeKind, text: string, timeZone = 'UTC'): Element {
  if (kind === 'num') return normalizeNumeric(text);
  if (kind === 'ts' || kind === 'tstz') return timestampMicros(text, kind === 'tstz', timeZone);
  if (kind === 'date') return dateDays(text);
  if (!/^[+-]?\d+$/.test(text)) throw invalid(kind, text);
  const value = BigInt(text);
  const limit = kind === 'int4' ? 2n ** 31n : 2n ** 63n;
  if (value < -limit || value >= limit)
    throw new PgError(
      SqlState.numericValueOutOfRange,
      `value "${text}" is out of range for type ${kind === 'int4' ? 'integer' : 'bigint'}`,
    );
  return value;
}

/** The element's text; a timestamptz in `timeZone`. */
function formatElement(kind: RangeKind, value: Element, timeZone = 'UTC'): string {
  if (typeof value === 'string') return value;
  if (kind === 'ts' || kind === 'tstz') return formatTimestampBound(value, kind === 'tstz', timeZone);
  return kind === 'date' ? formatDate(value) : String(value);
}

function compareValues(a: Element, b: Element): number {
  if (typeof a === 'string' || typeof b === 'string') return compareNumeric(String(a), String(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** range_in, canonicalized as a discrete type's canonical function does. */
export function parseRange(kind: RangeKind, text: string, timeZone = 'UTC'): RangeValue {
  const t = text.trim();
  const infinite = (lower: boolean): Bound => ({ value: undefined, inclusive: false, lower });
  if (t.toLowerCase() === 'empty') return { empty: true, lower: infinite(true), upper: infinite(false) };
  const m = /^([[(])\s*("?)([^,"]*)\2\s*,\s*("?)([^,"]*)\4\s*([\])])$/.exec(t);
  if (m === null) throw invalid(kind, text);
  const lowerText = m[3]!.trim();
  const upperText = m[5]!.trim();
  let lower: Bound =
    lowerText === '' && m[2] === ''
      ? infinite(true)
      : { value: elementValue(kind, lowerText, timeZone), inclusive: m[1] === '[', lower: true };
  let upper: Bound =
    upperText === '' && m[4] === ''
      ? infinite(false)
      : { value: elementValue(kind, upperText, timeZone), inclusive: m[6] === ']', lower: false };
  if (lower.value !== undefined && upper.value !== undefined && compareValues(lower.value, upper.value) > 0)
    throw new PgError(
      SqlState.dataException,
      'range lower bound must be less than or equal to range upper bound',
    );
  // Canonical form: [lower, upper) (int4range_canonical, daterange_canonical; infinite dates stay).
  const steps = (v: Element | undefined): v is bigint =>
    typeof v === 'bigint' &&
    DISCRETE.has(kind) &&
    (kind !== 'date' || (v !== DATE_INFINITY && v !== DATE_MINUS_INFINITY));
  if (!lower.inclusive && steps(lower.value)) lower = { ...lower, value: lower.value + 1n, inclusive: true };
  if (upper.inclusive && steps(upper.value)) upper = { ...upper, value: upper.value + 1n, inclusive: false };
  // make_range: equal bounds are empty unless both are inclusive ('[1.5,1.5]' is not).
  if (lower.value !== undefined && upper.value !== undefined && compareBounds(lower, upper) >= 0)
    if (compareValues(lower.value, upper.value) !== 0 || !lower.inclusive || !upper.inclusive)
      return { empty: true, lower: infinite(true), upper: infinite(false) };
  return { empty: false, lower, upper };
}

/** range_bound_escape: quoted when empty or holding "\(),[] or whitespace. */
function boundText(text: string): string {
  return text === '' || /["\\(),[\]\s]/.test(text) ? `"${text.replace(/["\\]/g, (c) => c + c)}"` : text;
}

/** range_out (a tstzrange's bounds in `timeZone`). */
export function formatRange(kind: RangeKind, range: RangeValue, timeZone = 'UTC'): string {
  if (range.empty) return 'empty';
  const bound = (b: Bound) =>
    b.value === undefined ? '' : boundText(formatElement(kind, b.value, timeZone));
  const open = range.lower.inclusive ? '[' : '(';
  const close = range.upper.inclusive ? ']' : ')';
  return `${open}${bound(range.lower)},${bound(range.upper)}${close}`;
}

/** range_cmp_bounds. */
function compareBounds(a: Bound, b: Bound): number {
  if (a.value === undefined && b.value === undefined) return a.lower === b.lower ? 0 : a.lower ? -1 : 1;
  if (a.value === undefined) return a.lower ? -1 : 1;
  if (b.value === undefined) return b.lower ? 1 : -1;
  const order = compareValues(a.value, b.value);
  if (order !== 0) return order;
  if (!a.inclusive && !b.inclusive) return a.lower === b.lower ? 0 : a.lower ? 1 : -1;
  if (!a.inclusive) return a.lower ? 1 : -1;
  if (!b.inclusive) return b.lower ? -1 : 1;
  return 0;
}

/** A bound as a string (no one a prefix of another) whose byte order is range_cmp_bounds' order. */
function boundKey(b: Bound): string {
  if (b.value === undefined) return b.lower ? '0' : '2';
  const value =
    typeof b.value === 'string' ? numericKey(b.value) : (b.value + 2n ** 63n).toString(16).padStart(16, '0');
  // At one value: an exclusive lower bound sorts after the inclusive one, an exclusive upper before.
  const tie = b.lower ? (b.inclusive ? '0' : '1') : b.inclusive ? '1' : '0';
  return `1${value}${tie}`;
}

/** range_cmp's order as a string. */
export function rangeSortKey(range: RangeValue): string {
  return range.empty ? '0' : `1${boundKey(range.lower)}${boundKey(range.upper)}`;
}

/** range @> element. */
export function containsElement(range: RangeValue, value: Element): boolean {
  if (range.empty) return false;
  const point = { value, inclusive: true };
  return (
    compareBounds(range.lower, { ...point, lower: true }) <= 0 &&
    compareBounds(range.upper, { ...point, lower: false }) >= 0
  );
}

/** a @> b (range_contains_internal). */
export function containsRange(a: RangeValue, b: RangeValue): boolean {
  if (b.empty) return true;
  if (a.empty) return false;
  return compareBounds(a.lower, b.lower) <= 0 && compareBounds(a.upper, b.upper) >= 0;
}

/** a && b (range_overlaps_internal). */
export function overlaps(a: RangeValue, b: RangeValue): boolean {
  if (a.empty || b.empty) return false;
  if (compareBounds(a.lower, b.lower) >= 0 && compareBounds(a.lower, b.upper) <= 0) return true;
  return compareBounds(b.lower, a.lower) >= 0 && compareBounds(b.lower, a.upper) <= 0;
}

const RANGE_EMPTY = 0x01;
const RANGE_LB_INC = 0x02;
const RANGE_UB_INC = 0x04;
const RANGE_LB_INF = 0x08;
const RANGE_UB_INF = 0x10;

/** A numeric bound's own codec (numeric_send / numeric_recv), which the server protocol has. */
export interface NumericCodec {
  encode(text: string): Buffer;
  decode(bytes: Buffer): string;
}

const SIZES: Readonly<Record<RangeKind, number | undefined>> = {
  int4: 4,
  int8: 8,
  date: 4,
  ts: 8,
  tstz: 8,
  num: undefined,
};

/** timestamp_send's -infinity (INT64_MIN; format-datetime.ts marks it -(2^63 - 1)). */
const PG_MINUS_INFINITY = -(2n ** 63n);

/** A timestamp as timestamp_send writes it: µs since 2000-01-01, ±infinity as INT64_MAX/MIN. */
function pgMicros(micros: bigint): bigint {
  if (micros === TIMESTAMP_INFINITY) return micros;
  return micros === -TIMESTAMP_INFINITY ? PG_MINUS_INFINITY : micros - PG_EPOCH_MICROS;
}

function elementBytes(kind: RangeKind, value: Element, numeric?: NumericCodec): Buffer {
  if (typeof value === 'string') return numeric!.encode(value);
  const out = Buffer.alloc(SIZES[kind]!);
  if (kind === 'int8') out.writeBigInt64BE(value);
  else if (kind === 'ts' || kind === 'tstz') out.writeBigInt64BE(pgMicros(value));
  else out.writeInt32BE(Number(value));
  return out;
}

function readElement(kind: RangeKind, bytes: Buffer, numeric?: NumericCodec): Element {
  if (kind === 'num') return numeric!.decode(bytes);
  if (kind === 'int8') return bytes.readBigInt64BE();
  if (kind === 'ts' || kind === 'tstz') {
    const micros = bytes.readBigInt64BE();
    if (micros === TIMESTAMP_INFINITY) return micros;
    return micros === PG_MINUS_INFINITY ? -TIMESTAMP_INFINITY : micros + PG_EPOCH_MICROS;
  }
  return BigInt(bytes.readInt32BE());
}

/** range_send (a tstzrange's text may carry any UTC offsets). */
export function rangeSend(kind: RangeKind, text: string, numeric?: NumericCodec): Buffer {
  const range = parseRange(kind, text);
  if (range.empty) return Buffer.of(RANGE_EMPTY);
  const parts: Buffer[] = [];
  let flags = 0;
  for (const b of [range.lower, range.upper]) {
    if (b.value === undefined) flags |= b.lower ? RANGE_LB_INF : RANGE_UB_INF;
    else {
      if (b.inclusive) flags |= b.lower ? RANGE_LB_INC : RANGE_UB_INC;
      const bytes = elementBytes(kind, b.value, numeric);
      const length = Buffer.alloc(4);
      length.writeInt32BE(bytes.length);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat([Buffer.of(flags), ...parts]);
}

/** range_recv → its text (a tstzrange's in UTC). */
export function rangeReceive(kind: RangeKind, bytes: Buffer, numeric?: NumericCodec): string {
  const bad = () => new PgError(SqlState.invalidBinaryRepresentation, `invalid binary ${kind}range value`);
  const flags = bytes[0];
  if (flags === undefined) throw bad();
  if (flags & RANGE_EMPTY) {
    if (bytes.length !== 1) throw bad();
    return 'empty';
  }
  let at = 1;
  const read = (): string => {
    if (bytes.length < at + 4) throw bad();
    const length = bytes.readInt32BE(at);
    const size = SIZES[kind];
    if (length < 0 || (size !== undefined && length !== size) || bytes.length < at + 4 + length) throw bad();
    at += 4 + length;
    return boundText(formatElement(kind, readElement(kind, bytes.subarray(at - length, at), numeric)));
  };
  const lower = flags & RANGE_LB_INF ? '' : read();
  const upper = flags & RANGE_UB_INF ? '' : read();
  if (at !== bytes.length) throw bad();
  return `${flags & RANGE_LB_INC ? '[' : '('}${lower},${upper}${flags & RANGE_UB_INC ? ']' : ')'}`;
}

/**
 * A timestamp bound of a tsrange/tstzrange as µs since 1970 ('infinity', '-infinity' as such);
 * null when empty or unbounded. DuckDB's cast of the text reads no BC year; its make_timestamp does.
 */
export function boundMicros(kind: RangeKind, text: string, upper: boolean): string | null {
  const range = parseRange(kind, text);
  const value = range.empty ? undefined : (upper ? range.upper : range.lower).value;
  if (value === undefined) return null;
  if (value === TIMESTAMP_INFINITY) return 'infinity';
  return value === -TIMESTAMP_INFINITY ? '-infinity' : String(value);
}

/** A tstzrange's text (bounds in any offsets) as timestamptz_out prints its bounds in `timeZone`. */
export function zonedRangeText(text: string, timeZone: string): string {
  return formatRange('tstz', parseRange('tstz', text), timeZone);
}
