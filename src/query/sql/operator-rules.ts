/**
 * A_Expr (operators, IN, LIKE, BETWEEN, ANY/ALL) → DuckDB, fixing the places
 * where the same text means something else in DuckDB:
 *
 * | PostgreSQL                      | DuckDB emitted                         | why                                              |
 * |---------------------------------|----------------------------------------|--------------------------------------------------|
 * | a ~ b, a ~* b, !~, !~*          | regexp_matches(a, b, 's'/'is')         | DuckDB's ~ is a full match; '.' must match \n    |
 * | a LIKE b                        | a LIKE b ESCAPE '\'                    | PostgreSQL's default escape is \, DuckDB has none |
 * | int / int (known integers)      | a // b                                 | DuckDB's / on integers returns DOUBLE            |
 * | a / b, a % b                    | divisor wrapped in a zero check        | DuckDB gives NULL or Infinity, PostgreSQL 22012  |
 * | x = ANY('{a,b}'::t[])           | x IN (CAST('a' AS t), …)               | DuckDB cannot cast '{…}' strings to lists        |
 * | x <> ALL('{a,b}'::t[])          | x NOT IN (…)                           | same                                             |
 * | !=                              | <>                                     | spelling                                         |
 *
 * Where the type stage knows the operands' types, typing/numeric-emit.ts decides first (integer
 * division by type, exact numeric quotients and numerics of varying scale). Where it does not
 * (a column of a FROM item whose types are unknown), `int_col / 2` divides as DOUBLE in DuckDB;
 * cast an operand (`int_col::int / 2`) to get integer division.
 */

import type { A_Expr, Node, TypeCast } from 'libpg-query';
import { SqlState } from '../../errors.js';
import { emitAnyAll } from './any-all.js';
import { emitArrayConcat } from './array-building.js';
import { emitArrayOperator } from './array-rules.js';
import { emitDateTimeOperator } from './datetime/datetime-arithmetic.js';
import { type EmitContext, listItems, stringValue } from './emit-context.js';
import { emitJsonOperator } from './json-rules.js';
import { refuseMultiDim } from './multidim-arrays.js';
import { emitRegexMatch } from './regex/regex-rules.js';
import { emitSimilarTo } from './regex/similar-rules.js';
import { emitRowComparison } from './row-values.js';
import { quoteLiteral } from './sql-text.js';
import { baseTypeName, INTEGER_TYPES } from './type-names.js';
import { emitByteaConcat } from './typing/bytea-values.js';
import { emitILike } from './typing/case-folding.js';
import { citextLike, refuseCitextRegex } from './typing/citext-rules.js';
import { refuseLocaleOrder } from './typing/collation.js';
import { typeOf } from './typing/expr-types.js';
import { checkedFloatResult, isFloatResult } from './typing/float-arithmetic.js';
import { emitIntegerShift } from './typing/integer-shifts.js';
import { emitNetworkOperator, isNetwork } from './typing/network-rules.js';
import { emitNumericOperator } from './typing/numeric-emit.js';
import { emitRangeOperator } from './typing/range-rules.js';
import {
  asText,
  checkArithmeticOperand,
  emitComparedOperands,
  operandType,
} from './typing/typed-operands.js';
import { isCitext } from './typing/value-keys.js';

/** Operators that mean the same in DuckDB and are emitted unchanged. */
const PLAIN_OPERATORS = new Set([
  '=',
  '<>',
  '<',
  '>',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '^',
  '||',
  '&',
  '|',
  '<<',
  '>>',
]);

const REGEX_OPERATORS: Readonly<Record<string, { negate: boolean; options: string }>> = {
  '~': { negate: false, options: 's' },
  '~*': { negate: false, options: 'is' },
  '!~': { negate: true, options: 's' },
  '!~*': { negate: true, options: 'is' },
};

export const LIKE_OPERATORS: Readonly<Record<string, string>> = {
  '~~': 'LIKE',
  '!~~': 'NOT LIKE',
  '~~*': 'ILIKE',
  '!~~*': 'NOT ILIKE',
};

/** The message DuckDB raises through error() for a zero divisor; the engine maps it to 22012. */
export const DIVISION_BY_ZERO_MESSAGE = 'division by zero';

/** Comparisons whose answer depends on the order of the values (and so on text's collation). */
const ORDERING = new Set(['<', '>', '<=', '>=']);

