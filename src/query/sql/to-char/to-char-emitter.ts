/**
 * to_char(value, template):
 * - dates, timestamps and timestamptz (in the session TimeZone) print through
 *   datetime-to-char.ts with PostgreSQL's patterns, as DuckDB SQL; DuckDB's strftime patterns
 *   mean other things and are never used. The template must be a constant; a keyword this front
 *   end does not print fails with 0A000 naming it.
 * - smallint, integer, bigint, numeric, real and double precision print through the
 *   pga_to_char_exact / pga_to_char_float functions (duckdb-to-char-functions.ts): integers and
 *   numerics as their exact text, floats as the double. Any template expression works; D, G, L
 *   and S print the C locale's symbols, so they are refused (0A000) unless the source's
 *   lc_numeric and lc_monetary are C's — and a template that is not a constant then too, since
 *   it could hold them.
 * - intervals print through pga_to_char_interval (interval-to-char.ts); the template must be a
 *   constant, and the fields PostgreSQL computes as if the interval were a date are refused.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import { constantText } from '../datetime/extract-emitter.js';
import { localTimestamp } from '../datetime/local-time.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { operandType } from '../typing/typed-operands.js';
import { parseDateTimePattern } from './datetime-pattern.js';
import { dateTimeToChar } from './datetime-to-char.js';
import { TO_CHAR_EXACT, TO_CHAR_FLOAT, TO_CHAR_INTERVAL } from './duckdb-to-char-functions.js';
import { unsupportedIntervalKey } from './interval-to-char.js';
import { type NumberKey, parseNumberPattern } from './number-pattern.js';

/**
 * The to_char variant each number type calls. There is no to_char(smallint): PostgreSQL picks
 * to_char(double precision), the preferred type of smallint's implicit casts, so a smallint
 * prints as a float (its decimals capped at 15 digits, 'V' multiplying in floating point).
 */
const NUMBER_KINDS: Readonly<Record<string, string>> = {
  int2: 'float8',
  int4: 'int4',
  int8: 'int8',
  numeric: 'numeric',
  float4: 'float4',
  float8: 'float8',
};

export function emitToChar(ctx: EmitContext, call: FuncCall): string {
  const [value, template] = call.args ?? [];
  const type = operandType(ctx, value)?.name ?? 'unknown';
  if (value === undefined || template === undefined || (call.args ?? []).length !== 2)
    throw refused(ctx, call, type);
  const kind = NUMBER_KINDS[type];
  if (kind !== undefined) return numberToChar(ctx, call, kind, value, template);
  if (type === 'interval') return intervalToChar(ctx, call, value, template);
  if (!['date', 'timestamp', 'timestamptz'].includes(type)) throw refused(ctx, call, type);
  return dateTimeToCharSql(ctx, call, type, value, constantTemplate(ctx, call, template));
}

function refused(ctx: EmitContext, call: FuncCall, type: string) {
  return ctx.error(
    SqlState.featureNotSupported,
    `to_char(${type}, text) is not supported by pg_analytica`,
    call.location,
    'to_char is supported for numbers, intervals, dates and timestamps.',
  );
}

function constantTemplate(ctx: EmitContext, call: FuncCall, template: Node): string {
  const text = constantText(template);
  if (text === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'to_char with a template that is not a constant is not supported by pg_analytica',
      call.location,
    );
  }
  return text;
}

function dateTimeToCharSql(
  ctx: EmitContext,
  call: FuncCall,
  type: string,
  value: Node,
  text: string,
): string {
  const sql = ctx.expr(value);
  // PostgreSQL returns NULL for an empty template and for ±infinity.
  if (text === '') return 'CAST(NULL AS VARCHAR)';
  // There is no to_char(date): PostgreSQL casts a date to timestamptz, its local midnight, which
  // is 01:00 on a day whose midnight a DST change skips.
  const zoned = type === 'date' ? `CAST(${sql} AS TIMESTAMPTZ)` : sql;
  const local = type === 'timestamp' ? sql : localTimestamp(ctx.timeZone, zoned);
  const printed = dateTimeToChar(parseDateTimePattern(text), local);
  if ('unsupported' in printed) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `to_char pattern "${printed.unsupported}" is not supported by pg_analytica`,
      call.location,
      'Time zone fields (TZ, TZH, TZM, OF), the TM prefix and the SP suffix are not supported.',
    );
  }
  // NULL in, NULL out, also for a template without fields (whose text would be a constant).
  return `(CASE WHEN ${sql} IS NULL OR isinf(${sql}) THEN NULL ELSE ${printed.sql} END)`;
}

/** The keywords whose symbols come from lc_numeric and lc_monetary. */
const LOCALE_KEYS: ReadonlySet<NumberKey> = new Set(['D', 'G', 'L', 'S']);

/** The first locale keyword of a constant template ('' for a template that is not constant). */
function localeKeyword(text: string | undefined): string | undefined {
  if (text === undefined) return '';
  try {
    const found = parseNumberPattern(text).nodes.find((n) => n.kind === 'key' && LOCALE_KEYS.has(n.key));
    return found?.kind === 'key' ? found.key : undefined;
  } catch {
    // A template PostgreSQL rejects fails on the first row, here as there.
    return undefined;
  }
}

function numberToChar(ctx: EmitContext, call: FuncCall, kind: string, value: Node, template: Node): string {
  const text = constantText(template);
  const locale = ctx.numberLocaleIsC === true ? undefined : localeKeyword(text);
  if (locale !== undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      locale === ''
        ? 'to_char of a number with a template that is not a constant is not supported by pg_analytica here'
        : `to_char pattern "${locale}" is not supported by pg_analytica here`,
      call.location,
      "D, G, L and S print the C locale's symbols, and the database's lc_numeric or lc_monetary is not C " +
        '(or the statement reads no registered table, so the settings are unknown); use "." and "," instead.',
    );
  }
  const templateSql = text === undefined ? `CAST(${ctx.expr(template)} AS VARCHAR)` : quoteLiteral(text);
  const sql = ctx.expr(value);
  if (kind === 'float4' || kind === 'float8')
    return `${TO_CHAR_FLOAT}('${kind}', CAST(${sql} AS DOUBLE), ${templateSql})`;
  return `${TO_CHAR_EXACT}('${kind}', CAST(${sql} AS VARCHAR), ${templateSql})`;
}

function intervalToChar(ctx: EmitContext, call: FuncCall, value: Node, template: Node): string {
  const text = constantTemplate(ctx, call, template);
  const sql = ctx.expr(value);
  // PostgreSQL returns NULL for an empty template.
  if (text === '') return 'CAST(NULL AS VARCHAR)';
  const unsupported = unsupportedIntervalKey(parseDateTimePattern(text));
  if (unsupported !== undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `to_char pattern "${unsupported}" of an interval is not supported by pg_analytica`,
      call.location,
      'IW, IDDD, the ISO year fields, J and the SP suffix are not supported for intervals.',
    );
  }
  return `${TO_CHAR_INTERVAL}(CAST(${sql} AS INTERVAL), ${quoteLiteral(text)})`;
}
