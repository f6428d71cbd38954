/**
 * The conjuncts of a SELECT that can skip whole segments of a table: for each
 * table reference (a RangeVar at a FROM leaf), the tests `col op constant`,
 * `constant op col`, `col BETWEEN a AND b`, `col IN (…)`, `col = ANY('{…}')`,
 * `col IS [NOT] NULL` that every row it contributes must pass.
 *
 * Which conjuncts bind a leaf (so that dropping the leaf's rows failing them
 * changes nothing):
 * - the WHERE of its own query level, unless the leaf is on the nullable side
 *   of an outer join (a NULL-extended row would appear instead);
 * - the ON of an inner join above it, and the ON of a LEFT (RIGHT) join for
 *   leaves of its right (left) side: a row failing it never joins.
 * A FULL join passes nothing down. Anything else (OR, NOT, expressions of a
 * column, functions, subqueries) is ignored: it only prunes less.
 *
 * Constants are emitted by the same emitter that rewrites the query, so the
 * pruning query compares exactly the values DuckDB will compare. Which table
 * a column belongs to is settled later (see segment-pruner.ts), once the
 * tables' columns are known: an unqualified column only binds if no other
 * table of its level has a column of that name.
 */
import type { A_Expr, JoinExpr, Node, RangeVar, SelectStmt, TypeCast } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';
import { parseArrayLiteral } from './array-literal.js';
import { type EmitContext, listItems, stringValue } from './emit-context.js';
import { emitExpr } from './expr-emitter.js';
import { duckDbType } from './type-names.js';

/** How a segment's statistics are tested: the column against constants. */
export type SegmentTest = 'eq' | 'lt' | 'le' | 'gt' | 'ge' | 'between' | 'in' | 'null' | 'notnull';

export interface FilterValue {
  /** DuckDB SQL of the constant. */
  readonly sql: string;
  /**
   * Its type as DuckDB binds it: a DuckDB type name (from a cast), or
   * STRING_LITERAL (an untyped string, which DuckDB casts to the column's
   * type), NUMERIC_LITERAL (a number) or BOOLEAN.
   */
  readonly type: string;
}

export interface SegmentFilter {
  /** The column's name as the query writes it. */
  readonly column: string;
  /** For a column written without a table name: every table leaf of its query level. */
  readonly peers?: readonly RangeVar[];
  readonly test: SegmentTest;
  /** The constants: one for a comparison, low and high for BETWEEN, the list for IN, none for IS NULL. */
  readonly values: readonly FilterValue[];
}

const COMPARISONS: Readonly<Record<string, { test: SegmentTest; flipped: SegmentTest }>> = {
  '=': { test: 'eq', flipped: 'eq' },
  '<': { test: 'lt', flipped: 'gt' },
  '<=': { test: 'le', flipped: 'ge' },
  '>': { test: 'gt', flipped: 'lt' },
  '>=': { test: 'ge', flipped: 'le' },
};

/** The filters of every table reference of a statement, subqueries and CTEs included. */
export function segmentFilters(ast: SelectStmt): Map<RangeVar, SegmentFilter[]> {
  const filters = new Map<RangeVar, SegmentFilter[]>();
  for (const stmt of selectStatements(ast)) addLevel(stmt, filters);
  return filters;
}

/** Every SelectStmt in the tree: the statement itself, set operation arms, CTEs, subqueries. */
function selectStatements(root: SelectStmt): SelectStmt[] {
  const found: SelectStmt[] = [root];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'SelectStmt') found.push(child as SelectStmt);
        visit(child);
      }
    }
  };
  visit(root);
  return found;
}

interface Leaf {
  readonly range: RangeVar;
  readonly conjuncts: readonly Node[];
}

