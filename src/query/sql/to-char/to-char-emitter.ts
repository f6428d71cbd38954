/**
 * to_char(value, template): dates, timestamps and timestamptz (in the session
 * TimeZone) print through datetime-to-char.ts with PostgreSQL's patterns;
 * DuckDB's strftime patterns mean other things and are never used. The
 * template must be a constant; a keyword this front end does not print, and
 * to_char of numbers and intervals, fail with 0A000 naming them.
 */
import type { FuncCall } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import { constantText } from '../datetime/extract-emitter.js';
import type { EmitContext } from '../emit-context.js';
import { operandType } from '../typing/typed-operands.js';
import { parseDateTimePattern } from './datetime-pattern.js';
import { dateTimeToChar } from './datetime-to-char.js';

export function emitToChar(ctx: EmitContext, call: FuncCall): string {
  const [value, template] = call.args ?? [];
  const text = constantText(template);
  const type = operandType(ctx, value)?.name ?? 'unknown';
  if (
    value === undefined ||
    (call.args ?? []).length !== 2 ||
    !['date', 'timestamp', 'timestamptz'].includes(type)
  ) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `to_char(${type}, text) is not supported by pg_analytica`,
      call.location,
      'to_char is supported for date, timestamp and timestamp with time zone values.',
    );
  }
  if (text === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'to_char with a template that is not a constant is not supported by pg_analytica',
      call.location,
    );
  }
  const sql = ctx.expr(value);
  // PostgreSQL returns NULL for an empty template and for ±infinity.
  if (text === '') return 'CAST(NULL AS VARCHAR)';
  // There is no to_char(date): PostgreSQL casts a date to timestamptz, its local midnight, which
  // is 01:00 on a day whose midnight a DST change skips.
  const zoned = type === 'date' ? `CAST(${sql} AS TIMESTAMPTZ)` : sql;
  const local = type === 'timestamp' ? sql : `CAST(${zoned} AS TIMESTAMP)`;
  const printed = dateTimeToChar(parseDateTimePattern(text), local);
  if ('unsupported' in printed) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `to_char pattern "${printed.unsupported}" is not supported by pg_analytica`,
      call.location,
      'Time zone fields (TZ, TZH, TZM, OF), the TM prefix and the SP suffix are not supported.',
    );
  }
  return `(CASE WHEN isinf(${sql}) THEN NULL ELSE ${printed.sql} END)`;
}
