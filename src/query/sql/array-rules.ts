/**
 * Arrays (lower bounds 1: what the copy holds, as DuckDB LISTs) → DuckDB, with
 * PostgreSQL's meaning where DuckDB's list functions differ:
 *
 * | PostgreSQL                  | emitted                                         | why                                          |
 * |-----------------------------|-------------------------------------------------|----------------------------------------------|
 * | a[i]                        | CASE WHEN i >= 1 THEN a[i] END                  | DuckDB counts a negative index from the end  |
 * | a[l:u], a[:u], a[l:]        | list_slice(a, greatest(l, 1), u or 0)           | same; bounds are clipped to the array's      |
 * | x op ANY(a), x op ALL(a)    | x op ANY (SELECT unnest(a)), NULL for a NULL a  | SQL's NULL rules of ANY/ALL                  |
 * | a @> b, a <@ b              | no element of b is NULL or missing from a       | array_contain_compare: a NULL never matches  |
 * | a && b                      | some element of b is in a                       | same                                         |
 * | array_length(a, 1)          | NULL for an empty array or another dimension    | PostgreSQL has no dimension in an empty array |
 * | cardinality(a)              | len(a) as integer                               |                                              |
 * | array_to_string(a, s[, n])  | NULLs skipped (or n), NULL separator → NULL     | DuckDB ignores a NULL separator              |
 * | array_position(a, x)        | list_position(a, x)                             | both find NULL with IS NOT DISTINCT FROM     |
 *
 * array_to_string is limited to elements whose DuckDB text is PostgreSQL's (text, integers).
 * Arrays of several dimensions: multidim-arrays.ts (ANY/ALL, @>, <@, &&, cardinality and
 * array_to_string read all their elements; their dimensions are read there).
 */
import type { A_Expr, A_Indirection, FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import { parseArrayLiteral } from './array-literal.js';
import type { EmitContext } from './emit-context.js';
import {
  dimsOf,
  elementList,
  emitDimsFunction,
  emitMultiDimEquality,
  emitMultiDimIndirection,
} from './multidim-arrays.js';
import { quoteLiteral } from './sql-text.js';
import { arrayElementType } from './typing/json-types.js';
import { canonicalElement, keyedAnyAll, keyedElement } from './typing/network-rules.js';
import type { PgType } from './typing/pg-types.js';
import { nodeLocation, operandType } from './typing/typed-operands.js';

const TEXT_LIKE = new Set(['text', 'int2', 'int4', 'int8']);

/** Functions of an array's dimensions, of any array column (multidim-arrays.ts). */
const DIMENSION_FUNCTIONS = ['array_ndims', 'array_dims', 'array_lower', 'array_upper'];

function isArray(ctx: EmitContext, node: Node | undefined): boolean {
  if (node === undefined) return false;
  if ('A_ArrayExpr' in node) return true;
  return operandType(ctx, node)?.category === 'A';
}

/** a[i] and a[l:u]. */
export function emitIndirection(ctx: EmitContext, node: A_Indirection): string {
  const multiDim = emitMultiDimIndirection(ctx, node);
  if (multiDim !== undefined) return multiDim;
  const arg = node.arg;
  if (ctx.listingOnly === true && arg !== undefined) {
    // Listing the tables only: every subscript's expressions, none of it run.
    const indices = (node.indirection ?? []).flatMap((s) =>
      'A_Indices' in s ? [s.A_Indices.lidx, s.A_Indices.uidx].filter((n) => n !== undefined) : [],
    );
    return `list_value(${[arg, ...indices].map((n) => ctx.expr(n)).join(', ')})`;
  }
  const steps = node.indirection ?? [];
  const step = steps[0];
  const type = arg === undefined ? undefined : operandType(ctx, arg);
  if (
    arg === undefined ||
    steps.length !== 1 ||
    step === undefined ||
    !('A_Indices' in step) ||
    (ctx.listingOnly !== true && type?.category !== 'A')
  ) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'this subscript (several dimensions, a field, or a value that is not an array column) is not supported by pg_analytica',
      arg === undefined ? undefined : nodeLocation(arg),
    );
  }
  const array = ctx.expr(arg);
  const { is_slice: slice, lidx, uidx } = step.A_Indices;
  const index = (n: Node) => `CAST(${ctx.expr(n)} AS BIGINT)`;
  if (slice !== true) {
    if (uidx === undefined) throw ctx.error(SqlState.syntaxError, 'subscript expected');
    const i = index(uidx);
    return `(CASE WHEN ${i} >= 1 THEN list_extract(${array}, ${i}) END)`;
  }
  const low = lidx === undefined ? '1' : `greatest(${index(lidx)}, 1)`;
  const high = uidx === undefined ? `len(${array})` : `greatest(${index(uidx)}, 0)`;
  return `list_slice(${array}, ${low}, ${high})`;
}

