/**
 * Binary date/time codecs. PostgreSQL sends (src/backend/utils/adt/date.c,
 * timestamp.c, integer datetimes):
 *   date         int32 days since 2000-01-01; INT32_MIN/MAX = -infinity/infinity
 *   time         int64 microseconds since midnight, 0..86400000000
 *   timetz       int64 microseconds, then int32 zone in seconds WEST of UTC
 *   timestamp    int64 microseconds since 2000-01-01 00:00; INT64_MIN/MAX = ±infinity
 *   timestamptz  the same, in UTC
 *   interval     int64 microseconds, int32 days, int32 months; all MIN/MAX = ±infinity
 * The text side is DateStyle ISO and IntervalStyle postgres, as PostgreSQL
 * prints them: years below 1 are written as "0044-03-15 BC", offsets as
 * +HH, +HH:MM or +HH:MM:SS (historical local mean time).
 */
import { PgError, SqlState } from '../../errors.js';
import { type BinaryCodec, badText, expectLength } from './binary-codec.js';

const POSTGRES_EPOCH_JDATE = 2451545;
const USECS_PER_DAY = 86_400_000_000n;
const USECS_PER_HOUR = 3_600_000_000n;
const USECS_PER_MINUTE = 60_000_000n;
const USECS_PER_SEC = 1_000_000n;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Valid dates run from Julian day 0 (4714-11-24 BC) to before 5874898-01-01. */
const DATE_MIN = 0 - POSTGRES_EPOCH_JDATE;
const DATE_END = 2147483494 - POSTGRES_EPOCH_JDATE;
/** Valid timestamps run from 4714-11-24 00:00 BC to before 294277-01-01. */
const TIMESTAMP_MIN = -211813488000000000n;
const TIMESTAMP_END = 9223371331200000000n;
/** Zone displacements must stay under 16 hours (TZDISP_LIMIT). */
const TZDISP_LIMIT = 16 * 3600;

/** Julian day of a proleptic Gregorian date; `year` is astronomical (1 BC = 0). PostgreSQL's date2j. */
function date2j(year: number, month: number, day: number): number {
  let y = year;
  let m = month;
  if (m > 2) {
    m += 1;
    y += 4800;
  } else {
    m += 13;
    y += 4799;
  }
  const century = Math.floor(y / 100);
  return (
    y * 365 -
    32167 +
    Math.floor(y / 4) -
    century +
    Math.floor(century / 4) +
    Math.floor((7834 * m) / 256) +
    day
  );
}

/** PostgreSQL's j2date, for Julian days ≥ 0. */
function j2date(jd: number): { year: number; month: number; day: number } {
  let julian = jd + 32044;
  let quad = Math.floor(julian / 146097);
  const extra = (julian - quad * 146097) * 4 + 3;
  julian += 60 + quad * 3 + Math.floor(extra / 146097);
  quad = Math.floor(julian / 1461);
  julian -= quad * 1461;
  let y = Math.floor((julian * 4) / 1461);
  julian = (y !== 0 ? (julian + 305) % 365 : (julian + 306) % 366) + 123;
  y += quad * 4;
  const q = Math.floor((julian * 2141) / 65536);
  return { year: y - 4800, month: ((q + 10) % 12) + 1, day: julian - Math.floor((7834 * q) / 256) };
}

const pad2 = (n: number | bigint): string => String(n).padStart(2, '0');

/** ".ffffff" without trailing zeros, or "" for whole seconds. */
function fraction(micros: bigint): string {
  if (micros === 0n) return '';
  return `.${String(micros).padStart(6, '0').replace(/0+$/, '')}`;
}

function fractionMicros(digits: string | undefined): bigint {
  return digits === undefined ? 0n : BigInt(digits.padEnd(6, '0'));
}

// --- text → binary -------------------------------------------------------

