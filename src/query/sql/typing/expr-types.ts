/**
 * The type stage: the PostgreSQL type of an expression node, by PostgreSQL's
 * rules for the cases the front end handles (parse_oper.c's and
 * parse_coerce.c's resolution, the result types in pg_operator.dat and
 * pg_proc.dat). Anything else is undefined — "not known" — and an emitter
 * that needs the type refuses rather than guesses.
 *
 * Untyped literals ('x') are `unknown` here; they take their type from the
 * context where they are used (see typed-operands.ts), as in PostgreSQL.
 */
import type { A_Const, A_Expr, Node, SelectStmt } from 'libpg-query';
import { stringValue } from '../emit-context.js';
import type { CaseFolding } from './case-folding.js';
import { functionType } from './function-types.js';
import { JSON_BOOLEAN_OPERATORS, jsonArrayType, jsonOperatorType, subscriptType } from './json-types.js';
import { castTargetType, INTEGER_RANK, known, type PgType, UNKNOWN } from './pg-types.js';

/** What the type stage needs from the statement around an expression. */
export interface TypeEnvironment {
  /** The type of a column reference (its name parts), undefined when not known. */
  columnType(fields: readonly string[]): PgType | undefined;
  /** The enum types of the columns the statement reads (for casts to a named enum). */
  enumTypes(): readonly PgType[];
  /** The output columns of a subquery already emitted, if known. */
  selectOutput(stmt: SelectStmt): readonly { name: string; type: PgType | undefined }[] | undefined;
  /** True when text the statement orders may be under a collation that is not byte-wise. */
  sortsTextByLocale?(): boolean;
  /** How text the statement maps to upper or lower case has its case mapped (case-folding.ts). */
  caseFolding?(): CaseFolding | undefined;
  /** True once the statement reads an array of several dimensions (multidim-arrays.ts). */
  readsMultiDimArrays?(): boolean;
}

const BOOLEAN_RESULTS = new Set(['BoolExpr', 'NullTest', 'BooleanTest']);

export function typeOf(env: TypeEnvironment, node: Node | undefined): PgType | undefined {
  if (node === undefined) return undefined;
  if ('A_Const' in node) return constType(node.A_Const);
  if ('ColumnRef' in node) {
    const fields = node.ColumnRef.fields ?? [];
    if (fields.some((f) => 'A_Star' in f)) return undefined;
    return env.columnType(fields.map((f) => stringValue(f) ?? ''));
  }
  if ('TypeCast' in node) {
    const target = node.TypeCast.typeName;
    const type = target === undefined ? undefined : castTargetType(target, env.enumTypes());
    // numeric → numeric keeps the value, and so how the copy holds it.
    const source =
      type?.name === 'numeric' && (target?.typmods ?? []).length === 0
        ? typeOf(env, node.TypeCast.arg)
        : undefined;
    if (source?.heldAsText === true) return source;
    // float8_numeric's value has the display scale its 15 digits print with, numeric_in's of text
    // the text's own: varying.
    if (source?.name === 'float8' || source?.name === 'float4' || source?.category === 'S')
      return TEXT_NUMERIC;
    return type?.name === 'numeric' ? { ...type, typmod: numericCastTypmod(target?.typmods ?? []) } : type;
  }
  if ('A_Expr' in node) return operatorType(env, node.A_Expr);
  if ('A_Indirection' in node) {
    const step = node.A_Indirection.indirection?.[0];
    const slice = step !== undefined && 'A_Indices' in step && step.A_Indices.is_slice === true;
    return subscriptType(typeOf(env, node.A_Indirection.arg), slice);
  }
  if ('FuncCall' in node) return functionType(env, node.FuncCall);
  if ('CollateClause' in node) return typeOf(env, node.CollateClause.arg);
  if ('CaseExpr' in node) {
    const results = (node.CaseExpr.args ?? []).map((w) => ('CaseWhen' in w ? w.CaseWhen.result : undefined));
    // transformCaseExpr puts the ELSE result first: it decides between types that cast both ways.
    return commonType(env, [node.CaseExpr.defresult, ...results]);
  }
  if ('CoalesceExpr' in node) return commonType(env, node.CoalesceExpr.args ?? []);
  if ('MinMaxExpr' in node) return commonType(env, node.MinMaxExpr.args ?? []);
  if ('SubLink' in node) {
    const link = node.SubLink;
    if (link.subLinkType !== 'EXPR_SUBLINK')
      return link.subLinkType === 'ARRAY_SUBLINK' ? undefined : known('bool');
    const sub = link.subselect;
    return sub !== undefined && 'SelectStmt' in sub ? env.selectOutput(sub.SelectStmt)?.[0]?.type : undefined;
  }
  if ('SQLValueFunction' in node) return valueFunctionType(node.SQLValueFunction.op);
  if ('A_ArrayExpr' in node) return jsonArrayType(commonType(env, node.A_ArrayExpr.elements ?? []));
  const tag = Object.keys(node)[0] ?? '';
  return BOOLEAN_RESULTS.has(tag) ? known('bool') : undefined;
}

