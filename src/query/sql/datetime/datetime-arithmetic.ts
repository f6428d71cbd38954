/**
 * Date/time operators whose DuckDB spelling means something else or does not
 * exist (pg_operator.dat): date - date is integer (DuckDB: bigint), time -
 * time is an interval (DuckDB has none), interval * and / a number cascade
 * fractional months and days down as PostgreSQL does, and subtracting an
 * infinite date or timestamp fails (22008). Other date/time operators mean the
 * same in DuckDB (date ± integer, ± interval, timestamp + interval, …) and
 * are left to the caller (undefined).
 */
import type { A_Expr, Node } from 'libpg-query';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral, unsupportedMarker } from '../sql-text.js';
import { operandType } from '../typing/typed-operands.js';
import { dateTimeLiteralSql } from './datetime-literal.js';
import { buildInterval, intervalParts, scaleInterval, timeMicros, withValues } from './interval-parts.js';
import { localTimestamp, zonedTimestamp } from './local-time.js';

/** Messages PostgreSQL raises (22008); duckdb-errors.ts maps them back to their SQLSTATE. */
export const INFINITE_DATES_MESSAGE = 'cannot subtract infinite dates';
/**
 * PostgreSQL 17 subtracts ±infinity into an infinite interval, which DuckDB's INTERVAL cannot
 * hold (earlier versions fail with 22008): refused at run time (0A000).
 */
export const INFINITE_INTERVAL_MESSAGE = `${unsupportedMarker}intervals of infinite length (a difference or age() of ±infinity)`;

export function emitDateTimeOperator(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  if (ctx.types === undefined || expr.lexpr === undefined || expr.rexpr === undefined) return undefined;
  if (!['+', '-', '*', '/'].includes(operator)) return undefined;
  const [leftType, rightType] = operandTypes(ctx, expr.lexpr, expr.rexpr);
  if (leftType === undefined || rightType === undefined) return undefined;
  const left = () => ctx.expr(expr.lexpr!);
  const right = () => ctx.expr(expr.rexpr!);
  if (operator === '-' && leftType === 'date' && rightType === 'date') {
    const l = left();
    const r = right();
    return `(CASE WHEN isinf(${l}) OR isinf(${r}) THEN error(${quoteLiteral(INFINITE_DATES_MESSAGE)}) ELSE CAST(${l} - ${r} AS INTEGER) END)`;
  }
  if (operator === '-' && DATETIMES.has(leftType) && DATETIMES.has(rightType)) {
    // Of two types, the other is cast to the later of timestamp and timestamptz (a date to its
    // midnight, read in the session's zone for timestamptz), then the instants are subtracted.
    const zoned = leftType === 'timestamptz' || rightType === 'timestamptz';
    const as = (sql: string, type: string) => {
      if (type === 'timestamptz' || !zoned) return type === 'date' ? `CAST(${sql} AS TIMESTAMP)` : sql;
      const local = type === 'date' ? `CAST(${sql} AS TIMESTAMP)` : sql;
      return withValues(
        [local],
        ([value]) =>
          `(CASE WHEN isinf(${value}) THEN CAST(${value} AS TIMESTAMPTZ) ELSE ${zonedTimestamp(ctx.timeZone, value!)} END)`,
      );
    };
    // An untyped literal is read as the other side's type (operandTypes).
    const operand = (node: Node, type: string) => {
      const text = 'A_Const' in node && node.A_Const.isnull !== true ? node.A_Const.sval?.sval : undefined;
      return (text === undefined ? undefined : dateTimeLiteralSql(type, text)) ?? ctx.expr(node);
    };
    const l = as(operand(expr.lexpr, leftType), leftType);
    const r = as(operand(expr.rexpr, rightType), rightType);
    return `(CASE WHEN isinf(${l}) OR isinf(${r}) THEN error(${quoteLiteral(INFINITE_INTERVAL_MESSAGE)}) ELSE ${timestampDifference(l, r)} END)`;
  }
  if (leftType === 'timestamptz' && rightType === 'interval' && operator !== '*' && operator !== '/')
    return zonedPlusInterval(ctx.timeZone, left(), right(), operator === '-');
  if (leftType === 'interval' && rightType === 'timestamptz' && operator === '+')
    return zonedPlusInterval(ctx.timeZone, right(), left(), false);
  // date ± integer: DuckDB types some integer results wider than PostgreSQL (length() is BIGINT
  // there) and has no DATE ± BIGINT; the days are an int4 in PostgreSQL.
  if (leftType === 'date' && INTEGERS.has(rightType) && (operator === '+' || operator === '-'))
    return datePlusDays(left(), right(), operator);
  if (rightType === 'date' && INTEGERS.has(leftType) && operator === '+') {
    // Emitted in the statement's order: a subquery's tables are resolved in the order they are met.
    const days = left();
    return datePlusDays(right(), days, '+');
  }
  if (operator === '-' && leftType === 'time' && rightType === 'time')
    return `to_microseconds(${timeMicros(left())} - ${timeMicros(right())})`;
  if (leftType === 'interval' && NUMBERS.has(rightType) && (operator === '*' || operator === '/'))
    return scaled(left(), right(), operator);
  if (rightType === 'interval' && NUMBERS.has(leftType) && operator === '*')
    return scaled(right(), left(), '*');
  return undefined;
}

