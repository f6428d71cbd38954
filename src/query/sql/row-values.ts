/**
 * Row constructors where PostgreSQL compares them field by field:
 *
 * - `(a, b) op (c, d)` for = <> < <= > >= (keyset pagination, composite keys) is written as the
 *   SQL standard defines it and PostgreSQL computes it (row_compare: fields left to right, the
 *   first unequal or NULL pair decides), `a < c OR (a = c AND b < d)`, each field comparison
 *   typed and emitted like any other comparison (bpchar, numerics of varying scale, citext …).
 * - `count(DISTINCT (a, b))` counts distinct records: a record with NULL fields is a value, and
 *   fields PostgreSQL holds equal (value-keys.ts) make one; `count((a, b))` counts every row.
 *
 * A field that is a subquery would be written more than once (and its tables resolved twice):
 * refused with 0A000, as are other uses of row values.
 */
import type { A_Expr, FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { operandType } from './typing/typed-operands.js';
import { equalityKey } from './typing/value-keys.js';

const ROW_OPERATORS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

function rowFields(node: Node | undefined): Node[] | undefined {
  return node !== undefined && 'RowExpr' in node ? (node.RowExpr.args ?? []) : undefined;
}

function comparison(operator: string, left: Node, right: Node, location: number | undefined): Node {
  return {
    A_Expr: { kind: 'AEXPR_OP', name: [{ String: { sval: operator } }], lexpr: left, rexpr: right, location },
  };
}

function bool(boolop: 'AND_EXPR' | 'OR_EXPR', args: Node[]): Node {
  return { BoolExpr: { boolop, args } };
}

function refuseSubqueryFields(ctx: EmitContext, fields: readonly Node[], location: number | undefined): void {
  if (fields.some((f) => JSON.stringify(f).includes('"SubLink"'))) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'a row value with a subquery among its fields is not supported by pg_analytica',
      location,
    );
  }
}

/** `(a, b) op (c, d)` as field comparisons; undefined when the operands are not two row constructors. */
export function emitRowComparison(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  const left = rowFields(expr.lexpr);
  const right = rowFields(expr.rexpr);
  if (left === undefined || right === undefined) return undefined;
  if (left.length !== right.length)
    throw ctx.error(SqlState.syntaxError, 'unequal number of entries in row expressions', expr.location);
  if (!ROW_OPERATORS.has(operator)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `operator ${operator} on row constructors is not supported by pg_analytica`,
      expr.location,
    );
  }
  refuseSubqueryFields(ctx, [...left, ...right], expr.location);
  const at = expr.location;
  const pairs = left.map((l, i) => [l, right[i]!] as const);
  if (operator === '=')
    return ctx.expr(
      bool(
        'AND_EXPR',
        pairs.map(([l, r]) => comparison('=', l, r, at)),
      ),
    );
  if (operator === '<>' || operator === '!=')
    return ctx.expr(
      bool(
        'OR_EXPR',
        pairs.map(([l, r]) => comparison('<>', l, r, at)),
      ),
    );
  // Ordering: the last pair by the operator itself, each earlier one strictly, or equal and on.
  const strict = operator.slice(0, 1);
  let tree = comparison(operator, pairs.at(-1)![0], pairs.at(-1)![1], at);
  for (const [l, r] of pairs.slice(0, -1).reverse())
    tree = bool('OR_EXPR', [
      comparison(strict, l, r, at),
      bool('AND_EXPR', [comparison('=', l, r, at), tree]),
    ]);
  return ctx.expr(tree);
}

/** count((a, b)) and count(DISTINCT (a, b)); undefined for any other call. */
export function emitDistinctRowCount(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const fields = rowFields(call.args?.[0]);
  if (name !== 'count' || fields === undefined || call.args?.length !== 1) return undefined;
  // Listing the tables: the fields are visited, the SQL never runs.
  if (ctx.types === undefined) return `count(row(${fields.map((f) => ctx.expr(f)).join(', ')}))`;
  if (call.over !== undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'count() of a row value as a window function is not supported by pg_analytica',
      call.location,
    );
  }
  refuseSubqueryFields(ctx, fields, call.location);
  const keys = fields.map((field) => {
    const type = operandType(ctx, field);
    if (type === undefined) {
      throw ctx.error(
        SqlState.featureNotSupported,
        'count() of a row with a field whose type pg_analytica does not know is not supported',
        call.location,
      );
    }
    const sql = ctx.expr(field);
    return equalityKey(type, sql) ?? sql;
  });
  // A record is never NULL, whatever its fields: count() without DISTINCT counts every row.
  const distinct = call.agg_distinct === true ? 'DISTINCT ' : '';
  const filter = call.agg_filter === undefined ? '' : ` FILTER (WHERE ${ctx.expr(call.agg_filter)})`;
  return `count(${distinct}row(${keys.join(', ')}))${filter}`;
}
