/**
 * The built-in ranges in the emit stage. The copy holds range_out's text (tstzrange's in UTC,
 * one text per value), so equality, GROUP BY and DISTINCT are the text's; ordering goes through
 * range_cmp's key (pga_range_key). Literals are canonicalized as range_in would (tstzrange bounds
 * without an offset in the session's TimeZone). `@>`, `<@` (with a range or an
 * element) and `&&` run as registered functions (ranges/range-value.ts); lower(), upper(),
 * isempty(), lower_inc(), upper_inc(), lower_inf(), upper_inf() read the text. Any other
 * operator or function of a range is refused (0A000).
 */
import type { A_Expr, FuncCall, Node, TypeCast } from 'libpg-query';
import { type PgError, SqlState } from '../../../errors.js';
import { formatRange, parseRange, type RangeKind, rangeSortKey } from '../../ranges/range-value.js';
import { atLocation, type EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { baseTypeName } from '../type-names.js';
import { typeOf } from './expr-types.js';
import type { PgType } from './pg-types.js';

const KINDS: Readonly<Record<string, RangeKind>> = {
  int4range: 'int4',
  int8range: 'int8',
  daterange: 'date',
  numrange: 'num',
  tsrange: 'ts',
  tstzrange: 'tstz',
};
/** lower()/upper(): numrange's bound stays numeric_out's text (the type stage holds it as text). */
const ELEMENT_DUCK: Readonly<Record<RangeKind, string>> = {
  int4: 'INTEGER',
  int8: 'BIGINT',
  date: 'DATE',
  num: 'VARCHAR',
  ts: 'TIMESTAMP',
  tstz: 'TIMESTAMPTZ',
};

export function isRange(type: PgType | undefined): boolean {
  return type !== undefined && KINDS[type.name] !== undefined;
}

function kindOf(type: PgType): RangeKind {
  return KINDS[type.name]!;
}

/** range_cmp's order as a string key. */
export function rangeKey(type: PgType, sql: string): string {
  return `pga_range_key(${sql}, '${kindOf(type)}')`;
}

function canonical(ctx: EmitContext, type: PgType, text: string, location?: number): string {
  const kind = kindOf(type);
  return atLocation(ctx, location, () => formatRange(kind, parseRange(kind, text, ctx.timeZone ?? 'UTC')));
}

/** An untyped literal compared with a range, as its key. */
export function rangeLiteralKey(ctx: EmitContext, text: string, type: PgType, location?: number): string {
  const kind = kindOf(type);
  return quoteLiteral(
    atLocation(ctx, location, () => rangeSortKey(parseRange(kind, text, ctx.timeZone ?? 'UTC'))),
  );
}

const untyped = (node: Node | undefined) =>
  node !== undefined && 'A_Const' in node && node.A_Const.isnull !== true
    ? node.A_Const.sval?.sval
    : undefined;

/** A range operand: an untyped literal in its canonical text. */
function rangeOperand(ctx: EmitContext, node: Node, type: PgType): string {
  const text = untyped(node);
  return text === undefined ? ctx.expr(node) : quoteLiteral(canonical(ctx, type, text));
}

const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/** @>, <@ and && with a range operand; other operators on ranges 0A000; undefined without one. */
export function emitRangeOperator(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  if (ctx.listingOnly === true && ['@>', '<@', '&&'].includes(operator))
    return `coalesce(${ctx.expr(expr.lexpr!)}, ${ctx.expr(expr.rexpr!)})`;
  if (ctx.types === undefined || COMPARISONS.has(operator)) return undefined;
  const [l, r] = [expr.lexpr, expr.rexpr];
  const [lt, rt] = [l, r].map((n) => (n === undefined ? undefined : typeOf(ctx.types!, n)));
  const range = [lt, rt].find(isRange);
  if (range === undefined) return undefined;
  if (l !== undefined && r !== undefined && ['@>', '<@', '&&'].includes(operator)) {
    const [outer, inner, innerType] = operator === '<@' ? [r, l, lt] : [l, r, rt];
    const outerType = operator === '<@' ? rt : lt;
    if (isRange(outerType) && (isRange(innerType) || untyped(inner) !== undefined)) {
      const op = operator === '<@' ? '@>' : operator;
      return `pga_range_rel(${rangeOperand(ctx, outer, range)}, ${rangeOperand(ctx, inner, range)}, '${op}', '${kindOf(range)}')`;
    }
    if (operator !== '&&' && isRange(outerType) && !isRange(innerType)) {
      const kind = kindOf(range);
      // A timestamp element as µs since 1970 (a timestamptz's UTC instant), not as text.
      if (kind === 'ts' || kind === 'tstz')
        return `pga_range_has_us(${ctx.expr(outer)}, CAST(epoch_us(CAST(${ctx.expr(inner)} AS ${ELEMENT_DUCK[kind]})) AS VARCHAR), '${kind}')`;
      const element = `CAST(CAST(${ctx.expr(inner)} AS ${ELEMENT_DUCK[kindOf(range)]}) AS VARCHAR)`;
      return `pga_range_has(${ctx.expr(outer)}, ${element}, '${kindOf(range)}')`;
    }
  }
  throw ctx.error(
    SqlState.featureNotSupported,
    `operator ${operator} on ${range.name} values is not supported by pg_analytica`,
    expr.location,
    'Supported on ranges: comparisons, @>, <@, &&, lower(), upper(), isempty(), lower_inc(), upper_inc(), lower_inf(), upper_inf().',
  );
}

/** The bounds of a range's text: '[1,5)' → 1 and 5; '' for an unbounded side. */
function bound(x: string, which: 1 | 2): string {
  const inner = `substr(${x}, 2, length(${x}) - 2)`;
  return `nullif(trim(split_part(${inner}, ',', ${which}), '"'), '')`;
}

/** The range functions dashboards use; undefined when the argument is not a range. */
export function emitRangeFunction(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const args = call.args ?? [];
  // The pass that only lists tables knows no types; these names are not text functions.
  if (ctx.listingOnly === true && RANGE_FUNCTIONS.has(name) && name !== 'lower' && name !== 'upper')
    return `coalesce(NULL${args.map((a) => `, ${ctx.expr(a)}`).join('')})`;
  if (ctx.types === undefined || args.length === 0) return undefined;
  const type = args.map((a) => typeOf(ctx.types!, a)).find(isRange);
  if (!isRange(type)) return undefined;
  // max()/min() of a range do not exist in PostgreSQL (42883); the text's would answer.
  if (name === 'min' || name === 'max') {
    throw ctx.error(
      SqlState.undefinedFunction,
      `function ${name}(${type!.name}) does not exist`,
      call.location,
      'No function matches the given name and argument types. You might need to add explicit type casts.',
    );
  }
  if (!RANGE_FUNCTIONS.has(name)) {
    refuseZonedText(ctx, call, name);
    return undefined;
  }
  if (args.length !== 1) throw unsupportedFunction(ctx, call, name);
  const x = ctx.expr(args[0]!);
  const empty = `${x} = 'empty'`;
  const element = ELEMENT_DUCK[kindOf(type!)];
  const kind = kindOf(type!);
  if ((name === 'lower' || name === 'upper') && (kind === 'ts' || kind === 'tstz'))
    return timestampBound(x, name, kind);
  switch (name) {
    case 'lower':
      return `CASE WHEN ${empty} THEN NULL ELSE CAST(${bound(x, 1)} AS ${element}) END`;
    case 'upper':
      return `CASE WHEN ${empty} THEN NULL ELSE CAST(${bound(x, 2)} AS ${element}) END`;
    case 'isempty':
      return `(${empty})`;
    case 'lower_inc':
      return `(${x}[1] = '[')`;
    case 'upper_inc':
      return `(${x}[-1] = ']')`;
    case 'lower_inf':
      return `(NOT ${empty} AND ${bound(x, 1)} IS NULL)`;
    case 'upper_inf':
      return `(NOT ${empty} AND ${bound(x, 2)} IS NULL)`;
    default:
      throw unsupportedFunction(ctx, call, name);
  }
}

/**
 * lower()/upper() of a tsrange or tstzrange through the bound's µs (make_timestamp reads years BC,
 * DuckDB's cast of PostgreSQL's ' BC' text does not); a tstzrange's µs are a UTC instant.
 */
function timestampBound(x: string, which: 'lower' | 'upper', kind: 'ts' | 'tstz'): string {
  const us = `pga_range_bound_us(${x}, '${which}', '${kind}')`;
  const type = ELEMENT_DUCK[kind];
  const made = `make_timestamp(CAST(${us} AS BIGINT))`;
  const value = kind === 'tstz' ? `timezone('UTC', ${made})` : made;
  return `CASE ${us} WHEN 'infinity' THEN CAST('infinity' AS ${type}) WHEN '-infinity' THEN CAST('-infinity' AS ${type}) ELSE ${value} END`;
}

const RANGE_FUNCTIONS = new Set([
  'lower',
  'upper',
  'isempty',
  'lower_inc',
  'upper_inc',
  'lower_inf',
  'upper_inf',
  'range_merge',
  'range_agg',
  'range_intersect_agg',
  'multirange',
]);

/** Functions that return a tstzrange argument as it is (printed per session), or only count it. */
const VALUE_PRESERVING = new Set([
  'count',
  'first_value',
  'last_value',
  'nth_value',
  'lag',
  'lead',
  'nullif',
]);

/**
 * Any other function of a tstzrange (to_json, concat, format, …) would read the copy's UTC text
 * where PostgreSQL prints the bounds in the session's TimeZone: refused.
 */
function refuseZonedText(ctx: EmitContext, call: FuncCall, name: string): void {
  if (VALUE_PRESERVING.has(name)) return;
  if (!(call.args ?? []).some((a) => typeOf(ctx.types!, a)?.name === 'tstzrange')) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `function ${name}() of a tstzrange value is not supported by pg_analytica`,
    call.location,
    'select the range itself, or its lower() and upper() bounds',
  );
}

