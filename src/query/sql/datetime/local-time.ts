/**
 * A timestamptz's local time in the session's TimeZone, and back. DuckDB converts through ICU's
 * calendar (CAST(tz AS TIMESTAMP)), which costs about a microsecond a row — most of the time of
 * a date_trunc or EXTRACT over a timestamptz column. Where the session's zone is UTC (or one of
 * its names) the local time is the instant itself, computed from its epoch microseconds with no
 * calendar; other zones keep ICU's conversion, which follows their offsets and daylight saving.
 *
 * Callers guard ±infinity first (its epoch microseconds are no time).
 */
import { withValues } from './interval-parts.js';

/** The zone names that are UTC, as PostgreSQL's tz database has them (compared without case). */
const UTC_NAMES = new Set(
  [
    'UTC',
    'UCT',
    'GMT',
    'GMT0',
    'GMT+0',
    'GMT-0',
    'Greenwich',
    'Universal',
    'Zulu',
    'Z',
    'Etc/UTC',
    'Etc/UCT',
    'Etc/GMT',
    'Etc/GMT0',
    'Etc/GMT+0',
    'Etc/GMT-0',
    'Etc/Greenwich',
    'Etc/Universal',
    'Etc/Zulu',
  ].map((n) => n.toLowerCase()),
);

export function isUtc(timeZone: string | undefined): boolean {
  return timeZone !== undefined && UTC_NAMES.has(timeZone.trim().toLowerCase());
}

/** The local TIMESTAMP of TIMESTAMPTZ `sql` in the session's zone. */
export function localTimestamp(timeZone: string | undefined, sql: string): string {
  return isUtc(timeZone) ? `make_timestamp(epoch_us(${sql}))` : `CAST(${sql} AS TIMESTAMP)`;
}

/**
 * The TIMESTAMPTZ of local TIMESTAMP `sql` read in the session's zone. A local time that occurs
 * twice (the hour a fall-back transition repeats) is the later instant, as PostgreSQL's
 * DetermineTimeZoneOffset takes it ("prefer after" in a fall-back); ICU takes the earlier one. A
 * skipped local time (spring forward) is read with the offset before the transition by both.
 */
export function zonedTimestamp(timeZone: string | undefined, sql: string): string {
  if (isUtc(timeZone)) return `make_timestamptz(epoch_us(${sql}))`;
  const offset = (x: string) => `(epoch_us(CAST(${x} AS TIMESTAMP)) - epoch_us(${x}))`;
  // Zones change offset at most once in two days (PostgreSQL's assumption too): the offset a
  // day later is the one after a transition that makes this local time ambiguous. ICU's own
  // reading c has the offset local - c (for a skipped time too, where the later offset is the
  // larger, so nothing is corrected); only the offset a day later costs a conversion per row,
  // and the later reading is checked only where that offset is the smaller (a fall-back ahead).
  return withValues([sql, `CAST(${sql} AS TIMESTAMPTZ)`], ([local, first]) => {
    const c = first!;
    const own = `(epoch_us(${local}) - epoch_us(${c}))`;
    const after = offset(`(${c} + to_microseconds(86400000000))`);
    const later = `(${c} + to_microseconds(${own} - ${after}))`;
    const ambiguous = `(CASE WHEN ${offset(later)} = ${after} THEN ${later} ELSE ${c} END)`;
    return `(CASE WHEN ${after} < ${own} THEN ${ambiguous} ELSE ${c} END)`;
  });
}
