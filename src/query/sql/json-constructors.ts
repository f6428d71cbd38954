/**
 * JSON constructors and aggregates → DuckDB SQL that writes PostgreSQL's text (json.c, jsonb.c):
 * each value's JSON text comes from json-values.ts, and the separators are json's own —
 *
 * | PostgreSQL                        | json text                         |
 * |-----------------------------------|-----------------------------------|
 * | to_json(x), array_to_json(a)      | the value; arrays `[1,2]`         |
 * | json_build_array(a, b)            | `[1, "b"]`                        |
 * | json_build_object(k, v, …)        | `{"k" : 1, "l" : 2}`              |
 * | json_agg(x ORDER BY …) FILTER (…) | `[1, 2]` (string_agg), NULL on no rows |
 * | json_object_agg(k, v)             | `{ "k" : 1, "l" : 2 }`            |
 *
 * The jsonb forms build the same text and read it as jsonb (pga_json_to_jsonb): keys ordered and
 * unique (the last value kept), numbers through numeric, jsonb's spacing.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState, type SqlStateCode } from '../../errors.js';
import { jsonFunction } from '../jsonb/duckdb-json-functions.js';
import type { EmitContext } from './emit-context.js';
import { wholeRowAlias, wholeRowJson } from './json-rows.js';
import { jsonListSql, jsonValueSql, orNull } from './json-values.js';
import { allowAnyDims } from './multidim-arrays.js';
import { emitSortBy, emitWindowSpec } from './sort-and-window.js';
import { quoteIdent, quoteLiteral } from './sql-text.js';
import { formatTypeName, known, type PgType } from './typing/pg-types.js';
import { nodeLocation, operandType } from './typing/typed-operands.js';

type Form = 'value' | 'array' | 'buildObject' | 'buildArray' | 'agg' | 'objectAgg' | 'row';

const FORMS: Readonly<Record<string, Form>> = {
  to_json: 'value',
  to_jsonb: 'value',
  array_to_json: 'array',
  json_build_object: 'buildObject',
  jsonb_build_object: 'buildObject',
  json_build_array: 'buildArray',
  jsonb_build_array: 'buildArray',
  json_agg: 'agg',
  jsonb_agg: 'agg',
  json_object_agg: 'objectAgg',
  jsonb_object_agg: 'objectAgg',
  row_to_json: 'row',
};

const AGGREGATES = new Set<Form>(['agg', 'objectAgg']);

/** The SQL of a JSON constructor or aggregate, or undefined when `name` is none. */
export function emitJsonConstructor(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const form = FORMS[name];
  if (form === undefined) return undefined;
  const args = call.args ?? [];
  // Listing the tables: nothing is typed and the SQL never runs; every part is visited.
  if (ctx.types === undefined) return listingOnly(ctx, call);
  checkCallShape(ctx, call, name, form);
  const jsonb = name.includes('jsonb');
  const json = emitForm(ctx, call, name, form, args);
  return jsonb ? `${jsonFunction('to_jsonb')}(${json})` : json;
}

function emitForm(ctx: EmitContext, call: FuncCall, name: string, form: Form, args: readonly Node[]): string {
  switch (form) {
    case 'value':
      return polymorphicValue(ctx, call, name, args);
    case 'array':
      return arrayToJson(ctx, call, name, args);
    case 'buildObject':
      return buildObject(ctx, call, name, args);
    case 'buildArray':
      return `('[' || ${args.map((a) => orNull(value(ctx, a))).join(` || ', ' || `) || "''"} || ']')`;
    case 'agg':
      return aggregate(ctx, call, name, args);
    case 'objectAgg':
      return objectAggregate(ctx, call, name, args);
    case 'row':
      return rowToJson(ctx, call, args);
  }
}

