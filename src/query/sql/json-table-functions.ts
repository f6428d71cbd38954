/**
 * jsonb set-returning functions as FROM items (`FROM t, jsonb_array_elements(t.doc) AS e`):
 * PostgreSQL calls a function in FROM laterally, once per row of the items before it, and names
 * its columns after the function's OUT parameters (value; key, value) or, for a function
 * returning a scalar (jsonb_object_keys), after the alias. DuckDB unnests the list the pga_json_
 * function returns in a LATERAL subquery whose columns are spelled out.
 */
import type { FuncCall, RangeFunction } from 'libpg-query';
import type { SelectContext } from './emit-context.js';
import { stringValue } from './emit-context.js';
import { emitJsonCall, JSON_FUNCTIONS } from './json-rules.js';
import { aliasColumns } from './select-rewriter.js';
import { quoteIdent } from './sql-text.js';
import { known, type PgType } from './typing/pg-types.js';

/** The FROM item for a jsonb set-returning function, or undefined when `call` is not one. */
export function emitJsonTableFunction(
  ctx: SelectContext,
  range: RangeFunction,
  call: FuncCall,
): string | undefined {
  const name = stringValue(call.funcname?.at(-1)) ?? '';
  const rule = JSON_FUNCTIONS[name];
  if (rule?.rows === undefined) return undefined;
  const list = emitJsonCall(ctx, call, rule, name);
  const aliasName = range.alias?.aliasname ?? name;
  const valueType: PgType =
    name.endsWith('_text') || name === 'jsonb_object_keys' ? known('text') : known('jsonb');
  const columns =
    rule.rows === 'pair'
      ? [
          { name: 'key', type: known('text') },
          { name: 'value', type: valueType },
        ]
      : [{ name: name === 'jsonb_object_keys' ? aliasName : 'value', type: valueType }];
  const renamed = (range.alias?.colnames ?? []).map((n) => stringValue(n) ?? '');
  const named = columns.map((c, i) => ({ ...c, name: renamed[i] ?? c.name }));
  ctx.addRange(aliasName, named);
  const body = rule.rows === 'pair' ? `unnest(${list}, recursive := true)` : `unnest(${list})`;
  const columnList = aliasColumns(named.map((c) => ({ String: { sval: c.name } })));
  return `LATERAL (SELECT ${body}) AS ${quoteIdent(aliasName)}${columnList}`;
}
