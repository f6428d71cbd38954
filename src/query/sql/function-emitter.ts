/**
 * Function calls, windows and sort keys → DuckDB. Function names pass an
 * allow-list (function-rules.ts); pg_catalog. qualifiers are dropped for
 * allowed functions and any other schema is refused, so `main.read_csv` or
 * `system.duckdb_settings` can never be named.
 */
import type { FuncCall, Node } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';
import { emitArrayBuilding } from './array-building.js';
import { emitArrayFunction } from './array-rules.js';
import { emitByteLength } from './byte-length.js';
import { emitDateTimeFunction } from './datetime/datetime-functions.js';
import { emitExtractCall } from './datetime/extract-emitter.js';
import { type EmitContext, stringValue } from './emit-context.js';
import { withFilteredInputs } from './filtered-aggregates.js';
import { emitFormat } from './format-function.js';
import { allowedFunction, type FunctionUse } from './function-rules.js';
import { emitJsonFunction } from './json-rules.js';
import { allowAnyDims, refuseMultiDim } from './multidim-arrays.js';
import { emitOrderedSetAggregate } from './ordered-set-aggregates.js';
import { emitRegexpReplace } from './regex/regex-rules.js';
import { emitDistinctRowCount } from './row-values.js';
import { emitSeriesInSelectList } from './series-functions.js';
import { emitSortBy, emitWindowReference } from './sort-and-window.js';
import { quoteLiteral, unsupportedMarker } from './sql-text.js';
import { emitStringFunction } from './string-functions.js';
import { emitCaseFunction } from './typing/case-folding.js';
import { refuseCitextFunction } from './typing/citext-rules.js';
import { refuseLocaleOrder } from './typing/collation.js';
import { checkedFloatFunction, checkedFloatSum, isFloat } from './typing/float-arithmetic.js';
import { emitNetworkFunction, isInet } from './typing/network-rules.js';
import { emitNumericCall } from './typing/numeric-emit.js';
import { emitRangeFunction } from './typing/range-rules.js';
import { pgTextOf } from './typing/text-output.js';
import { nodeLocation, operandType } from './typing/typed-operands.js';
import { groupedValue, isCitext, orderKey } from './typing/value-keys.js';
import { refuseUnrunForm } from './unrun-forms.js';
import { emitWidthBucket } from './width-bucket.js';
import { emitLagLeadDefault } from './window-defaults.js';

/** The unqualified name of a function, or throws 42883 for a schema other than pg_catalog. */
function functionName(ctx: EmitContext, call: FuncCall): string {
  const parts = (call.funcname ?? []).map((n) => stringValue(n) ?? '');
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog')) return name;
  throw undefinedFunction(ctx, parts.join('.'), call);
}

/**
 * A function the front end does not run, raised as PostgreSQL's 42883 wording (argument types
 * approximated from literals, "unknown" otherwise). Whether PostgreSQL has the function is the
 * source's to say: the query engine asks its Describe and answers with PostgreSQL's own error,
 * or with 0A000 when PostgreSQL accepts the statement (unsupportedFunction).
 */
export class FunctionNotRun extends PgError {
  readonly functionName: string;
  constructor(functionName: string, base: PgError) {
    super(base.code, base.message, { hint: base.hint, position: base.position });
    this.functionName = functionName;
  }
}

function undefinedFunction(ctx: EmitContext, name: string, call: FuncCall) {
  const types = (call.args ?? []).map(argumentTypeName).join(', ');
  const base = ctx.error(
    SqlState.undefinedFunction,
    `function ${name}(${call.agg_star === true ? '*' : types}) does not exist`,
    call.location,
    'No function matches the given name and argument types. You might need to add explicit type casts.',
  );
  return new FunctionNotRun(name, base);
}