export function emitAExpr(ctx: EmitContext, expr: A_Expr): string {
  const operator = operatorName(ctx, expr);
  switch (expr.kind) {
    case 'AEXPR_OP':
      return emitOperator(ctx, expr, operator);
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return emitAnyAll(ctx, expr, operator);
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      const [left, right] = compared(ctx, [expr.lexpr, expr.rexpr], '=');
      return `(${left} IS ${expr.kind === 'AEXPR_DISTINCT' ? '' : 'NOT '}DISTINCT FROM ${right})`;
    }
    case 'AEXPR_NULLIF':
      return emitNullif(ctx, expr);
    case 'AEXPR_IN': {
      const [left, ...list] = compared(ctx, [expr.lexpr, ...listItems(expr.rexpr)], operator);
      return `(${left} ${operator === '=' ? 'IN' : 'NOT IN'} (${list.join(', ')}))`;
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE':
      return emitLike(ctx, expr, operator);
    case 'AEXPR_SIMILAR':
      return emitSimilarTo(ctx, expr, operator);
    case 'AEXPR_BETWEEN':
    case 'AEXPR_NOT_BETWEEN': {
      refuseLocaleOrder(ctx, [expr.lexpr, ...listItems(expr.rexpr)], 'BETWEEN', expr.location);
      const [left, low, high] = compared(ctx, [expr.lexpr, ...listItems(expr.rexpr)], '<=');
      const not = expr.kind === 'AEXPR_NOT_BETWEEN' ? 'NOT ' : '';
      return `(${left} ${not}BETWEEN ${low} AND ${high})`;
    }
    default:
      throw ctx.error(
        SqlState.featureNotSupported,
        `${describeKind(expr)} is not supported by pg_analytica`,
        expr.location,
      );
  }
}

/** The operands of one comparison, each emitted by its PostgreSQL type (typed-operands.ts). */
export function compared(ctx: EmitContext, nodes: readonly (Node | undefined)[], operator: string): string[] {
  const present = nodes.map((n) => {
    if (n === undefined) throw ctx.error(SqlState.syntaxError, 'operator is missing an operand');
    return n;
  });
  return emitComparedOperands(ctx, present, operator, (n) => comparisonOperand(ctx, n));
}

/**
 * NULLIF(a, b) returns a itself: when the comparison needs a converted a (rtrim of a bpchar),
 * it is spelled as CASE so that the value returned keeps its text.
 */
function emitNullif(ctx: EmitContext, expr: A_Expr): string {
  const [left, right] = compared(ctx, [expr.lexpr, expr.rexpr], '=');
  // NULLIF(bpchar, text) is text: the value returned is the compared one, without trailing blanks.
  const asText =
    operandType(ctx, { A_Expr: expr })?.name === 'text' && operandType(ctx, expr.lexpr)?.name === 'bpchar';
  const result = operandType(ctx, { A_Expr: expr })?.name;
  const value = asText
    ? left
    : result === 'float8' || result === 'float4'
      ? `CAST(${operand(ctx, expr.lexpr)} AS ${result === 'float8' ? 'DOUBLE' : 'FLOAT'})`
      : operand(ctx, expr.lexpr);
  if (left === value) return `NULLIF(${left}, ${right})`;
  return `(CASE WHEN ${left} = ${right} THEN NULL ELSE ${value} END)`;
}

function describeKind(expr: A_Expr): string {
  if (expr.kind === 'AEXPR_SIMILAR') return 'SIMILAR TO';
  return 'BETWEEN SYMMETRIC';
}

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);
const ARITHMETIC = new Set(['+', '-', '*', '/', '%']);
const INTEGER_ZERO: Readonly<Record<string, string>> = {
  int2: 'CAST(0 AS SMALLINT)',
  int4: 'CAST(0 AS INTEGER)',
  int8: 'CAST(0 AS BIGINT)',
};

/**
 * An arithmetic operand. PostgreSQL types an integer literal int4 (int8 past
 * its range), so `smallint_col + 1` is an integer; DuckDB would fit the
 * literal to the column's type and give a smallint that overflows at 32767.
 */
function isConstant(node: Node | undefined): boolean {
  return node !== undefined && 'A_Const' in node;
}

function arithmeticOperand(ctx: EmitContext, node: Node | undefined): string {
  if (node === undefined || !('A_Const' in node)) return operand(ctx, node);
  const constant = node.A_Const;
  if (constant.ival !== undefined) return `CAST(${operand(ctx, node)} AS INTEGER)`;
  if (constant.fval !== undefined && /^-?\d+$/.test(constant.fval.fval ?? '')) {
    const value = BigInt(constant.fval.fval ?? '0');
    if (value >= -(2n ** 63n) && value < 2n ** 63n) return `CAST(${operand(ctx, node)} AS BIGINT)`;
  }
  return operand(ctx, node);
}

