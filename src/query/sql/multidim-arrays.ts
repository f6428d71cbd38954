/**
 * Arrays of several dimensions (columns declared `integer[][]`, held as nested LISTs:
 * src/source/array-columns.ts). DuckDB's list functions see a list of lists, PostgreSQL sees one
 * array of N dimensions: what PostgreSQL computes on all elements (ANY, @>, cardinality, unnest,
 * array_to_string) runs on the flattened list, the dimensions are read from the first sub-list
 * at each depth (values are rectangular), and everything else on such a value is refused (0A000)
 * at the node itself: a multi-dimensional operand is emitted only where its parent allowed it
 * (allowAnyDims), so no DuckDB list function can give an answer PostgreSQL would not.
 *
 * | PostgreSQL                  | emitted                                               |
 * |-----------------------------|-------------------------------------------------------|
 * | a[i][j] (N subscripts)      | list_extract at each depth, NULL for an index below 1 |
 * | a[i] (fewer or more)        | NULL, as array_get_element gives                      |
 * | array_ndims(a)              | N, NULL for an empty or NULL array                    |
 * | array_dims(a)               | '[1:d1][1:d2]…', dk the length at depth k             |
 * | array_length/upper(a, d)    | dk; array_lower(a, d) 1; NULL outside 1..N or empty   |
 * | ORDER BY a                   | {e: all elements, d: [d1, d2, …]} (array_cmp's order) |
 * | a = b, a <> b               | same ndims: IS NOT DISTINCT FROM (NULL elements equal, as array_eq); a 1-D value: equal only when both are empty |
 */
import type { A_Expr, A_Indirection, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import { parseArrayLiteral } from './array-literal.js';
import type { EmitContext } from './emit-context.js';
import type { PgType } from './typing/pg-types.js';
import { nodeLocation, operandType } from './typing/typed-operands.js';

const allowed = new WeakSet<Node>();

/** Lets `node` be a multi-dimensional array where the caller emits it next. */
export function allowAnyDims(node: Node | undefined): void {
  if (node !== undefined) allowed.add(node);
}

/** True when a rule allowed `node` to be a multi-dimensional array. */
export function isAllowedAnyDims(node: Node): boolean {
  return allowed.has(node);
}

/** The number of dimensions of an array operand: its column's declared ones, else 1. */
export function dimsOf(ctx: EmitContext, node: Node | undefined): number {
  return operandType(ctx, node)?.ndims ?? 1;
}

/**
 * Refuses a multi-dimensional array in a place no rule of this file allowed it (0A000); `what`
 * names the operation where the caller knows it (`function min()`, `operator <`).
 */
export function refuseMultiDim(ctx: EmitContext, node: Node, what = 'this use'): void {
  if (allowed.has(node) || ctx.types?.readsMultiDimArrays?.() !== true) return;
  const type = operandType(ctx, node);
  if ((type?.ndims ?? 1) <= 1) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `${what} of a multi-dimensional array (${type?.name ?? 'array'} of ${type?.ndims} dimensions) is not supported by pg_analytica`,
    nodeLocation(node),
    'supported on such arrays: selecting them, IS [NULL], a[i][j], = and <>, ANY/ALL, @>, <@, &&, ' +
      'array_ndims, array_dims, array_length, array_lower, array_upper, cardinality, unnest, ' +
      'array_to_string, count and GROUP BY; run other queries in PostgreSQL itself',
  );
}

/** The elements of an N-deep list in storage order (row-major), as one list. */
export function flattened(sql: string, ndims: number): string {
  let list = sql;
  for (let d = 1; d < ndims; d++) list = `flatten(${list})`;
  return list;
}

/** An array operand emitted with all its elements in one list (the array itself for one dimension). */
export function elementList(ctx: EmitContext, node: Node): string {
  allowAnyDims(node);
  return flattened(ctx.expr(node), dimsOf(ctx, node));
}

/** The length at depth `d` (1-based) of a non-empty N-deep list: its first sub-list's there. */
function lengthAt(sql: string, d: number): string {
  let list = sql;
  for (let k = 1; k < d; k++) list = `${list}[1]`;
  return `len(${list})`;
}

/** The element type's DuckDB name: the array's without its list levels. */
function elementDuckType(type: PgType | undefined): string | undefined {
  return type?.duckType?.replace(/(\[\])+$/, '');
}

/** DuckDB element types that order as PostgreSQL orders them (text under the C collation: collation.ts). */
const ORDERED_ELEMENTS =
  /^(SMALLINT|INTEGER|BIGINT|BOOLEAN|DATE|TIMESTAMP|TIMESTAMPTZ|TIMESTAMP WITH TIME ZONE|DECIMAL\(\d+,\d+\)|ENUM\(.*\))$/s;

/**
 * The key an array of several dimensions sorts by, as array_cmp orders arrays: by the elements in
 * storage order (a NULL element after any value, as DuckDB orders list elements too), then by the
 * number of elements (a prefix first), then by the dimensions; undefined when the elements'
 * DuckDB order is not PostgreSQL's, or for an array of one dimension.
 */