/** x op ANY/ALL (array column or expression); undefined when the right side is not an array of known type. */
export function emitArrayAnyAll(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  // Listing the tables only: an array value (a column, a function's result) is visited.
  if (ctx.types === undefined && expr.rexpr !== undefined && !isStatementArray(expr.rexpr))
    return `list_value(${ctx.expr(expr.lexpr!)}, ${ctx.expr(expr.rexpr)})`;
  // ARRAY[…] and array literals are IN lists (operator-rules.ts); this is for array values.
  const right = expr.rexpr;
  if (right === undefined || expr.lexpr === undefined || 'A_ArrayExpr' in right) return undefined;
  if (operandType(ctx, right)?.category !== 'A') return undefined;
  if (!['=', '<>', '<', '>', '<=', '>='].includes(operator)) return undefined;
  const array = elementList(ctx, right);
  const element = arrayElementType(operandType(ctx, right));
  const quantified = expr.kind === 'AEXPR_OP_ANY' ? 'ANY' : 'ALL';
  if (element !== undefined && keyedElement(element))
    return keyedAnyAll(ctx, expr.lexpr, element, array, operator, quantified);
  const left =
    untyped(expr.lexpr) !== undefined && element !== undefined
      ? elementLiteral(ctx, expr.lexpr, element)
      : ctx.expr(expr.lexpr);
  const quantifier = expr.kind === 'AEXPR_OP_ANY' ? 'ANY' : 'ALL';
  return `(CASE WHEN ${array} IS NOT NULL THEN (${left} ${operator} ${quantifier} (SELECT unnest(${array}))) END)`;
}

/** ARRAY[…] or an array literal (typed or not): elements known in the statement (any-all.ts). */
function isStatementArray(node: Node): boolean {
  if ('A_ArrayExpr' in node || 'A_Const' in node) return true;
  return 'TypeCast' in node && (node.TypeCast.typeName?.arrayBounds?.length ?? 0) > 0;
}

function untyped(node: Node): string | undefined {
  return 'A_Const' in node && node.A_Const.isnull !== true ? node.A_Const.sval?.sval : undefined;
}

function elementLiteral(ctx: EmitContext, node: Node, element: PgType): string {
  const text = untyped(node) ?? '';
  return TEXT_LIKE.has(element.name) && element.name !== 'text'
    ? `CAST(${quoteLiteral(text)} AS BIGINT)`
    : ctx.expr(node);
}

/** An operand meeting an array: an untyped literal is read as the other side's array type. */
function arrayOperand(ctx: EmitContext, node: Node, other: Node): string {
  const text = untyped(node);
  if (text === undefined) return elementList(ctx, node);
  const type = operandType(ctx, other);
  // Compared element by element with the other side's elements (flattened, multidim-arrays.ts).
  const listType = type?.duckType?.replace(/(\[\])+$/, '[]');
  const elements = parseArrayLiteral(text);
  if (elements === undefined || listType === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'this array literal is not supported by pg_analytica here; write ARRAY[…] or cast it',
      nodeLocation(node),
    );
  }
  const element = arrayElementType(type);
  const items = elements.map((e) => (e === null ? 'NULL' : quoteLiteral(canonicalElement(ctx, e, element))));
  return `CAST([${items.join(', ')}] AS ${listType})`;
}

/** a @> b, a <@ b, a && b on arrays; undefined when neither side is an array. */
export function emitArrayOperator(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  if (ctx.types !== undefined) {
    const equality = emitMultiDimEquality(ctx, expr, operator);
    if (equality !== undefined) return equality;
  }
  if (!['@>', '<@', '&&'].includes(operator) || expr.lexpr === undefined || expr.rexpr === undefined)
    return undefined;
  if (ctx.types === undefined) return `list_value(${ctx.expr(expr.lexpr)}, ${ctx.expr(expr.rexpr)})`;
  if (!isArray(ctx, expr.lexpr) && !isArray(ctx, expr.rexpr)) return undefined;
  if ([expr.lexpr, expr.rexpr].some((n) => arrayElementType(operandType(ctx, n))?.name === 'interval')) {
    // list_contains would compare DuckDB intervals field by field, not by span (interval_eq).
    throw ctx.error(
      SqlState.featureNotSupported,
      `operator ${operator} on interval arrays is not supported by pg_analytica`,
      expr.location,
      'Use = ANY (array) for one interval.',
    );
  }
  const l = arrayOperand(ctx, expr.lexpr, expr.rexpr);
  const r = arrayOperand(ctx, expr.rexpr, expr.lexpr);
  // Strict: a NULL array gives NULL (list_contains of a NULL list would drop out of the filter).
  const strict = (test: string) => `(CASE WHEN ${l} IS NOT NULL AND ${r} IS NOT NULL THEN ${test} END)`;
  if (operator === '&&') return strict(`len(list_filter(${r}, lambda e: list_contains(${l}, e))) > 0`);
  const [outer, inner] = operator === '@>' ? [l, r] : [r, l];
  return strict(`len(list_filter(${inner}, lambda e: e IS NULL OR NOT list_contains(${outer}, e))) = 0`);
}

