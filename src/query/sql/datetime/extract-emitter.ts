/**
 * EXTRACT(unit FROM x) and date_part('unit', x): the unit and the source's
 * PostgreSQL type decide the SQL (extract-sql.ts). The unit must be a
 * constant and the source's type known; PostgreSQL's own errors are given for
 * units it does not recognize (22023) or does not support for the type (0A000).
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { operandType } from '../typing/typed-operands.js';
import { untyped } from './datetime-functions.js';
import { type ExtractSource, extractSql, SOURCE_TYPE_NAMES } from './extract-sql.js';
import { dateTimeUnit } from './extract-units.js';

const SOURCES: ReadonlySet<string> = new Set(Object.keys(SOURCE_TYPE_NAMES));

/** `numeric` is true for EXTRACT (numeric result), false for date_part (double precision). */
export function emitExtractCall(ctx: EmitContext, call: FuncCall, numeric: boolean): string {
  const what = numeric ? 'EXTRACT' : 'date_part';
  const [unitNode, source] = call.args ?? [];
  const unitText = constantText(unitNode);
  if (unitText === undefined || source === undefined || (call.args ?? []).length !== 2) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `${what} with a unit that is not a constant is not supported by pg_analytica`,
      call.location,
      'Name the unit as a constant, such as EXTRACT(year FROM x).',
    );
  }
  const sourceSql = ctx.expr(source);
  if (ctx.types === undefined) return untyped(ctx, call, what);
  const type = operandType(ctx, source)?.name;
  if (type === undefined || !SOURCES.has(type)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `${what} of ${type === undefined || type === 'unknown' ? 'a value of unknown type' : `type ${type}`} is not supported by pg_analytica`,
      call.location,
      'Cast the value to date, timestamp, timestamp with time zone, time or interval.',
    );
  }
  const kind = type as ExtractSource;
  // date_part(text, date) runs as date_part(text, timestamp) and says so in its errors.
  const typeName = SOURCE_TYPE_NAMES[kind === 'date' && !numeric ? 'timestamp' : kind];
  const unit = dateTimeUnit(unitText);
  if (unit === undefined) {
    throw ctx.error(
      SqlState.invalidParameterValue,
      `unit "${unitText.toLowerCase()}" not recognized for type ${typeName}`,
      call.location,
    );
  }
  const result = extractSql(unit, kind, sourceSql, numeric, ctx.timeZone);
  if ('sql' in result) return result.sql;
  throw ctx.error(
    SqlState.featureNotSupported,
    `unit "${unitText.toLowerCase()}" not supported for type ${typeName}`,
    call.location,
  );
}

/**
 * The text of a string constant (a unit, a template), also cast as postgres_fdw deparses it
 * ('year'::text).
 */
export function constantText(node: Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  if ('A_Const' in node) return node.A_Const.sval?.sval;
  if ('TypeCast' in node && node.TypeCast.arg !== undefined) return constantText(node.TypeCast.arg);
  return undefined;
}
