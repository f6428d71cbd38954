/**
 * json and jsonb operators and functions → calls of the pga_json_ functions
 * (query/jsonb/duckdb-json-functions.ts), which print PostgreSQL's text. One entry per operator
 * or function; the operand types come from the type stage.
 *
 * | PostgreSQL                           | emitted                                        |
 * |--------------------------------------|------------------------------------------------|
 * | j -> 'k', j ->> 'k'                  | pga_json_field('jsonb'/'json', j, 'k', text)   |
 * | j -> 1, j ->> -1                     | pga_json_element(kind, j, n, text)             |
 * | j #> '{a,1}', j #>> …, *_extract_path| pga_json_path(kind, j, ['a', '1'], text)       |
 * | a @> b, a <@ b                       | pga_json_contains(a, b)                        |
 * | j ? k, j ?| ks, j ?& ks              | pga_json_exists(j, keys, 'one'/'any'/'all')    |
 * | a || b                               | pga_json_concat(a, b)                          |
 * | j - 'k', j - '{a,b}'::text[], j - 1  | pga_json_delete_keys(j, keys), _delete_index   |
 * | jsonb_array_length, jsonb_typeof     | pga_json_array_length, pga_json_typeof         |
 * | jsonb_array_elements[_text], jsonb_each[_text], jsonb_object_keys | unnest of a list |
 */
import type { A_Expr, FuncCall, Node } from 'libpg-query';
import { type PgError, SqlState } from '../../errors.js';
import { jsonFunction } from '../jsonb/duckdb-json-functions.js';
import { checkJsonText, type JsonKind, toJsonbText } from '../jsonb/json-functions.js';
import { parseArrayLiteral } from './array-literal.js';
import { atLocation, type EmitContext } from './emit-context.js';
import { emitJsonConstructor } from './json-constructors.js';
import { quoteLiteral } from './sql-text.js';
import { nodeLocation, operandType } from './typing/typed-operands.js';

const JSON_OPERATORS = new Set(['->', '->>', '#>', '#>>', '@>', '<@', '?', '?|', '?&']);
const INTEGER_NAMES = new Set(['int2', 'int4', 'int8']);

/** The SQL for a json/jsonb operator, or undefined when `operator` on these operands is not one. */
export function emitJsonOperator(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  if (expr.lexpr === undefined || expr.rexpr === undefined) return undefined;
  if ((operator === '||' || operator === '-') && ctx.types !== undefined)
    return emitJsonbModification(ctx, expr.lexpr, expr.rexpr, operator);
  if (!JSON_OPERATORS.has(operator)) return undefined;
  // Listing the tables: types are not known yet and the SQL never runs; the operands are visited.
  if (ctx.types === undefined) return `list_value(${ctx.expr(expr.lexpr)}, ${ctx.expr(expr.rexpr)})`;
  const left = jsonKind(ctx, expr.lexpr);
  const right = jsonKind(ctx, expr.rexpr);
  if ((operator === '@>' || operator === '<@') && (left === 'jsonb' || right === 'jsonb')) {
    const [a, b] = operator === '@>' ? [expr.lexpr, expr.rexpr] : [expr.rexpr, expr.lexpr];
    return `${jsonFunction('contains')}(${jsonbOperand(ctx, a)}, ${jsonbOperand(ctx, b)})`;
  }
  if (left === undefined) {
    if (operator === '@>' || operator === '<@') return undefined; // arrays (array-rules.ts)
    throw ctx.error(
      SqlState.featureNotSupported,
      `operator ${operator} on an operand that is not a json or jsonb column or cast is not supported by pg_analytica`,
      expr.location,
      `Cast the operand, e.g. (expr)::jsonb ${operator} …`,
    );
  }
  const doc = ctx.expr(expr.lexpr);
  const kind = quoteLiteral(left);
  const text = operator === '->>' || operator === '#>>';
  if (operator === '->' || operator === '->>') {
    const keyType = operandType(ctx, expr.rexpr);
    const index = INTEGER_NAMES.has(keyType?.name ?? '');
    // pg_operator.dat has -> and ->> for a text key and an int4 index only.
    if (keyType !== undefined && !index && keyType.category !== 'S' && keyType.category !== 'X')
      throw noOperator(ctx, expr, operator, left);
    const key = index ? `CAST(${ctx.expr(expr.rexpr)} AS BIGINT)` : ctx.expr(expr.rexpr);
    return `${jsonFunction(index ? 'element' : 'field')}(${kind}, ${doc}, ${key}, ${text})`;
  }
  if (operator === '#>' || operator === '#>>')
    return `${jsonFunction('path')}(${kind}, ${doc}, ${textList(ctx, expr.rexpr)}, ${text})`;
  if (left === 'json') throw noOperator(ctx, expr, operator, left);
  const keys = operator === '?' ? `[CAST(${ctx.expr(expr.rexpr)} AS VARCHAR)]` : textList(ctx, expr.rexpr);
  const mode = operator === '?' ? 'one' : operator === '?|' ? 'any' : 'all';
  return `${jsonFunction('exists')}(${doc}, ${keys}, '${mode}')`;
}

