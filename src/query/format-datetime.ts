/**
 * PostgreSQL's text output of date, time, timetz, timestamp, timestamptz and
 * interval with DateStyle ISO and IntervalStyle postgres: EncodeDateOnly,
 * EncodeTimeOnly, EncodeDateTime, EncodeTimezone and EncodeInterval in
 * https://github.com/postgres/postgres/blob/REL_17_STABLE/src/backend/utils/adt/datetime.c
 *
 *   date         2024-01-31, 0044-03-15 BC, infinity, -infinity
 *   time         04:05:06.789 (fraction without trailing zeros, absent when 0)
 *   timestamp    2024-01-01 00:00:00.123456, 0044-03-15 12:00:00 BC
 *   timestamptz  2024-01-01 00:00:00+00, …-05, …+05:30, …-04:56:02, …-04:56:02 BC
 *   interval     1 year 2 mons -3 days +04:05:06.789, -00:00:01, 00:00:00
 *
 * DuckDB counts days and microseconds from 1970-01-01 on the proleptic
 * Gregorian calendar with a year 0, like PostgreSQL's Julian-day arithmetic;
 * astronomical year y <= 0 prints as (1 - y) BC.
 */
import type { DuckDBIntervalValue } from '@duckdb/node-api';
import type { TimeZoneOffsets } from './format-timezone.js';

const twoDigits = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));
const maxSafeMicros = BigInt(Number.MAX_SAFE_INTEGER);
/** DuckDB's ±infinity for DATE and for 64-bit timestamps. */
const dateInfinity = 2_147_483_647;
const timestampInfinity = 9_223_372_036_854_775_807n;
/** 0001-01-01, the first day of AD. */
const firstAdDay = -719_162;
const firstAdSecond = firstAdDay * 86_400;

function pad2(value: number): string {
  return twoDigits[value] ?? String(value);
}

/** Years print with at least four digits; BC years as their absolute value. */
function yearText(year: number): string {
  const shown = year > 0 ? year : 1 - year;
  return shown >= 1000 ? String(shown) : String(shown + 10000).slice(1);
}

/** 'YYYY-MM-DD' of a day count from 1970-01-01 (Howard Hinnant's civil_from_days). */
function dateText(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return `${yearText(year)}-${pad2(month)}-${pad2(day)}`;
}

/** '.123' for 123000 µs: AppendSeconds prints no trailing zeros and nothing for 0. */
function fractionText(micros: number): string {
  if (micros === 0) return '';
  const digits = String(micros + 1_000_000);
  let end = 7;
  while (digits.charCodeAt(end - 1) === 48) end--;
  return `.${digits.slice(1, end)}`;
}

function clockText(secondOfDay: number, micros: number): string {
  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  return `${pad2(hour)}:${pad2(minute)}:${pad2(secondOfDay % 60)}${fractionText(micros)}`;
}

/** Consecutive rows usually share a day: keep the last day's text. */
let lastDay = 0;
let lastDayText = dateText(0);

/** 'YYYY-MM-DD HH:MM:SS[.f]' of seconds from the epoch (without the BC suffix). */
function dateTimeText(seconds: number, micros: number): string {
  const days = Math.floor(seconds / 86_400);
  if (days !== lastDay) {
    lastDay = days;
    lastDayText = dateText(days);
  }
  return `${lastDayText} ${clockText(seconds - days * 86_400, micros)}`;
}

export function formatDate(days: number): string {
  if (days === dateInfinity) return 'infinity';
  if (days === -dateInfinity) return '-infinity';
  return days < firstAdDay ? `${dateText(days)} BC` : dateText(days);
}

/** time: microseconds since midnight, 24:00:00 included. */
export function formatTime(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  return clockText(seconds, micros - seconds * 1_000_000);
}

/** timetz: `offset` is in seconds east of Greenwich, as DuckDB stores it. */
export function formatTimeTz(micros: number, offset: number): string {
  return formatTime(micros) + offsetText(offset);
}

const offsetTexts = new Map<number, string>();

/** EncodeTimezone: '+00', '-05', '+05:30', '-04:56:02'. */
export function offsetText(offset: number): string {
  let text = offsetTexts.get(offset);
  if (text === undefined) {
    const magnitude = Math.abs(offset);
    const hours = Math.floor(magnitude / 3600);
    const minutes = Math.floor((magnitude % 3600) / 60);
    const seconds = magnitude % 60;
    text = (offset >= 0 ? '+' : '-') + pad2(hours);
    if (seconds !== 0) text += `:${pad2(minutes)}:${pad2(seconds)}`;
    else if (minutes !== 0) text += `:${pad2(minutes)}`;
    offsetTexts.set(offset, text);
  }
  return text;
}

