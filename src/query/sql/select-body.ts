/**
 * The body of a SELECT (after WITH): set operations, VALUES, and the plain
 * SELECT … FROM … WHERE … GROUP BY … HAVING … WINDOW … ORDER BY … LIMIT.
 */
import type { Node, SelectStmt } from 'libpg-query';
import { SqlState } from '../../errors.js';
import { figureColname } from './column-names.js';
import { listItems, type SelectContext } from './emit-context.js';
import { emitFromItem } from './from-emitter.js';
import { allowAnyDims } from './multidim-arrays.js';
import { emitSortBy, emitWindowSpec } from './sort-and-window.js';
import { quoteIdent } from './sql-text.js';
import { withDependentColumns } from './typing/dependent-columns.js';
import { distinctByValue, emitGroupKey, groupedByValue } from './typing/keyed-grouping.js';
import {
  emitValuesColumns,
  paddedRightColumns,
  setOutputTypes,
  setSortsByValue,
  textSetColumns,
  withColumnsAs,
  withTextColumns,
} from './typing/numeric-sets.js';
import {
  emitTargetValue,
  keyedValueRefused,
  recordOutput,
  refuseKeyedSetOperation,
  refuseKeyedValue,
  sortKey,
  textNumericKey,
} from './typing/select-types.js';
import type { TypedColumn } from './typing/type-scope.js';
import { operandType } from './typing/typed-operands.js';
import { groupedValue, groupsByKey } from './typing/value-keys.js';

/** A sort key DuckDB orders as PostgreSQL does (sortKey decided there is nothing to wrap). */
const asWritten = (key: string) => key;

function throwError(error: Error): never {
  throw error;
}

const SET_OPERATORS: Readonly<Record<string, string>> = {
  SETOP_UNION: 'UNION',
  SETOP_INTERSECT: 'INTERSECT',
  SETOP_EXCEPT: 'EXCEPT',
};

export function emitSelectBody(ctx: SelectContext, stmt: SelectStmt): string {
  const op = SET_OPERATORS[stmt.op ?? 'SETOP_NONE'];
  let core: string;
  if (op !== undefined) {
    if (stmt.larg === undefined || stmt.rarg === undefined)
      throw ctx.error(SqlState.syntaxError, 'set operand expected');
    core = emitSetOperation(ctx, stmt, stmt.larg, stmt.rarg, op);
  } else if (stmt.valuesLists !== undefined) {
    core = emitValues(ctx, stmt, stmt.valuesLists);
  } else {
    const [text, view] = emitPlainSelect(ctx, stmt);
    return text + emitOrderAndLimit(ctx, view);
  }
  return core + emitOrderAndLimit(ctx, stmt);
}

/**
 * `left op right`. Columns whose numerics have different scales on the two sides are numeric
 * text on both (numeric-sets.ts); ORDER BY such a column reads the result as a derived table.
 */
function emitSetOperation(
  ctx: SelectContext,
  stmt: SelectStmt,
  larg: SelectStmt,
  rarg: SelectStmt,
  op: string,
): string {
  let left = ctx.select(larg);
  let right = ctx.select(rarg);
  const text = textSetColumns(ctx, larg, rarg);
  if (stmt.all !== true) {
    refuseKeyedSetOperation(ctx, larg, rarg, op);
    if (text !== undefined) throw textNumericKey(ctx, op);
  }
  const l = ctx.types?.selectOutput(larg);
  const r = ctx.types?.selectOutput(rarg);
  if (text !== undefined && l !== undefined) {
    left = withTextColumns(
      left,
      l.map((c) => c.name),
      text,
    );
    right = withTextColumns(
      right,
      l.map((c) => c.name),
      text,
    );
  }
  const padded = paddedRightColumns(ctx, larg, rarg);
  if (padded !== undefined && l !== undefined)
    right = withColumnsAs(
      right,
      l.map((c) => c.name),
      (c, i) => (padded[i] ? `rtrim(${c}, ' ')` : c),
    );
  if (l !== undefined && r !== undefined) ctx.types?.recordOutput(stmt, setOutputTypes(l, r, text));
  const core = `(${left}) ${op}${stmt.all === true ? ' ALL' : ''} (${right})`;
  return setSortsByValue(ctx, stmt) ? `SELECT * FROM (${core}) AS "pga_setop"` : core;
}

/** VALUES names its columns column1, column2, … in PostgreSQL (col0, … in DuckDB). */
function emitValues(ctx: SelectContext, stmt: SelectStmt, rows: readonly Node[]): string {
  const items = rows.map((row) =>
    listItems(row).map((item) => {
      if ('SetToDefault' in item)
        throw ctx.error(SqlState.featureNotSupported, 'DEFAULT in VALUES is not supported');
      return item;
    }),
  );
  const { emitted, types } = emitValuesColumns(ctx, items);
  const width = emitted[0]?.length ?? 0;
  ctx.types?.recordOutput(
    stmt,
    types.map((type, i) => ({ name: `column${i + 1}`, type })),
  );
  const names = Array.from({ length: width }, (_, i) => quoteIdent(`column${i + 1}`));
  const values = emitted.map((row) => `(${row.join(', ')})`).join(', ');
  return `SELECT * FROM (VALUES ${values}) AS "*VALUES*"(${names.join(', ')})`;
}