/** The refusal of a function PostgreSQL has (its Describe accepted the statement) and the engine does not run. */
export function unsupportedFunction(error: FunctionNotRun): PgError {
  return new PgError(
    SqlState.featureNotSupported,
    `function ${error.functionName}() is not supported by pg_analytica`,
    {
      position: error.position,
      hint: 'pg_analytica runs only the functions it computes exactly as PostgreSQL does; run this query on the source table in PostgreSQL',
    },
  );
}

function argumentTypeName(node: Node): string {
  if (!('A_Const' in node)) return 'unknown';
  if (node.A_Const.ival !== undefined) return 'integer';
  if (node.A_Const.fval !== undefined) return 'numeric';
  if (node.A_Const.boolval !== undefined) return 'boolean';
  return 'unknown';
}

/** The DuckDB function name for a call in `use` position, after the allow-list check. */
export function resolveFunction(ctx: EmitContext, call: FuncCall, use: FunctionUse): string {
  const name = functionName(ctx, call);
  const duckName = allowedFunction(name, use, call.args?.length ?? 0);
  if (duckName === undefined) throw undefinedFunction(ctx, name, call);
  if (call.func_variadic === true) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'VARIADIC arguments are not supported by pg_analytica',
      call.location,
    );
  }
  return duckName;
}