/** numeric(p[,s])'s typmod, as make_numeric_typmod() in numeric.c: ((p << 16) | s) + VARHDRSZ; -1 without one. */
function numericCastTypmod(typmods: readonly Node[]): number {
  const values = typmods.map((n) => ('A_Const' in n ? n.A_Const.ival?.ival : undefined));
  if (values.length === 0 || values.length > 2) return -1;
  const [precision, scale] = [values[0] ?? 0, values[1] ?? 0];
  return ((precision << 16) | (scale & 0xffff)) + 4;
}

/** make_const() in parse_node.c: integers int4 (int8, then numeric, past their ranges), decimals numeric, strings unknown. */
function constType(value: A_Const): PgType {
  if (value.isnull === true || value.sval !== undefined) return UNKNOWN;
  if (value.boolval !== undefined) return known('bool');
  if (value.ival !== undefined) return known('int4');
  const text = value.fval?.fval ?? '';
  // DuckDB reads a literal with an exponent or past 38 digits as a double: carried as exact text.
  if (literalNeedsText(text)) return TEXT_NUMERIC;
  if (/^-?\d+$/.test(text)) {
    const n = BigInt(text);
    return n >= -(2n ** 63n) && n < 2n ** 63n ? known('int8') : known('numeric');
  }
  return known('numeric');
}

function valueFunctionType(op: string | undefined): PgType | undefined {
  if (op === 'SVFOP_CURRENT_DATE') return known('date');
  if (op === 'SVFOP_CURRENT_TIMESTAMP') return known('timestamptz');
  if (op === 'SVFOP_LOCALTIMESTAMP') return known('timestamp');
  return undefined;
}

const COMPARISON_KINDS = new Set([
  'AEXPR_OP_ANY',
  'AEXPR_OP_ALL',
  'AEXPR_DISTINCT',
  'AEXPR_NOT_DISTINCT',
  'AEXPR_IN',
  'AEXPR_LIKE',
  'AEXPR_ILIKE',
  'AEXPR_SIMILAR',
  'AEXPR_BETWEEN',
  'AEXPR_NOT_BETWEEN',
]);
const BOOLEAN_OPERATORS = new Set([
  '=',
  '<>',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '~',
  '~*',
  '!~',
  '!~*',
  '~~',
  '!~~',
]);

