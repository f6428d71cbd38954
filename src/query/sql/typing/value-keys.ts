/**
 * Keys that make DuckDB compare, sort and group values as PostgreSQL's type does, where the
 * value DuckDB holds would compare differently:
 *
 * | type                              | equality key (GROUP BY, DISTINCT, PARTITION BY, count(DISTINCT)) | order key (<, ORDER BY, min/max) |
 * |-----------------------------------|-----------------------------------|-----------------------------------|
 * | numeric held as text              | exact key: 1.0 = 1.00             | the same key, by value            |
 * | bpchar of no declared length      | rtrim(x): 'a' = 'a  ' (bpchareq)  | rtrim(x) (bpcharcmp)              |
 * | char(n)                           | none: every value has n characters | rtrim(x)                          |
 * | jsonb                             | pga_json_equality_key: {"k":1} = {"k":1.0} | pga_json_sort_key (jsonb's order) |
 * | interval                          | its span: '1 mon' = '30 days'     | its span                          |
 *
 * An interval's span is interval_cmp_value's: months as 30 days, days as 24 hours, in
 * microseconds as one 128-bit integer. DuckDB compares the fields one by one after carrying
 * them, so '1 mon -1 day' is greater than '29 days' there and equal in PostgreSQL.
 *
 * Where a key must be applied, the value itself is no longer the grouping column: see
 * keyed-grouping.ts, which reads it through one of the group's values.
 */
import type { Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import { jsonFunction } from '../../jsonb/duckdb-json-functions.js';
import type { EmitContext } from '../emit-context.js';
import { multiDimOrderKey } from '../multidim-arrays.js';
import { typeOf } from './expr-types.js';
import { inetKey, isInet } from './network-rules.js';
import { exactNumeric } from './numeric-text.js';
import type { PgType } from './pg-types.js';
import { isRange, rangeKey } from './range-rules.js';

const MICROS_PER_DAY = 86_400_000_000n;

/** The span of an interval in microseconds (interval_cmp_value), as HUGEINT. */
export function intervalKey(sql: string): string {
  const part = (field: string) => `datepart('${field}', ${sql})`;
  const days = `(CAST(${part('year')} * 12 + ${part('month')} AS HUGEINT) * 30 + ${part('day')})`;
  const time = `${part('hour')} * 3600000000 + ${part('minute')} * 60000000 + ${part('microseconds')}`;
  return `(${days} * ${MICROS_PER_DAY} + ${time})`;
}

/** The citext extension's type (a domain over it is typed as citext too). */
export function isCitext(type: PgType | undefined): boolean {
  return type?.name === 'citext' && type.category === 'S';
}

/**
 * citext's key: the value lowercased as citext does (str_tolower under the database's ctype).
 * The copy holds citext only where that ctype is C or POSIX (table-schema.ts), where str_tolower
 * folds ASCII letters and nothing else: 'É' and 'é' differ, as in PostgreSQL. Ordered by the
 * key's bytes, as citext_cmp orders the lowered strings under the C collation.
 */
export function citextKey(sql: string): string {
  return `translate(${sql}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
}

/**
 * timetz's order (timetz_cmp): by the time in UTC (not wrapped at midnight: '23:00-05' is 28:00),
 * then by the zone in seconds west of UTC. DuckDB's min/max of TIMETZ go by another order. One
 * BIGINT: UTC microseconds × 2^17 plus the zone shifted to be positive (|offset| ≤ 15:59:59).
 */
export function timetzKey(sql: string): string {
  const east = `CAST(datepart('timezone', ${sql}) AS BIGINT)`;
  return `((epoch_us(CAST(${sql} AS TIME)) - ${east} * 1000000) * 131072 + (57599 - ${east}))`;
}

/** An interval[]'s key: its elements' spans, compared element by element as array_cmp does. */
export function intervalArrayKey(sql: string): string {
  return `list_transform(${sql}, lambda e: ${intervalKey('e')})`;
}

/** The key equal values share, or undefined when DuckDB's equality of the value is PostgreSQL's. */
export function equalityKey(type: PgType | undefined, sql: string): string | undefined {
  if (type === undefined) return undefined;
  if (isCitext(type)) return citextKey(sql);
  if (type.heldAsText === true) return exactNumeric(sql);
  if (type.name === 'bpchar') return type.typmod < 0 ? `rtrim(${sql}, ' ')` : undefined;
  if (type.name === 'jsonb') return `${jsonFunction('equality_key')}(${sql})`;
  if (type.name === 'interval') return intervalKey(sql);
  if (type.name === 'interval[]') return intervalArrayKey(sql);
  // '[1.5,2.5]' and '[1.50,2.50]' are equal (numeric_cmp) but print differently.
  if (type.name === 'numrange') return rangeKey(type, sql);
  return undefined;
}

/** The key values sort by, or undefined when DuckDB's order of the value is PostgreSQL's. */
export function orderKey(type: PgType | undefined, sql: string): string | undefined {
  if (type === undefined) return undefined;
  if (isCitext(type)) return citextKey(sql);
  if (type.name === 'timetz') return timetzKey(sql);
  if (isRange(type)) return rangeKey(type, sql);
  if (isInet(type)) return inetKey(sql);
  if (type.heldAsText === true) return exactNumeric(sql);
  if (type.name === 'bpchar') return `rtrim(${sql}, ' ')`;
  if (type.name === 'jsonb') return `${jsonFunction('sort_key')}(${sql})`;
  if (type.name === 'interval[]') return intervalArrayKey(sql);
  if (type.name === 'interval') return intervalKey(sql);
  if ((type.ndims ?? 1) > 1) return multiDimOrderKey(type, sql);
  return undefined;
}

/** True when values of the type must be grouped through equalityKey. */
export function groupsByKey(type: PgType | undefined): boolean {
  return equalityKey(type, 'x') !== undefined;
}

/** `sql` as its equality key when it needs one, else as it is. */
export function groupedValue(type: PgType | undefined, sql: string): string {
  return equalityKey(type, sql) ?? sql;
}

/** Types DuckDB orders otherwise than PostgreSQL, whose greatest()/least() it would pick wrongly. */
const MIN_MAX_REFUSED = new Set([
  'interval',
  'timetz',
  'citext',
  'inet',
  'cidr',
  'int4range',
  'int8range',
  'daterange',
  'numrange',
  'tsrange',
  'tstzrange',
]);

/**
 * greatest()/least() of intervals (DuckDB picks by its own field order, not by span), timetz
 * (DuckDB's TIMETZ order is not timetz_cmp's), citext and inet/cidr (held as text): refused
 * (0A000) rather than answered differently.
 */
export function refuseIntervalMinMax(
  ctx: EmitContext,
  args: readonly Node[],
  fn: string,
  location?: number,
): void {
  const types = ctx.types;
  if (types === undefined) return;
  const type = args.map((a) => typeOf(types, a)).find((t) => MIN_MAX_REFUSED.has(t?.name ?? ''));
  if (type === undefined) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `${fn}() of ${type.name} values is not supported by pg_analytica`,
    location,
    'Use max()/min() over the values, or compare them with CASE.',
  );
}
