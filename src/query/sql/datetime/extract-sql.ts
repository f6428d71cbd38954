/**
 * EXTRACT(unit FROM x) and date_part('unit', x) computed as PostgreSQL
 * computes them (timestamp.c timestamp_part_common and interval_part_common,
 * date.c extract_date and time_part_common). EXTRACT returns numeric with the
 * scale PostgreSQL gives each unit (second 6, milliseconds 3, others 0);
 * date_part returns double precision from PostgreSQL's own float formulas.
 *
 * Each unit is computed from integer parts DuckDB gives exactly (year, month,
 * microseconds of the minute, epoch microseconds, …), never from DuckDB's own
 * date_part, whose BC years, decades and fractions differ. A unit is an
 * integer count of 10^-scale; the numeric result is that integer times
 * 10^-scale in a DECIMAL, the float result follows PostgreSQL's float8 formula.
 */
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';
import { arithmeticText, asNumericText, divideText } from '../typing/numeric-exact.js';
import { type DateTimeUnit, MONOTONIC_UNITS } from './extract-units.js';
import { localTimestamp } from './local-time.js';

export type ExtractSource = 'date' | 'timestamp' | 'timestamptz' | 'time' | 'interval';

/** PostgreSQL's name of each source type, for its error messages. */
export const SOURCE_TYPE_NAMES: Readonly<Record<ExtractSource, string>> = {
  date: 'date',
  timestamp: 'timestamp without time zone',
  timestamptz: 'timestamp with time zone',
  time: 'time without time zone',
  interval: 'interval',
};

/** A unit's value: an integer (in units of 10^-scale) and PostgreSQL's float8 formula. */
interface UnitValue {
  readonly exact: string;
  readonly scale: number;
  readonly float: string;
}

const double = (sql: string) => `CAST(${sql} AS DOUBLE)`;
const integer = (sql: string): UnitValue => ({ exact: sql, scale: 0, float: double(sql) });

/** tm_sec*10^6 + fsec as seconds (scale 6) or milliseconds (scale 3), with PostgreSQL's float formulas. */
function fractional(unit: DateTimeUnit, microsOfMinute: string): UnitValue | undefined {
  const sec = `(${microsOfMinute} // 1000000)`;
  const fsec = `(${microsOfMinute} % 1000000)`;
  if (unit === 'microseconds') return integer(microsOfMinute);
  if (unit === 'milliseconds')
    return {
      exact: microsOfMinute,
      scale: 3,
      float: `(${double(sec)} * CAST(1000 AS DOUBLE) + ${double(fsec)} / CAST(1000 AS DOUBLE))`,
    };
  if (unit === 'second')
    return {
      exact: microsOfMinute,
      scale: 6,
      float: `(${double(sec)} + ${double(fsec)} / CAST(1000000 AS DOUBLE))`,
    };
  return undefined;
}

/** Year-derived units from the astronomical year (1 BC is 0), as timestamp_part_common computes them. */
function yearUnit(unit: DateTimeUnit, y: string): string | undefined {
  switch (unit) {
    case 'year':
      return `(CASE WHEN ${y} > 0 THEN ${y} ELSE ${y} - 1 END)`;
    case 'decade':
      return `(CASE WHEN ${y} >= 0 THEN ${y} // 10 ELSE -((8 - (${y} - 1)) // 10) END)`;
    case 'century':
      return `(CASE WHEN ${y} > 0 THEN (${y} + 99) // 100 ELSE -((99 - (${y} - 1)) // 100) END)`;
    case 'millennium':
      return `(CASE WHEN ${y} > 0 THEN (${y} + 999) // 1000 ELSE -((999 - (${y} - 1)) // 1000) END)`;
    default:
      return undefined;
  }
}

/** The calendar units of a local timestamp `t` (also used for dates). */
function calendarUnit(unit: DateTimeUnit, t: string): string | undefined {
  const simple: Partial<Record<DateTimeUnit, string>> = {
    day: `day(${t})`,
    month: `month(${t})`,
    quarter: `quarter(${t})`,
    week: `week(${t})`,
    dow: `dayofweek(${t})`,
    isodow: `isodow(${t})`,
    doy: `dayofyear(${t})`,
    isoyear: `(CASE WHEN isoyear(${t}) <= 0 THEN isoyear(${t}) - 1 ELSE isoyear(${t}) END)`,
  };
  return simple[unit] ?? yearUnit(unit, `year(${t})`);
}

/** Days from 4714-11-24 BC (Julian day 0) to 1970-01-01. */
const UNIX_EPOCH_JULIAN_DAY = 2440588;

