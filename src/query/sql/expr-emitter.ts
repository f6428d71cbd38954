/**
 * Expression nodes → DuckDB SQL. Every node type is listed here explicitly;
 * anything else (row constructors, subscripts, XML, JSON, …) is refused with
 * 0A000, so an unanticipated construct can never reach DuckDB unchecked.
 * Identifiers are always quoted and literals always re-quoted.
 */
import type { A_ArrayExpr, A_Const, Node, SubLink, TypeCast } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';
import { parseArrayLiteral } from './array-literal.js';
import { emitIndirection } from './array-rules.js';
import { type EmitContext, stringValue } from './emit-context.js';
import { emitFuncCall } from './function-emitter.js';
import { jsonResultValue, refuseJsonbMinMax } from './json-rules.js';
import { allowAnyDims, isAllowedAnyDims, refuseMultiDim } from './multidim-arrays.js';
import { emitAExpr } from './operator-rules.js';
import { emitOrderedLogic } from './ordered-logic.js';
import { quoteIdent, quoteLiteral } from './sql-text.js';
import { duckDbType } from './type-names.js';
import { refuseLocaleOrder } from './typing/collation.js';
import { literalNeedsText } from './typing/expr-types.js';
import { emitTextNumericMinMax, textNumericBranch } from './typing/numeric-emit.js';
import { numericLiteralText } from './typing/numeric-text.js';
import { emitTypedCast } from './typing/typed-casts.js';
import { emitComparedOperands, operandType, typedSubqueryOperands } from './typing/typed-operands.js';
import { refuseIntervalMinMax } from './typing/value-keys.js';

/** SQL value functions whose DuckDB counterpart means the same (the session sets DuckDB's TimeZone). */
const VALUE_FUNCTIONS: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
};

const BOOLEAN_TESTS: Readonly<Record<string, string>> = {
  IS_TRUE: 'IS NOT DISTINCT FROM true',
  IS_NOT_TRUE: 'IS DISTINCT FROM true',
  IS_FALSE: 'IS NOT DISTINCT FROM false',
  IS_NOT_FALSE: 'IS DISTINCT FROM false',
  IS_UNKNOWN: 'IS NULL',
  IS_NOT_UNKNOWN: 'IS NOT NULL',
};

/** Collations that order like DuckDB's default byte-wise comparison. */
const BYTEWISE_COLLATIONS = new Set(['C', 'POSIX', 'default', 'ucs_basic']);

export function emitExpr(ctx: EmitContext, node: Node): string {
  if ('A_Const' in node) return emitConst(ctx, node.A_Const);
  if ('ColumnRef' in node) return emitColumnRef(ctx, node.ColumnRef.fields ?? [], node.ColumnRef.location);
  if ('ParamRef' in node) return `$${node.ParamRef.number ?? 0}`;
  if ('A_Expr' in node) return emitAExpr(ctx, node.A_Expr);
  if ('BoolExpr' in node) {
    const ordered = ctx.types === undefined ? undefined : emitOrderedLogic(node.BoolExpr, (n) => ctx.expr(n));
    if (ordered !== undefined) return ordered;
    const args = (node.BoolExpr.args ?? []).map((a) => ctx.expr(a));
    if (node.BoolExpr.boolop === 'NOT_EXPR') return `(NOT ${args[0]})`;
    return `(${args.join(node.BoolExpr.boolop === 'OR_EXPR' ? ' OR ' : ' AND ')})`;
  }
  if ('FuncCall' in node) return emitFuncCall(ctx, node.FuncCall);
  if ('TypeCast' in node) return emitTypeCast(ctx, node.TypeCast);
  if ('SubLink' in node) return emitSubLink(ctx, node.SubLink);
  // A numeric result whose values keep each their own scale: every branch as exact text; a json
  // result: untyped literals as the json type prints them.
  const textBranch = textNumericBranch(ctx, node);
  const branch = textBranch ?? resultValue(ctx, node);
  if ('CaseExpr' in node) return emitCase(ctx, node, branch);
  if ('CoalesceExpr' in node)
    return `COALESCE(${(node.CoalesceExpr.args ?? []).map((a) => branch(a)).join(', ')})`;
  if ('MinMaxExpr' in node && textBranch !== undefined) return emitTextNumericMinMax(ctx, node.MinMaxExpr);
  if ('MinMaxExpr' in node) {
    const fn = node.MinMaxExpr.op === 'IS_GREATEST' ? 'greatest' : 'least';
    refuseJsonbMinMax(ctx, node, fn);
    refuseLocaleOrder(ctx, node.MinMaxExpr.args ?? [], `${fn}()`, node.MinMaxExpr.location);
    refuseIntervalMinMax(ctx, node.MinMaxExpr.args ?? [], fn, node.MinMaxExpr.location);
    return `${fn}(${(node.MinMaxExpr.args ?? []).map((a) => branch(a)).join(', ')})`;
  }
  if ('NullTest' in node) return emitNullTest(ctx, node);
  if ('BooleanTest' in node) {
    const test = BOOLEAN_TESTS[node.BooleanTest.booltesttype ?? ''] ?? 'IS NULL';
    return `(${ctx.expr(required(ctx, node.BooleanTest.arg))} ${test})`;
  }
  if ('SQLValueFunction' in node) return emitValueFunction(ctx, node);
  if ('A_ArrayExpr' in node) return emitArrayConstructor(ctx, node.A_ArrayExpr);
  if ('CollateClause' in node) return emitCollate(ctx, node);
  if ('A_Indirection' in node) return emitIndirection(ctx, node.A_Indirection);
  if ('GroupingFunc' in node)
    return `GROUPING(${(node.GroupingFunc.args ?? []).map((a) => ctx.expr(a)).join(', ')})`;
  const tag = Object.keys(node)[0] ?? 'unknown';
  throw ctx.error(
    SqlState.featureNotSupported,
    `${tag} expressions are not supported by pg_analytica`,
    locationOf(node),
  );
}