export function emitFuncCall(ctx: EmitContext, original: FuncCall): string {
  const name = functionName(ctx, original);
  const call = ctx.types === undefined ? original : withFilteredInputs(original, name);
  if (name === 'extract' || name === 'date_part') return emitExtractCall(ctx, call, name === 'extract');
  if (name === 'timezone') return emitAtTimeZone(ctx, call);
  // count(a) and count(DISTINCT a) of an array of several dimensions: nested lists count as values.
  if (name === 'count' && (call.args ?? []).length === 1) allowAnyDims(call.args?.[0]);
  const rowCount = emitDistinctRowCount(ctx, call, name);
  if (rowCount !== undefined) return rowCount;
  const json =
    emitFormat(ctx, call, name) ??
    emitJsonFunction(ctx, call, name) ??
    emitArrayFunction(ctx, call, name) ??
    emitArrayBuilding(ctx, call, name);
  if (json !== undefined) return json;
  const temporal = emitDateTimeFunction(ctx, call, name);
  if (temporal !== undefined) return temporal;
  if (ctx.listingOnly === true && LISTED_BY_ARGUMENTS.has(name)) return listingOnly(ctx, call);
  const orderedSet = ctx.types === undefined ? undefined : emitOrderedSetAggregate(ctx, call, name);
  if (orderedSet !== undefined) return orderedSet;
  if (name === 'generate_series' && ctx.types !== undefined) return emitSeriesInSelectList(ctx, call);
  refuseCitextFunction(ctx, call, name);
  const network =
    emitNetworkFunction(ctx, call, name) ??
    emitRangeFunction(ctx, call, name) ??
    emitRegexpReplace(ctx, call, name) ??
    emitByteLength(ctx, call, name) ??
    emitWidthBucket(ctx, call, name);
  if (network !== undefined) return network;
  for (const arg of call.args ?? []) refuseMultiDim(ctx, arg, `function ${name}()`);
  refuseUnrunForm(ctx, call, name);
  // POSITION(a IN b) parses as position(b, a); strpos takes (string, substring) too.
  const duckName = name === 'position' ? 'strpos' : resolveFunction(ctx, call, 'scalar');
  const numeric = emitNumericCall(ctx, call, name, () => ({
    distinct: call.agg_distinct === true ? 'DISTINCT ' : '',
    filter: call.agg_filter === undefined ? '' : ` FILTER (WHERE ${ctx.expr(call.agg_filter)})`,
    over: call.over === undefined ? '' : ` OVER ${emitWindowReference(ctx, call.over)}`,
  }));
  if (numeric !== undefined) return numeric;
  const overSql = call.over === undefined ? '' : ` OVER ${emitWindowReference(ctx, call.over)}`;
  const withDefault = emitLagLeadDefault(ctx, call, name, overSql);
  if (withDefault !== undefined) return withDefault;
  const typed = emitTypedArguments(ctx, call, name);
  if (typeof typed === 'string') return typed;
  const special =
    emitCaseFunction(ctx, name, call.args ?? [], typed, call.location) ??
    emitStringFunction(ctx, call, name, typed) ??
    (ctx.types === undefined ? undefined : checkedFloatFunction(name, typed));
  if (special !== undefined) return special;
  // sign() of a float or an integer is float8 in PostgreSQL (dsign), a TINYINT in DuckDB.
  if (name === 'sign' && typed.length === 1 && ctx.types !== undefined)
    return `CAST(sign(${typed[0]}) AS DOUBLE)`;
  if (name === 'min' || name === 'max') refuseLocaleOrder(ctx, [call.args?.[0]], `${name}()`, call.location);
  // min/max of intervals choose by span (interval_cmp_value), of citext by its lowercase, of
  // timetz by timetz_cmp,
  // keeping the value as written.
  const minMaxType = name === 'min' || name === 'max' ? operandType(ctx, call.args?.[0]) : undefined;
  const bySpan =
    minMaxType?.name === 'interval' ||
    minMaxType?.name === 'timetz' ||
    isCitext(minMaxType) ||
    isInet(minMaxType);
  const args = bySpan ? [typed[0]!, orderKey(minMaxType, typed[0]!)!] : typed;
  const fn = bySpan ? `arg_${name}` : duckName;
  // percentile_cont interpolates in double precision (or interval): a numeric key is cast, as in
  // PostgreSQL. percentile_disc returns one of the values it sorts: where the value sorts by a
  // key (value-keys.ts) it sorts {k: key, v: value} and the value is read back.
  const discKey = name === 'percentile_disc' ? percentileKey(ctx, call) : undefined;
  const castKey =
    name === 'percentile_cont' ? (key: string) => `CAST(${key} AS DOUBLE)` : (discKey?.wrap ?? undefined);
  const order = (aggregateOrder(call, name) ?? []).map((s) => emitSortBy(ctx, s, castKey));
  let text: string;
  if (call.agg_within_group === true) {
    text = `${fn}(${args.join(', ')}) WITHIN GROUP (ORDER BY ${order.join(', ')})`;
  } else {
    const inner = call.agg_star === true ? '*' : args.join(', ');
    const distinct = call.agg_distinct === true ? 'DISTINCT ' : '';
    const orderBy = order.length > 0 ? ` ORDER BY ${order.join(', ')}` : '';
    text = `${fn}(${distinct}${inner}${orderBy})`;
  }
  // Emitted once: writing a clause's subquery again would resolve its table a second time.
  const filter = call.agg_filter === undefined ? '' : ` FILTER (WHERE ${ctx.expr(call.agg_filter)})`;
  const over = call.over === undefined ? '' : ` OVER ${emitWindowReference(ctx, call.over)}`;
  const clauses = (aggregate: string) => aggregate + filter + over;
  text = discKey === undefined ? clauses(text) : discKey.value(text + filter) + over;
  if ((name === 'sum' || name === 'avg') && args.length === 1 && isFloat(operandType(ctx, call.args?.[0]))) {
    const distinct = call.agg_distinct === true ? 'DISTINCT ' : '';
    return checkedFloatSum(args[0]!, (fn, argument) => clauses(`${fn}(${distinct}${argument})`), text);
  }
  if (SPREAD_AGGREGATES.has(name) && args.length === 1)
    return withFloatArgumentOnly(name, call.over === undefined ? `any_value(${args[0]})` : args[0]!, text);
  return name === 'round' || name === 'trunc' ? withRoundScale(call, text) : text;
}

/**
 * The ORDER BY of an aggregate call. PostgreSQL computes a DISTINCT aggregate by sorting its
 * input, so array_agg(DISTINCT x) and string_agg(DISTINCT x, ',') list the values in order where
 * DuckDB lists them as they come: without an ORDER BY of their own they are given ORDER BY x.
 */