/**
 * jsonb || jsonb (an untyped literal beside a jsonb is jsonb), jsonb - text, jsonb - text[] and
 * jsonb - integer (jsonb/jsonb-modify.ts); undefined when neither operand is jsonb.
 */
function emitJsonbModification(
  ctx: EmitContext,
  left: Node,
  right: Node,
  operator: string,
): string | undefined {
  const leftType = operandType(ctx, left);
  const rightType = operandType(ctx, right);
  if (operator === '||') {
    // jsonb || text is text's || (the jsonb's text), as PostgreSQL resolves it.
    const jsonbOrUntyped = (t: typeof leftType, node: Node) =>
      t?.name === 'jsonb' ||
      ((t === undefined || t.name === 'unknown') && ('A_Const' in node || 'ParamRef' in node));
    if (leftType?.name !== 'jsonb' && rightType?.name !== 'jsonb') return undefined;
    if (!jsonbOrUntyped(leftType, left) || !jsonbOrUntyped(rightType, right)) return undefined;
    return `${jsonFunction('concat')}(${jsonbOperand(ctx, left)}, ${jsonbOperand(ctx, right)})`;
  }
  if (leftType?.name !== 'jsonb') return undefined;
  const doc = ctx.expr(left);
  if (INTEGER_NAMES.has(rightType?.name ?? ''))
    return `${jsonFunction('delete_index')}(${doc}, CAST(${ctx.expr(right)} AS BIGINT))`;
  // A text[] of keys: a column or expression of the type, or a cast to an array type.
  const array =
    rightType?.category === 'A' ||
    ('TypeCast' in right && (right.TypeCast.typeName?.arrayBounds?.length ?? 0) > 0);
  const keys = array ? textList(ctx, right) : `[CAST(${ctx.expr(right)} AS VARCHAR)]`;
  return `${jsonFunction('delete_keys')}(${doc}, ${keys})`;
}

/** The PostgreSQL names of the types jsonb casts to scalars (jsonb_int4 and friends). */
const JSONB_SCALAR_TARGETS: Readonly<
  Record<string, { kind: 'number' | 'boolean'; name: string; duck: string }>
> = {
  int2: { kind: 'number', name: 'smallint', duck: 'SMALLINT' },
  int4: { kind: 'number', name: 'integer', duck: 'INTEGER' },
  int8: { kind: 'number', name: 'bigint', duck: 'BIGINT' },
  float4: { kind: 'number', name: 'real', duck: 'FLOAT' },
  float8: { kind: 'number', name: 'double precision', duck: 'DOUBLE' },
  bool: { kind: 'boolean', name: 'boolean', duck: 'BOOLEAN' },
};

/**
 * jsonb cast to an integer, a float or a boolean (jsonb_int4, jsonb_bool, …): only a jsonb
 * number, or boolean, is read; any other value fails with PostgreSQL's 22023 naming its kind
 * (DuckDB's cast of the text would read '1' as true and '"5"' as 5). undefined for other targets.
 */
export function emitJsonbScalarCast(sql: string, target: string): string | undefined {
  const to = JSONB_SCALAR_TARGETS[target];
  if (to === undefined) return undefined;
  const kind = `${jsonFunction('typeof')}(${sql})`;
  const named = `(CASE ${kind} WHEN 'number' THEN 'numeric' ELSE ${kind} END)`;
  const message = `'SQLSTATE 22023: cannot cast jsonb ' || ${named} || ' to type ${to.name}'`;
  return `(CASE WHEN ${sql} IS NULL THEN NULL WHEN ${kind} = '${to.kind}' THEN CAST(${sql} AS ${to.duck}) ELSE error(${message}) END)`;
}