function locationOf(node: Node): number | undefined {
  const body = Object.values(node)[0] as { location?: unknown } | undefined;
  return typeof body?.location === 'number' ? body.location : undefined;
}

function required(ctx: EmitContext, node: Node | undefined): Node {
  if (node === undefined) throw ctx.error(SqlState.syntaxError, 'expression is missing an operand');
  return node;
}

function emitConst(ctx: EmitContext, value: A_Const): string {
  if (value.isnull === true) return 'NULL';
  if (value.ival !== undefined) return wrapNegative(String(value.ival.ival ?? 0));
  if (value.fval !== undefined && ctx.types !== undefined && literalNeedsText(value.fval.fval ?? ''))
    return quoteLiteral(numericLiteralText(value.fval.fval ?? '0'));
  if (value.fval !== undefined) return wrapNegative(value.fval.fval ?? '0');
  if (value.sval !== undefined) return quoteLiteral(value.sval.sval ?? '');
  if (value.boolval !== undefined) return value.boolval.boolval === true ? 'true' : 'false';
  throw ctx.error(
    SqlState.featureNotSupported,
    'bit string constants are not supported by pg_analytica',
    value.location,
  );
}

function wrapNegative(text: string): string {
  return text.startsWith('-') ? `(${text})` : text;
}

/**
 * Column references keep the name the query qualifies them with; a schema
 * qualifier is dropped because the rewritten FROM item carries the table
 * name as its alias (`public.events.id` → `"events"."id"`).
 */
function emitColumnRef(ctx: EmitContext, fields: readonly Node[], location: number | undefined): string {
  if (fields.length > 3) {
    const name = fields.map((f) => stringValue(f) ?? '*').join('.');
    throw ctx.error(
      SqlState.featureNotSupported,
      `cross-database references are not implemented: ${name}`,
      location,
    );
  }
  const kept = fields.length === 3 ? fields.slice(1) : fields;
  return kept.map((f) => ('A_Star' in f ? '*' : quoteIdent(stringValue(f) ?? ''))).join('.');
}

