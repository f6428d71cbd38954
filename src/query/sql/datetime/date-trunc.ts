/**
 * date_trunc(unit, x) as timestamp_trunc / timestamptz_trunc / interval_trunc
 * compute it. Where DuckDB differs:
 * - decade, century and millennium start at PostgreSQL's first years (2001
 *   for the 21st century, BC years counted as PostgreSQL counts them);
 * - timestamptz below a day keeps the value's own UTC offset (DuckDB looks
 *   the truncated local time up again, which moves it in the repeated hour of
 *   a DST change); from a day up the local time is looked up in the zone, as
 *   in PostgreSQL;
 * - a date is truncated as timestamptz (PostgreSQL casts it so), at local midnight; a time as
 *   an interval.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { operandType } from '../typing/typed-operands.js';
import { constantText } from './extract-emitter.js';
import { SOURCE_TYPE_NAMES } from './extract-sql.js';
import { type DateTimeUnit, dateTimeUnit } from './extract-units.js';
import { isUtc, localTimestamp, zonedTimestamp } from './local-time.js';

const TRUNC_UNITS: ReadonlySet<DateTimeUnit> = new Set([
  'microseconds',
  'milliseconds',
  'second',
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'quarter',
  'year',
  'decade',
  'century',
  'millennium',
]);
const SPECIAL_WORDS: ReadonlySet<DateTimeUnit> = new Set([
  'epoch',
  'julian',
  'dow',
  'doy',
  'isodow',
  'isoyear',
]);
const BELOW_DAY: ReadonlySet<DateTimeUnit> = new Set([
  'microseconds',
  'milliseconds',
  'second',
  'minute',
  'hour',
]);

export function emitDateTrunc(ctx: EmitContext, call: FuncCall): string {
  const [unitNode, source, zone] = call.args ?? [];
  const unitText = constantText(unitNode);
  const type = operandType(ctx, source)?.name ?? 'unknown';
  // A date is truncated as timestamptz, a time as interval (PostgreSQL's implicit casts).
  const kind = type === 'date' ? 'timestamptz' : type === 'time' ? 'interval' : type;
  if (unitText === undefined || source === undefined || zone !== undefined || !(kind in SOURCE_TYPE_NAMES)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `date_trunc(${unitText === undefined ? 'a computed unit' : `'${unitText}'`}, ${type}${zone === undefined ? '' : ', zone'}) is not supported by pg_analytica`,
      call.location,
      'Name the unit as a constant and pass a timestamp, timestamp with time zone, date or interval.',
    );
  }
  const typeName = SOURCE_TYPE_NAMES[kind as keyof typeof SOURCE_TYPE_NAMES];
  // timestamp_trunc reads units with DecodeUnits alone: the special words (epoch, dow, …) are unknown there.
  const unit = dateTimeUnit(unitText);
  if (unit === undefined || SPECIAL_WORDS.has(unit))
    throw ctx.error(
      SqlState.invalidParameterValue,
      `unit "${unitText.toLowerCase()}" not recognized for type ${typeName}`,
      call.location,
    );
  if (!TRUNC_UNITS.has(unit) || (kind === 'interval' && unit === 'week'))
    throw ctx.error(
      SqlState.featureNotSupported,
      `unit "${unitText.toLowerCase()}" not supported for type ${typeName}`,
      call.location,
    );
  const value =
    type === 'date'
      ? `CAST(${ctx.expr(source)} AS TIMESTAMPTZ)`
      : type === 'time'
        ? `to_microseconds(epoch_us(${ctx.expr(source)}))`
        : ctx.expr(source as Node);
  if (kind === 'interval') return `date_trunc(${quoteLiteral(unit)}, ${value})`;
  if (kind === 'timestamp')
    return `(CASE WHEN isinf(${value}) THEN ${value} ELSE ${truncLocal(unit, value)} END)`;
  const local = localTimestamp(ctx.timeZone, value);
  const truncated = isUtc(ctx.timeZone)
    ? zonedTimestamp(ctx.timeZone, truncLocal(unit, local))
    : BELOW_DAY.has(unit)
      ? `(${value} - to_microseconds(epoch_us(${local}) - epoch_us(date_trunc(${quoteLiteral(unit)}, ${local}))))`
      : zonedTimestamp(ctx.timeZone, truncLocal(unit, local));
  return `(CASE WHEN isinf(${value}) THEN ${value} ELSE ${truncated} END)`;
}

/** A local timestamp truncated; decades, centuries and millennia from PostgreSQL's first year of each. */
function truncLocal(unit: DateTimeUnit, t: string): string {
  const y = `year(${t})`;
  const first: Partial<Record<DateTimeUnit, string>> = {
    decade: `(CASE WHEN ${y} > 0 THEN (${y} // 10) * 10 ELSE -((8 - (${y} - 1)) // 10) * 10 END)`,
    century: `(CASE WHEN ${y} > 0 THEN ((${y} + 99) // 100) * 100 - 99 ELSE -((99 - (${y} - 1)) // 100) * 100 + 1 END)`,
    millennium: `(CASE WHEN ${y} > 0 THEN ((${y} + 999) // 1000) * 1000 - 999 ELSE -((999 - (${y} - 1)) // 1000) * 1000 + 1 END)`,
  };
  const year = first[unit];
  if (year === undefined) return `date_trunc(${quoteLiteral(unit)}, ${t})`;
  return `(date_trunc('year', ${t}) + to_months(CAST(12 * (${year} - ${y}) AS INTEGER)))`;
}
