/**
 * The type stage at the level of a SELECT: the types of its output columns
 * (so that a subquery or CTE read in FROM has typed columns), and the sort and
 * grouping keys whose PostgreSQL meaning is not their stored text.
 */
import type { Node, SelectStmt } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import { jsonFunction } from '../../jsonb/duckdb-json-functions.js';
import { figureColname } from '../column-names.js';
import type { EmitContext, SelectContext } from '../emit-context.js';
import { stringValue } from '../emit-context.js';
import { typeOf } from './expr-types.js';
import { setOrderKey } from './numeric-sets.js';
import { exactNumeric } from './numeric-text.js';
import type { PgType } from './pg-types.js';
import type { TypedColumn } from './type-scope.js';

/** Records (and returns) the output columns of a plain SELECT, once its FROM items are known. */
export function recordOutput(
  ctx: SelectContext,
  stmt: SelectStmt,
  targets: readonly Node[],
): TypedColumn[] | undefined {
  const types = ctx.types;
  if (types === undefined) return undefined;
  const columns: TypedColumn[] = [];
  for (const node of targets) {
    if (!('ResTarget' in node) || node.ResTarget.val === undefined) return undefined;
    const { val, name } = node.ResTarget;
    const fields = 'ColumnRef' in val ? (val.ColumnRef.fields ?? []) : [];
    if (fields.some((f) => 'A_Star' in f)) {
      const star = types.starColumns(fields.length > 1 ? stringValue(fields.at(-2)) : undefined);
      if (star === undefined) return undefined;
      columns.push(...star);
    } else {
      columns.push({ name: name ?? figureColname(val), type: targetType(ctx, val) });
    }
  }
  types.recordOutput(stmt, columns);
  return columns;
}

/** A select-list item's type. */
export function targetType(ctx: EmitContext, val: Node): PgType | undefined {
  return ctx.types === undefined ? undefined : typeOf(ctx.types, val);
}

/** DuckDB SQL for a select-list item. */
export function emitTargetValue(ctx: EmitContext, val: Node): string {
  return ctx.expr(val);
}

export function textNumericKey(ctx: EmitContext, clause: string, location?: number) {
  return ctx.error(
    SqlState.featureNotSupported,
    `${clause} on a numeric whose display scale varies by value (a column declared numeric without precision, a quotient, avg()) is not supported by pg_analytica in this form`,
    location,
    'such values are exact text, where 1.0 and 1.00 differ; cast the value to numeric(p,s) first',
  );
}

/** UNION/INTERSECT/EXCEPT (without ALL) compare rows as DuckDB values: the text would keep 1.0 apart from 1.00. */
export function refuseTextNumericSetOperation(
  ctx: SelectContext,
  left: SelectStmt,
  right: SelectStmt,
  op: string,
): void {
  const sides = [ctx.types?.selectOutput(left), ctx.types?.selectOutput(right)];
  if (sides.some((columns) => columns?.some((c) => c.type?.heldAsText === true)))
    throw textNumericKey(ctx, op);
}

/** GROUP BY / DISTINCT keys: numeric held as text would group 1.0 apart from 1.00. */
export function refuseTextNumericKey(ctx: EmitContext, node: Node, clause: string): void {
  if (ctx.types !== undefined && typeOf(ctx.types, node)?.heldAsText === true)
    throw textNumericKey(ctx, clause);
}

/**
 * How an ORDER BY key of a plain SELECT is sorted: bpchar without its trailing blanks
 * (bpcharcmp), numeric held as text by value. A key naming an output column (by name or
 * position) sorts by that column's expression, which must then hold no subquery;
 * under DISTINCT, DuckDB sorts only by the selected values, so a numeric held as text is refused.
 */
export function sortKey(
  ctx: SelectContext,
  stmt: SelectStmt,
  node: Node,
): ((key: string) => string) | undefined {
  if (ctx.types === undefined || !('SortBy' in node) || node.SortBy.node === undefined) return undefined;
  if ((stmt.op ?? 'SETOP_NONE') !== 'SETOP_NONE') return setOrderKey(ctx, stmt, node.SortBy.node);
  const key = node.SortBy.node;
  const output = outputReference(stmt, key);
  const type = output === undefined ? typeOf(ctx.types, key) : targetType(ctx, output);
  refuseJsonSortKey(ctx, type, node.SortBy.location);
  const wrap =
    type?.heldAsText === true
      ? exactNumeric
      : type?.name === 'bpchar'
        ? (x: string) => `rtrim(${x}, ' ')`
        : type?.name === 'jsonb'
          ? (x: string) => `${jsonFunction('sort_key')}(${x})`
          : undefined;
  if (wrap === undefined) return undefined;
  // Emitting the output's expression again must not resolve a table a second time.
  const reemittable = output === undefined || !JSON.stringify(output).includes('"SubLink"');
  // Numerics held as text make DISTINCT a DISTINCT ON their keys (numeric-grouping.ts), which sorts by any key.
  const plainDistinct = stmt.distinctClause !== undefined && type?.heldAsText !== true;
  if (!reemittable || plainDistinct) {
    if (type?.heldAsText === true) throw textNumericKey(ctx, 'ORDER BY (of this form)', node.SortBy.location);
    if (type?.name === 'jsonb') throw jsonbSortRefused(ctx, node.SortBy.location);
    return undefined;
  }
  const outputSql = output === undefined ? undefined : emitTargetValue(ctx, output);
  return (sql) => wrap(outputSql ?? sql);
}

/** The select-list expression an ORDER BY key names (`ORDER BY 2`, `ORDER BY alias`), if it names one. */
function outputReference(stmt: SelectStmt, key: Node): Node | undefined {
  const targets = (stmt.targetList ?? []).flatMap((t) => ('ResTarget' in t ? [t.ResTarget] : []));
  if ('A_Const' in key && key.A_Const.ival !== undefined)
    return targets[(key.A_Const.ival.ival ?? 0) - 1]?.val;
  if (!('ColumnRef' in key) || key.ColumnRef.fields?.length !== 1) return undefined;
  const name = stringValue(key.ColumnRef.fields[0]);
  return targets.find((t) => t.val !== undefined && (t.name ?? figureColname(t.val)) === name)?.val;
}

/**
 * json has no ordering operator (42883, as in PostgreSQL). jsonb sorts by its own rules, through
 * pga_json_sort_key (jsonb-ops.ts), never by its printed text; where that key cannot be applied
 * (under DISTINCT, or a key holding a subquery) the sort is refused.
 */
function refuseJsonSortKey(ctx: EmitContext, type: PgType | undefined, location?: number): void {
  if (type?.name === 'json')
    throw ctx.error(
      SqlState.undefinedFunction,
      'could not identify an ordering operator for type json',
      location,
    );
}

function jsonbSortRefused(ctx: EmitContext, location?: number) {
  return ctx.error(
    SqlState.featureNotSupported,
    'ORDER BY a jsonb value in this form (under DISTINCT or holding a subquery) is not supported by pg_analytica',
    location,
    "Order by a field's text or number instead, e.g. ORDER BY jb ->> 'k' or (jb ->> 'k')::numeric.",
  );
}