function noOperator(ctx: EmitContext, expr: A_Expr, operator: string, type: string): PgError {
  return ctx.error(
    SqlState.undefinedFunction,
    `operator does not exist: ${type} ${operator} ${operandType(ctx, expr.rexpr)?.name ?? 'unknown'}`,
    expr.location,
    'No operator matches the given name and argument types. You might need to add explicit type casts.',
  );
}

/** json or jsonb when the node is of that type. */
function jsonKind(ctx: EmitContext, node: Node): JsonKind | undefined {
  const name = operandType(ctx, node)?.name;
  return name === 'json' || name === 'jsonb' ? name : undefined;
}

/** An operand read as jsonb: an untyped literal is printed as jsonb; json and text are converted. */
function jsonbOperand(ctx: EmitContext, node: Node): string {
  const literal = untypedLiteral(node);
  if (literal !== undefined) return quoteLiteral(atLiteral(ctx, node, () => toJsonbText(literal)));
  const type = operandType(ctx, node);
  if (type?.name === 'jsonb') return ctx.expr(node);
  if (ctx.types === undefined) return ctx.expr(node);
  // A parameter of unspecified type is typed jsonb by the operator, as PostgreSQL infers it.
  if ('ParamRef' in node) return `${jsonFunction('to_jsonb')}(CAST(${ctx.expr(node)} AS VARCHAR))`;
  throw ctx.error(
    SqlState.undefinedFunction,
    `operator does not exist: jsonb @> ${type?.name ?? 'unknown'}`,
    nodeLocation(node),
    'No operator matches the given name and argument types. You might need to add explicit type casts.',
  );
}

/** Runs `check` over a literal's text, positioning its error at the literal. */
function atLiteral(ctx: EmitContext, node: Node, check: () => string): string {
  return atLocation(ctx, nodeLocation(node), check);
}

function untypedLiteral(node: Node): string | undefined {
  return 'A_Const' in node && node.A_Const.isnull !== true ? node.A_Const.sval?.sval : undefined;
}

/** A text[] operand as a DuckDB VARCHAR list; an untyped literal is read as PostgreSQL's array text. */
function textList(ctx: EmitContext, node: Node): string {
  const literal = untypedLiteral(node);
  if (literal === undefined) return `CAST(${ctx.expr(node)} AS VARCHAR[])`;
  const elements = parseArrayLiteral(literal);
  if (elements === undefined)
    throw ctx.error(
      SqlState.invalidTextRepresentation,
      `malformed array literal: "${literal}"`,
      nodeLocation(node),
    );
  return `CAST([${elements.map((e) => (e === null ? 'NULL' : quoteLiteral(e))).join(', ')}] AS VARCHAR[])`;
}

interface JsonFunctionRule {
  readonly kind: JsonKind;
  /** Emits the call from the document's SQL and the other arguments' nodes. */
  readonly emit: (ctx: EmitContext, doc: string, rest: readonly Node[]) => string;
  /** A set-returning function: a list the caller unnests. */
  readonly rows?: 'value' | 'pair';
}

const pathArgs = (ctx: EmitContext, rest: readonly Node[]) =>
  `CAST([${rest.map((n) => `CAST(${ctx.expr(n)} AS VARCHAR)`).join(', ')}] AS VARCHAR[])`;
const path = (kind: JsonKind, text: boolean): JsonFunctionRule => ({
  kind,
  emit: (ctx, doc, rest) => `${jsonFunction('path')}('${kind}', ${doc}, ${pathArgs(ctx, rest)}, ${text})`,
});
const unary = (name: 'array_length' | 'typeof' | 'object_keys'): JsonFunctionRule => ({
  kind: 'jsonb',
  emit: (_ctx, doc) => `${jsonFunction(name)}(${doc})`,
});

/** PostgreSQL json/jsonb functions the engine runs, by name. */
export const JSON_FUNCTIONS: Readonly<Record<string, JsonFunctionRule>> = {
  jsonb_extract_path: path('jsonb', false),
  jsonb_extract_path_text: path('jsonb', true),
  json_extract_path: path('json', false),
  json_extract_path_text: path('json', true),
  jsonb_array_length: unary('array_length'),
  jsonb_typeof: unary('typeof'),
  jsonb_array_elements: {
    kind: 'jsonb',
    rows: 'value',
    emit: (_c, d) => `${jsonFunction('elements')}(${d}, false)`,
  },
  jsonb_array_elements_text: {
    kind: 'jsonb',
    rows: 'value',
    emit: (_c, d) => `${jsonFunction('elements')}(${d}, true)`,
  },
  jsonb_each: { kind: 'jsonb', rows: 'pair', emit: (_c, d) => `${jsonFunction('each')}(${d}, false)` },
  jsonb_each_text: { kind: 'jsonb', rows: 'pair', emit: (_c, d) => `${jsonFunction('each')}(${d}, true)` },
  jsonb_object_keys: { ...unary('object_keys'), rows: 'value' },
};

