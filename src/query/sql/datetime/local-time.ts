/**
 * A timestamptz's local time in the session's TimeZone, and back. DuckDB converts through ICU's
 * calendar (CAST(tz AS TIMESTAMP)), which costs about a microsecond a row — most of the time of
 * a date_trunc or EXTRACT over a timestamptz column. Where the session's zone is UTC (or one of
 * its names) the local time is the instant itself, computed from its epoch microseconds with no
 * calendar; other zones keep ICU's conversion, which follows their offsets and daylight saving.
 *
 * Callers guard ±infinity first (its epoch microseconds are no time).
 */

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

/** The TIMESTAMPTZ of local TIMESTAMP `sql` read in the session's zone. */
export function zonedTimestamp(timeZone: string | undefined, sql: string): string {
  return isUtc(timeZone) ? `make_timestamptz(epoch_us(${sql}))` : `CAST(${sql} AS TIMESTAMPTZ)`;
}
