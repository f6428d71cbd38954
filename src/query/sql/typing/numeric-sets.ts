/**
 * Set operations and VALUES over numerics of different display scales. PostgreSQL keeps each
 * value's own scale (`SELECT p … UNION ALL SELECT i4 …` prints 1.50 and 10); DuckDB would give
 * the column one DECIMAL scale (10.00). Such a column is carried as exact numeric text on every
 * side, and ORDER BY on it sorts by value.
 */
import type { Node, SelectStmt } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext, SelectContext } from '../emit-context.js';
import { stringValue } from '../emit-context.js';
import { quoteIdent } from '../sql-text.js';
import { mixedNumericScales, TEXT_NUMERIC, typeOf } from './expr-types.js';
import { numericOperandText } from './numeric-emit.js';
import type { PgType } from './pg-types.js';
import type { TypedColumn } from './type-scope.js';
import { orderKey } from './value-keys.js';

/** The numeric type two sides of a set operation combine into, when it is of varying scale. */
function combined(a: PgType | undefined, b: PgType | undefined): boolean {
  return a?.category === 'N' && b?.category === 'N' && mixedNumericScales([a, b]);
}

/** By position, the output columns of `left op right` that must be numeric text; undefined if none. */
export function textSetColumns(
  ctx: SelectContext,
  left: SelectStmt,
  right: SelectStmt,
): boolean[] | undefined {
  return setColumnsWhere(ctx, left, right, combined);
}

/** By position, whether `test` holds for each pair of output types; undefined if it holds for none. */
function setColumnsWhere(
  ctx: SelectContext,
  left: SelectStmt,
  right: SelectStmt,
  test: (a: PgType | undefined, b: PgType | undefined) => boolean,
): boolean[] | undefined {
  const l = ctx.types?.selectOutput(left);
  const r = ctx.types?.selectOutput(right);
  if (l === undefined || r === undefined || l.length !== r.length) return undefined;
  const found = l.map((c, i) => test(c.type, r[i]?.type));
  return found.some(Boolean) ? found : undefined;
}

/** One side of the set operation with the `text` columns cast to VARCHAR, keeping `names`. */
export function withTextColumns(sql: string, names: readonly string[], text: readonly boolean[]): string {
  return withColumnsAs(sql, names, (c, i) => (text[i] ? `CAST(${c} AS VARCHAR)` : c));
}

/** One side of the set operation with its columns written by `column` (given each one's SQL). */
export function withColumnsAs(
  sql: string,
  names: readonly string[],
  column: (sql: string, i: number) => string,
): string {
  const inner = names.map((_, i) => quoteIdent(`pga_c${i + 1}`));
  const columns = inner.map((c, i) => `${column(c, i)} AS ${quoteIdent(names[i] ?? '')}`);
  return `SELECT ${columns.join(', ')} FROM (${sql}) AS "pga_side"(${inner.join(', ')})`;
}

/**
 * By position, the columns where the right side is char(n) and the left text or varchar: the
 * set operation's column is the left's type (select_common_type keeps the first of two string
 * types each castable to the other), and a char(n) cast to text loses its trailing blanks.
 */
export function paddedRightColumns(
  ctx: SelectContext,
  left: SelectStmt,
  right: SelectStmt,
): boolean[] | undefined {
  return setColumnsWhere(
    ctx,
    left,
    right,
    (a, b) => a?.category === 'S' && a.name !== 'bpchar' && b?.name === 'bpchar',
  );
}

/** The set operation's output types, with the `text` columns as numeric of varying scale. */
export function setOutputTypes(
  left: readonly TypedColumn[],
  right: readonly TypedColumn[],
  text: readonly boolean[] | undefined,
): TypedColumn[] {
  return left.map((c, i) => {
    const a = c.type;
    const b = right[i]?.type;
    if (text?.[i] === true) return { name: c.name, type: TEXT_NUMERIC };
    const same = a !== undefined && b !== undefined && a.oid === b.oid && a.heldAsText === b.heldAsText;
    // text or varchar, then char(n): the left's type (paddedRightColumns).
    const stringFirst = a?.category === 'S' && a.name !== 'bpchar' && b?.name === 'bpchar';
    return { name: c.name, type: same || stringFirst ? a : undefined };
  });
}

/** The output column an ORDER BY key of a set operation names (by position or name). */
function outputColumn(ctx: SelectContext, stmt: SelectStmt, key: Node): TypedColumn | undefined {
  const output = ctx.types?.selectOutput(stmt);
  if (output === undefined) return undefined;
  if ('A_Const' in key && key.A_Const.ival !== undefined) return output[(key.A_Const.ival.ival ?? 0) - 1];
  if (!('ColumnRef' in key) || key.ColumnRef.fields?.length !== 1) return undefined;
  const name = stringValue(key.ColumnRef.fields[0]);
  return output.find((c) => c.name === name);
}

/**
 * How an ORDER BY key of a set operation sorts: by its type's order key (value-keys.ts),
 * read from the output column by name (the set operation is then read as a derived table:
 * DuckDB orders a set operation only by its plain columns).
 */
export function setOrderKey(
  ctx: SelectContext,
  stmt: SelectStmt,
  key: Node,
): ((sql: string) => string) | undefined {
  const column = outputColumn(ctx, stmt, key);
  const sorted = column === undefined ? undefined : orderKey(column.type, quoteIdent(column.name));
  if (sorted === undefined && (column?.type?.ndims ?? 1) > 1) {
    // DuckDB's own order of nested lists is not array_cmp's (multidim-arrays.ts).
    throw ctx.error(
      SqlState.featureNotSupported,
      `ORDER BY a multi-dimensional array (${column?.type?.name}) is not supported by pg_analytica here`,
    );
  }
  return sorted === undefined ? undefined : () => sorted;
}

/** True when some ORDER BY key of the set operation sorts numerics of varying scale. */
export function setSortsByValue(ctx: SelectContext, stmt: SelectStmt): boolean {
  return (stmt.sortClause ?? []).some(
    (s) =>
      'SortBy' in s && s.SortBy.node !== undefined && setOrderKey(ctx, stmt, s.SortBy.node) !== undefined,
  );
}

/**
 * VALUES rows: per column, the values as exact numeric text when the column's numerics have
 * different scales (`VALUES (1), (1.5)` prints 1 and 1.5), and the columns' types.
 */
export function emitValuesColumns(
  ctx: EmitContext,
  rows: readonly (readonly Node[])[],
): { emitted: string[][]; types: (PgType | undefined)[] } {
  const width = rows[0]?.length ?? 0;
  const types = Array.from({ length: width }, (_, i) => {
    const args = rows.map((row) => row[i]).filter((n): n is Node => n !== undefined);
    return ctx.types === undefined ? undefined : typeOf(ctx.types, { CoalesceExpr: { args } });
  });
  const emitted = rows.map((row) =>
    row.map((item, i) =>
      types[i]?.heldAsText === true && !('A_Const' in item && item.A_Const.isnull === true)
        ? numericOperandText(ctx, item)
        : ctx.expr(item),
    ),
  );
  return { emitted, types };
}