function emitTypeCast(ctx: EmitContext, cast: TypeCast): string {
  const arg = required(ctx, cast.arg);
  const typeName = cast.typeName;
  if (typeName === undefined) throw ctx.error(SqlState.syntaxError, 'cast without a type', cast.location);
  refuseMultiDim(ctx, arg, 'a cast');
  const literal = 'A_Const' in arg ? arg.A_Const : undefined;
  const bounds = typeName.arrayBounds?.length ?? 0;
  if (bounds === 1 && literal?.sval !== undefined)
    return emitArrayLiteralCast(ctx, cast, literal.sval.sval ?? '');
  const typed = emitTypedCast(ctx, cast, arg);
  if (typed !== undefined) return typed;
  const type = duckDbType(typeName);
  if (type === 'BLOB' && literal?.sval !== undefined)
    return emitByteaLiteral(ctx, literal.sval.sval ?? '', cast);
  if ((type === 'DOUBLE' || type === 'REAL') && literal !== undefined)
    checkFloatLiteral(ctx, literal, type, cast);
  if (type !== undefined) return `CAST(${ctx.expr(arg)} AS ${type})`;
  const exact = literal === undefined ? undefined : exactDecimal(literal);
  if (exact !== undefined) return exact;
  throw ctx.error(
    SqlState.featureNotSupported,
    'numeric without precision and scale is not supported by pg_analytica here',
    cast.location,
    'DuckDB would round it to 3 decimal places; cast to numeric(p,s) instead.',
  );
}

/**
 * A bytea literal in PostgreSQL's input syntax: hex (`\x` then pairs of hex digits, spaces
 * allowed between them) or escape (`\\` and `\ooo` octal, other characters as their bytes).
 * DuckDB's own string-to-BLOB cast reads `\xHH` per byte, which would turn '\xe4da' into other
 * bytes, so the bytes are decoded here and sent as hex.
 */
function emitByteaLiteral(ctx: EmitContext, text: string, cast: TypeCast): string {
  const bytes = decodeByteaInput(text);
  if (bytes === undefined) {
    throw ctx.error(SqlState.invalidTextRepresentation, 'invalid input syntax for type bytea', cast.location);
  }
  return `from_hex(${quoteLiteral(bytes.toString('hex'))})`;
}

function decodeByteaInput(text: string): Buffer | undefined {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2).replace(/[ \t\n\r]/g, '');
    const bad = /[^0-9a-fA-F]/.exec(hex);
    // PostgreSQL's hex_decode reports these as 22023, not as input syntax.
    if (bad !== null)
      throw new PgError(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${bad[0]}"`);
    if (hex.length % 2 === 1)
      throw new PgError(SqlState.invalidParameterValue, 'invalid hexadecimal data: odd number of digits');
    return Buffer.from(hex, 'hex');
  }
  const bytes: number[] = [];
  const raw = Buffer.from(text, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte !== 0x5c) {
      bytes.push(byte);
      continue;
    }
    if (raw[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i++;
      continue;
    }
    const octal = raw.toString('latin1', i + 1, i + 4);
    if (!/^[0-3][0-7]{2}$/.test(octal)) return undefined;
    bytes.push(Number.parseInt(octal, 8));
    i += 3;
  }
  return Buffer.from(bytes);
}

/**
 * PostgreSQL's float4in/float8in reject text that overflows to infinity or
 * underflows to zero (22003); DuckDB returns inf or 0. Literals are checked here;
 * infinity and NaN spellings are values, not overflows.
 */
