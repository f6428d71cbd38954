/**
 * The type stage for function calls: a call's PostgreSQL result type from its name and its
 * arguments' types, as pg_proc.dat declares them (and parse_func.c resolves polymorphic ones).
 * Anything not listed is undefined — "not known" — and an emitter that needs it refuses.
 */
import type { FuncCall } from 'libpg-query';
import { stringValue } from '../emit-context.js';
import { regexpFunctionType } from '../regex/regexp-types.js';
import { seriesType } from '../series-functions.js';
import { arithmeticType, commonType, TEXT_NUMERIC, type TypeEnvironment, typeOf } from './expr-types.js';
import { jsonArrayType, jsonFunctionType } from './json-types.js';
import { INTEGER_RANK, known, type PgType } from './pg-types.js';

/** Functions returning their array argument's type (pg_proc.dat: anycompatiblearray). */
const ARRAY_BUILDERS = new Set(['array_append', 'array_prepend', 'array_cat', 'array_remove']);

/** Functions returning interval (pg_proc.dat). */
const INTERVAL_RESULTS = new Set([
  'age',
  'justify_days',
  'justify_hours',
  'justify_interval',
  'make_interval',
]);

/** Functions whose result is their first argument's type (pg_proc.dat: anyelement or one entry per type). */
const SAME_AS_ARGUMENT = new Set([
  'min',
  'max',
  'abs',
  'first_value',
  'last_value',
  'nth_value',
  'lag',
  'lead',
]);
const TEXT_RESULTS = new Set([
  'lower',
  'format',
  'upper',
  'initcap',
  'substring',
  'substr',
  'btrim',
  'ltrim',
  'rtrim',
  'replace',
  'left',
  'right',
  'lpad',
  'rpad',
  'concat',
  'concat_ws',
  'reverse',
  'repeat',
  'split_part',
  'md5',
  'chr',
  'regexp_replace',
  'string_agg',
  'to_char',
  'to_hex',
]);
const INTEGER_RESULTS: Readonly<Record<string, 'int4' | 'int8'>> = {
  count: 'int8',
  length: 'int4',
  char_length: 'int4',
  character_length: 'int4',
  octet_length: 'int4',
  bit_length: 'int4',
  strpos: 'int4',
  position: 'int4',
  ascii: 'int4',
  row_number: 'int8',
  rank: 'int8',
  dense_rank: 'int8',
  ntile: 'int4',
  num_nulls: 'int4',
  num_nonnulls: 'int4',
  width_bucket: 'int4',
};

/** A range's bound; numrange's keeps numeric_out's text (its display scale varies by value). */
function rangeElementType(range: PgType): PgType | undefined {
  if (range.name === 'numrange') return TEXT_NUMERIC;
  const element = { int4range: 'int4', int8range: 'int8', daterange: 'date', tsrange: 'timestamp' }[
    range.name
  ];
  return known(element ?? 'timestamptz');
}

export function functionType(env: TypeEnvironment, call: FuncCall): PgType | undefined {
  const name = stringValue(call.funcname?.at(-1)) ?? '';
  if (call.agg_star === true) return name === 'count' ? known('int8') : undefined;
  const json = jsonFunctionType(name) ?? regexpFunctionType(name);
  if (json !== undefined) return json;
  const integer = INTEGER_RESULTS[name];
  if (integer !== undefined) return known(integer);
  const arg = typeOf(env, call.args?.[0]);
  if ((name === 'lower' || name === 'upper') && arg?.category === 'R') return rangeElementType(arg);
  if (TEXT_RESULTS.has(name)) return known('text');
  // lag/lead with a default: value and default resolve to their common type (anycompatible).
  if ((name === 'lag' || name === 'lead') && call.args?.length === 3) {
    const common = commonType(env, [call.args[0], call.args[2]]);
    return common === undefined || common.heldAsText === true ? common : { ...common, typmod: -1 };
  }
  // A function's result carries no typmod (exprTypmod() keeps it only for length coercions).
  if (SAME_AS_ARGUMENT.has(name))
    return arg === undefined || arg.category === 'X' ? undefined : { ...arg, typmod: -1 };
  if (name === 'array_agg') return jsonArrayType(arg);
  if (ARRAY_BUILDERS.has(name)) {
    const array = [arg, typeOf(env, call.args?.[1])].find((t) => t?.category === 'A');
    return array === undefined ? undefined : { ...array, typmod: -1 };
  }
  if (name === 'string_to_array') return { name: 'text[]', oid: 1009, typmod: -1, category: 'A' };
  if (name === 'sum' && arg !== undefined) {
    // pg_proc.dat: sum(int2/int4) → int8, sum(int8/numeric) → numeric, sum(float4) → float4, …
    if (arg.name === 'int2' || arg.name === 'int4') return known('int8');
    if (arg.heldAsText === true) return { ...known('numeric'), heldAsText: true };
    if (arg.name === 'int8' || arg.name === 'numeric') return known('numeric');
    return arg.category === 'N' || arg.name === 'interval' ? arg : undefined;
  }
  if (name === 'avg' && arg !== undefined && arg.category === 'N')
    return arg.name === 'float4' || arg.name === 'float8' ? known('float8') : TEXT_NUMERIC;
  if ((name === 'round' || name === 'trunc') && arg !== undefined)
    return roundType(arg, call.args?.length ?? 0);
  if (NUMERIC_SCALARS.has(name) && arg !== undefined)
    return numericScalarType(name, arg, typeOf(env, call.args?.[1]));
  if (ALWAYS_FLOAT8.has(name)) return known('float8');
  if (FLOAT8_OR_NUMERIC.has(name)) {
    // pg_proc.dat has a float8 and a numeric form; integers resolve to float8 (the preferred type).
    const args = (call.args ?? []).map((a) => typeOf(env, a));
    if (args.some((t) => t === undefined || t.category !== 'N')) return undefined;
    return args.some((t) => t?.name === 'numeric') &&
      !args.some((t) => t?.name === 'float4' || t?.name === 'float8')
      ? TEXT_NUMERIC
      : known('float8');
  }
  // stddev/variance: numeric for integers and numerics (pg_proc.dat), float8 for floats.
  if (SPREAD.has(name) && arg !== undefined && arg.category === 'N')
    return arg.name === 'float4' || arg.name === 'float8' ? known('float8') : TEXT_NUMERIC;
  if (INTERVAL_RESULTS.has(name)) return known('interval');
  if (name === 'now' || name === 'to_timestamp') return known('timestamptz');
  if (name === 'generate_series') return seriesType((call.args ?? []).map((a) => typeOf(env, a)));
  if (name === 'mode' && call.agg_within_group === true) {
    const sort = call.agg_order?.[0];
    return sort !== undefined && 'SortBy' in sort ? typeOf(env, sort.SortBy.node) : undefined;
  }
  if (name === 'make_date') return known('date');
  if (name === 'timezone' && call.args?.length === 2) return atTimeZoneType(typeOf(env, call.args[1]));
  if (name === 'date_trunc') {
    const source = typeOf(env, call.args?.[1])?.name;
    if (source === 'date') return known('timestamptz');
    if (source === 'time') return known('interval');
    return source === 'timestamp' || source === 'timestamptz' || source === 'interval'
      ? known(source)
      : undefined;
  }
  if (name === 'extract') return extractType(env, call);
  if (name === 'date_part') return known('float8');
  if (name === 'date_bin' && call.args?.length === 3) {
    const names = [typeOf(env, call.args[1])?.name, typeOf(env, call.args[2])?.name];
    return names.includes('timestamp') && !names.includes('timestamptz')
      ? known('timestamp')
      : known('timestamptz');
  }
  return undefined;
}