/**
 * A comparison operand. `x::numeric` (unconstrained) of a column has no
 * DuckDB type that prints like PostgreSQL's, but compared it only needs
 * PostgreSQL's value: real and double precision become numeric through their
 * 6 and 15 significant digits (float4_numeric, float8_numeric), integers and
 * decimals exactly. postgres_fdw deparses such casts (`score::numeric > 5::numeric`).
 */
function comparisonOperand(ctx: EmitContext, node: Node | undefined): string {
  if (node === undefined || !('TypeCast' in node)) return operand(ctx, node);
  const { arg, typeName } = node.TypeCast;
  const unconstrainedNumeric =
    typeName !== undefined &&
    arg !== undefined &&
    !('A_Const' in arg) &&
    typeName.arrayBounds === undefined &&
    (typeName.typmods ?? []).length === 0 &&
    ['numeric', 'decimal'].includes((typeName.names ?? []).map(stringValue).at(-1) ?? '');
  if (!unconstrainedNumeric) return operand(ctx, node);
  const value = ctx.expr(arg);
  const exact = 'DECIMAL(38,18)';
  return (
    `(CASE typeof(${value}) WHEN 'FLOAT' THEN CAST(printf('%.6g', ${value}) AS ${exact}) ` +
    `WHEN 'DOUBLE' THEN CAST(printf('%.15g', ${value}) AS ${exact}) ELSE CAST(${value} AS ${exact}) END)`
  );
}

function required(ctx: EmitContext, node: Node | undefined): Node {
  if (node === undefined) throw ctx.error(SqlState.syntaxError, 'operator is missing an operand');
  return node;
}

function operand(ctx: EmitContext, node: Node | undefined): string {
  if (node === undefined) throw ctx.error(SqlState.syntaxError, 'operator is missing an operand');
  return ctx.expr(node);
}

/** Operator name, accepting OPERATOR(pg_catalog.op) as psql sends it. */
function operatorName(ctx: EmitContext, expr: A_Expr): string {
  const parts = (expr.name ?? []).map(stringValue);
  const name = parts[parts.length - 1] ?? '';
  if (parts.length > 2 || (parts.length === 2 && parts[0] !== 'pg_catalog')) {
    throw ctx.error(SqlState.undefinedFunction, `operator does not exist: ${parts.join('.')}`, expr.location);
  }
  return name;
}