function unsupportedFunction(ctx: EmitContext, call: FuncCall, name: string): PgError {
  return ctx.error(
    SqlState.featureNotSupported,
    `function ${name}() of a range is not supported by pg_analytica`,
    call.location,
  );
}

/** Casts to a range: a literal in canonical text, a value of the same type as it is; ::text is range_out. */
export function emitRangeCast(ctx: EmitContext, cast: TypeCast, arg: Node): string | undefined {
  if (cast.typeName === undefined || (cast.typeName.arrayBounds?.length ?? 0) > 0) return undefined;
  const target = baseTypeName(cast.typeName);
  if (ctx.listingOnly === true && KINDS[target] !== undefined) return ctx.expr(arg);
  if (ctx.types === undefined) return undefined;
  const source = typeOf(ctx.types, arg);
  if (KINDS[target] === undefined && !isRange(source)) return undefined;
  const text = untyped(arg);
  const targetType = { name: target, oid: 0, typmod: -1, category: 'R' } as const;
  if (KINDS[target] !== undefined && text !== undefined)
    return quoteLiteral(canonical(ctx, targetType, text, cast.location));
  if (source?.name === target) return ctx.expr(arg);
  // The copy holds a tstzrange's bounds in UTC; its text in the session's zone is not computed here.
  if (isRange(source) && source?.name !== 'tstzrange' && (target === 'text' || target === 'varchar'))
    return ctx.expr(arg);
  throw ctx.error(
    SqlState.featureNotSupported,
    `cast from ${source?.name ?? 'this value'} to ${target} is not supported by pg_analytica`,
    cast.location,
  );
}