/** array_length, cardinality, array_to_string, array_position; undefined for other names. */
export function emitArrayFunction(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (ctx.listingOnly === true && DIMENSION_FUNCTIONS.includes(name))
    return `list_value(${(call.args ?? []).map((a) => ctx.expr(a)).join(', ')})`; // listing the tables only
  const multiDim = ctx.types === undefined ? undefined : emitMultiDimFunction(ctx, call, name);
  if (multiDim !== undefined) return multiDim;
  if (!['array_length', 'cardinality', 'array_to_string', 'array_position'].includes(name)) return undefined;
  const args = call.args ?? [];
  const [array, second, third] = args;
  if (array === undefined || (ctx.types !== undefined && !isArray(ctx, array)) || call.over !== undefined) {
    throw ctx.error(
      SqlState.undefinedFunction,
      `function ${name}(${operandType(ctx, array)?.name ?? 'unknown'}) does not exist`,
      call.location,
    );
  }
  // All elements, in storage order, for an array of several dimensions too.
  const a = name === 'array_position' ? ctx.expr(array) : elementList(ctx, array);
  if (name === 'cardinality' && args.length === 1) return `CAST(len(${a}) AS INTEGER)`;
  if (name === 'array_length' && second !== undefined && args.length === 2)
    return `(CASE WHEN CAST(${ctx.expr(second)} AS BIGINT) = 1 AND len(${a}) > 0 THEN CAST(len(${a}) AS INTEGER) END)`;
  if (name === 'array_position' && second !== undefined && args.length === 2) {
    const element = arrayElementType(operandType(ctx, array));
    const x =
      untyped(second) !== undefined && element !== undefined
        ? elementLiteral(ctx, second, element)
        : ctx.expr(second);
    return `CAST(list_position(${a}, ${x}) AS INTEGER)`;
  }
  if (name === 'array_to_string' && second !== undefined && args.length <= 3) {
    const element = arrayElementType(operandType(ctx, array));
    if (ctx.types !== undefined && !TEXT_LIKE.has(element?.name ?? '')) {
      throw ctx.error(
        SqlState.featureNotSupported,
        `array_to_string of ${operandType(ctx, array)?.name ?? 'this array'} is not supported by pg_analytica (only text and integer arrays)`,
        call.location,
      );
    }
    const sep = ctx.expr(second);
    const items =
      third === undefined
        ? `list_filter(${a}, lambda e: e IS NOT NULL)`
        : `list_transform(${a}, lambda e: coalesce(CAST(e AS VARCHAR), ${ctx.expr(third)}))`;
    // A NULL null_string means no replacement (array_to_text_null); a NULL separator gives NULL.
    return `(CASE WHEN ${sep} IS NULL THEN NULL ELSE array_to_string(${items}, ${sep}) END)`;
  }
  throw ctx.error(
    SqlState.undefinedFunction,
    `function ${name} with ${args.length} arguments does not exist`,
    call.location,
  );
}

/**
 * array_ndims, array_dims, array_lower, array_upper (any typed array column) and array_length,
 * unnest of one of several dimensions (multidim-arrays.ts); undefined for anything else.
 */
function emitMultiDimFunction(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const args = call.args ?? [];
  const array = args[0];
  if (array === undefined || call.over !== undefined || call.agg_distinct === true) return undefined;
  const dims = dimsOf(ctx, array);
  if (name === 'unnest' && args.length === 1 && dims > 1) return `unnest(${elementList(ctx, array)})`;
  const always = DIMENSION_FUNCTIONS.includes(name);
  if (!always && !(name === 'array_length' && dims > 1)) return undefined;
  // Only typed arrays: an ARRAY[ARRAY[…]] expression has dimensions the type stage does not count.
  if (operandType(ctx, array)?.category !== 'A') {
    throw ctx.error(
      SqlState.featureNotSupported,
      `${name} of this expression is not supported by pg_analytica (only of array columns)`,
      call.location,
    );
  }
  return emitDimsFunction(ctx, name, args);
}
