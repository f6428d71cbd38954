/**
 * An interval's three fields (months, days, microseconds) read from and
 * written to DuckDB's INTERVAL, which has the same three fields as
 * PostgreSQL's. Functions that PostgreSQL defines field by field (justify_*,
 * interval * number, age, make_interval) are written on these.
 */

export interface IntervalParts {
  readonly months: string;
  readonly days: string;
  readonly micros: string;
}

/** The fields of DuckDB INTERVAL `i` (datepart splits them truncating toward zero, as they were stored). */
export function intervalParts(i: string): IntervalParts {
  return {
    months: `(datepart('year', ${i}) * 12 + datepart('month', ${i}))`,
    days: `datepart('day', ${i})`,
    micros:
      `(datepart('hour', ${i}) * CAST(3600000000 AS BIGINT) + datepart('minute', ${i}) * CAST(60000000 AS BIGINT)` +
      ` + datepart('microseconds', ${i}))`,
  };
}

/** An INTERVAL from integer fields (each one kept as given: DuckDB adds intervals field by field). */
export function buildInterval(parts: IntervalParts): string {
  return (
    `(to_months(CAST(${parts.months} AS INTEGER)) + to_days(CAST(${parts.days} AS INTEGER))` +
    ` + to_microseconds(CAST(${parts.micros} AS BIGINT)))`
  );
}

/** Microseconds since midnight of a DuckDB TIME (24:00:00 included). */
export function timeMicros(t: string): string {
  return `((hour(${t}) * 3600 + minute(${t}) * 60) * CAST(1000000 AS BIGINT) + microsecond(${t}))`;
}

const USECS_PER_DAY = '86400000000';

/** interval_justify_hours: whole days out of the time, then day and time given one sign. */
export function justifyHours(p: IntervalParts): IntervalParts {
  const days = `(${p.days} + ${p.micros} // ${USECS_PER_DAY})`;
  const time = `(${p.micros} % ${USECS_PER_DAY})`;
  return signed(p.months, days, time, USECS_PER_DAY);
}

/** interval_justify_days: whole 30-day months out of the days, then month and day given one sign. */
export function justifyDays(p: IntervalParts): IntervalParts {
  const months = `(${p.months} + ${p.days} // 30)`;
  const days = `(${p.days} % 30)`;
  return {
    months: `(CASE WHEN ${months} > 0 AND ${days} < 0 THEN ${months} - 1 WHEN ${months} < 0 AND ${days} > 0 THEN ${months} + 1 ELSE ${months} END)`,
    days: `(CASE WHEN ${months} > 0 AND ${days} < 0 THEN ${days} + 30 WHEN ${months} < 0 AND ${days} > 0 THEN ${days} - 30 ELSE ${days} END)`,
    micros: p.micros,
  };
}

/**
 * interval_justify_interval: days out of the time, months out of the days, then the month
 * sign decided with the time when the days are zero, then day and time given one sign.
 */
export function justifyInterval(p: IntervalParts): IntervalParts {
  const allDays = `(${p.days} + ${p.micros} // ${USECS_PER_DAY})`;
  const time = `(${p.micros} % ${USECS_PER_DAY})`;
  const m = `(${p.months} + ${allDays} // 30)`;
  const d = `(${allDays} % 30)`;
  const down = `(${m} > 0 AND (${d} < 0 OR (${d} = 0 AND ${time} < 0)))`;
  const up = `(${m} < 0 AND (${d} > 0 OR (${d} = 0 AND ${time} > 0)))`;
  const months = `(CASE WHEN ${down} THEN ${m} - 1 WHEN ${up} THEN ${m} + 1 ELSE ${m} END)`;
  const days = `(CASE WHEN ${down} THEN ${d} + 30 WHEN ${up} THEN ${d} - 30 ELSE ${d} END)`;
  return signed(months, days, time, USECS_PER_DAY);
}

/** Day and time of one sign: a negative time under positive days borrows a day, and back. */
function signed(months: string, days: string, time: string, unit: string): IntervalParts {
  return {
    months,
    days: `(CASE WHEN ${days} > 0 AND ${time} < 0 THEN ${days} - 1 WHEN ${days} < 0 AND ${time} > 0 THEN ${days} + 1 ELSE ${days} END)`,
    micros: `(CASE WHEN ${days} > 0 AND ${time} < 0 THEN ${time} + ${unit} WHEN ${days} < 0 AND ${time} > 0 THEN ${time} - ${unit} ELSE ${time} END)`,
  };
}

/** TSROUND(): rounded to microseconds, half to even as C's rint(). */
const tsRound = (x: string) => `(round_even((${x}) * CAST(1000000 AS DOUBLE), 0) / CAST(1000000 AS DOUBLE))`;

/**
 * interval_mul / interval_div by a double: whole months and days scaled, their fractions
 * cascaded down (a month is 30 days, a day 86400 seconds), the time rounded to microseconds.
 */
export function scaleInterval(p: IntervalParts, factor: string, operator: '*' | '/'): IntervalParts {
  const f = `CAST(${factor} AS DOUBLE)`;
  const scaled = (x: string) => `(CAST(${x} AS DOUBLE) ${operator} ${f})`;
  const months = `trunc(${scaled(p.months)})`;
  const days = `trunc(${scaled(p.days)})`;
  const monthDays = tsRound(`(${scaled(p.months)} - ${months}) * CAST(30 AS DOUBLE)`);
  const seconds = tsRound(
    `(${scaled(p.days)} - ${days} + ${monthDays} - trunc(${monthDays})) * CAST(86400 AS DOUBLE)`,
  );
  const carried = `trunc(${seconds} / CAST(86400 AS DOUBLE))`;
  const rest = `(${seconds} - ${carried} * CAST(86400 AS DOUBLE))`;
  return {
    months,
    days: `(${days} + ${carried} + trunc(${monthDays}))`,
    micros: `round_even(${scaled(p.micros)} + ${rest} * CAST(1000000 AS DOUBLE), 0)`,
  };
}

let boundNames = 0;

/**
 * `body` over values computed once. The interval formulas use each input many times, so writing
 * an operand into them would repeat its SQL: nested (`(i * -1) * 2`), the text grows by that
 * factor at each level (4 KB, then 170 KB, then megabytes DuckDB takes minutes to bind). A
 * one-element list and a lambda bind each value to a name instead.
 */
export function withValues(values: readonly string[], body: (names: string[]) => string): string {
  const name = `pga_v${++boundNames % 1_000_000}`;
  const fields = values.map((value, i) => `'f${i}': ${value}`).join(', ');
  return `list_transform([{${fields}}], ${name} -> ${body(values.map((_, i) => `${name}.f${i}`))})[1]`;
}