const DATE = /^(\d{4,})-(\d\d)-(\d\d)$/;
const TIME = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const OFFSET = /^([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/** Days since 2000-01-01 of "YYYY-MM-DD" (BC already split off). */
function parseDays(text: string, bc: boolean): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  return date2j(bc ? 1 - year : year, Number(m[2]), Number(m[3])) - POSTGRES_EPOCH_JDATE;
}

function parseTime(text: string): bigint | undefined {
  const m = TIME.exec(text);
  if (!m) return undefined;
  const seconds = (Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3]);
  return BigInt(seconds) * USECS_PER_SEC + fractionMicros(m[4]);
}

/** Seconds EAST of UTC of "+05:53:28". */
function parseOffset(text: string): number | undefined {
  const m = OFFSET.exec(text);
  if (!m) return undefined;
  const seconds = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

/** Splits "time+offset" at the offset's sign. */
function splitOffset(text: string): [string, string] | undefined {
  const at = text.search(/[+-]/);
  return at < 0 ? undefined : [text.slice(0, at), text.slice(at)];
}

function int64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64BE(value);
  return out;
}

function encodeDate(text: string): Buffer {
  const out = Buffer.alloc(4);
  if (text === 'infinity') out.writeInt32BE(INT32_MAX);
  else if (text === '-infinity') out.writeInt32BE(INT32_MIN);
  else {
    const bc = text.endsWith(' BC');
    const days = parseDays(bc ? text.slice(0, -3) : text, bc);
    if (days === undefined || days < DATE_MIN || days >= DATE_END) throw badText('date', text);
    out.writeInt32BE(days);
  }
  return out;
}

function encodeTimestamp(text: string, withZone: boolean): Buffer {
  const typeName = withZone ? 'timestamp with time zone' : 'timestamp without time zone';
  if (text === 'infinity') return int64(INT64_MAX);
  if (text === '-infinity') return int64(INT64_MIN);
  const bc = text.endsWith(' BC');
  const body = bc ? text.slice(0, -3) : text;
  const space = body.indexOf(' ');
  const days = parseDays(body.slice(0, space), bc);
  let timePart = body.slice(space + 1);
  let offsetSeconds = 0;
  if (withZone) {
    const split = splitOffset(timePart);
    const offset = split && parseOffset(split[1]);
    if (split === undefined || offset === undefined) throw badText(typeName, text);
    timePart = split[0];
    offsetSeconds = offset;
  }
  const time = parseTime(timePart);
  if (space < 0 || days === undefined || time === undefined) throw badText(typeName, text);
  const micros = BigInt(days) * USECS_PER_DAY + time - BigInt(offsetSeconds) * USECS_PER_SEC;
  if (micros < TIMESTAMP_MIN || micros >= TIMESTAMP_END) throw badText(typeName, text);
  return int64(micros);
}

function encodeTime(text: string): Buffer {
  const time = parseTime(text);
  if (time === undefined || time > USECS_PER_DAY) throw badText('time without time zone', text);
  return int64(time);
}

function encodeTimetz(text: string): Buffer {
  const split = splitOffset(text);
  const time = split && parseTime(split[0]);
  const offset = split && parseOffset(split[1]);
  if (
    time === undefined ||
    offset === undefined ||
    time > USECS_PER_DAY ||
    Math.abs(offset) >= TZDISP_LIMIT
  ) {
    throw badText('time with time zone', text);
  }
  const out = Buffer.alloc(12);
  out.writeBigInt64BE(time);
  out.writeInt32BE(-offset, 8);
  return out;
}

