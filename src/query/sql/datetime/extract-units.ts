/**
 * The units EXTRACT and date_part accept, as PostgreSQL reads them
 * (datetime.c: DecodeUnits over deltatktbl, then DecodeSpecial over
 * datetktbl). Both compare at most TOKMAXLEN (10) characters, so
 * 'microseconds' is 'microsecon' and 'millenniums' is 'millennium'.
 */

export type DateTimeUnit =
  | 'microseconds'
  | 'milliseconds'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'quarter'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium'
  | 'julian'
  | 'epoch'
  | 'dow'
  | 'doy'
  | 'isodow'
  | 'isoyear'
  | 'timezone'
  | 'timezone_h'
  | 'timezone_m';

const TOKENS: Readonly<Record<DateTimeUnit, string>> = {
  microseconds: 'microsecon us usec usecs useconds microsecond',
  milliseconds: 'millisecon ms msec msecs mseconds millisecond',
  second: 's sec secs second seconds',
  minute: 'm min mins minute minutes',
  hour: 'h hr hrs hour hours',
  day: 'd day days',
  week: 'w week weeks',
  month: 'mon mons month months',
  quarter: 'qtr quarter',
  year: 'y yr yrs year years',
  decade: 'dec decs decade decades',
  century: 'c cent centuries century',
  millennium: 'mil mils millennia millennium',
  julian: 'j jd julian',
  epoch: 'epoch',
  dow: 'dow',
  doy: 'doy',
  isodow: 'isodow',
  isoyear: 'isoyear',
  timezone: 'timezone',
  timezone_h: 'timezone_h',
  timezone_m: 'timezone_m',
};

const BY_TOKEN = new Map<string, DateTimeUnit>(
  Object.entries(TOKENS).flatMap(([unit, tokens]) =>
    tokens.split(' ').map((token) => [token, unit as DateTimeUnit] as const),
  ),
);

/** The unit a field name spells (case-insensitive, first 10 characters), or undefined. */
export function dateTimeUnit(text: string): DateTimeUnit | undefined {
  return BY_TOKEN.get(text.toLowerCase().slice(0, 10));
}

/**
 * Units whose value grows with time: for ±infinity PostgreSQL returns ±Infinity
 * (NonFiniteTimestampPart's isNegative cases); every other unit gives NULL.
 */
export const MONOTONIC_UNITS: ReadonlySet<DateTimeUnit> = new Set([
  'year',
  'decade',
  'century',
  'millennium',
  'julian',
  'isoyear',
  'epoch',
]);