/** One query level: its FROM leaves with the conjuncts that bind them. */
function addLevel(stmt: SelectStmt, filters: Map<RangeVar, SegmentFilter[]>): void {
  const leaves: Leaf[] = [];
  const level = { onlyTables: true };
  for (const item of stmt.fromClause ?? []) walkFrom(item, conjuncts(stmt.whereClause), leaves, level);
  const ranges = leaves.map((leaf) => leaf.range);
  for (const leaf of leaves) {
    const own: SegmentFilter[] = [];
    for (const node of leaf.conjuncts) {
      const filter = columnFilter(node);
      if (filter === undefined) continue;
      const { qualifier, ...rest } = filter;
      if (qualifier === undefined) {
        // A column of a subquery or function in FROM could have the same name: then it is not bound.
        if (level.onlyTables) own.push({ ...rest, peers: ranges });
      } else if (names(leaf.range, qualifier) && ranges.filter((r) => names(r, qualifier)).length === 1) {
        own.push(rest);
      }
    }
    if (own.length > 0) filters.set(leaf.range, own);
  }
}

function walkFrom(
  node: Node,
  applying: readonly Node[],
  leaves: Leaf[],
  level: { onlyTables: boolean },
): void {
  if ('RangeVar' in node) {
    leaves.push({ range: node.RangeVar, conjuncts: applying });
  } else if ('JoinExpr' in node) {
    const join: JoinExpr = node.JoinExpr;
    const on = conjuncts(join.quals);
    const [left, right] = joinConjuncts(join.jointype ?? 'JOIN_INNER', applying, on);
    if (join.larg !== undefined) walkFrom(join.larg, left, leaves, level);
    if (join.rarg !== undefined) walkFrom(join.rarg, right, leaves, level);
  } else {
    level.onlyTables = false;
  }
}

/** The conjuncts binding the left and the right side of a join (see the file comment). */
function joinConjuncts(type: string, applying: readonly Node[], on: readonly Node[]): [Node[], Node[]] {
  switch (type) {
    case 'JOIN_INNER':
      return [
        [...applying, ...on],
        [...applying, ...on],
      ];
    case 'JOIN_LEFT':
      return [[...applying], [...on]];
    case 'JOIN_RIGHT':
      return [[...on], [...applying]];
    default:
      return [[], []];
  }
}

/** Top-level AND terms of a condition. */
function conjuncts(node: Node | undefined): Node[] {
  if (node === undefined) return [];
  if ('BoolExpr' in node && node.BoolExpr.boolop === 'AND_EXPR')
    return (node.BoolExpr.args ?? []).flatMap(conjuncts);
  return [node];
}

/** Whether a column qualifier (`t` or `s.t`) names this leaf, as PostgreSQL scopes it. */
function names(range: RangeVar, qualifier: readonly string[]): boolean {
  if (range.alias !== undefined) return qualifier.length === 1 && qualifier[0] === range.alias.aliasname;
  if (qualifier.length === 2) return qualifier[0] === range.schemaname && qualifier[1] === range.relname;
  return qualifier[0] === range.relname;
}

type ParsedFilter = Omit<SegmentFilter, 'peers'> & { qualifier: string[] | undefined };

function columnFilter(node: Node): ParsedFilter | undefined {
  try {
    if ('NullTest' in node) {
      const column = columnOf(node.NullTest.arg);
      if (column === undefined || node.NullTest.argisrow === true) return undefined;
      return {
        ...column,
        test: node.NullTest.nulltesttype === 'IS_NOT_NULL' ? 'notnull' : 'null',
        values: [],
      };
    }
    if ('A_Expr' in node) return expressionFilter(node.A_Expr);
  } catch (error) {
    // A constant the emitter refuses: the query fails on it anyway, nothing to prune with.
    if (error instanceof PgError) return undefined;
    throw error;
  }
  return undefined;
}

function expressionFilter(expr: A_Expr): ParsedFilter | undefined {
  const parts = (expr.name ?? []).map(stringValue);
  const operator = parts.length === 1 || parts[0] === 'pg_catalog' ? parts.at(-1) : undefined;
  const column = columnOf(expr.lexpr);
  switch (expr.kind) {
    case 'AEXPR_OP': {
      const comparison = COMPARISONS[operator ?? ''];
      if (comparison === undefined) return undefined;
      if (column !== undefined) return withValues(column, comparison.test, [expr.rexpr]);
      const flipped = columnOf(expr.rexpr);
      return flipped === undefined ? undefined : withValues(flipped, comparison.flipped, [expr.lexpr]);
    }
    case 'AEXPR_BETWEEN':
      return column === undefined ? undefined : withValues(column, 'between', listItems(expr.rexpr));
    case 'AEXPR_IN':
      return column === undefined || operator !== '='
        ? undefined
        : withValues(column, 'in', listItems(expr.rexpr));
    case 'AEXPR_OP_ANY':
      return column === undefined || operator !== '='
        ? undefined
        : withValues(column, 'in', arrayItems(expr.rexpr));
    default:
      return undefined;
  }
}