function emitOperator(ctx: EmitContext, expr: A_Expr, operator: string): string {
  const network = emitNetworkOperator(ctx, expr, operator) ?? emitRangeOperator(ctx, expr, operator);
  if (network !== undefined) return network;
  const json = emitJsonOperator(ctx, expr, operator) ?? emitArrayOperator(ctx, expr, operator);
  if (json !== undefined) return json;
  for (const side of [expr.lexpr, expr.rexpr])
    if (side !== undefined) refuseMultiDim(ctx, side, `operator ${operator}`);
  const rows = emitRowComparison(ctx, expr, operator) ?? emitIntegerShift(ctx, expr, operator);
  if (rows !== undefined) return rows;
  const comparison = COMPARISONS.has(operator);
  if (comparison && expr.lexpr !== undefined) {
    if (ORDERING.has(operator))
      refuseLocaleOrder(ctx, [expr.lexpr, expr.rexpr], `operator ${operator}`, expr.location);
    const [left, right] = compared(ctx, [expr.lexpr, expr.rexpr], operator);
    return `(${left} ${operator === '!=' ? '<>' : operator} ${right})`;
  }
  const numeric = emitNumericOperator(ctx, expr, operator);
  if (numeric !== undefined) {
    // float8 with a numeric literal (d * 1.5): the float result is checked as PostgreSQL's. The
    // operands are written again for the check, so only when that resolves no table twice.
    if (expr.lexpr === undefined || !isFloatResult(ctx, expr) || JSON.stringify(expr).includes('"SubLink"'))
      return numeric;
    const asDouble = (node: Node | undefined) => `CAST(${ctx.expr(required(ctx, node))} AS DOUBLE)`;
    const operands = { result: numeric, left: asDouble(expr.lexpr), right: asDouble(expr.rexpr) };
    return checkedFloatResult(ctx, expr, operator, operands) ?? numeric;
  }
  if (ARITHMETIC.has(operator)) {
    checkArithmeticOperand(ctx, expr.lexpr, operator);
    checkArithmeticOperand(ctx, expr.rexpr, operator);
    const temporal = emitDateTimeOperator(ctx, expr, operator);
    if (temporal !== undefined) return temporal;
  }
  const arrays =
    operator === '||' && expr.lexpr !== undefined && expr.rexpr !== undefined
      ? emitArrayConcat(ctx, expr.lexpr, expr.rexpr, expr.location)
      : undefined;
  if (arrays !== undefined) return arrays;
  const bytes = operator === '||' ? emitByteaConcat(ctx, expr) : undefined;
  if (bytes !== undefined) return bytes;
  if (operator === '||' && expr.lexpr !== undefined)
    return `(${asText(ctx, expr.lexpr, operand(ctx, expr.lexpr))} || ${asText(ctx, required(ctx, expr.rexpr), operand(ctx, expr.rexpr))})`;
  // Two literals keep DuckDB's own typing, which fits both as PostgreSQL's would.
  const arithmetic = ARITHMETIC.has(operator) && !(isConstant(expr.lexpr) && isConstant(expr.rexpr));
  let right = comparison
    ? comparisonOperand(ctx, expr.rexpr)
    : arithmetic
      ? arithmeticOperand(ctx, expr.rexpr)
      : operand(ctx, expr.rexpr);
  if (expr.lexpr === undefined) {
    // -x of the smallest integer overflows; 0 - x makes DuckDB name the type (int2um/int4um).
    const zero = operator === '-' ? INTEGER_ZERO[operandType(ctx, expr.rexpr)?.name ?? ''] : undefined;
    if (zero !== undefined) return `(${zero} - ${right})`;
    if (operator === '-' || operator === '+') return `(${operator}${right})`;
    throw unsupportedOperator(ctx, expr, operator);
  }
  let left = comparison
    ? comparisonOperand(ctx, expr.lexpr)
    : arithmetic
      ? arithmeticOperand(ctx, expr.lexpr)
      : ctx.expr(expr.lexpr);
  // real with an integer or numeric is double precision arithmetic in PostgreSQL (float48pl and
  // friends, float8 the preferred type); DuckDB would compute it in single precision.
  if (arithmetic && ctx.types !== undefined && typeOf(ctx.types, { A_Expr: expr })?.name === 'float8') {
    left = `CAST(${left} AS DOUBLE)`;
    right = `CAST(${right} AS DOUBLE)`;
  }
  const regex = REGEX_OPERATORS[operator];
  if (regex !== undefined) refuseCitextRegex(ctx, expr, operator);
  if (LIKE_OPERATORS[operator] !== undefined && isCitext(operandType(ctx, expr.lexpr)))
    return citextLike(LIKE_OPERATORS[operator]!, left, right, quoteLiteral('\\'));
  if (regex !== undefined) {
    const value = { node: expr.lexpr, sql: left };
    const call = emitRegexMatch(ctx, { value, pattern: expr.rexpr }, regex.options, expr.location);
    return regex.negate ? `(NOT ${call})` : call;
  }
  const like = LIKE_OPERATORS[operator];
  if (like !== undefined) return `(${left} ${like} ${likePattern(ctx, expr.rexpr)} ESCAPE '\\')`;
  if (operator === '/' || operator === '%') {
    const division = emitDivision(expr, operator, left, right);
    return checkedFloatResult(ctx, expr, operator, { result: division, left, right }) ?? division;
  }
  const result = `(${left} ${operator} ${right})`;
  const float = checkedFloatResult(ctx, expr, operator, { result, left, right });
  if (float !== undefined) return float;
  if (operator === '!=') return `(${left} <> ${right})`;
  if (PLAIN_OPERATORS.has(operator)) return `(${left} ${operator} ${right})`;
  throw unsupportedOperator(ctx, expr, operator);
}

function unsupportedOperator(ctx: EmitContext, expr: A_Expr, operator: string) {
  return ctx.error(
    SqlState.featureNotSupported,
    `operator ${operator} is not supported by pg_analytica`,
    expr.location,
  );
}

/** Integer division when both sides are known integers; a zero divisor raises PostgreSQL's error. */
function emitDivision(expr: A_Expr, operator: string, left: string, right: string): string {
  const integer = operator === '/' && isIntegerExpr(expr.lexpr) && isIntegerExpr(expr.rexpr);
  const divisor = isNonZeroLiteral(expr.rexpr)
    ? right
    : `(CASE WHEN ${right} = 0 THEN error('${DIVISION_BY_ZERO_MESSAGE}') ELSE ${right} END)`;
  return `(${left} ${integer ? '//' : operator} ${divisor})`;
}