/** The argument's JSON text. */
function value(ctx: EmitContext, node: Node, key = false): string {
  const row = wholeRowAlias(ctx, node);
  if (row === undefined) {
    // An array of several dimensions is written level by level (json-values.ts).
    if ((operandType(ctx, node)?.ndims ?? 1) > 1) allowAnyDims(node);
    // Emitted first: a scalar subquery's type is known once its SELECT is emitted.
    const sql = ctx.expr(node);
    const options = { key, location: nodeLocation(node) };
    const type = operandType(ctx, node);
    const element = type === undefined ? builtArrayElement(ctx, node) : undefined;
    if (element !== undefined && !key) return jsonListSql(ctx, element, sql, options);
    return jsonValueSql(ctx, type, sql, options);
  }
  if (key) {
    throw ctx.error(
      SqlState.invalidParameterValue,
      'key value must be scalar, not array, composite, or json',
      nodeLocation(node),
    );
  }
  return wholeRowJson(ctx, row, node);
}

/**
 * The element type of `array_agg(x)` or `ARRAY[x, y]` of scalars of one type, which the type
 * stage leaves untyped (it types arrays of json only): PostgreSQL's array of that type.
 */
function builtArrayElement(ctx: EmitContext, node: Node): PgType | undefined {
  let elements: readonly Node[] = [];
  if ('A_ArrayExpr' in node) elements = node.A_ArrayExpr.elements ?? [];
  else if ('FuncCall' in node && node.FuncCall.funcname?.length === 1 && node.FuncCall.args?.length === 1) {
    const name = node.FuncCall.funcname[0];
    if (name !== undefined && 'String' in name && name.String.sval === 'array_agg')
      elements = node.FuncCall.args;
  }
  const types = elements.map((e) => operandType(ctx, e));
  const first = types[0];
  if (first === undefined || first.category === 'A') return undefined;
  if (types.some((t) => t?.name !== first.name || t.heldAsText !== first.heldAsText)) return undefined;
  // An untyped literal in ARRAY[…] is text, as PostgreSQL resolves it.
  return first.category === 'X' ? known('text') : first;
}

/** array_to_json(a [, false]): an array column or expression, or array_agg() of whole rows. */
function arrayToJson(ctx: EmitContext, call: FuncCall, name: string, args: readonly Node[]): string {
  const array = args[0];
  if (array === undefined || args.length > 2) throw noFunction(ctx, call, name, args);
  if (args.length === 2) refusePretty(ctx, name, args[1]!);
  const rows = aggregatedRows(ctx, array);
  if (rows !== undefined) return rows;
  const json = value(ctx, array);
  if (operandType(ctx, array)?.category !== 'A' && builtArrayElement(ctx, array) === undefined)
    throw noFunction(ctx, call, name, args);
  return json;
}

/**
 * array_to_json(array_agg(t [ORDER BY …]) [FILTER …]) of whole rows: `[{"a":1},{"a":2}]`, the rows
 * as composite_to_json writes them, "," between them (array_to_json_internal).
 */
function aggregatedRows(ctx: EmitContext, node: Node): string | undefined {
  if (!('FuncCall' in node)) return undefined;
  const call = node.FuncCall;
  const fn = call.funcname?.length === 1 ? call.funcname[0] : undefined;
  const row = call.args?.length === 1 ? wholeRowAlias(ctx, call.args[0]!) : undefined;
  if (fn === undefined || !('String' in fn) || fn.String.sval !== 'array_agg' || row === undefined)
    return undefined;
  if (call.agg_distinct === true || call.over !== undefined) return undefined;
  return `('[' || ${concatenated(ctx, call, wholeRowJson(ctx, row, call.args![0]!), ',')} || ']')`;
}