function aggregateOrder(call: FuncCall, name: string): Node[] | undefined {
  if (call.agg_order !== undefined && call.agg_order.length > 0) return call.agg_order;
  const value = call.args?.[0];
  if (call.agg_distinct !== true || (name !== 'array_agg' && name !== 'string_agg') || value === undefined)
    return call.agg_order;
  return [
    {
      SortBy: {
        node: value,
        sortby_dir: 'SORTBY_DEFAULT',
        sortby_nulls: 'SORTBY_NULLS_DEFAULT',
        location: -1,
      },
    },
  ];
}

/**
 * percentile_disc over values that sort by a key: the sort key {k, v} and how the value is read
 * from the result (a list of them for an array of fractions). undefined when none is needed.
 */
function percentileKey(
  ctx: EmitContext,
  call: FuncCall,
): { wrap: (key: string) => string; value: (sql: string) => string } | undefined {
  const sort = call.agg_order?.[0];
  const type = sort !== undefined && 'SortBy' in sort ? operandType(ctx, sort.SortBy.node) : undefined;
  if (orderKey(type, 'x') === undefined) return undefined;
  const fractions = call.args?.[0];
  const many =
    fractions !== undefined && ('A_ArrayExpr' in fractions || operandType(ctx, fractions)?.category === 'A');
  return {
    // A NULL value stays NULL (a struct of NULLs would be counted among the values).
    wrap: (key) => `CASE WHEN ${key} IS NULL THEN NULL ELSE {'k': ${orderKey(type, key)}, 'v': ${key}} END`,
    value: (sql) => (many ? `list_transform(${sql}, lambda pga_e: pga_e.v)` : `(${sql}).v`),
  };
}

/** The pass that only lists tables: the arguments and sort keys are walked (subqueries name tables). */
/** Functions emitted by their types only (not on the allow-list): listing the tables visits their arguments. */
const LISTED_BY_ARGUMENTS = new Set([
  'mode',
  'generate_series',
  'width_bucket',
  'array_append',
  'array_prepend',
  'array_cat',
  'array_remove',
]);

function listingOnly(ctx: EmitContext, call: FuncCall): string {
  const keys = (call.agg_order ?? []).map((s) =>
    'SortBy' in s && s.SortBy.node ? ctx.expr(s.SortBy.node) : 'NULL',
  );
  return `coalesce(NULL${[...(call.args ?? []).map((a) => ctx.expr(a)), ...keys].map((a) => `, ${a}`).join('')})`;
}

/**
 * Arguments by their PostgreSQL type: a bpchar passed to a text function loses its trailing
 * blanks (the implicit cast to text does that); min/max of numeric held as text compare by
 * value and return the value's own text; any other function of such a numeric is refused.
 * Returns the whole call when it is rewritten.
 */
function emitTypedArguments(ctx: EmitContext, call: FuncCall, name: string): string[] | string {
  const nodes = call.args ?? [];
  const args = nodes.map((a) => ctx.expr(a));
  if (ctx.types === undefined) return args;
  const types = nodes.map((a) => operandType(ctx, a));
  // count(DISTINCT x) counts values: 1.0 and 1.00, '1 mon' and '30 days' are one.
  if (name === 'count' && call.agg_distinct === true) return args.map((a, i) => groupedValue(types[i], a));
  if (types.some((t) => t?.heldAsText === true)) {
    if (!KEEPS_ARGUMENT_TYPE.has(name) || name === 'min' || name === 'max') {
      throw ctx.error(
        SqlState.featureNotSupported,
        `${name}() of a numeric whose display scale varies by value (a column declared numeric without precision, a quotient, avg()) is not supported by pg_analytica${name === 'min' || name === 'max' ? ' in this form' : ''}`,
        call.location,
        'cast the value to numeric(p,s) or double precision first',
      );
    }
  }
  if (KEEPS_ARGUMENT_TYPE.has(name)) return args;
  // concat() writes each argument with its type's output function (text-output.ts).
  if (name === 'concat' || name === 'concat_ws')
    return args.map((sql, i) => pgTextOf(ctx, types[i], sql, 'output', nodeLocation(nodes[i]!)));
  return args.map((sql, i) => (types[i]?.name === 'bpchar' ? `rtrim(${sql}, ' ')` : sql));
}