function checkFloatLiteral(
  ctx: EmitContext,
  literal: A_Const,
  type: 'DOUBLE' | 'REAL',
  cast: TypeCast,
): void {
  const text = (literal.fval?.fval ?? literal.sval?.sval)?.trim();
  if (text === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return;
  // As float4in/float8in: the nearest value of the type, infinite = overflow, zero from nonzero digits = underflow.
  const value = type === 'REAL' ? Math.fround(Number(text)) : Number(text);
  const isZero = !/[1-9]/.test(text.replace(/e.*$/i, ''));
  const overflow = !Number.isFinite(value);
  const underflow = !isZero && value === 0;
  if (overflow || underflow) {
    const pgType = type === 'REAL' ? 'real' : 'double precision';
    throw ctx.error(
      SqlState.numericValueOutOfRange,
      `"${text}" is out of range for type ${pgType}`,
      cast.location,
    );
  }
}

/** A numeric literal cast to unconstrained numeric keeps exactly its digits: '1.50' → DECIMAL(3,2). */
function exactDecimal(literal: A_Const): string | undefined {
  const text =
    literal.ival !== undefined ? String(literal.ival.ival ?? 0) : (literal.fval?.fval ?? literal.sval?.sval);
  const match = text === undefined ? null : /^\s*([-+]?)(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (match === null || `${match[2]}${match[3] ?? ''}` === '') return undefined;
  const digits = (match[2] ?? '').replace(/^0+/, '');
  const scale = (match[3] ?? '').length;
  const precision = Math.max(digits.length + scale, 1);
  if (precision > 38) return undefined;
  const value = `${match[1] === '-' ? '-' : ''}${match[2] || '0'}${scale > 0 ? `.${match[3]}` : ''}`;
  return `CAST(${quoteLiteral(value)} AS DECIMAL(${Math.max(precision, scale + 1)},${scale}))`;
}

/** '{a,b}'::text[] → a DuckDB list of casted elements; DuckDB cannot parse PostgreSQL's array text. */
function emitArrayLiteralCast(ctx: EmitContext, cast: TypeCast, text: string): string {
  const elements = parseArrayLiteral(text);
  if (elements === undefined || cast.typeName === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'multi-dimensional array literals are not supported by pg_analytica',
      cast.location,
    );
  }
  const elementType = { ...cast.typeName, arrayBounds: undefined };
  const items = elements.map((e) =>
    e === null
      ? 'NULL'
      : emitTypeCast(ctx, { arg: { A_Const: { sval: { sval: e } } }, typeName: elementType }),
  );
  // Unconstrained numeric[] has no exact DuckDB list type: its elements carry their own exact DECIMALs.
  const listType = duckDbType(cast.typeName);
  return listType === undefined ? `[${items.join(', ')}]` : `CAST([${items.join(', ')}] AS ${listType})`;
}

function emitSubLink(ctx: EmitContext, link: SubLink): string {
  const sub = link.subselect;
  if (sub === undefined || !('SelectStmt' in sub))
    throw ctx.error(SqlState.syntaxError, 'subquery expected', link.location);
  const query = ctx.select(sub.SelectStmt);
  switch (link.subLinkType) {
    case 'EXISTS_SUBLINK':
      return `(EXISTS (${query}))`;
    case 'EXPR_SUBLINK':
      return `(${query})`;
    case 'ARRAY_SUBLINK':
      return `ARRAY(${query})`;
    case 'ANY_SUBLINK':
    case 'ALL_SUBLINK':
      return emitQuantifiedSubLink(ctx, link, query);
    default:
      throw ctx.error(
        SqlState.featureNotSupported,
        'row comparisons with subqueries are not supported by pg_analytica',
        link.location,
      );
  }
}

function emitQuantifiedSubLink(ctx: EmitContext, link: SubLink, query: string): string {
  const test = required(ctx, link.testexpr);
  if ('RowExpr' in test) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'row comparisons with subqueries are not supported by pg_analytica',
      link.location,
    );
  }
  const names = (link.operName ?? []).map(stringValue);
  const op = names[names.length - 1] ?? '=';
  if (!['=', '<>', '<', '>', '<=', '>='].includes(op) || (names.length > 1 && names[0] !== 'pg_catalog')) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `operator ${op} with a subquery is not supported by pg_analytica`,
      link.location,
    );
  }
  const sub = link.subselect;
  const output =
    sub !== undefined && 'SelectStmt' in sub ? ctx.types?.selectOutput(sub.SelectStmt) : undefined;
  const typed = typedSubqueryOperands(ctx, test, ctx.expr(test), output?.[0]?.type, query);
  if (link.subLinkType === 'ANY_SUBLINK' && op === '=') return `(${typed.left} IN (${typed.query}))`;
  return `(${typed.left} ${op} ${link.subLinkType === 'ANY_SUBLINK' ? 'ANY' : 'ALL'} (${typed.query}))`;
}