/**
 * `x AT TIME ZONE zone` (timezone(zone, x) in pg_proc.dat): a timestamptz gives the local
 * timestamp, a timestamp the timestamptz; a date is taken as a timestamptz (the preferred type).
 */
function atTimeZoneType(source: PgType | undefined): PgType | undefined {
  if (source?.name === 'timestamptz' || source?.name === 'date') return known('timestamp');
  return source?.name === 'timestamp' ? known('timestamptz') : undefined;
}

/**
 * EXTRACT is numeric; of the julian day of a timestamp[tz] its scale varies by value (a
 * quotient), so it is numeric of varying scale (held as text).
 */
function extractType(env: TypeEnvironment, call: FuncCall): PgType | undefined {
  const [unit, source] = call.args ?? [];
  const unitNode = unit !== undefined && 'TypeCast' in unit ? unit.TypeCast.arg : unit;
  const text = unitNode !== undefined && 'A_Const' in unitNode ? unitNode.A_Const.sval?.sval : undefined;
  const julian = ['j', 'jd', 'julian'].includes((text ?? '').toLowerCase());
  const from = typeOf(env, source)?.name;
  return julian && (from === 'timestamp' || from === 'timestamptz') ? TEXT_NUMERIC : known('numeric');
}

/**
 * round/trunc (pg_proc.dat): round(numeric[, int]) is numeric; round(float8) is float8, and an
 * integer alone resolves to it (float8 is the preferred numeric type); round(integer, int) is
 * numeric. round(float8, int) does not exist.
 */
function roundType(arg: PgType, argCount: number): PgType | undefined {
  if (arg.category !== 'N') return undefined;
  if (arg.name === 'numeric') return arg.heldAsText === true ? TEXT_NUMERIC : known('numeric');
  if (argCount === 1) return known('float8');
  return INTEGER_RANK[arg.name] !== undefined ? known('numeric') : undefined;
}

const NUMERIC_SCALARS = new Set(['ceil', 'ceiling', 'floor', 'sign', 'mod']);

/**
 * ceil/floor/sign (pg_proc.dat: numeric → numeric, float8 → float8, integers resolve to float8)
 * and mod (integers → the wider integer, numeric → numeric).
 */
function numericScalarType(name: string, arg: PgType, second: PgType | undefined): PgType | undefined {
  if (arg.category !== 'N') return undefined;
  if (name !== 'mod') {
    if (arg.name !== 'numeric') return known('float8');
    return arg.heldAsText === true ? TEXT_NUMERIC : known('numeric');
  }
  // mod of numerics is computed exactly on their text (numeric-emit.ts): DuckDB's mod of two
  // DECIMALs whose result needs more than 38 digits is a double.
  const result = arithmeticType('%', arg, second);
  return result?.name === 'numeric' ? TEXT_NUMERIC : result;
}

/** Functions of double precision only (pg_proc.dat). */
const ALWAYS_FLOAT8 = new Set([
  'cbrt',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'degrees',
  'radians',
  'pi',
  'random',
]);
/** Functions with a double precision and a numeric form (pg_proc.dat). */
const FLOAT8_OR_NUMERIC = new Set(['sqrt', 'exp', 'ln', 'log', 'log10', 'power', 'pow']);

const SPREAD = new Set(['stddev', 'stddev_samp', 'stddev_pop', 'variance', 'var_samp', 'var_pop']);
