/**
 * Date/time functions that DuckDB lacks or computes differently, written on
 * PostgreSQL's definitions (timestamp.c): age() with its year/month/day
 * borrowing, justify_days/hours/interval, make_interval. date_trunc is in
 * date-trunc.ts. Each returns undefined for a function it does not handle.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { emitToChar } from '../to-char/to-char-emitter.js';
import { operandType } from '../typing/typed-operands.js';
import { emitDateBin } from './date-bin.js';
import { emitDateTrunc } from './date-trunc.js';
import { INFINITE_INTERVAL_MESSAGE } from './datetime-arithmetic.js';
import {
  buildInterval,
  intervalParts,
  justifyDays,
  justifyHours,
  justifyInterval,
  withValues,
} from './interval-parts.js';

const JUSTIFY = { justify_days: justifyDays, justify_hours: justifyHours, justify_interval: justifyInterval };

const HANDLED = new Set([
  'date_trunc',
  'date_bin',
  'age',
  'make_interval',
  'to_char',
  ...Object.keys(JUSTIFY),
]);

export function emitDateTimeFunction(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (!HANDLED.has(name)) return undefined;
  if (ctx.types === undefined) return untyped(ctx, call, name);
  if (name === 'date_trunc') return emitDateTrunc(ctx, call);
  if (name === 'date_bin') return emitDateBin(ctx, call);
  if (name === 'age') return emitAge(ctx, call);
  if (name === 'to_char') return emitToChar(ctx, call);
  if (name === 'make_interval') return emitMakeInterval(ctx, call);
  const justify = JUSTIFY[name as keyof typeof JUSTIFY];
  const [arg] = call.args ?? [];
  if (justify === undefined || arg === undefined || (call.args ?? []).length !== 1) return undefined;
  return withValues([ctx.expr(arg)], ([i]) => buildInterval(justify(intervalParts(i!))));
}

/**
 * Without types: the pass that only lists tables still walks the arguments (subqueries name
 * tables); elsewhere (constants for segment pruning) the call is refused, so nothing is pruned.
 */
export function untyped(ctx: EmitContext, call: FuncCall, name: string): string {
  if (ctx.listingOnly !== true)
    throw ctx.error(SqlState.featureNotSupported, `${name}() needs its argument types`, call.location);
  const args = (call.args ?? []).map((a) =>
    ctx.expr('NamedArgExpr' in a && a.NamedArgExpr.arg ? a.NamedArgExpr.arg : a),
  );
  return `coalesce(NULL${args.map((a) => `, ${a}`).join('')})`;
}

/** age() of ±infinity is an infinite interval in PostgreSQL 17, which DuckDB cannot hold. */
const INFINITE = quoteLiteral(INFINITE_INTERVAL_MESSAGE);

/**
 * timestamp_age / timestamptz_age: the field-by-field difference of the two local times, the
 * later minus the earlier; a negative time of day borrows a day, negative days borrow the
 * month before the later date's month (the earlier's when the first argument is earlier),
 * negative months borrow years; the sign is put back at the end. age(x) is age(current_date, x)
 * at midnight.
 */
function emitAge(ctx: EmitContext, call: FuncCall): string {
  const args = call.args ?? [];
  const types = args.map((a) => operandType(ctx, a)?.name);
  const typed = types.find((t) => t !== 'unknown');
  if (
    args.length < 1 ||
    args.length > 2 ||
    (typed !== 'timestamp' && typed !== 'timestamptz') ||
    types.some((t) => t !== typed && t !== 'unknown')
  ) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `age(${types.join(', ')}) is not supported by pg_analytica`,
      call.location,
      'Pass two timestamps, or two timestamps with time zone.',
    );
  }
  const duck = typed === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
  const values = args.map((a) => `CAST(${ctx.expr(a)} AS ${duck})`);
  const [first, second] = values.length === 1 ? [`CAST(current_date AS ${duck})`, values[0]!] : values;
  return ageSql(first!, second!, typed === 'timestamptz');
}

function ageSql(a: string, b: string, zoned: boolean): string {
  const t1 = zoned ? `CAST(${a} AS TIMESTAMP)` : a;
  const t2 = zoned ? `CAST(${b} AS TIMESTAMP)` : b;
  const s = `(CASE WHEN ${a} < ${b} THEN -1 ELSE 1 END)`;
  const tod = (t: string) => `(epoch_us(${t}) - epoch_us(date_trunc('day', ${t})))`;
  const time = `(${s} * (${tod(t1)} - ${tod(t2)}))`;
  const borrow = `(CASE WHEN ${time} < 0 THEN 1 ELSE 0 END)`;
  const days = `(${s} * (day(${t1}) - day(${t2})) - ${borrow})`;
  const monthDays = `day(last_day(CASE WHEN ${a} < ${b} THEN ${t1} ELSE ${t2} END))`;
  const months = `((year(${t1}) - year(${t2})) * 12 + month(${t1}) - month(${t2}))`;
  const borrowed = `(CASE WHEN ${days} < 0 THEN (${monthDays} - 1 - ${days}) // ${monthDays} ELSE 0 END)`;
  const parts = {
    months: `(${s} * (${s} * ${months} - ${borrowed}))`,
    days: `(${s} * (${days} + ${borrowed} * ${monthDays}))`,
    micros: `(${s} * (${time} + ${borrow} * CAST(86400000000 AS BIGINT)))`,
  };
  return `(CASE WHEN isinf(${a}) OR isinf(${b}) THEN error(${INFINITE}) ELSE ${buildInterval(parts)} END)`;
}

const MAKE_INTERVAL_PARAMETERS = ['years', 'months', 'weeks', 'days', 'hours', 'mins', 'secs'] as const;

/**
 * make_interval(years, months, weeks, days, hours, mins, secs), by position or name, each 0 by
 * default: months = years*12 + months, days = weeks*7 + days, time = hours, minutes and
 * secs (double precision) rounded to microseconds.
 */
function emitMakeInterval(ctx: EmitContext, call: FuncCall): string {
  const given = new Map<string, Node>();
  (call.args ?? []).forEach((arg, i) => {
    const named = 'NamedArgExpr' in arg ? arg.NamedArgExpr : undefined;
    const key = named?.name ?? MAKE_INTERVAL_PARAMETERS[i];
    const value = named?.arg ?? arg;
    if (
      key === undefined ||
      !(MAKE_INTERVAL_PARAMETERS as readonly string[]).includes(key) ||
      given.has(key)
    ) {
      throw ctx.error(
        SqlState.undefinedFunction,
        'function make_interval with these arguments does not exist',
        call.location,
      );
    }
    given.set(key, value);
  });
  const value = (key: string) => {
    const node = given.get(key);
    return node === undefined ? '0' : `(${ctx.expr(node)})`;
  };
  const secs = `round_even(CAST(${value('secs')} AS DOUBLE) * CAST(1000000 AS DOUBLE), 0)`;
  return buildInterval({
    months: `(CAST(${value('years')} AS BIGINT) * 12 + ${value('months')})`,
    days: `(CAST(${value('weeks')} AS BIGINT) * 7 + ${value('days')})`,
    micros:
      `(CAST(${value('hours')} AS BIGINT) * CAST(3600000000 AS BIGINT) + CAST(${value('mins')} AS BIGINT) * ` +
      `CAST(60000000 AS BIGINT) + CAST(${secs} AS BIGINT))`,
  });
}