function withValues(
  column: { column: string; qualifier: string[] | undefined },
  test: SegmentTest,
  nodes: readonly (Node | undefined)[] | undefined,
): ParsedFilter | undefined {
  if (nodes === undefined || nodes.length === 0 || (test === 'between' && nodes.length !== 2))
    return undefined;
  const values: FilterValue[] = [];
  for (const node of nodes) {
    const value = node === undefined ? undefined : constant(node);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return { ...column, test, values };
}

/** `col`, `t.col` or `s.t.col`, without casts or other decoration. */
function columnOf(node: Node | undefined): { column: string; qualifier: string[] | undefined } | undefined {
  if (node === undefined || !('ColumnRef' in node)) return undefined;
  const fields = (node.ColumnRef.fields ?? []).map(stringValue);
  if (fields.length === 0 || fields.length > 3 || fields.some((f) => f === undefined)) return undefined;
  const parts = fields as string[];
  return { column: parts.at(-1)!, qualifier: parts.length === 1 ? undefined : parts.slice(0, -1) };
}

/** The elements of `'{a,b}'::t[]` (as postgres_fdw sends IN lists) or `ARRAY[…]`, as nodes. */
function arrayItems(node: Node | undefined): Node[] | undefined {
  if (node !== undefined && 'A_ArrayExpr' in node) return node.A_ArrayExpr.elements ?? [];
  if (node === undefined || !('TypeCast' in node)) return undefined;
  const cast = node.TypeCast;
  const text = cast.arg !== undefined && 'A_Const' in cast.arg ? cast.arg.A_Const.sval?.sval : undefined;
  if (text === undefined || cast.typeName === undefined || (cast.typeName.arrayBounds?.length ?? 0) !== 1)
    return undefined;
  const elements = parseArrayLiteral(text);
  const typeName = { ...cast.typeName, arrayBounds: undefined };
  // A NULL element never equals anything: it cannot make a segment match, so it is left out.
  return elements
    ?.filter((e): e is string => e !== null)
    .map((e) => ({ TypeCast: { arg: { A_Const: { sval: { sval: e } } }, typeName } }));
}

/** A non-NULL constant, possibly cast to a scalar type, with the type DuckDB gives it. */
function constant(node: Node): FilterValue | undefined {
  if ('A_Const' in node) {
    const value = node.A_Const;
    if (value.isnull === true) return undefined;
    const type =
      value.sval !== undefined
        ? 'STRING_LITERAL'
        : value.boolval !== undefined
          ? 'BOOLEAN'
          : value.ival !== undefined || value.fval !== undefined
            ? 'NUMERIC_LITERAL'
            : undefined;
    return type === undefined ? undefined : { sql: emitExpr(constantContext, node), type };
  }
  if ('TypeCast' in node) return castConstant(node, node.TypeCast);
  return undefined;
}

function castConstant(node: Node, cast: TypeCast): FilterValue | undefined {
  const arg = cast.arg;
  if (arg === undefined || !('A_Const' in arg) || arg.A_Const.isnull === true || cast.typeName === undefined)
    return undefined;
  if ((cast.typeName.arrayBounds?.length ?? 0) > 0) return undefined;
  // Unconstrained numeric: the emitter gives the literal an exact DECIMAL of its own digits.
  const type = duckDbType(cast.typeName) ?? 'DECIMAL';
  return { sql: emitExpr(constantContext, node), type };
}

/** Enough of an emit context for constants: no subqueries, errors without positions. */
const constantContext: EmitContext = {
  expr: (node) => emitExpr(constantContext, node),
  select: () => {
    throw new PgError(SqlState.featureNotSupported, 'a subquery is not a constant');
  },
  error: (code, message) => new PgError(code, message),
};