function operatorType(env: TypeEnvironment, expr: A_Expr): PgType | undefined {
  if (COMPARISON_KINDS.has(expr.kind ?? '')) return known('bool');
  if (expr.kind === 'AEXPR_NULLIF') {
    // NULLIF's result is the left operand as the = operator takes it: bpchar = text is texteq.
    const left = typeOf(env, expr.lexpr);
    const right = typeOf(env, expr.rexpr);
    if (left?.name === 'bpchar' && right?.name === 'text') return known('text');
    // A numeric (or an integer) against a float has no = of its own: both become double
    // precision, the category's preferred type (even against a real).
    const floats = ['float4', 'float8'];
    if (left?.category === 'N' && !floats.includes(left.name) && floats.includes(right?.name ?? ''))
      return known('float8');
    return left;
  }
  if (expr.kind !== 'AEXPR_OP') return undefined;
  const op = stringValue(expr.name?.at(-1)) ?? '';
  if (BOOLEAN_OPERATORS.has(op) || JSON_BOOLEAN_OPERATORS.has(op)) return known('bool');
  const json = jsonOperatorType(op, typeOf(env, expr.lexpr));
  if (json !== undefined) return json;
  const right = typeOf(env, expr.rexpr);
  // A prefix operator's result carries no typmod (-p over numeric(12,2) is numeric).
  if (expr.lexpr === undefined)
    return (op === '-' || op === '+') && right !== undefined ? { ...right, typmod: -1 } : undefined;
  const left = typeOf(env, expr.lexpr);
  if (op === '||') {
    // anyarray || anyelement, anyelement || anyarray, anyarray || anyarray: the array's type.
    if (left?.category === 'A' || right?.category === 'A') return left?.category === 'A' ? left : right;
    // jsonb || jsonb (jsonb_concat) and bytea || bytea (byteacat); an untyped literal beside
    // either is of its type.
    for (const name of ['jsonb', 'bytea'] as const) {
      const is = (t: PgType | undefined) => t?.name === name;
      if ((is(left) && (is(right) || untypedOperand(right))) || (is(right) && untypedOperand(left)))
        return known(name);
    }
    return left?.category === 'S' || right?.category === 'S' ? known('text') : undefined;
  }
  // jsonb - text, jsonb - text[], jsonb - integer (jsonb_delete and friends).
  if (op === '-' && left?.name === 'jsonb') return known('jsonb');
  const result = arithmeticType(op, left, right);
  // A numeric quotient's display scale depends on the values (select_div_scale), and so does
  // anything computed from a value of varying scale: carried as exact text (numeric-exact.ts).
  if (result?.name === 'numeric' && (op === '/' || left?.heldAsText === true || right?.heldAsText === true))
    return TEXT_NUMERIC;
  return result;
}

/** An operand of no type yet: an untyped literal or a parameter, typed by the operator. */
function untypedOperand(type: PgType | undefined): boolean {
  return type === undefined || type.name === 'unknown';
}

/** A numeric literal DuckDB would not read as an exact DECIMAL or integer (`1e5`, 40 digits). */
export function literalNeedsText(text: string): boolean {
  return /[eE]/.test(text) || text.replace(/\D/g, '').replace(/^0+/, '').length > 38;
}

/** numeric whose values' display scales vary: carried as PostgreSQL's text (numeric-exact.ts). */
export const TEXT_NUMERIC: PgType = { ...known('numeric'), heldAsText: true };

/**
 * Result types of + - * / % from pg_operator.dat for the types the copy holds. An unknown
 * literal takes the other side's type (parse_oper.c: "unknown" matches the other argument).
 */
export function arithmeticType(
  op: string,
  left: PgType | undefined,
  right: PgType | undefined,
): PgType | undefined {
  if (left === undefined || right === undefined) return undefined;
  const l = left.category === 'X' ? right : left;
  const r = right.category === 'X' ? left : right;
  if (l.category === 'N' && r.category === 'N') {
    if (l.name === 'float8' || r.name === 'float8' || l.name === 'float4' || r.name === 'float4')
      return l.name === 'float4' && r.name === 'float4' ? known('float4') : known('float8');
    if (l.name === 'numeric' || r.name === 'numeric') return known('numeric');
    const rank = Math.max(INTEGER_RANK[l.name] ?? 0, INTEGER_RANK[r.name] ?? 0);
    return rank === 3 ? known('int8') : rank === 2 ? known('int4') : rank === 1 ? known('int2') : undefined;
  }
  if (
    l.name === 'date' &&
    r.category === 'N' &&
    INTEGER_RANK[r.name] !== undefined &&
    (op === '+' || op === '-')
  )
    return known('date');
  if (l.name === 'date' && r.name === 'date' && op === '-') return known('int4');
  if ((l.name === 'date' || l.name === 'timestamp') && r.name === 'interval') return known('timestamp');
  if (l.name === 'interval' && r.name === 'date' && op === '+') return known('timestamp');
  if (l.name === 'timestamptz' && r.name === 'interval') return known('timestamptz');
  if (l.name === 'interval' && r.name === 'interval') return known('interval');
  const temporal = DATETIME_RESULTS[`${l.name} ${op} ${r.name}`];
  if (temporal !== undefined) return known(temporal);
  if (l.name === 'interval' && r.category === 'N') return known('interval');
  if (l.category === 'N' && r.name === 'interval' && op === '*') return known('interval');
  return undefined;
}