/** Functions taking any type (pg_proc.dat: anyelement, or an entry for bpchar itself) keep a bpchar as is. */
const KEEPS_ARGUMENT_TYPE = new Set([
  'count',
  'min',
  'max',
  'array_agg',
  'first_value',
  'last_value',
  'nth_value',
  'lag',
  'lead',
]);

/** stddev/variance: numeric in PostgreSQL for integer and numeric arguments. */
const SPREAD_AGGREGATES = new Set(['stddev', 'stddev_samp', 'stddev_pop', 'variance', 'var_samp', 'var_pop']);

/**
 * PostgreSQL computes stddev and variance of integers and numerics in
 * arbitrary precision; typed arguments go through typing/numeric-spread.ts.
 * An argument whose type the front end does not know is checked at run time:
 * an integer or numeric fails (0A000 through duckdb-errors.ts) rather than
 * answer in double precision, while double precision and real arguments give
 * the same answer as PostgreSQL's.
 */
function withFloatArgumentOnly(name: string, probe: string, text: string): string {
  const message = quoteLiteral(
    `${unsupportedMarker}${name}() of integer or numeric values (cast the argument to double precision)`,
  );
  return `(CASE WHEN typeof(${probe}) IN ('DOUBLE', 'FLOAT') THEN ${text} ELSE error(${message}) END)`;
}

/**
 * round(x, n) is numeric with exactly n decimals in PostgreSQL ('14992.50'), while DuckDB keeps
 * x's type: a double (avg of integers) would print '14992.5'. A constant n gives the scale.
 */
function withRoundScale(call: FuncCall, text: string): string {
  const digits = call.args?.[1];
  if (call.args?.length !== 2 || digits === undefined || !('A_Const' in digits)) return text;
  const n = digits.A_Const.ival === undefined ? undefined : (digits.A_Const.ival.ival ?? 0);
  if (n === undefined || n > 38) return text;
  return `CAST(${text} AS DECIMAL(38, ${Math.max(0, n)}))`;
}

/**
 * `x AT TIME ZONE zone` (timezone(zone, x)): timestamptz → local timestamp in the zone and back,
 * as in DuckDB. Only zone names both read alike pass: IANA names with a '/', UTC and GMT.
 * PostgreSQL reads abbreviations (PST, fixed) and POSIX offsets ('+05' is five hours WEST)
 * where DuckDB would not.
 */
function emitAtTimeZone(ctx: EmitContext, call: FuncCall): string {
  const [zoneNode, value] = call.args ?? [];
  const zone = zoneNode !== undefined && 'A_Const' in zoneNode ? zoneNode.A_Const.sval?.sval : undefined;
  if (
    zone === undefined ||
    value === undefined ||
    !/^(UTC|GMT|[A-Za-z_]+(\/[A-Za-z0-9_+-]+)+)$/i.test(zone)
  ) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `AT TIME ZONE ${zone === undefined ? 'with a computed zone' : `'${zone}'`} is not supported by pg_analytica`,
      call.location,
      "Name the zone as a constant IANA name such as 'UTC' or 'Europe/Berlin'.",
    );
  }
  // A date is taken as a timestamptz, as PostgreSQL resolves timezone(text, date).
  const source =
    operandType(ctx, value)?.name === 'date' ? `CAST(${ctx.expr(value)} AS TIMESTAMPTZ)` : ctx.expr(value);
  return `timezone(${quoteLiteral(zone)}, ${source})`;
}