export function multiDimOrderKey(type: PgType, sql: string): string | undefined {
  const ndims = type.ndims ?? 1;
  if (ndims <= 1) return undefined;
  const element = elementDuckType(type) ?? '';
  const text = /^(text|character varying)(\(\d+\))?\[\]$/.test(type.name) && element === 'VARCHAR';
  if (!text && !ORDERED_ELEMENTS.test(element)) return undefined;
  const dims = Array.from({ length: ndims }, (_, d) => lengthAt(sql, d + 1)).join(', ');
  return `(CASE WHEN ${sql} IS NOT NULL THEN {'e': ${flattened(sql, ndims)}, 'd': [${dims}]} END)`;
}

/** a[i][j]… on a multi-dimensional array; undefined for a one-dimensional one (array-rules.ts). */
export function emitMultiDimIndirection(ctx: EmitContext, node: A_Indirection): string | undefined {
  const arg = node.arg;
  const ndims = dimsOf(ctx, arg);
  if (arg === undefined || ndims <= 1) return undefined;
  const steps = node.indirection ?? [];
  const indices = steps.map((s) =>
    'A_Indices' in s && s.A_Indices.is_slice !== true ? s.A_Indices.uidx : undefined,
  );
  if (indices.some((i) => i === undefined)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'slices and fields of multi-dimensional arrays are not supported by pg_analytica',
      nodeLocation(arg),
    );
  }
  const element = elementDuckType(operandType(ctx, arg)) ?? 'VARCHAR';
  allowAnyDims(arg);
  const array = ctx.expr(arg);
  // array_get_element: NULL unless there are exactly as many subscripts as dimensions.
  if (indices.length !== ndims) return `CAST(NULL AS ${element})`;
  const emitted = indices.map((i) => `CAST(${ctx.expr(i!)} AS BIGINT)`);
  const value = emitted.reduce((list, i) => `list_extract(${list}, ${i})`, array);
  return `(CASE WHEN ${emitted.map((i) => `${i} >= 1`).join(' AND ')} THEN ${value} END)`;
}

/** array_ndims, array_dims, array_length, array_upper, array_lower of any array; undefined for other names. */
export function emitDimsFunction(ctx: EmitContext, name: string, args: readonly Node[]): string | undefined {
  if (!['array_ndims', 'array_dims', 'array_length', 'array_upper', 'array_lower'].includes(name))
    return undefined;
  const [array, dimension] = args;
  if (array === undefined || args.length !== (name === 'array_ndims' || name === 'array_dims' ? 1 : 2))
    return undefined;
  const ndims = dimsOf(ctx, array);
  allowAnyDims(array);
  const a = ctx.expr(array);
  const nonEmpty = (value: string) => `(CASE WHEN len(${a}) > 0 THEN ${value} END)`;
  if (name === 'array_ndims') return nonEmpty(`CAST(${ndims} AS INTEGER)`);
  if (name === 'array_dims') {
    const parts = Array.from({ length: ndims }, (_, d) => `'[1:' || ${lengthAt(a, d + 1)} || ']'`);
    return nonEmpty(parts.join(' || '));
  }
  const d = `CAST(${ctx.expr(dimension!)} AS BIGINT)`;
  const cases = Array.from(
    { length: ndims },
    (_, k) => ` WHEN ${k + 1} THEN ${name === 'array_lower' ? '1' : lengthAt(a, k + 1)}`,
  ).join('');
  return nonEmpty(`CAST(CASE ${d}${cases} END AS INTEGER)`);
}

/** a = b, a <> b where either side is multi-dimensional; undefined otherwise. */
export function emitMultiDimEquality(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  const { lexpr, rexpr } = expr;
  if (!['=', '<>', '!='].includes(operator) || lexpr === undefined || rexpr === undefined) return undefined;
  const [ldims, rdims] = [dimsOf(ctx, lexpr), dimsOf(ctx, rexpr)];
  if (ldims <= 1 && rdims <= 1) return undefined;
  const [array, other] = ldims > 1 ? [lexpr, rexpr] : [rexpr, lexpr];
  allowAnyDims(array);
  const a = ctx.expr(array);
  const negate = operator === '=' ? '' : 'NOT ';
  if (ldims === rdims) {
    allowAnyDims(other);
    const b = ctx.expr(other);
    return `(CASE WHEN ${a} IS NOT NULL AND ${b} IS NOT NULL THEN ${negate}(${a} IS NOT DISTINCT FROM ${b}) END)`;
  }
  // A value of other dimensions equals the array only when both are empty (array_eq compares ndims).
  const literal = 'A_Const' in other ? other.A_Const.sval?.sval : undefined;
  const elements = literal === undefined ? undefined : parseArrayLiteral(literal);
  if (elements !== undefined) {
    return `(CASE WHEN ${a} IS NOT NULL THEN ${negate}(len(${a}) = 0 AND ${elements.length === 0}) END)`;
  }
  if (rdims > 1 || ldims > 1) {
    const type = operandType(ctx, other);
    if (type?.category === 'A' && (type.ndims ?? 1) === 1) {
      const b = ctx.expr(other);
      return `(CASE WHEN ${a} IS NOT NULL AND ${b} IS NOT NULL THEN ${negate}(len(${a}) = 0 AND len(${b}) = 0) END)`;
    }
  }
  throw ctx.error(
    SqlState.featureNotSupported,
    'this comparison with a multi-dimensional array is not supported by pg_analytica; compare it with another column of the same dimensions or a one-dimensional array',
    nodeLocation(other),
  );
}
