/**
 * UTC offsets of a session TimeZone, for printing timestamptz the way
 * PostgreSQL does. Offsets are in seconds east of Greenwich (New York in
 * winter is -18000); historical local mean time keeps its seconds
 * (America/New_York before 1883 is -17762, printed '-04:56:02').
 *
 * The TimeZone value is what PostgreSQL stores for SET TimeZone:
 * - a UTC alias: fixed 0 without touching Intl;
 * - a POSIX zone without daylight rule ('UTC+5', '<-07>+07', '+05:30', the
 *   form `SET TIME ZONE 5.5` is stored as), where the sign counts hours WEST
 *   of Greenwich: https://www.postgresql.org/docs/current/datetime-posix-timezone-specs.html
 * - an IANA zone name, resolved with ICU through Intl.
 */
import { PgError, SqlState } from '../errors.js';

export interface TimeZoneOffsets {
  /** Seconds to add to UTC to get local time, at Unix time `epochSeconds`. */
  offsetAt(epochSeconds: number): number;
  /** True when the offset never changes (no per-value lookup needed). */
  readonly fixedOffset: number | undefined;
}

const utcAliases = new Set([
  'utc',
  'gmt',
  'z',
  'zulu',
  'uct',
  'universal',
  'greenwich',
  'gmt0',
  'gmt+0',
  'gmt-0',
  'etc/utc',
  'etc/gmt',
  'etc/uct',
  'etc/zulu',
  'etc/universal',
  'etc/greenwich',
  'etc/gmt0',
  'etc/gmt+0',
  'etc/gmt-0',
]);

const posixFixed = /^(?:<[^>]*>|[A-Za-z]{3,})?([+-]?)(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?$/;

const cache = new Map<string, TimeZoneOffsets>();

/** The offsets of a TimeZone setting; throws 22023 for a name neither PostgreSQL syntax nor ICU knows. */
export function timeZoneOffsets(timeZone: string): TimeZoneOffsets {
  let zone = cache.get(timeZone);
  if (zone === undefined) {
    zone = resolveTimeZone(timeZone);
    cache.set(timeZone, zone);
  }
  return zone;
}

function resolveTimeZone(timeZone: string): TimeZoneOffsets {
  if (utcAliases.has(timeZone.toLowerCase())) return fixed(0);
  const posix = posixFixed.exec(timeZone);
  if (posix !== null) {
    const [, sign, hours, minutes, seconds] = posix;
    const west = Number(hours) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0);
    return fixed(sign === '-' ? west : -west);
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (cause) {
    throw new PgError(SqlState.invalidParameterValue, `time zone "${timeZone}" is not recognized`, {
      cause,
    });
  }
  return new IntlZone(format);
}

function fixed(offset: number): TimeZoneOffsets {
  return { fixedOffset: offset, offsetAt: () => offset };
}

const secondsPerDay = 86_400;
/** JS Date covers ±8.64e15 ms, PostgreSQL's timestamps reach 294276 AD. */
const maxDateSeconds = 8.64e12;
/**
 * 400 Gregorian years, after which dates fall on the same weekdays again, so
 * a zone's final (POSIX TZ) rule gives the same offsets: instants past the
 * JS Date range are moved back by whole cycles.
 */
const gregorianCycleSeconds = 146_097 * secondsPerDay;

/** A day whose offset changes once: `before` until second `at`, `after` from it. */
interface Transition {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

/**
 * An IANA zone. Asking ICU costs microseconds, so offsets are cached per UTC
 * day: a day is either one offset or one transition, found by bisection to
 * the second. (No zone changes offset twice within one day.)
 */
class IntlZone implements TimeZoneOffsets {
  readonly fixedOffset = undefined;
  readonly #format: Intl.DateTimeFormat;
  readonly #days = new Map<number, number | Transition>();
  readonly #instants = new Map<number, number>();

  constructor(format: Intl.DateTimeFormat) {
    this.#format = format;
  }

  offsetAt(epochSeconds: number): number {
    const day = Math.floor(epochSeconds / secondsPerDay);
    let entry = this.#days.get(day);
    if (entry === undefined) {
      entry = this.#describeDay(day);
      this.#days.set(day, entry);
    }
    if (typeof entry === 'number') return entry;
    return epochSeconds < entry.at ? entry.before : entry.after;
  }

  #describeDay(day: number): number | Transition {
    let low = day * secondsPerDay;
    let high = low + secondsPerDay;
    const before = this.#cachedOffset(low);
    const after = this.#cachedOffset(high);
    if (before === after) return before;
    // Invariant: offset(low) === before, offset(high) === after.
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (this.#offset(middle) === before) low = middle;
      else high = middle;
    }
    return { at: high, before, after };
  }

  #cachedOffset(epochSeconds: number): number {
    let offset = this.#instants.get(epochSeconds);
    if (offset === undefined) {
      offset = this.#offset(epochSeconds);
      this.#instants.set(epochSeconds, offset);
    }
    return offset;
  }

  /** Local wall time minus UTC, from ICU's calendar fields. */
  #offset(epochSeconds: number): number {
    let seconds = Math.max(epochSeconds, -maxDateSeconds);
    if (seconds > maxDateSeconds) {
      seconds -= Math.ceil((seconds - maxDateSeconds) / gregorianCycleSeconds) * gregorianCycleSeconds;
    }
    const fields = { era: '', year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.#format.formatToParts(seconds * 1000)) {
      if (part.type === 'era') fields.era = part.value;
      else if (part.type in fields) (fields as Record<string, unknown>)[part.type] = Number(part.value);
    }
    const year = fields.era === 'BC' || fields.era === 'B' ? 1 - fields.year : fields.year;
    const local = new Date(0);
    local.setUTCFullYear(year, fields.month - 1, fields.day);
    local.setUTCHours(fields.hour, fields.minute, fields.second, 0);
    return local.getTime() / 1000 - seconds;
  }
}