/** The call's list (set-returning) or value, its document argument checked to be of the rule's type. */
export function emitJsonCall(ctx: EmitContext, call: FuncCall, rule: JsonFunctionRule, name: string): string {
  const [docNode, ...rest] = call.args ?? [];
  if (
    docNode === undefined ||
    call.agg_star === true ||
    call.over !== undefined ||
    call.agg_distinct === true
  ) {
    throw ctx.error(SqlState.undefinedFunction, `function ${name}() does not exist`, call.location);
  }
  const literal = untypedLiteral(docNode);
  let doc: string;
  if (literal !== undefined) {
    const text = atLiteral(ctx, docNode, () =>
      rule.kind === 'jsonb' ? toJsonbText(literal) : checkJsonText(literal),
    );
    doc = quoteLiteral(text);
  } else {
    const type = operandType(ctx, docNode);
    if (ctx.types !== undefined && type?.name !== rule.kind) {
      throw ctx.error(
        SqlState.undefinedFunction,
        `function ${name}(${type?.name ?? 'unknown'}) does not exist`,
        call.location,
        'No function matches the given name and argument types. You might need to add explicit type casts.',
      );
    }
    doc = ctx.expr(docNode);
  }
  return rule.emit(ctx, doc, rest);
}

/**
 * One field of record_out's text: quoted (with " and \ doubled) when empty or holding a quote,
 * backslash, parenthesis, comma or C-locale white space; NULL stays NULL (an empty field).
 */
function recordField(sql: string): string {
  const special = `regexp_matches(${sql}, '["\\\\(),\t\n\x0B\f\r ]')`;
  const quoted = `'"' || replace(replace(${sql}, '\\', '\\\\'), '"', '""') || '"'`;
  return `(CASE WHEN ${sql} = '' OR ${special} THEN ${quoted} ELSE ${sql} END)`;
}

/** A json function in an expression; set-returning ones are unnested (a select-list SRF). */
export function emitJsonFunction(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const constructed = emitJsonConstructor(ctx, call, name);
  if (constructed !== undefined) return constructed;
  const rule = JSON_FUNCTIONS[name];
  if (rule === undefined) return undefined;
  // A (key, value) record per row, printed as record_out prints it: `(k,"{""a"": 1}")`.
  if (rule.rows === 'pair')
    return `unnest(list_transform(${emitJsonCall(ctx, call, rule, name)}, lambda pga_e: '(' || ${recordField('pga_e.key')} || ',' || coalesce(${recordField('pga_e.value')}, '') || ')'))`;
  const sql = emitJsonCall(ctx, call, rule, name);
  return rule.rows === undefined ? sql : `unnest(${sql})`;
}

/**
 * An untyped literal among the results of CASE/COALESCE whose type is json or jsonb is read as
 * that type (parse_coerce.c coerces it): jsonb's literal is printed as jsonb prints it.
 */
export function jsonResultValue(ctx: EmitContext, whole: Node, node: Node): string | undefined {
  const literal = untypedLiteral(node);
  if (literal === undefined || ctx.types === undefined) return undefined;
  const type = operandType(ctx, whole)?.name;
  if (type === 'jsonb') return quoteLiteral(atLiteral(ctx, node, () => toJsonbText(literal)));
  if (type === 'json') return quoteLiteral(atLiteral(ctx, node, () => checkJsonText(literal)));
  return undefined;
}

/** GREATEST/LEAST of jsonb would compare the printed text in DuckDB. */
export function refuseJsonbMinMax(ctx: EmitContext, node: Node, fn: string): void {
  const type = ctx.types === undefined ? undefined : operandType(ctx, node)?.name;
  if (type !== 'jsonb' && type !== 'json') return;
  throw ctx.error(
    type === 'json' ? SqlState.undefinedFunction : SqlState.featureNotSupported,
    type === 'json'
      ? 'could not identify a comparison function for type json'
      : `${fn}() of jsonb values is not supported by pg_analytica`,
    nodeLocation(node),
  );
}
