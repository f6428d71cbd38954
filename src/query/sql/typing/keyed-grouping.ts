/**
 * GROUP BY and DISTINCT on values DuckDB would group apart where PostgreSQL's equality merges
 * them (value-keys.ts): a numeric whose display scale varies by value (1.0 and 1.00), jsonb
 * ({"k":1} and {"k":1.0}), intervals ('1 mon' and '30 days'), bpchar of no declared length.
 *
 * DuckDB groups by the value's equality key instead of the value. The grouped expression
 * itself is then no longer a grouping column for DuckDB, so where the SELECT list, HAVING or
 * ORDER BY use it outside an aggregate it is read as min(expr) — one of the group's values, all
 * equal, printed with its own scale (PostgreSQL too prints the scale of whichever row of the
 * group it met first). DISTINCT becomes DISTINCT ON the keys of the selected values.
 */

import type { Node, SelectStmt } from 'libpg-query';
import { figureColname } from '../column-names.js';
import type { SelectContext } from '../emit-context.js';
import { stringValue } from '../emit-context.js';
import { allowAnyDims } from '../multidim-arrays.js';
import { typeOf } from './expr-types.js';
import { equalityKey, groupedValue, groupsByKey } from './value-keys.js';

/** Aggregates: their arguments are read per row, so a column inside one is not read grouped. */
export const AGGREGATES: ReadonlySet<string> = new Set(
  (
    'count sum avg min max stddev stddev_samp stddev_pop variance var_samp var_pop bool_and bool_or every ' +
    'string_agg array_agg percentile_cont percentile_disc mode corr covar_pop covar_samp bit_and bit_or ' +
    'regr_slope regr_intercept regr_count regr_r2 json_agg jsonb_agg json_object_agg jsonb_object_agg'
  ).split(' '),
);

/** The node's JSON without parse locations, to recognise the same expression written again. */
export function shape(node: Node): string {
  return JSON.stringify(node, (key, value) => (key === 'location' ? undefined : value));
}

/** The expression a GROUP BY item stands for: `GROUP BY 2` is the second select-list item. */
function groupExpression(stmt: SelectStmt, item: Node): Node {
  if ('A_Const' in item && item.A_Const.ival !== undefined) {
    const target = stmt.targetList?.[(item.A_Const.ival.ival ?? 0) - 1];
    if (target !== undefined && 'ResTarget' in target && target.ResTarget.val !== undefined)
      return target.ResTarget.val;
  }
  return item;
}

function isKeyed(ctx: SelectContext, node: Node): boolean {
  return ctx.types !== undefined && groupsByKey(typeOf(ctx.types, node));
}

function typeOfNode(ctx: SelectContext, node: Node) {
  return ctx.types === undefined ? undefined : typeOf(ctx.types, node);
}

/** The GROUP BY items grouped by an equality key (by their expressions), when there are any. */
export function keyedGroups(ctx: SelectContext, stmt: SelectStmt): Set<string> {
  const keys = new Set<string>();
  for (const item of stmt.groupClause ?? []) {
    if ('GroupingSet' in item) continue;
    const expr = groupExpression(stmt, item);
    if (isKeyed(ctx, expr)) keys.add(shape(expr));
  }
  return keys;
}

/** DuckDB SQL for one plain GROUP BY item: by its equality key where it needs one. */
export function emitGroupKey(ctx: SelectContext, stmt: SelectStmt, item: Node): string {
  const expr = groupExpression(stmt, item);
  // Arrays of several dimensions group as array_eq compares them: nested lists equal as values.
  allowAnyDims(expr);
  allowAnyDims(item);
  return equalityKey(typeOfNode(ctx, expr), ctx.expr(expr)) ?? ctx.expr(item);
}

/** `node` with every use of a grouped expression outside aggregates and subqueries read as min(expr). */
function readGrouped(node: Node, keys: ReadonlySet<string>): Node {
  if (keys.has(shape(node)))
    return {
      FuncCall: { funcname: [{ String: { sval: 'min' } }], args: [node], funcformat: 'COERCE_EXPLICIT_CALL' },
    };
  if ('SubLink' in node) return node;
  if ('FuncCall' in node && node.FuncCall.over === undefined) {
    const name = stringValue(node.FuncCall.funcname?.at(-1)) ?? '';
    if (AGGREGATES.has(name)) return node;
  }
  return mapChildren(node, (child) => readGrouped(child, keys));
}

/** A copy of `node` whose child nodes are replaced by `f` (arrays and nested objects walked). */
function mapChildren(node: Node, f: (child: Node) => Node): Node {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    // A node is an object with one key naming its type (a capitalised tag).
    if (entries.length === 1 && /^[A-Z]/.test(entries[0]![0])) return f(value as Node);
    return Object.fromEntries(entries.map(([k, v]) => [k, walk(v)]));
  };
  const [tag, body] = Object.entries(node)[0] as [string, unknown];
  return { [tag]: walk(body) } as Node;
}

/**
 * The statement as DuckDB must see it when it groups by equality keys: the
 * select list, HAVING and ORDER BY read the grouped expressions through min(). The same
 * statement when nothing is grouped so.
 */
export function groupedByValue(ctx: SelectContext, stmt: SelectStmt): SelectStmt {
  const keys = keyedGroups(ctx, stmt);
  if (keys.size === 0) return stmt;
  const read = (node: Node) => readGrouped(node, keys);
  // A target keeps the name PostgreSQL gives the expression as written (`n`, not `min`).
  const target = (node: Node): Node => {
    if (!('ResTarget' in node) || node.ResTarget.val === undefined) return node;
    const { val, name } = node.ResTarget;
    return { ResTarget: { ...node.ResTarget, name: name ?? figureColname(val), val: read(val) } };
  };
  return {
    ...stmt,
    targetList: stmt.targetList?.map(target),
    ...(stmt.havingClause === undefined ? {} : { havingClause: read(stmt.havingClause) }),
    sortClause: stmt.sortClause?.map(read),
  };
}

/**
 * DISTINCT over values of which some group by an equality key: DISTINCT ON the selected values,
 * those by their key. undefined when no selected value needs a key, or when one holds a
 * subquery (emitting it twice would resolve its tables twice).
 */
export function distinctByValue(ctx: SelectContext, targets: readonly Node[]): string | undefined {
  const values = targets.map((t) => ('ResTarget' in t ? t.ResTarget.val : undefined));
  if (!values.some((v) => v !== undefined && isKeyed(ctx, v))) return undefined;
  if (
    values.some(
      (v) => v === undefined || ('ColumnRef' in v && v.ColumnRef.fields?.some((f) => 'A_Star' in f)),
    )
  )
    return undefined;
  if (values.some((v) => JSON.stringify(v).includes('"SubLink"'))) return undefined;
  const keys = (values as Node[]).map((v) => groupedValue(typeOfNode(ctx, v), ctx.expr(v)));
  return `DISTINCT ON (${keys.join(', ')}) `;
}