/** Units of a timestamp: `t` is the local (wall-clock) TIMESTAMP, `instant` the value the epoch counts. */
function timestampUnit(unit: DateTimeUnit, t: string, instant: string): UnitValue | undefined {
  const fraction = fractional(unit, `microsecond(${t})`);
  if (fraction !== undefined) return fraction;
  if (unit === 'minute') return integer(`minute(${t})`);
  if (unit === 'hour') return integer(`hour(${t})`);
  if (unit === 'epoch') {
    const micros = `epoch_us(${instant})`;
    return { exact: micros, scale: 6, float: `(${double(micros)} / CAST(1000000 AS DOUBLE))` };
  }
  if (unit === 'julian') {
    // date2j + seconds of the day / SECS_PER_DAY in float8. (EXTRACT's numeric is refused by the caller.)
    const days = `(CAST(${t} AS DATE) - DATE '1970-01-01' + ${UNIX_EPOCH_JULIAN_DAY})`;
    const seconds = `(${double(`hour(${t}) * 3600 + minute(${t}) * 60`)} + ${double(`microsecond(${t})`)} / CAST(1000000 AS DOUBLE))`;
    return { exact: days, scale: 0, float: `(${double(days)} + ${seconds} / CAST(86400 AS DOUBLE))` };
  }
  const calendar = calendarUnit(unit, t);
  return calendar === undefined ? undefined : integer(calendar);
}

/** timezone, timezone_h, timezone_m: the session zone's offset east of UTC at the instant, in seconds. */
function zoneUnit(unit: DateTimeUnit, local: string, instant: string): UnitValue | undefined {
  const east = `((epoch_us(${local}) - epoch_us(${instant})) // 1000000)`;
  if (unit === 'timezone') return integer(east);
  if (unit === 'timezone_h') return integer(`(${east} // 3600)`);
  if (unit === 'timezone_m') return integer(`((${east} // 60) % 60)`);
  return undefined;
}

/** extract_date: calendar units, julian day and epoch as integers; no time-of-day units. */
function dateUnit(unit: DateTimeUnit, d: string): UnitValue | undefined {
  const days = `(${d} - DATE '1970-01-01')`;
  if (unit === 'epoch') return integer(`(${days} * 86400)`);
  if (unit === 'julian') return integer(`(${days} + ${UNIX_EPOCH_JULIAN_DAY})`);
  const calendar = calendarUnit(unit, `CAST(${d} AS TIMESTAMP)`);
  return calendar === undefined ? undefined : integer(calendar);
}

/** time_part_common: the time of day's fields and its seconds since midnight. */
function timeUnit(unit: DateTimeUnit, t: string): UnitValue | undefined {
  const fraction = fractional(unit, `microsecond(${t})`);
  if (fraction !== undefined) return fraction;
  if (unit === 'minute') return integer(`minute(${t})`);
  if (unit === 'hour') return integer(`hour(${t})`);
  if (unit !== 'epoch') return undefined;
  const micros = `((hour(${t}) * 3600 + minute(${t}) * 60) * CAST(1000000 AS BIGINT) + microsecond(${t}))`;
  return { exact: micros, scale: 6, float: `(${double(micros)} / CAST(1000000 AS DOUBLE))` };
}

/**
 * interval_part_common: months split into years and months, days, and the time split into
 * hours, minutes and microseconds, each truncated toward zero (DuckDB's datepart of an interval
 * splits the same way). Epoch counts a year as 365.25 days and a month as 30.
 */
function intervalUnit(unit: DateTimeUnit, i: string): UnitValue | undefined {
  const months = `(datepart('year', ${i}) * 12 + datepart('month', ${i}))`;
  const years = `(${months} // 12)`;
  const fraction = fractional(unit, `datepart('microseconds', ${i})`);
  if (fraction !== undefined) return fraction;
  const simple: Partial<Record<DateTimeUnit, string>> = {
    minute: `datepart('minute', ${i})`,
    hour: `datepart('hour', ${i})`,
    day: `datepart('day', ${i})`,
    month: `(${months} % 12)`,
    quarter: `((${months} % 12) // 3 + 1)`,
    year: years,
    decade: `(${years} // 10)`,
    century: `(${years} // 100)`,
    millennium: `(${years} // 1000)`,
  };
  const value = simple[unit];
  if (value !== undefined) return integer(value);
  if (unit !== 'epoch') return undefined;
  const time = `(datepart('hour', ${i}) * CAST(3600000000 AS BIGINT) + datepart('minute', ${i}) * CAST(60000000 AS BIGINT) + datepart('microseconds', ${i}))`;
  const day = `datepart('day', ${i})`;
  // (4 * 365.25 days per year, 4 * 30 per month, 4 per day) * 86400 / 4 seconds, in integers.
  const seconds = `((CAST(1461 AS HUGEINT) * ${years} + 120 * (${months} % 12) + 4 * ${day}) * 21600)`;
  const float =
    `(${double(time)} / CAST(1000000 AS DOUBLE) + CAST(31557600 AS DOUBLE) * ${double(years)}` +
    ` + CAST(2592000 AS DOUBLE) * ${double(`${months} % 12`)} + CAST(86400 AS DOUBLE) * ${double(day)})`;
  return { exact: `(${seconds} * 1000000 + ${time})`, scale: 6, float };
}

