/**
 * The type stage at the level of a SELECT: the types of its output columns
 * (so that a subquery or CTE read in FROM has typed columns), and the sort and
 * grouping keys whose PostgreSQL meaning is not their stored text.
 */

import type { Node, SelectStmt } from 'libpg-query';
import { type PgError, SqlState } from '../../../errors.js';
import { figureColname } from '../column-names.js';
import type { EmitContext, SelectContext } from '../emit-context.js';
import { stringValue } from '../emit-context.js';
import { allowAnyDims } from '../multidim-arrays.js';
import { typeOf } from './expr-types.js';
import { setOrderKey } from './numeric-sets.js';
import type { PgType } from './pg-types.js';
import type { TypedColumn } from './type-scope.js';
import { groupsByKey, orderKey } from './value-keys.js';

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

/** What a value grouped by key is, for a refusal's message; undefined for other values. */
function keyedKind(type: PgType | undefined): string | undefined {
  if (type?.heldAsText === true) return undefined;
  if (type?.name === 'jsonb') return 'a jsonb value';
  if (type?.name === 'interval') return 'an interval';
  if (type?.name === 'bpchar') return 'a character value of no declared length';
  if (type?.name === 'citext') return 'a citext value';
  return undefined;
}

/**
 * A clause that cannot apply the equality key a value needs (value-keys.ts): numerics of varying
 * scale keep their own message; jsonb, intervals and bpchar of no declared length name theirs.
 */
export function keyedValueRefused(
  ctx: EmitContext,
  clause: string,
  type?: PgType,
  location?: number,
): PgError {
  const kind = keyedKind(type);
  if (kind === undefined) return textNumericKey(ctx, clause, location);
  return ctx.error(
    SqlState.featureNotSupported,
    `${clause} on ${kind} is not supported by pg_analytica in this form`,
    location,
    "values PostgreSQL holds equal ({\"k\":1} and {\"k\":1.0}, '1 mon' and '30 days', 'a' and 'a ', citext's 'A' and 'a') would be kept apart; use GROUP BY or UNION ALL, or compare a text form of the value",
  );
}

/**
 * UNION/INTERSECT/EXCEPT (without ALL) compare rows as DuckDB values: refused where a column's
 * values need an equality key, or where char(n) columns of different lengths meet.
 */
export function refuseKeyedSetOperation(
  ctx: SelectContext,
  left: SelectStmt,
  right: SelectStmt,
  op: string,
): void {
  const l = ctx.types?.selectOutput(left) ?? [];
  const r = ctx.types?.selectOutput(right) ?? [];
  for (const [i, column] of l.entries()) {
    const other = r[i]?.type;
    const lengths =
      column.type?.name === 'bpchar' && other?.name === 'bpchar' && column.type.typmod !== other.typmod;
    if (lengths) throw keyedValueRefused(ctx, op, { ...column.type, typmod: -1 } as PgType);
    // char(n) first, text or varchar after: the column is char(n), compared without trailing
    // blanks, and its values keep the ones they have (which DuckDB would compare).
    const textAfterPadded =
      column.type?.name === 'bpchar' && other?.category === 'S' && other.name !== 'bpchar';
    if (textAfterPadded) throw keyedValueRefused(ctx, op, { ...column.type, typmod: -1 } as PgType);
    for (const type of [column.type, other]) if (groupsByKey(type)) throw keyedValueRefused(ctx, op, type);
  }
}

/** GROUP BY / DISTINCT keys in a form that cannot apply the value's equality key. */
export function refuseKeyedValue(ctx: EmitContext, node: Node, clause: string): void {
  const type = ctx.types === undefined ? undefined : typeOf(ctx.types, node);
  if (groupsByKey(type)) throw keyedValueRefused(ctx, clause, type);
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
  const multiDim = (type?.ndims ?? 1) > 1;
  const refuseMultiDimOrder = () =>
    ctx.error(
      SqlState.featureNotSupported,
      `ORDER BY a multi-dimensional array (${type?.name}) is not supported by pg_analytica here`,
      node.SortBy.location,
      'order by one of its elements (a[1][1]) or by another column',
    );
  // Sorted by its array_cmp key (multidim-arrays.ts), where its elements order as PostgreSQL's.
  if (multiDim && orderKey(type, 'x') === undefined) throw refuseMultiDimOrder();
  if (multiDim) allowAnyDims(key);
  // A float sorts by an expression of its own (function-emitter.ts floatSortKey): DuckDB hands
  // back a sorted column's values from the normalized key, where -0 is 0.
  const float = type?.name === 'float8' || type?.name === 'float4';
  const wrap =
    orderKey(type, 'x') !== undefined
      ? (x: string) => orderKey(type, x) ?? x
      : float
        ? (x: string) => `(${x} + 0)`
        : undefined;
  if (wrap === undefined) return undefined;
  // Emitting the output's expression again must not resolve a table a second time.
  const reemittable = output === undefined || !JSON.stringify(output).includes('"SubLink"');
  // Values grouped by key make DISTINCT a DISTINCT ON their keys (keyed-grouping.ts), which sorts by any key.
  const plainDistinct = stmt.distinctClause !== undefined && !groupsByKey(type);
  if (!reemittable || plainDistinct) {
    if (float) return undefined;
    if (type?.heldAsText === true) throw textNumericKey(ctx, 'ORDER BY (of this form)', node.SortBy.location);
    if (type?.name === 'jsonb') throw jsonbSortRefused(ctx, node.SortBy.location);
    if (multiDim) throw refuseMultiDimOrder();
    if (type?.name === 'interval')
      throw keyedValueRefused(
        ctx,
        'ORDER BY (under DISTINCT or holding a subquery)',
        type,
        node.SortBy.location,
      );
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
