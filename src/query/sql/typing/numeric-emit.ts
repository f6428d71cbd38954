/**
 * The emit stage for exact numerics, by PostgreSQL type (numeric-exact.ts emits the arithmetic,
 * mostly as calls of the pga_numeric_* functions of query/numeric/):
 *
 * | PostgreSQL                                   | emitted                                      |
 * |----------------------------------------------|----------------------------------------------|
 * | numeric / numeric (or integer)               | divideText: select_div_scale, exact          |
 * | + - * % with a numeric of varying scale      | pga_numeric_add/sub/mul/mod on the texts     |
 * | integer / integer                            | `//` (PostgreSQL truncates; DuckDB's / is double) |
 * | avg(integer or numeric)                      | divideText(sum, count), as numeric_avg       |
 * | sum(int2 or int4)                            | sum cast to BIGINT (int8, as pg_proc.dat)    |
 * | round/trunc/abs of a numeric of varying scale| pga_numeric_round/trunc/abs                  |
 *
 * Where a float meets a numeric of varying scale the numeric is read as double precision, as
 * PostgreSQL casts numeric to float8 there.
 */
import type { A_Expr, FuncCall, MinMaxExpr, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { typeOf } from './expr-types.js';
import {
  absText,
  arithmeticText,
  asNumericText,
  bind,
  ceilFloorText,
  divideText,
  modText,
  negateText,
  numericKey,
  roundText,
  signText,
  sumText,
} from './numeric-exact.js';
import { SPREAD_FUNCTIONS, spreadText } from './numeric-spread.js';
import { numericLiteralText } from './numeric-text.js';
import { INTEGER_RANK, type PgType } from './pg-types.js';

const DIVISION_BY_ZERO = quoteLiteral('division by zero');

function typeOfNode(ctx: EmitContext, node: Node | undefined): PgType | undefined {
  return ctx.types === undefined || node === undefined ? undefined : typeOf(ctx.types, node);
}

function isFloat(type: PgType | undefined): boolean {
  return type?.name === 'float4' || type?.name === 'float8';
}

/**
 * An operand as numeric text: its own digits for integers and DECIMALs, the text itself for a
 * numeric of varying scale; a numeric literal as PostgreSQL reads it (`1e5` is 100000).
 * `sql` emits the operand (once).
 */
export function numericOperandText(
  ctx: EmitContext,
  node: Node,
  sql: (node: Node) => string = (n) => ctx.expr(n),
): string {
  if ('A_Const' in node) {
    const constant = node.A_Const;
    const text = constant.fval?.fval ?? constant.sval?.sval;
    if (constant.isnull !== true && text !== undefined) return quoteLiteral(numericLiteralText(text));
  }
  const emitted = sql(node);
  return typeOfNode(ctx, node)?.heldAsText === true ? emitted : asNumericText(emitted);
}

function withZeroCheck(divisor: string): string {
  return `(CASE WHEN ${divisor} = 0 THEN error(${DIVISION_BY_ZERO}) ELSE ${divisor} END)`;
}

/**
 * An arithmetic operator whose PostgreSQL meaning needs the types: a numeric quotient, numeric
 * of varying scale, integer division. undefined: emitted as before (operator-rules.ts).
 */
export function emitNumericOperator(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  if (ctx.types === undefined) return undefined;
  const { lexpr, rexpr } = expr;
  if (operator === '^' && [lexpr, rexpr].some((n) => typeOfNode(ctx, n)?.name === 'numeric'))
    throw ctx.error(
      SqlState.featureNotSupported,
      'operator ^ on numeric is computed in numeric precision by PostgreSQL and is not supported by pg_analytica',
      expr.location,
      'cast the operands to double precision',
    );
  if (!['+', '-', '*', '/', '%'].includes(operator) || rexpr === undefined) return undefined;
  // Each operand is emitted once. A subquery's output type is known only once it is emitted:
  // an operand holding one is emitted before the types are read, and then emitted here whatever they are.
  const emitted = new Map<Node, string>();
  const sql = (n: Node) => emitted.get(n) ?? emitted.set(n, ctx.expr(n)).get(n)!;
  const early = [lexpr, rexpr].some((n) => n !== undefined && JSON.stringify(n).includes('"SubLink"'));
  if (early) for (const n of [lexpr, rexpr]) if (n !== undefined) sql(n);
  const typed = emitTypedArithmetic(ctx, expr, operator, sql);
  if (typed !== undefined || !early) return typed;
  const right = sql(rexpr);
  if (lexpr === undefined) return `(${operator}${right})`;
  return `(${sql(lexpr)} ${operator} ${operator === '/' || operator === '%' ? withZeroCheck(right) : right})`;
}

function emitTypedArithmetic(
  ctx: EmitContext,
  expr: A_Expr,
  operator: string,
  sql: (node: Node) => string,
): string | undefined {
  const { lexpr, rexpr } = expr;
  const result = typeOfNode(ctx, { A_Expr: expr });
  if (rexpr === undefined) return undefined;
  if (result?.heldAsText === true) {
    if (lexpr === undefined)
      return operator === '-' ? negateText(numericOperandText(ctx, rexpr, sql)) : undefined;
    const a = numericOperandText(ctx, lexpr, sql);
    const b = numericOperandText(ctx, rexpr, sql);
    if (operator === '/') return divideText(a, b, false);
    if (operator === '%') return modText(a, b);
    return arithmeticText(operator as '+' | '-' | '*', a, b);
  }
  if (lexpr === undefined) return undefined;
  const left = typeOfNode(ctx, lexpr);
  const right = typeOfNode(ctx, rexpr);
  if (isFloat(result) && (left?.heldAsText === true || right?.heldAsText === true)) {
    const asDouble = (n: Node, t: PgType | undefined) =>
      t?.heldAsText === true ? `CAST(${sql(n)} AS DOUBLE)` : sql(n);
    const divisor = asDouble(rexpr, right);
    const checked = operator === '/' || operator === '%' ? withZeroCheck(divisor) : divisor;
    return `(${asDouble(lexpr, left)} ${operator} ${checked})`;
  }
  const integers =
    INTEGER_RANK[left?.name ?? ''] !== undefined && INTEGER_RANK[right?.name ?? ''] !== undefined;
  if (operator === '/' && integers) return `(${sql(lexpr)} // ${withZeroCheck(sql(rexpr))})`;
  return undefined;
}

/** DISTINCT, FILTER and OVER of an aggregate call, as emitted around its argument. */
export interface AggregateParts {
  readonly distinct: string;
  readonly filter: string;
  readonly over: string;
}

/**
 * A function call whose PostgreSQL result needs exact numerics: aggregates of integers and
 * numerics (numericAggregate), round/trunc and the scalar functions of numerics. undefined
 * otherwise.
 */
export function emitNumericCall(
  ctx: EmitContext,
  call: FuncCall,
  name: string,
  parts: () => AggregateParts,
): string | undefined {
  if (ctx.types === undefined) return undefined;
  const args = call.args ?? [];
  const arg = args[0];
  const type = typeOfNode(ctx, arg);
  refuseInexactCall(ctx, call, name, type);
  // round(double precision) is C's rint(): halves to even (DuckDB's round goes away from zero).
  if (name === 'round' && args.length === 1 && arg !== undefined && isFloat(type))
    return `round_even(CAST(${ctx.expr(arg)} AS DOUBLE), 0)`;
  if (arg === undefined || type === undefined || type.category !== 'N' || isFloat(type)) return undefined;
  if (args.length === 1) {
    const aggregate = numericAggregate(ctx, call, name, arg, type, parts);
    if (aggregate !== undefined) return aggregate;
  }
  // round(integer, n) is round(numeric, n): the integer cast to numeric (pg_proc.dat).
  const roundsNumeric =
    type.name === 'numeric' || (args.length === 2 && INTEGER_RANK[type.name] !== undefined);
  if ((name === 'round' || name === 'trunc') && args.length <= 2 && roundsNumeric) {
    // A constant n on a DECIMAL is DuckDB's own round (function-emitter.ts gives it n decimals).
    const digits = args[1];
    const constant = digits === undefined || ('A_Const' in digits && digits.A_Const.ival !== undefined);
    if (type.heldAsText !== true && constant) return undefined;
    return roundText(numericOperandText(ctx, arg), digits === undefined ? '0' : ctx.expr(digits), name);
  }
  return emitNumericScalar(ctx, call, name, args, type);
}

/** Calls PostgreSQL would answer otherwise than any exact emission here: refused. */
function refuseInexactCall(ctx: EmitContext, call: FuncCall, name: string, type: PgType | undefined): void {
  const sortsText = (call.agg_order ?? []).some(
    (s) => 'SortBy' in s && typeOfNode(ctx, s.SortBy.node)?.heldAsText === true,
  );
  // percentile_disc and mode return the ordered value itself; percentile_cont reads it as float8.
  if (call.agg_within_group === true && name !== 'percentile_cont' && sortsText)
    throw ctx.error(
      SqlState.featureNotSupported,
      `${name}() ordered by a numeric whose display scale varies by value is not supported by pg_analytica`,
      call.location,
      'cast the value to numeric(p,s) first',
    );
  if ((name === 'round' || name === 'trunc') && (call.args ?? []).length === 2 && isFloat(type))
    throw ctx.error(
      SqlState.undefinedFunction,
      `function ${name}(double precision, integer) does not exist`,
      call.location,
      'No function matches the given name and argument types. You might need to add explicit type casts.',
    );
  if (type?.heldAsText === true && call.agg_distinct === true && (name === 'sum' || name === 'avg'))
    throw ctx.error(
      SqlState.featureNotSupported,
      `${name}(DISTINCT …) of a numeric whose display scale varies by value is not supported by pg_analytica`,
      call.location,
      'cast the value to numeric(p,s) first',
    );
}

/**
 * Aggregates of one integer or numeric: avg (exact quotient of sum and count, as numeric_avg),
 * sum of int2/int4 (bigint) and of numerics of varying scale, their min/max (the value chosen
 * by its exact key, keeping its own scale), stddev/variance. undefined for others.
 */
function numericAggregate(
  ctx: EmitContext,
  call: FuncCall,
  name: string,
  arg: Node,
  type: PgType,
  parts: () => AggregateParts,
): string | undefined {
  const aggregate = (fn: string, x: string) => {
    const { distinct, filter, over } = parts();
    return `${fn}(${distinct}${x})${filter}${over}`;
  };
  const text = type.heldAsText === true;
  if (text && (name === 'min' || name === 'max')) {
    const x = ctx.expr(arg);
    const { filter, over } = parts();
    return `${name === 'max' ? 'arg_max' : 'arg_min'}(${x}, ${numericKey(x)})${filter}${over}`;
  }
  if (name === 'avg' && (call.agg_order ?? []).length === 0) {
    const x = ctx.expr(arg);
    const total = text ? sumText(x, aggregate) : asNumericText(aggregate('sum', x));
    return divideText(total, asNumericText(aggregate('count', x)), true);
  }
  if (name === 'sum' && text) return sumText(ctx.expr(arg), aggregate);
  if (SPREAD_FUNCTIONS[name] !== undefined) return emitSpread(ctx, name, arg, type, aggregate);
  if (name === 'sum' && (type.name === 'int2' || type.name === 'int4'))
    return `CAST(${aggregate('sum', ctx.expr(arg))} AS BIGINT)`;
  return undefined;
}

/** PostgreSQL functions that compute on numeric in numeric precision, where DuckDB uses doubles. */
const NUMERIC_PRECISION_FUNCTIONS = new Set(['sqrt', 'exp', 'ln', 'log', 'log10', 'power', 'pow']);
/** Functions whose integer argument resolves to the float8 version (float8 is the preferred type). */
const FLOAT8_FOR_INTEGERS = new Set(['ceil', 'ceiling', 'floor', 'sign', 'round', 'trunc']);

/** Scalar functions of one numeric or integer: abs, ceil/floor, sign, mod, and those refused. */
function emitNumericScalar(
  ctx: EmitContext,
  call: FuncCall,
  name: string,
  args: readonly Node[],
  type: PgType,
): string | undefined {
  const argTypes = args.map((a) => typeOfNode(ctx, a));
  if (NUMERIC_PRECISION_FUNCTIONS.has(name) && argTypes.some((t) => t?.name === 'numeric'))
    throw ctx.error(
      SqlState.featureNotSupported,
      `${name}() of numeric is computed in numeric precision by PostgreSQL and is not supported by pg_analytica`,
      call.location,
      'cast the argument to double precision',
    );
  const arg = ctx.expr(args[0]!);
  if (INTEGER_RANK[type.name] !== undefined && args.length === 1 && FLOAT8_FOR_INTEGERS.has(name))
    return `CAST(${name === 'ceiling' ? 'ceil' : name}(CAST(${arg} AS DOUBLE)) AS DOUBLE)`;
  if (name === 'mod' && args.length === 2 && argTypes.some((t) => t?.name === 'numeric'))
    return modText(numericOperandText(ctx, args[0]!), numericOperandText(ctx, args[1]!));
  if (type.name !== 'numeric' || args.length !== 1) return undefined;
  if (name === 'sign') return type.heldAsText === true ? signText(arg) : `CAST(sign(${arg}) AS DECIMAL(1,0))`;
  if (type.heldAsText !== true) return undefined;
  if (name === 'abs') return absText(arg);
  if (name === 'ceil' || name === 'ceiling' || name === 'floor')
    return ceilFloorText(arg, name === 'floor' ? 'floor' : 'ceil');
  return undefined;
}

/** stddev/variance of an integer or numeric argument (numeric-spread.ts): count, sum(x) and sum(x*x). */
function emitSpread(
  ctx: EmitContext,
  name: string,
  arg: Node,
  type: PgType,
  aggregate: (fn: string, sql: string) => string,
): string {
  const x = ctx.expr(arg);
  const count = aggregate('count', x);
  if (type.heldAsText === true)
    return spreadText(name, count, sumText(x, aggregate), sumText(arithmeticText('*', x, x), aggregate));
  // Integers square exactly in HUGEINT; numeric(p,s) as DECIMAL(38,s), squared at scale 2s (an
  // overflow fails, 22003); a computed numeric of unknown DuckDB scale through its text.
  const scale = type.typmod >= 4 ? (type.typmod - 4) & 0xffff : undefined;
  if (INTEGER_RANK[type.name] === undefined && scale === undefined) {
    const text = asNumericText(x);
    return spreadText(
      name,
      count,
      sumText(text, aggregate),
      sumText(arithmeticText('*', text, text), aggregate),
    );
  }
  const value = scale === undefined ? `CAST(${x} AS HUGEINT)` : `CAST(${x} AS DECIMAL(38,${scale}))`;
  return spreadText(
    name,
    count,
    asNumericText(aggregate('sum', value)),
    asNumericText(aggregate('sum', `${value} * ${value}`)),
  );
}

/**
 * How the branches of a CASE/COALESCE/GREATEST are emitted: as exact numeric text when the
 * result is a numeric of varying scale (expr-types.ts); undefined: as they are.
 */
export function textNumericBranch(ctx: EmitContext, node: Node): ((branch: Node) => string) | undefined {
  if (!('CaseExpr' in node || 'CoalesceExpr' in node || 'MinMaxExpr' in node)) return undefined;
  if (typeOfNode(ctx, node)?.heldAsText !== true) return undefined;
  return (branch) =>
    'A_Const' in branch && branch.A_Const.isnull === true ? 'NULL' : numericOperandText(ctx, branch);
}

/**
 * GREATEST/LEAST of numerics of varying scale: the first non-NULL value that no later one
 * exceeds (PostgreSQL keeps the first of equal values), compared by exact key.
 */
export function emitTextNumericMinMax(ctx: EmitContext, expr: MinMaxExpr): string {
  const values = (expr.args ?? []).map((a) =>
    'A_Const' in a && a.A_Const.isnull === true ? 'CAST(NULL AS VARCHAR)' : numericOperandText(ctx, a),
  );
  const better = expr.op === 'IS_GREATEST' ? '>' : '<';
  return bind(`list_filter([${values.join(', ')}], lambda pga_v: pga_v IS NOT NULL)`, (list) => {
    const pick = `list_reduce(${list}, lambda pga_u, pga_w: CASE WHEN ${numericKey('pga_w')} ${better} ${numericKey('pga_u')} THEN pga_w ELSE pga_u END)`;
    return `CASE WHEN len(${list}) = 0 THEN NULL ELSE ${pick} END`;
  });
}
