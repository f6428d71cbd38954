/**
 * Casts to json and jsonb. jsonb_in normalizes (keys sorted and unique, numbers through
 * numeric, jsonb's spacing): a literal is normalized here, other text by pga_json_to_jsonb at
 * run time. json_in only checks its input and keeps the text as written.
 */
import type { Node, TypeCast } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import { jsonFunction } from '../../jsonb/duckdb-json-functions.js';
import { checkJsonText, toJsonbText } from '../../jsonb/json-functions.js';
import { atLocation, type EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { typeOf } from './expr-types.js';

export function emitJsonCast(ctx: EmitContext, cast: TypeCast, arg: Node, target: 'json' | 'jsonb'): string {
  if ('A_Const' in arg && arg.A_Const.isnull === true) return 'CAST(NULL AS VARCHAR)';
  const text = 'A_Const' in arg ? arg.A_Const.sval?.sval : undefined;
  if (text !== undefined) {
    return atLocation(ctx, cast.location, () =>
      quoteLiteral(target === 'jsonb' ? toJsonbText(text) : checkJsonText(text)),
    );
  }
  const sql = ctx.expr(arg);
  if (ctx.listingOnly === true || ctx.types === undefined) return sql;
  const source = typeOf(ctx.types, arg);
  if (source?.name === target || (target === 'json' && source?.name === 'jsonb')) return sql;
  // text (and a parameter, which PostgreSQL types as the cast's target) is read by jsonb_in/json_in.
  if (source?.category === 'S' || source?.name === 'json' || (source === undefined && 'ParamRef' in arg)) {
    const convert = jsonFunction(target === 'jsonb' ? 'to_jsonb' : 'check');
    const value = source?.name === 'bpchar' ? `rtrim(${sql}, ' ')` : `CAST(${sql} AS VARCHAR)`;
    return `${convert}(${value})`;
  }
  throw ctx.error(
    SqlState.featureNotSupported,
    `a cast from ${source?.name ?? 'this expression'} to ${target} is not supported by pg_analytica`,
    cast.location,
  );
}