const USECS_PER_DAY = 'CAST(86400000000 AS BIGINT)';

/**
 * timestamp_mi: the microseconds between the two instants (DuckDB's ICU subtracts timestamptz
 * in local calendar days), whole days out of them as justify_hours does: '1 day 02:00:00'.
 */
function timestampDifference(l: string, r: string): string {
  const micros = `(epoch_us(${l}) - epoch_us(${r}))`;
  return `(to_days(CAST(${micros} // ${USECS_PER_DAY} AS INTEGER)) + to_microseconds(${micros} % ${USECS_PER_DAY}))`;
}

/**
 * timestamptz_pl_interval: months, then days, added to the local time in the session zone (ICU
 * does that), then the time added as elapsed microseconds (ICU would add it to the local time,
 * so 24 hours across a DST change would be 23 or 25). Subtracting adds the negated interval.
 */
function zonedPlusInterval(
  timeZone: string | undefined,
  valueSql: string,
  intervalSql: string,
  subtract: boolean,
): string {
  const parts = intervalParts(intervalSql);
  const sign = subtract ? '-' : '';
  // The interval's three fields are bound (each used more than once), the value once.
  const bound = [valueSql, `${sign}${parts.months}`, `${sign}${parts.days}`, `${sign}${parts.micros}`];
  return withValues(bound, ([value, months, days, micros]) => {
    // The local time moved by months and days is read back in the zone as PostgreSQL reads it
    // (local-time.ts); without months and days the instant stays as it is.
    const local = `((${localTimestamp(timeZone, value!)} + to_months(CAST(${months} AS INTEGER))) + to_days(CAST(${days} AS INTEGER)))`;
    const calendar = `(CASE WHEN ${months} = 0 AND ${days} = 0 THEN ${value} ELSE ${zonedTimestamp(timeZone, local)} END)`;
    const shifted = `timezone('UTC', make_timestamp(epoch_us(${calendar}) + ${micros}))`;
    return `(CASE WHEN isinf(${value}) THEN ${value} ELSE ${shifted} END)`;
  });
}

/**
 * date ± days within PostgreSQL's range (4714-11-24 BC to 5874897-12-31), else its 22008; counted
 * in bigint days from 1970, as DuckDB's own date arithmetic fails past its range with another
 * message. ±infinity stays itself.
 */
function datePlusDays(dateSql: string, daysSql: string, sign: '+' | '-'): string {
  return withValues([dateSql, `CAST(${daysSql} AS BIGINT)`], ([d, n]) => {
    const days = `(CAST(${d} - DATE '1970-01-01' AS BIGINT) ${sign} ${n})`;
    return `(CASE WHEN isinf(${d}) THEN ${d} WHEN ${days} < -2440588 OR ${days} > 2145042905 THEN error('SQLSTATE 22008: date out of range') ELSE DATE '1970-01-01' + CAST(${days} AS INTEGER) END)`;
  });
}

const NUMBERS = new Set(['int2', 'int4', 'int8', 'numeric', 'float4', 'float8']);
/** Operands of timestamp - timestamp (date - date, an integer, is handled before). */
const DATETIMES = new Set(['date', 'timestamp', 'timestamptz']);
const INTEGERS = new Set(['int2', 'int4']);

/** interval * / float8 (PostgreSQL casts the number to float8); dividing by zero is 22012. */
function scaled(intervalSql: string, factorSql: string, operator: '*' | '/'): string {
  return withValues([intervalSql, factorSql], ([interval, factor]) => {
    const checked =
      operator === '/'
        ? `(CASE WHEN ${factor} = 0 THEN error('division by zero') ELSE ${factor} END)`
        : factor!;
    return buildInterval(scaleInterval(intervalParts(interval!), checked, operator));
  });
}

/** Both operand type names, an untyped literal taking the other side's type (parse_oper.c). */
function operandTypes(ctx: EmitContext, l: Node, r: Node): [string | undefined, string | undefined] {
  const left = operandType(ctx, l);
  const right = operandType(ctx, r);
  const name = (t: typeof left, other: typeof left) => (t?.category === 'X' ? other?.name : t?.name);
  return [name(left, right), name(right, left)];
}