/** row_to_json(t [, false]): the whole row of a FROM item. */
function rowToJson(ctx: EmitContext, call: FuncCall, args: readonly Node[]): string {
  if (args.length === 2) refusePretty(ctx, 'row_to_json', args[1]!);
  const row = args[0] === undefined ? undefined : wholeRowAlias(ctx, args[0]);
  if (row !== undefined && args.length <= 2) return wholeRowJson(ctx, row, args[0]!);
  throw ctx.error(
    SqlState.featureNotSupported,
    'row_to_json() of anything but the whole row of a FROM item is not supported by pg_analytica',
    call.location,
    "build the object with json_build_object('column', column, …) instead",
  );
}

/** to_json(anyelement): an untyped literal has no type to print it by (PostgreSQL's 42804). */
function polymorphicValue(ctx: EmitContext, call: FuncCall, name: string, args: readonly Node[]): string {
  if (args.length !== 1) throw noFunction(ctx, call, name, args);
  refuseUnknown(ctx, args[0]!);
  return value(ctx, args[0]!);
}

function refuseUnknown(ctx: EmitContext, node: Node): void {
  if (operandType(ctx, node)?.category !== 'X') return;
  throw ctx.error(
    SqlState.datatypeMismatch,
    'could not determine polymorphic type because input has type unknown',
    nodeLocation(node),
  );
}

/** array_to_json(a, true) and row_to_json(r, true) put line feeds between elements; only `false` is taken. */
function refusePretty(ctx: EmitContext, name: string, node: Node): void {
  if ('A_Const' in node && node.A_Const.boolval !== undefined && node.A_Const.boolval.boolval !== true)
    return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `${name}() with pretty_bool other than false is not supported by pg_analytica`,
    nodeLocation(node),
  );
}

/** json_build_object: `{"k" : v, "l" : w}`; a NULL key fails when the row is built, as in PostgreSQL. */
function buildObject(ctx: EmitContext, call: FuncCall, name: string, args: readonly Node[]): string {
  if (args.length % 2 !== 0) {
    throw ctx.error(
      SqlState.invalidParameterValue,
      'argument list must have even number of elements',
      call.location,
      `The arguments of ${name}() must consist of alternating keys and values.`,
    );
  }
  const pairs: string[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const key =
      name === 'jsonb_build_object'
        ? nonNullKey(ctx, args[i]!, SqlState.invalidParameterValue, `argument ${i + 1}: key must not be null`)
        : nonNullKey(ctx, args[i]!, SqlState.nullValueNotAllowed, 'null value not allowed for object key');
    pairs.push(`${key} || ' : ' || ${orNull(value(ctx, args[i + 1]!))}`);
  }
  return `('{' || ${pairs.join(` || ', ' || `) || "''"} || '}')`;
}

/** A key's JSON string; a NULL key raises `code` with `message` (each function has its own). */
function nonNullKey(ctx: EmitContext, node: Node, code: SqlStateCode, message: string): string {
  const key = value(ctx, node, true);
  const fail = `error(${quoteLiteral(`SQLSTATE ${code}: ${message}`)})`;
  return `coalesce(${key}, ${fail})`;
}

/** json_agg: `[v1, v2]` in the aggregate's order; NULL when no row is aggregated. */
function aggregate(ctx: EmitContext, call: FuncCall, name: string, args: readonly Node[]): string {
  if (args.length !== 1) throw noFunction(ctx, call, name, args);
  const node = args[0]!;
  refuseUnknown(ctx, node);
  if (call.agg_distinct !== true) {
    const json = value(ctx, node);
    const structured = isStructured(ctx, node);
    const items = concatenated(ctx, call, aggregated(structured, json), ', ');
    return `('[' || ${firstItem(structured, items)} || ']')`;
  }
  // DISTINCT: PostgreSQL sorts the values and keeps one of each (NULL too); the distinct values
  // are listed in that order, then written.
  const sql = ctx.expr(node);
  const type = operandType(ctx, node);
  const structured = isStructured(ctx, node);
  refuseDistinct(ctx, call, type);
  const item = jsonValueSql(ctx, type, 'pga_jd', { location: nodeLocation(node) });
  // Sorted as ORDER BY sorts the value (its collation checked, an enum by its labels' order).
  const sort = emitSortBy(ctx, call.agg_order?.[0] ?? ascending(node));
  const values = `list(DISTINCT ${sql} ORDER BY ${sort})${filterClause(ctx, call).clauses}`;
  const items = `array_to_string(list_transform(${values}, lambda pga_jd: ${aggregated(structured, item)}), ', ')`;
  return `('[' || ${firstItem(structured, items)} || ']')`;
}