const INTERVAL_TIME = /^([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/;
const INTERVAL_UNIT_MONTHS: Readonly<Record<string, number>> = { year: 12, years: 12, mon: 1, mons: 1 };

/** IntervalStyle postgres: "[N year[s]] [N mon[s]] [N day[s]] [±HH:MM:SS[.f]]", each part signed. */
function encodeInterval(text: string): Buffer {
  const out = Buffer.alloc(16);
  if (text === 'infinity' || text === '-infinity') {
    const positive = text === 'infinity';
    out.writeBigInt64BE(positive ? INT64_MAX : INT64_MIN);
    out.writeInt32BE(positive ? INT32_MAX : INT32_MIN, 8);
    out.writeInt32BE(positive ? INT32_MAX : INT32_MIN, 12);
    return out;
  }
  const tokens = text.split(' ');
  let months = 0;
  let days = 0;
  let micros = 0n;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const time = INTERVAL_TIME.exec(token);
    if (time) {
      const hours = BigInt(time[2] ?? '0');
      const abs =
        hours * USECS_PER_HOUR +
        BigInt(time[3] ?? '0') * USECS_PER_MINUTE +
        BigInt(time[4] ?? '0') * USECS_PER_SEC +
        fractionMicros(time[5]);
      micros += time[1] === '-' ? -abs : abs;
      continue;
    }
    const unit = tokens[++i];
    if (!/^[+-]?\d+$/.test(token) || unit === undefined) throw badText('interval', text);
    const value = Number(token);
    const perMonths = INTERVAL_UNIT_MONTHS[unit];
    if (perMonths !== undefined) months += value * perMonths;
    else if (unit === 'day' || unit === 'days') days += value;
    else throw badText('interval', text);
  }
  if (!fitsInt32(months) || !fitsInt32(days) || micros < INT64_MIN || micros > INT64_MAX) {
    throw badText('interval', text);
  }
  out.writeBigInt64BE(micros);
  out.writeInt32BE(days, 8);
  out.writeInt32BE(months, 12);
  return out;
}

function fitsInt32(n: number): boolean {
  return Number.isSafeInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

// --- binary → text -------------------------------------------------------

function outOfRange(what: string): PgError {
  return new PgError(SqlState.datetimeFieldOverflow, `${what} out of range in binary value`);
}

/** "YYYY-MM-DD" and whether it is BC, of days since 2000-01-01. */
function formatDays(days: number): [string, boolean] {
  const { year, month, day } = j2date(days + POSTGRES_EPOCH_JDATE);
  const bc = year <= 0;
  return [`${String(bc ? 1 - year : year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`, bc];
}

function formatTime(micros: bigint): string {
  const seconds = micros / USECS_PER_SEC;
  const hours = seconds / 3600n;
  const minutes = (seconds / 60n) % 60n;
  return `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds % 60n)}${fraction(micros % USECS_PER_SEC)}`;
}

/** "+HH", "+HH:MM" or "+HH:MM:SS" of seconds east of UTC, as PostgreSQL's EncodeTimezone. */
function formatOffset(eastSeconds: number): string {
  const abs = Math.abs(eastSeconds);
  const hours = Math.floor(abs / 3600);
  const minutes = Math.floor(abs / 60) % 60;
  const seconds = abs % 60;
  const tail =
    seconds !== 0 ? `:${pad2(minutes)}:${pad2(seconds)}` : minutes !== 0 ? `:${pad2(minutes)}` : '';
  return `${eastSeconds < 0 ? '-' : '+'}${pad2(hours)}${tail}`;
}

function decodeDate(bytes: Buffer): string {
  expectLength('date', bytes, 4);
  const days = bytes.readInt32BE(0);
  if (days === INT32_MAX) return 'infinity';
  if (days === INT32_MIN) return '-infinity';
  if (days < DATE_MIN || days >= DATE_END) throw outOfRange('date');
  const [date, bc] = formatDays(days);
  return bc ? `${date} BC` : date;
}

function decodeTimestamp(bytes: Buffer, withZone: boolean): string {
  expectLength(withZone ? 'timestamptz' : 'timestamp', bytes, 8);
  const micros = bytes.readBigInt64BE(0);
  if (micros === INT64_MAX) return 'infinity';
  if (micros === INT64_MIN) return '-infinity';
  if (micros < TIMESTAMP_MIN || micros >= TIMESTAMP_END) throw outOfRange('timestamp');
  let days = micros / USECS_PER_DAY;
  let time = micros % USECS_PER_DAY;
  if (time < 0n) {
    days -= 1n;
    time += USECS_PER_DAY;
  }
  const [date, bc] = formatDays(Number(days));
  return `${date} ${formatTime(time)}${withZone ? '+00' : ''}${bc ? ' BC' : ''}`;
}

function decodeTime(bytes: Buffer): string {
  expectLength('time', bytes, 8);
  const micros = bytes.readBigInt64BE(0);
  if (micros < 0n || micros > USECS_PER_DAY) throw outOfRange('time');
  return formatTime(micros);
}

function decodeTimetz(bytes: Buffer): string {
  expectLength('timetz', bytes, 12);
  const micros = bytes.readBigInt64BE(0);
  const zone = bytes.readInt32BE(8);
  if (micros < 0n || micros > USECS_PER_DAY) throw outOfRange('time');
  if (zone <= -TZDISP_LIMIT || zone >= TZDISP_LIMIT) {
    throw new PgError(
      SqlState.invalidBinaryRepresentation,
      'time zone displacement out of range in binary value',
    );
  }
  return `${formatTime(micros)}${formatOffset(-zone)}`;
}

/** IntervalStyle postgres, as PostgreSQL's EncodeInterval prints it, so its input reads it back. */
function decodeInterval(bytes: Buffer): string {
  expectLength('interval', bytes, 16);
  const micros = bytes.readBigInt64BE(0);
  const days = bytes.readInt32BE(8);
  const months = bytes.readInt32BE(12);
  if (micros === INT64_MAX && days === INT32_MAX && months === INT32_MAX) return 'infinity';
  if (micros === INT64_MIN && days === INT32_MIN && months === INT32_MIN) return '-infinity';
  const parts: string[] = [];
  let before = false;
  const addPart = (value: number, unit: string): void => {
    if (value === 0) return;
    parts.push(`${before && value > 0 ? '+' : ''}${value} ${unit}${value !== 1 ? 's' : ''}`);
    before = value < 0;
  };
  addPart(Math.trunc(months / 12), 'year');
  addPart(months % 12, 'mon');
  addPart(days, 'day');
  if (micros === INT64_MIN) {
    // PostgreSQL prints this as "-2562047788:00:54.775808" but cannot read
    // that back (the magnitude overflows before the sign applies); units can.
    parts.push('-2562047788 hours -54.775808 seconds');
  } else if (parts.length === 0 || micros !== 0n) {
    const abs = micros < 0n ? -micros : micros;
    const sign = micros < 0n ? '-' : before ? '+' : '';
    const hours = abs / USECS_PER_HOUR;
    const minutes = (abs / USECS_PER_MINUTE) % 60n;
    const seconds = (abs / USECS_PER_SEC) % 60n;
    parts.push(`${sign}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}${fraction(abs % USECS_PER_SEC)}`);
  }
  return parts.join(' ');
}

export const datetimeCodecs: ReadonlyMap<number, BinaryCodec> = new Map<number, BinaryCodec>([
  [1082, { name: 'date', encode: encodeDate, decode: decodeDate }],
  [1083, { name: 'time without time zone', encode: encodeTime, decode: decodeTime }],
  [1266, { name: 'time with time zone', encode: encodeTimetz, decode: decodeTimetz }],
  [
    1114,
    {
      name: 'timestamp without time zone',
      encode: (text) => encodeTimestamp(text, false),
      decode: (bytes) => decodeTimestamp(bytes, false),
    },
  ],
  [
    1184,
    {
      name: 'timestamp with time zone',
      encode: (text) => encodeTimestamp(text, true),
      decode: (bytes) => decodeTimestamp(bytes, true),
    },
  ],
  [1186, { name: 'interval', encode: encodeInterval, decode: decodeInterval }],
]);