/** The SELECT up to WINDOW, and the statement its ORDER BY is read from (keyed-grouping.ts). */
function emitPlainSelect(ctx: SelectContext, original: SelectStmt): [string, SelectStmt] {
  if ((original.targetList ?? []).length === 0) {
    throw ctx.error(SqlState.featureNotSupported, 'SELECT with no columns is not supported by pg_analytica');
  }
  // FROM first: its items make the columns' types known to every other clause.
  const from = (original.fromClause ?? []).map((item) => emitFromItem(ctx, item));
  const output = recordOutput(ctx, original, original.targetList ?? []);
  const stmt = groupedByValue(ctx, ctx.types === undefined ? original : withDependentColumns(original));
  const targets = stmt.targetList ?? [];
  let text = `SELECT ${emitDistinct(ctx, stmt, output)}${targets.map((t) => emitTarget(ctx, t)).join(', ')}`;
  // Typed again: a scalar subquery's output type is known once it is emitted.
  recordOutput(ctx, original, original.targetList ?? []);
  if (from.length > 0) text += ` FROM ${from.join(', ')}`;
  if (stmt.whereClause !== undefined) text += ` WHERE ${ctx.expr(stmt.whereClause)}`;
  const groups = stmt.groupClause ?? [];
  if (stmt.groupDistinct === true) {
    throw ctx.error(SqlState.featureNotSupported, 'GROUP BY DISTINCT is not supported by pg_analytica');
  }
  if (groups.length > 0) text += ` GROUP BY ${groups.map((g) => emitGroupItem(ctx, original, g)).join(', ')}`;
  if (stmt.havingClause !== undefined) text += ` HAVING ${ctx.expr(stmt.havingClause)}`;
  const windows = (stmt.windowClause ?? []).map((w) => {
    if (!('WindowDef' in w)) throw ctx.error(SqlState.syntaxError, 'window definition expected');
    return `${quoteIdent(w.WindowDef.name ?? '')} AS (${emitWindowSpec(ctx, w.WindowDef)})`;
  });
  if (windows.length > 0) text += ` WINDOW ${windows.join(', ')}`;
  return [text, stmt];
}

/** DISTINCT is an empty-node list in the AST; DISTINCT ON lists its expressions. */
function emitDistinct(
  ctx: SelectContext,
  stmt: SelectStmt,
  output: readonly TypedColumn[] | undefined,
): string {
  const distinct = stmt.distinctClause;
  if (distinct === undefined) return '';
  const exprs = distinct.filter((node) => Object.keys(node).length > 0);
  if (exprs.length === 0 && output?.some((c) => groupsByKey(c.type)))
    return (
      distinctByValue(ctx, stmt.targetList ?? []) ?? throwError(keyedValueRefused(ctx, 'SELECT DISTINCT'))
    );
  if (exprs.length === 0) return 'DISTINCT ';
  const keys = exprs.map((e) => groupedValue(operandType(ctx, e), ctx.expr(e)));
  return `DISTINCT ON (${keys.join(', ')}) `;
}

/** Every column gets PostgreSQL's name explicitly; `*` and `t.*` expand as they are. */
function emitTarget(ctx: SelectContext, node: Node): string {
  if (!('ResTarget' in node) || node.ResTarget.val === undefined) {
    throw ctx.error(SqlState.syntaxError, 'select-list item expected');
  }
  const { val, name } = node.ResTarget;
  // A multi-dimensional array prints as array_out prints it (described-columns.ts).
  allowAnyDims(val);
  const text = emitTargetValue(ctx, val);
  if ('ColumnRef' in val && val.ColumnRef.fields?.some((f) => 'A_Star' in f)) return text;
  return `${text} AS ${quoteIdent(name ?? figureColname(val))}`;
}

function emitGroupItem(ctx: SelectContext, stmt: SelectStmt, node: Node, inSet = false): string {
  if (!('GroupingSet' in node)) {
    if (!inSet) return emitGroupKey(ctx, stmt, node);
    refuseKeyedValue(ctx, node, 'GROUPING SETS, ROLLUP or CUBE');
    return ctx.expr(node);
  }
  const set = node.GroupingSet;
  const content = (set.content ?? []).map((c) => emitGroupItem(ctx, stmt, c, true)).join(', ');
  switch (set.kind) {
    case 'GROUPING_SET_EMPTY':
      return '()';
    case 'GROUPING_SET_SIMPLE':
      return `(${content})`;
    case 'GROUPING_SET_ROLLUP':
      return `ROLLUP (${content})`;
    case 'GROUPING_SET_CUBE':
      return `CUBE (${content})`;
    default:
      return `GROUPING SETS (${content})`;
  }
}

function emitOrderAndLimit(ctx: SelectContext, stmt: SelectStmt): string {
  let text = '';
  const sort = stmt.sortClause ?? [];
  if (sort.length > 0)
    text += ` ORDER BY ${sort.map((s) => emitSortBy(ctx, s, sortKey(ctx, stmt, s) ?? asWritten)).join(', ')}`;
  if (stmt.limitOption === 'LIMIT_OPTION_WITH_TIES') {
    throw ctx.error(SqlState.featureNotSupported, 'FETCH … WITH TIES is not supported by pg_analytica');
  }
  if (stmt.limitCount !== undefined && !isNullConst(stmt.limitCount))
    text += ` LIMIT ${ctx.expr(stmt.limitCount)}`;
  if (stmt.limitOffset !== undefined) text += ` OFFSET ${ctx.expr(stmt.limitOffset)}`;
  return text;
}

/** LIMIT ALL parses as LIMIT NULL. */
function isNullConst(node: Node): boolean {
  return 'A_Const' in node && node.A_Const.isnull === true;
}
