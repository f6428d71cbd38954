/**
 * Arrays built from arrays: `a || b`, array_append, array_prepend, array_cat and array_remove,
 * as PostgreSQL resolves and computes them (array_userfuncs.c):
 *
 * | PostgreSQL                               | emitted                                      |
 * |------------------------------------------|----------------------------------------------|
 * | array || element, array_append           | list_append (a NULL array as an empty one)   |
 * | element || array, array_prepend          | list_prepend                                 |
 * | array || array, array_cat                | list_concat, NULL when both are NULL         |
 * | array || 'literal'                       | the literal read as an array (22P02 if not)  |
 * | array_remove(a, x)                       | the elements IS DISTINCT FROM x              |
 *
 * The element types must be the array's own (no promotion, as in `int[] || numeric`), and of a
 * type whose DuckDB equality and text are PostgreSQL's; anything else is refused with 0A000.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { arrayElementType } from './typing/json-types.js';
import type { PgType } from './typing/pg-types.js';
import { operandType } from './typing/typed-operands.js';

/** Element types compared and printed alike by DuckDB and PostgreSQL. */
const PLAIN_ELEMENTS = new Set([
  'int2',
  'int4',
  'int8',
  'text',
  'varchar',
  'bool',
  'date',
  'timestamp',
  'timestamptz',
  'uuid',
]);

const FUNCTIONS = new Set(['array_append', 'array_prepend', 'array_cat', 'array_remove']);

function isUntyped(node: Node): boolean {
  return 'A_Const' in node && (node.A_Const.sval !== undefined || node.A_Const.isnull === true);
}

/** `node::pg_catalog.<typeName>[]` (or without the brackets), as the parser writes a cast. */
function castNode(node: Node, typeName: string, array: boolean): Node {
  const names = ['pg_catalog', typeName].map((sval) => ({ String: { sval } }));
  const arrayBounds = array ? [{ Integer: { ival: -1 } }] : undefined;
  return { TypeCast: { arg: node, typeName: { names, typemod: -1, arrayBounds } } };
}

function refuse(ctx: EmitContext, what: string, location: number | undefined): never {
  throw ctx.error(SqlState.featureNotSupported, `${what} is not supported by pg_analytica`, location);
}

/** The array's element type, when plain; refuses otherwise. */
function plainElement(ctx: EmitContext, array: Node, what: string, location: number | undefined): PgType {
  const element = arrayElementType(operandType(ctx, array));
  if (element === undefined || !PLAIN_ELEMENTS.has(element.name))
    refuse(ctx, `${what} of ${operandType(ctx, array)?.name ?? 'this array'}`, location);
  return element;
}

/** An element operand: an untyped literal read as the element type, else of that very type. */
function elementSql(
  ctx: EmitContext,
  node: Node,
  element: PgType,
  what: string,
  location: number | undefined,
): string {
  if (isUntyped(node)) return ctx.expr(castNode(node, element.name, false));
  if (operandType(ctx, node)?.name !== element.name)
    refuse(ctx, `${what} of an element of another type than the array's`, location);
  return ctx.expr(node);
}

function arraySql(ctx: EmitContext, node: Node, like: Node): string {
  if (!isUntyped(node)) return ctx.expr(node);
  const element = arrayElementType(operandType(ctx, like));
  return ctx.expr(castNode(node, element?.name ?? 'text', true));
}

function concat(a: string, b: string): string {
  return `(CASE WHEN ${a} IS NULL AND ${b} IS NULL THEN NULL ELSE list_concat(${a}, ${b}) END)`;
}

/** `a || b` with an array operand; undefined when neither operand is an array. */
export function emitArrayConcat(
  ctx: EmitContext,
  left: Node,
  right: Node,
  location: number | undefined,
): string | undefined {
  if (ctx.types === undefined) return undefined;
  const isArray = (n: Node) => operandType(ctx, n)?.category === 'A';
  if (!isArray(left) && !isArray(right)) return undefined;
  const what = 'operator ||';
  if (isArray(left) && (isArray(right) || isUntyped(right))) {
    plainElement(ctx, left, what, location);
    if (isArray(right) && operandType(ctx, right)?.name !== operandType(ctx, left)?.name)
      refuse(ctx, `${what} of arrays of different types`, location);
    return concat(ctx.expr(left), arraySql(ctx, right, left));
  }
  if (isArray(right) && isUntyped(left)) {
    plainElement(ctx, right, what, location);
    return concat(arraySql(ctx, left, right), ctx.expr(right));
  }
  if (isArray(left)) {
    const element = plainElement(ctx, left, what, location);
    return `list_append(coalesce(${ctx.expr(left)}, []), ${elementSql(ctx, right, element, what, location)})`;
  }
  const element = plainElement(ctx, right, what, location);
  return `list_prepend(${elementSql(ctx, left, element, what, location)}, coalesce(${ctx.expr(right)}, []))`;
}

/** array_append, array_prepend, array_cat, array_remove; undefined for other names. */
export function emitArrayBuilding(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (!FUNCTIONS.has(name) || ctx.types === undefined) return undefined;
  const [first, second] = call.args ?? [];
  if (first === undefined || second === undefined || call.args?.length !== 2 || call.over !== undefined)
    return undefined;
  const at = call.location;
  if (name === 'array_cat') {
    plainElement(ctx, operandType(ctx, first)?.category === 'A' ? first : second, `${name}()`, at);
    return concat(arraySql(ctx, first, second), arraySql(ctx, second, first));
  }
  const [array, value] = name === 'array_prepend' ? [second, first] : [first, second];
  const element = plainElement(ctx, array, `${name}()`, at);
  const x = elementSql(ctx, value, element, `${name}()`, at);
  if (name === 'array_remove') return `list_filter(${ctx.expr(array)}, lambda e: e IS DISTINCT FROM ${x})`;
  const list = `coalesce(${ctx.expr(array)}, [])`;
  return name === 'array_append' ? `list_append(${list}, ${x})` : `list_prepend(${x}, ${list})`;
}
