/**
 * `x op ANY (array)` and `x op ALL (array)` over arrays whose elements are known in the
 * statement (ARRAY[…], array literals, typed or untyped): = ANY as IN, <> ALL as NOT IN, LIKE
 * ANY/ALL as ORs/ANDs of LIKEs, each element compared by its PostgreSQL type. Array columns
 * are array-rules.ts's (emitArrayAnyAll).
 */
import type { A_Expr, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import { parseArrayLiteral } from './array-literal.js';
import { emitArrayAnyAll } from './array-rules.js';
import type { EmitContext } from './emit-context.js';
import { compared, emitLike, LIKE_OPERATORS } from './operator-rules.js';

const NULL_CONSTANT: Node = { A_Const: { isnull: true } };

/** `x = ANY(array)` → IN, `x <> ALL(array)` → NOT IN, for arrays whose elements are known here. */
export function emitAnyAll(ctx: EmitContext, expr: A_Expr, operator: string): string {
  const isAny = expr.kind === 'AEXPR_OP_ANY';
  const overArray = emitArrayAnyAll(ctx, expr, operator);
  if (overArray !== undefined) return overArray;
  const like = LIKE_OPERATORS[operator];
  if (like !== undefined && expr.rexpr !== undefined && isKnownArray(expr.rexpr))
    return emitLikeAnyAll(ctx, expr, operator, isAny);
  if ((isAny && operator !== '=') || (!isAny && operator !== '<>')) {
    const form = `${operator} ${isAny ? 'ANY' : 'ALL'} (array)`;
    throw ctx.error(SqlState.featureNotSupported, `${form} is not supported by pg_analytica`, expr.location);
  }
  const elements = arrayElements(ctx, expr.rexpr);
  // PostgreSQL: ANY over an empty array is false and ALL is true, even for a NULL left side.
  if (elements.length === 0) return isAny ? 'false' : 'true';
  const [left, ...list] = compared(ctx, [expr.lexpr, ...elements], operator);
  return `(${left} ${isAny ? 'IN' : 'NOT IN'} (${list.join(', ')}))`;
}

/** ARRAY[…] or a '{…}'::type[] literal: an array whose elements are known here. */
function isKnownArray(node: Node): boolean {
  return (
    'A_ArrayExpr' in node || ('TypeCast' in node && (node.TypeCast.typeName?.arrayBounds?.length ?? 0) > 0)
  );
}

/**
 * `x LIKE ANY (ARRAY[p, q])` is `x LIKE p OR x LIKE q` (ALL: AND), each match emitted as a LIKE
 * (or ILIKE, NOT LIKE, NOT ILIKE) of its own, with SQL's three-valued OR and AND.
 */
function emitLikeAnyAll(ctx: EmitContext, expr: A_Expr, operator: string, isAny: boolean): string {
  const patterns = arrayElements(ctx, expr.rexpr);
  if (patterns.length === 0) return isAny ? 'false' : 'true';
  const kind = operator.includes('*') ? 'AEXPR_ILIKE' : 'AEXPR_LIKE';
  const matches = patterns.map((pattern) => emitLike(ctx, { ...expr, kind, rexpr: pattern }, operator));
  return `(${matches.join(isAny ? ' OR ' : ' AND ')})`;
}

/** The elements of the array an ANY/ALL compares with, as expression nodes. */
function arrayElements(ctx: EmitContext, node: Node | undefined): Node[] {
  if (node !== undefined && 'A_ArrayExpr' in node) return node.A_ArrayExpr.elements ?? [];
  if (node !== undefined && 'TypeCast' in node) {
    const cast = node.TypeCast;
    // ARRAY[…]::text[]: the constructor's elements, each cast to the element type.
    if (cast.arg !== undefined && 'A_ArrayExpr' in cast.arg && cast.typeName !== undefined) {
      const elementType = { ...cast.typeName, arrayBounds: undefined };
      return (cast.arg.A_ArrayExpr.elements ?? []).map((e) => ({
        TypeCast: { arg: e, typeName: elementType },
      }));
    }
    const literal = cast.arg !== undefined && 'A_Const' in cast.arg ? cast.arg.A_Const.sval?.sval : undefined;
    if (literal !== undefined && cast.typeName !== undefined) {
      const elementType = { ...cast.typeName, arrayBounds: undefined };
      const elements = parseArrayLiteral(literal);
      if (elements !== undefined) {
        return elements.map((e) =>
          e === null
            ? NULL_CONSTANT
            : { TypeCast: { arg: { A_Const: { sval: { sval: e } } }, typeName: elementType } },
        );
      }
    }
  }
  // An untyped array literal takes its element type from the left side, as in PostgreSQL: an
  // array parameter a driver sends as text ('{1,2,3}'). The elements stay string literals,
  // which DuckDB casts to the left side's type as PostgreSQL casts unknown literals.
  const untyped = node !== undefined && 'A_Const' in node ? node.A_Const.sval?.sval : undefined;
  const elements = untyped === undefined ? undefined : parseArrayLiteral(untyped);
  if (elements !== undefined)
    return elements.map((e) => (e === null ? NULL_CONSTANT : { A_Const: { sval: { sval: e } } }));
  throw ctx.error(
    SqlState.featureNotSupported,
    'ANY/ALL over this kind of array is not supported by pg_analytica',
    undefined,
    'Use an IN list or an array literal.',
  );
}