/** Date/time operators of pg_operator.dat not covered above: `left op right` → result type. */
const DATETIME_RESULTS: Readonly<Record<string, 'interval' | 'time' | 'timestamp'>> = {
  'timestamp - timestamp': 'interval',
  'timestamptz - timestamptz': 'interval',
  'time - time': 'interval',
  'time + interval': 'time',
  'time - interval': 'time',
  'interval + time': 'time',
  'date + time': 'timestamp',
  'time + date': 'timestamp',
};

/**
 * select_common_type() in parse_coerce.c, for the cases met here: unknown literals are
 * skipped; all-equal types give that type; types of the string category, which cast to each
 * other both ways, give the first; numerics the widest; anything else is not decided here.
 */
export function commonType(env: TypeEnvironment, nodes: readonly (Node | undefined)[]): PgType | undefined {
  const types = nodes.filter((n) => n !== undefined).map((n) => typeOf(env, n));
  if (types.some((t) => t === undefined)) return undefined;
  const typed = (types as PgType[]).filter((t) => t.category !== 'X');
  if (typed.length === 0) return known('text');
  const first = typed[0]!;
  // An untyped literal read as numeric keeps its own display scale ('2.50'), whatever the others'.
  const untypedAmongNumerics = typed.length < types.length && typed.some((t) => t.name === 'numeric');
  if (typed.every((t) => t.category === 'N') && (mixedNumericScales(typed) || untypedAmongNumerics))
    return TEXT_NUMERIC;
  if (typed.every((t) => t.oid === first.oid)) return { ...first, typmod: sameTypmod(typed) };
  // text, varchar and bpchar cast to each other implicitly both ways, so select_common_type keeps
  // the first (COALESCE(c, t) of a char(n) c is bpchar, compared without trailing blanks).
  if (typed.every((t) => t.category === 'S')) return { ...first, typmod: -1 };
  // A numeric of varying scale beside a float is cast to the float, as any numeric is.
  const float = typed.some((t) => t.name === 'float4' || t.name === 'float8');
  if (typed.every((t) => t.category === 'N' && (t.heldAsText !== true || float))) {
    // Implicit casts run int2 → int4 → int8 → numeric → float4 → float8 (pg_cast.dat): the last one wins.
    return typed.reduce((a, b) => (NUMERIC_ORDER.indexOf(b.name) > NUMERIC_ORDER.indexOf(a.name) ? b : a));
  }
  return undefined;
}

/**
 * Values of a numeric result (CASE, COALESCE, GREATEST) keep each their own display scale in
 * PostgreSQL, where DuckDB would give every value one common DECIMAL scale: numerics of
 * possibly different scales (integers among them, typmods that differ or are not known, values
 * held as text) make the result a numeric of varying scale, carried as text.
 */
export function mixedNumericScales(types: readonly PgType[]): boolean {
  if (types.some((t) => t.name === 'float4' || t.name === 'float8')) return false;
  if (!types.some((t) => t.name === 'numeric') || types.length < 2) return false;
  if (types.some((t) => t.heldAsText === true)) return true;
  return !types.every((t) => t.name === 'numeric' && t.typmod >= 0 && t.typmod === types[0]!.typmod);
}

const NUMERIC_ORDER = ['int2', 'int4', 'int8', 'numeric', 'float4', 'float8'];

function sameTypmod(types: readonly PgType[]): number {
  return types.every((t) => t.typmod === types[0]?.typmod) ? (types[0]?.typmod ?? -1) : -1;
}