/** json_agg_transfn's line break goes before arrays and rows (composites). */
function isStructured(ctx: EmitContext, node: Node): boolean {
  return operandType(ctx, node)?.category === 'A' || wholeRowAlias(ctx, node) !== undefined;
}

function ascending(node: Node): Node {
  return {
    SortBy: { node, sortby_dir: 'SORTBY_DEFAULT', sortby_nulls: 'SORTBY_NULLS_DEFAULT', location: -1 },
  };
}

/**
 * An aggregated value's text. json_agg_transfn puts a line feed and a blank before each array
 * (or composite) but the first, after the ", " separator: `[[1], \n [2], null, \n [3]]`.
 */
function aggregated(structured: boolean, json: string): string {
  if (!structured) return orNull(json);
  return `coalesce(${LINE_BREAK} || ${json}, 'null')`;
}

const LINE_BREAK = "(chr(10) || ' ')";

/** The aggregated texts, the first one's line break (if it has one) taken off. */
function firstItem(structured: boolean, items: string): string {
  if (!structured) return items;
  // RE2 reads \n as a line feed.
  return `regexp_replace(${items}, '^\\n ', '')`;
}

const DISTINCT_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'text',
  'varchar',
  'bpchar',
  'bool',
  'date',
  'timestamp',
  'timestamptz',
  'uuid',
]);

/**
 * DISTINCT compares values where their texts may differ (1.0 = 1.00, '1 day' = '24:00:00',
 * -0 = 0, jsonb numbers): only types whose equal values print alike are taken.
 */
function refuseDistinct(ctx: EmitContext, call: FuncCall, type: PgType | undefined): void {
  const exact =
    type !== undefined &&
    type.heldAsText !== true &&
    (DISTINCT_TYPES.has(type.name) || type.category === 'E' || type.name === 'numeric');
  const ordered = (call.agg_order ?? []).length <= 1;
  if (exact && ordered) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `json_agg(DISTINCT …) of type ${type?.name ?? 'unknown'} is not supported by pg_analytica`,
    call.location,
    'aggregate the distinct values of a subquery instead: json_agg(x) FROM (SELECT DISTINCT x …)',
  );
}

/** json_object_agg: `{ "k" : v, "l" : w }`; a NULL key fails, a NULL value is null. */
function objectAggregate(ctx: EmitContext, call: FuncCall, name: string, args: readonly Node[]): string {
  if (args.length !== 2) throw noFunction(ctx, call, name, args);
  if (call.agg_distinct === true) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `${name}(DISTINCT …) is not supported by pg_analytica`,
      call.location,
    );
  }
  const key =
    name === 'jsonb_object_agg'
      ? nonNullKey(ctx, args[0]!, SqlState.invalidParameterValue, 'field name must not be null')
      : nonNullKey(ctx, args[0]!, SqlState.nullValueNotAllowed, 'null value not allowed for object key');
  const pair = `${key} || ' : ' || ${orNull(value(ctx, args[1]!))}`;
  return `('{ ' || ${concatenated(ctx, call, pair, ', ')} || ' }')`;
}

function orderClause(ctx: EmitContext, call: FuncCall): string {
  const order = (call.agg_order ?? []).map((s) => emitSortBy(ctx, s));
  return order.length === 0 ? '' : ` ORDER BY ${order.join(', ')}`;
}