function isNonZeroLiteral(node: Node | undefined): boolean {
  if (node === undefined || !('A_Const' in node)) return false;
  const value = node.A_Const;
  if (value.ival !== undefined) return (value.ival.ival ?? 0) !== 0;
  return value.fval !== undefined && Number(value.fval.fval) !== 0;
}

/** True only when PostgreSQL would type the expression as int2/int4/int8 without looking at columns. */
export function isIntegerExpr(node: Node | undefined): boolean {
  if (node === undefined) return false;
  if ('A_Const' in node) {
    const value = node.A_Const;
    return value.ival !== undefined || (value.fval !== undefined && /^-?\d+$/.test(value.fval.fval ?? ''));
  }
  if ('TypeCast' in node) return node.TypeCast.typeName !== undefined && isIntegerCast(node.TypeCast);
  if ('FuncCall' in node) return stringValue(node.FuncCall.funcname?.at(-1)) === 'count';
  if (!('A_Expr' in node) || node.A_Expr.kind !== 'AEXPR_OP') return false;
  const op = stringValue(node.A_Expr.name?.at(-1));
  if (!['+', '-', '*', '/', '%'].includes(op ?? '')) return false;
  return (
    (node.A_Expr.lexpr === undefined || isIntegerExpr(node.A_Expr.lexpr)) && isIntegerExpr(node.A_Expr.rexpr)
  );
}

function isIntegerCast(cast: TypeCast): boolean {
  const type = cast.typeName;
  return type !== undefined && (type.arrayBounds?.length ?? 0) === 0 && INTEGER_TYPES.has(baseTypeName(type));
}

/**
 * A LIKE pattern: PostgreSQL's LIKE operators take it as text, so a char(n) pattern loses its
 * trailing blanks (the value keeps them: bpcharlike matches the padded value).
 */
function likePattern(ctx: EmitContext, node: Node | undefined): string {
  const sql = operand(ctx, node);
  return node !== undefined && operandType(ctx, node)?.name === 'bpchar' ? `rtrim(${sql}, ' ')` : sql;
}

/** `a LIKE b [ESCAPE e]`; without ESCAPE, PostgreSQL's default escape character is a backslash. */
export function emitLike(ctx: EmitContext, expr: A_Expr, operator: string): string {
  const keyword = LIKE_OPERATORS[operator];
  if (keyword === undefined) throw unsupportedOperator(ctx, expr, operator);
  const valueType = operandType(ctx, expr.lexpr);
  if (isNetwork(valueType)) {
    // PostgreSQL has no LIKE for these types; the copy's text would match where it errs.
    throw ctx.error(
      SqlState.undefinedFunction,
      `operator does not exist: ${valueType!.name} ${operator} unknown`,
      expr.location,
      'No operator matches the given name and argument types. You might need to add explicit type casts.',
    );
  }
  let pattern = expr.rexpr;
  let escapeChar = quoteLiteral('\\');
  if (
    pattern !== undefined &&
    'FuncCall' in pattern &&
    stringValue(pattern.FuncCall.funcname?.at(-1)) === 'like_escape'
  ) {
    const [patternArg, escapeArg] = pattern.FuncCall.args ?? [];
    pattern = patternArg;
    escapeChar = operand(ctx, escapeArg);
    if (isCitext(operandType(ctx, expr.lexpr))) {
      throw ctx.error(
        SqlState.featureNotSupported,
        'LIKE … ESCAPE on a citext value is not supported by pg_analytica',
        expr.location,
        'Write the pattern with backslash escapes (the default escape character).',
      );
    }
  }
  if (isCitext(operandType(ctx, expr.lexpr)))
    return citextLike(keyword, operand(ctx, expr.lexpr), likePattern(ctx, pattern), escapeChar);
  if (keyword.endsWith('ILIKE')) {
    const operands = [
      { node: expr.lexpr, sql: operand(ctx, expr.lexpr) },
      { node: pattern, sql: likePattern(ctx, pattern) },
    ];
    return emitILike(ctx, operands, keyword.startsWith('NOT '), escapeChar, expr.location);
  }
  return `(${operand(ctx, expr.lexpr)} ${keyword} ${likePattern(ctx, pattern)} ESCAPE ${escapeChar})`;
}