export type ExtractResult = { readonly sql: string } | { readonly unsupportedUnit: true };

/**
 * DuckDB SQL for one unit of one source value: numeric (EXTRACT) or double (date_part). A unit
 * the source type does not have is `unsupportedUnit` (PostgreSQL's 0A000 "unit … not supported
 * for type …"). EXTRACT(julian FROM timestamp) is numeric whose scale varies by row (16 or more
 * significant digits of seconds/86400): exact numeric text (numericJulian).
 */
export function extractSql(
  unit: DateTimeUnit,
  source: ExtractSource,
  value: string,
  numeric: boolean,
  timeZone?: string,
): ExtractResult {
  // date_part(text, date) is SQL calling date_part(text, timestamp) (pg_proc.dat).
  const kind = source === 'date' && !numeric ? 'timestamp' : source;
  const operand = source === 'date' && !numeric ? `CAST(${value} AS TIMESTAMP)` : value;
  const local = kind === 'timestamptz' ? localTimestamp(timeZone, operand) : operand;
  let result: UnitValue | undefined;
  if (kind === 'date') result = dateUnit(unit, operand);
  else if (kind === 'time') result = timeUnit(unit, operand);
  else if (kind === 'interval') result = intervalUnit(unit, operand);
  else if (kind === 'timestamptz')
    result = zoneUnit(unit, local, operand) ?? timestampUnit(unit, local, operand);
  else if (unit !== 'timezone' && unit !== 'timezone_h' && unit !== 'timezone_m')
    result = timestampUnit(unit, local, operand);
  if (result === undefined) return { unsupportedUnit: true };
  if (numeric && unit === 'julian' && kind !== 'date')
    return { sql: numericJulian(kind === 'timestamptz' ? 'timestamptz' : 'timestamp', value, local) };
  const finite = numeric ? scaledDecimal(result.exact, result.scale) : result.float;
  if (source === 'time' || source === 'interval') return { sql: finite };
  // The source value itself is tested: DuckDB folds `CAST(d AS TIMESTAMP) = 'infinity'` into a cast that fails.
  return { sql: withInfinity(unit, source, value, finite, numeric) };
}

/**
 * EXTRACT(julian FROM timestamp[tz]) as PostgreSQL computes it in numeric: date2j of the local
 * date plus the microseconds of the day divided by those of a day (numeric_div, whose scale
 * select_div_scale picks by value: 20 at noon, 28 at midnight), as exact numeric text; an
 * infinite value is numeric ±Infinity.
 */
function numericJulian(kind: 'timestamp' | 'timestamptz', value: string, local: string): string {
  const days = `(CAST(${local} AS DATE) - DATE '1970-01-01' + ${UNIX_EPOCH_JULIAN_DAY})`;
  const micros = `(hour(${local}) * CAST(3600000000 AS BIGINT) + minute(${local}) * CAST(60000000 AS BIGINT) + microsecond(${local}))`;
  const fraction = divideText(asNumericText(micros), quoteLiteral('86400000000'), false);
  const julian = arithmeticText('+', asNumericText(days), fraction);
  const positive = `${value} > CAST('epoch' AS ${DUCK_TYPES[kind]})`;
  return `(CASE WHEN isinf(${value}) THEN (CASE WHEN ${positive} THEN 'Infinity' ELSE '-Infinity' END) ELSE ${julian} END)`;
}

/** exact * 10^-scale as a DECIMAL of that scale (multiplying decimals is exact in DuckDB). */
function scaledDecimal(exact: string, scale: number): string {
  const decimal = `CAST(${exact} AS DECIMAL(38,0))`;
  if (scale === 0) return decimal;
  return `(${decimal} * CAST(${quoteLiteral(`0.${'0'.repeat(scale - 1)}1`)} AS DECIMAL(${scale + 1},${scale})))`;
}

const DUCK_TYPES = { date: 'DATE', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMPTZ' } as const;

/**
 * ±infinity: NULL for units that do not grow with time; ±Infinity for the others, which a
 * double holds but a DECIMAL cannot, so EXTRACT of those fails at run time (0A000).
 */
function withInfinity(
  unit: DateTimeUnit,
  kind: 'date' | 'timestamp' | 'timestamptz',
  value: string,
  finite: string,
  numeric: boolean,
): string {
  let infinite = 'NULL';
  if (MONOTONIC_UNITS.has(unit)) {
    const positive = `${value} = CAST('infinity' AS ${DUCK_TYPES[kind]})`;
    infinite = numeric
      ? `error(${quoteLiteral(`${unsupportedMarker}EXTRACT(${unit} FROM …) of an infinite ${kind} (numeric Infinity); use date_part(), which returns double precision`)})`
      : `(CASE WHEN ${positive} THEN CAST('Infinity' AS DOUBLE) ELSE CAST('-Infinity' AS DOUBLE) END)`;
  }
  return `(CASE WHEN isinf(${value}) THEN ${infinite} ELSE ${finite} END)`;
}