/**
 * string_agg of the aggregate's texts with its ORDER BY, FILTER and OVER. DuckDB computes an
 * aggregate's input for the rows its FILTER leaves out too, where PostgreSQL does not: the input
 * is computed only under the filter's condition, so that a NULL key there raises no error.
 */
function concatenated(ctx: EmitContext, call: FuncCall, input: string, separator: string): string {
  const order = orderClause(ctx, call);
  const { condition, clauses } = filterClause(ctx, call);
  const value = condition === undefined ? input : `(CASE WHEN ${condition} THEN ${input} END)`;
  return `string_agg(${value}, '${separator}'${order})${clauses}`;
}

/** FILTER and OVER: a window aggregate concatenates its frame's rows in the window's order. */
function filterClause(ctx: EmitContext, call: FuncCall): { condition?: string; clauses: string } {
  const condition = call.agg_filter === undefined ? undefined : ctx.expr(call.agg_filter);
  const filter = condition === undefined ? '' : ` FILTER (WHERE ${condition})`;
  if (call.over === undefined) return { condition, clauses: filter };
  const window = call.over;
  const onlyName =
    window.name !== undefined && !window.refname && !window.partitionClause && !window.orderClause;
  const over = onlyName ? quoteIdent(window.name ?? '') : `(${emitWindowSpec(ctx, window)})`;
  return { condition, clauses: `${filter} OVER ${over}` };
}

/** Clauses PostgreSQL refuses on these functions, and the forms refused here. */
function checkCallShape(ctx: EmitContext, call: FuncCall, name: string, form: Form): void {
  const aggregate = AGGREGATES.has(form);
  if (
    !aggregate &&
    (call.agg_order !== undefined || call.agg_distinct === true || call.agg_filter !== undefined)
  ) {
    const clause =
      call.agg_filter !== undefined ? 'FILTER' : call.agg_distinct === true ? 'DISTINCT' : 'ORDER BY';
    throw ctx.error(
      SqlState.wrongObjectType,
      `${clause} specified, but ${name} is not an aggregate function`,
      call.location,
    );
  }
  if (call.agg_star === true) throw noFunction(ctx, call, name, []);
  if (call.over !== undefined && !aggregate) {
    throw ctx.error(
      SqlState.wrongObjectType,
      `OVER specified, but ${name} is not a window function nor an aggregate function`,
      call.location,
    );
  }
  // PostgreSQL's own refusals of these clauses in a window aggregate.
  if (call.over !== undefined && (call.agg_distinct === true || (call.agg_order ?? []).length > 0)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      call.agg_distinct === true
        ? 'DISTINCT is not implemented for window functions'
        : 'aggregate ORDER BY is not implemented for window functions',
      call.location,
    );
  }
  if (call.func_variadic === true) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `VARIADIC arguments of ${name}() are not supported by pg_analytica`,
      call.location,
    );
  }
}

function noFunction(ctx: EmitContext, call: FuncCall, name: string, args: readonly Node[]) {
  const types = args
    .map((a) => operandType(ctx, a)?.name ?? 'unknown')
    .map(formatTypeName)
    .join(', ');
  return ctx.error(
    SqlState.undefinedFunction,
    `function ${name}(${types}) does not exist`,
    call.location,
    'No function matches the given name and argument types. You might need to add explicit type casts.',
  );
}

/** The pass that only lists tables: arguments, sort keys and the filter are walked. */
function listingOnly(ctx: EmitContext, call: FuncCall): string {
  const parts = [
    ...(call.args ?? []).map((a) => ctx.expr(a)),
    ...(call.agg_order ?? []).map((s) => ('SortBy' in s && s.SortBy.node ? ctx.expr(s.SortBy.node) : 'NULL')),
    ...(call.agg_filter === undefined ? [] : [ctx.expr(call.agg_filter)]),
  ];
  return `list_value(NULL${parts.map((p) => `, ${p}`).join('')})`;
}