function emitCase(
  ctx: EmitContext,
  node: Extract<Node, { CaseExpr: unknown }>,
  branch: (node: Node) => string,
): string {
  const expr = node.CaseExpr;
  const parts = ['CASE'];
  // `CASE x WHEN v` compares x = v: written as `CASE WHEN x = v` so that each comparison is typed,
  // unless x holds a subquery (it would be emitted once per WHEN).
  const searched =
    expr.arg !== undefined && ctx.types !== undefined && !JSON.stringify(expr.arg).includes('"SubLink"');
  if (expr.arg !== undefined && !searched) parts.push(ctx.expr(expr.arg));
  for (const when of expr.args ?? []) {
    if (!('CaseWhen' in when)) continue;
    const value = required(ctx, when.CaseWhen.expr);
    const test = searched
      ? emitComparedOperands(ctx, [expr.arg!, value], '=', (n) => ctx.expr(n)).join(' = ')
      : ctx.expr(value);
    parts.push(`WHEN ${test} THEN ${branch(required(ctx, when.CaseWhen.result))}`);
  }
  if (expr.defresult !== undefined) parts.push(`ELSE ${branch(expr.defresult)}`);
  parts.push('END');
  return `(${parts.join(' ')})`;
}

function emitNullTest(ctx: EmitContext, node: Extract<Node, { NullTest: unknown }>): string {
  const test = node.NullTest;
  const arg = required(ctx, test.arg);
  if ('RowExpr' in arg || test.argisrow === true) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'IS NULL on row values is not supported by pg_analytica',
      test.location,
    );
  }
  allowAnyDims(arg);
  return `(${ctx.expr(arg)} ${test.nulltesttype === 'IS_NOT_NULL' ? 'IS NOT NULL' : 'IS NULL'})`;
}

function emitValueFunction(ctx: EmitContext, node: Extract<Node, { SQLValueFunction: unknown }>): string {
  const fn = VALUE_FUNCTIONS[node.SQLValueFunction.op ?? ''];
  if (fn !== undefined) return fn;
  const what = (node.SQLValueFunction.op ?? '')
    .replace(/^SVFOP_/, '')
    .replace(/_N$/, '')
    .toLowerCase();
  throw ctx.error(
    SqlState.featureNotSupported,
    `${what} is not supported by pg_analytica`,
    node.SQLValueFunction.location,
  );
}

function emitCollate(ctx: EmitContext, node: Extract<Node, { CollateClause: unknown }>): string {
  const names = (node.CollateClause.collname ?? []).map(stringValue);
  const name = names[names.length - 1] ?? '';
  if (!BYTEWISE_COLLATIONS.has(name)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `collation "${name}" is not supported by pg_analytica`,
      node.CollateClause.location,
    );
  }
  const arg = required(ctx, node.CollateClause.arg);
  // COLLATE changes no value: a multi-dimensional array allowed here is allowed under it.
  if (isAllowedAnyDims(node)) allowAnyDims(arg);
  return ctx.expr(arg);
}

/** How a result of CASE/COALESCE is emitted: an untyped literal becomes the result's json type. */
function resultValue(ctx: EmitContext, whole: Node): (node: Node) => string {
  // A bpchar branch of a text or varchar result is cast to it, which drops its trailing blanks.
  const result = ctx.types === undefined ? undefined : operandType(ctx, whole)?.name;
  const text = result === 'text' || result === 'varchar';
  // A numeric of varying scale (held as text) in a float result is cast to it, as PostgreSQL does.
  const float = result === 'float8' || result === 'float4';
  return (node) => {
    const json = jsonResultValue(ctx, whole, node);
    if (json !== undefined) return json;
    const sql = ctx.expr(node);
    const type = operandType(ctx, node);
    if (float && type?.heldAsText === true)
      return `CAST(${sql} AS ${result === 'float8' ? 'DOUBLE' : 'FLOAT'})`;
    return text && type?.name === 'bpchar' ? `rtrim(${sql}, ' ')` : sql;
  };
}

/**
 * ARRAY[…] of one dimension. ARRAY[ARRAY[…], …] (or of array values) is a multi-dimensional
 * array in PostgreSQL, whose cardinality, unnest and ANY count every element; as a DuckDB list
 * of lists they would count the rows: refused.
 */
function emitArrayConstructor(ctx: EmitContext, array: A_ArrayExpr): string {
  const elements = array.elements ?? [];
  const nested = elements.some((e) => 'A_ArrayExpr' in e || operandType(ctx, e)?.category === 'A');
  if (nested && ctx.listingOnly !== true) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'ARRAY[] of arrays (a multi-dimensional array) is not supported by pg_analytica',
      array.location,
    );
  }
  return `[${elements.map((e) => ctx.expr(e)).join(', ')}]`;
}