/**
 * Splits microseconds from the epoch into whole seconds and a 0..999999
 * remainder. Numbers are exact up to 2^53 µs (years 1685..2255); beyond,
 * BigInt division takes over. Returns undefined for ±infinity.
 */
function splitMicros(micros: bigint, into: { seconds: number; micros: number }): boolean {
  if (micros >= -maxSafeMicros && micros <= maxSafeMicros) {
    const total = Number(micros);
    let seconds = Math.floor(total / 1_000_000);
    let rest = total - seconds * 1_000_000;
    if (rest < 0) {
      seconds--;
      rest += 1_000_000;
    } else if (rest >= 1_000_000) {
      seconds++;
      rest -= 1_000_000;
    }
    into.seconds = seconds;
    into.micros = rest;
    return true;
  }
  if (micros >= timestampInfinity || micros <= -timestampInfinity) return false;
  let seconds = micros / 1_000_000n;
  let rest = micros % 1_000_000n;
  if (rest < 0n) {
    seconds -= 1n;
    rest += 1_000_000n;
  }
  into.seconds = Number(seconds);
  into.micros = Number(rest);
  return true;
}

const scratch = { seconds: 0, micros: 0 };

/** timestamp (without time zone) from microseconds since 1970-01-01 00:00:00. */
export function formatTimestamp(micros: bigint): string {
  if (!splitMicros(micros, scratch)) return micros > 0n ? 'infinity' : '-infinity';
  const text = dateTimeText(scratch.seconds, scratch.micros);
  return scratch.seconds < firstAdSecond ? `${text} BC` : text;
}

/** A timestamptz printer for one session time zone (EncodeDateTime with print_tz). */
export function timestampTzFormatter(zone: TimeZoneOffsets): (micros: bigint) => string {
  const fixedOffset = zone.fixedOffset;
  return (micros) => {
    if (!splitMicros(micros, scratch)) return micros > 0n ? 'infinity' : '-infinity';
    const offset = fixedOffset ?? zone.offsetAt(scratch.seconds);
    const local = scratch.seconds + offset;
    const text = dateTimeText(local, scratch.micros) + offsetText(offset);
    return local < firstAdSecond ? `${text} BC` : text;
  };
}

/** Nanoseconds → microseconds, rounding half to even like PostgreSQL's rint() on input. */
export function nanosToMicros(nanos: bigint): bigint {
  let micros = nanos / 1000n;
  let rest = nanos % 1000n;
  if (rest < 0n) {
    micros -= 1n;
    rest += 1000n;
  }
  if (rest > 500n || (rest === 500n && micros % 2n !== 0n)) micros += 1n;
  return micros;
}

/**
 * IntervalStyle postgres (EncodeInterval, AddPostgresIntPart): nonzero
 * year/mon/day fields with their own signs, then the time part when it is
 * nonzero or nothing else was printed. A field gets an explicit '+' when the
 * field printed just before it was negative.
 */
export function formatInterval(value: DuckDBIntervalValue): string {
  const years = Math.trunc(value.months / 12);
  const months = value.months % 12;
  let text = '';
  let negativeBefore = false;
  for (const [amount, unit] of [
    [years, 'year'],
    [months, 'mon'],
    [value.days, 'day'],
  ] as const) {
    if (amount === 0) continue;
    const plus = negativeBefore && amount > 0 ? '+' : '';
    text += `${text === '' ? '' : ' '}${plus}${amount} ${unit}${amount === 1 ? '' : 's'}`;
    negativeBefore = amount < 0;
  }
  if (value.micros === 0n && text !== '') return text;
  const negative = value.micros < 0n;
  const sign = negative ? '-' : negativeBefore ? '+' : '';
  return `${text}${text === '' ? '' : ' '}${sign}${durationText(negative ? -value.micros : value.micros)}`;
}

/** 'HH:MM:SS[.f]' of a non-negative duration; hours may exceed 24 and 99. */
function durationText(micros: bigint): string {
  let seconds: number;
  let rest: number;
  if (micros <= maxSafeMicros) {
    const total = Number(micros);
    seconds = Math.floor(total / 1_000_000);
    rest = total - seconds * 1_000_000;
    if (rest < 0) {
      seconds--;
      rest += 1_000_000;
    } else if (rest >= 1_000_000) {
      seconds++;
      rest -= 1_000_000;
    }
  } else {
    seconds = Number(micros / 1_000_000n);
    rest = Number(micros % 1_000_000n);
  }
  const hours = Math.floor(seconds / 3600);
  const secondOfHour = seconds - hours * 3600;
  return `${pad2(hours)}:${pad2(Math.floor(secondOfHour / 60))}:${pad2(secondOfHour % 60)}${fractionText(rest)}`;
}
