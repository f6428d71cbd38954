/**
 * inet, cidr, macaddr and macaddr8 in the emit stage. The copy holds each value as PostgreSQL's
 * own (canonical) text, so equality, GROUP BY and DISTINCT of one type are those of the text;
 * ordering goes through network_cmp's key (pga_inet_key, network/inet-value.ts) for inet and
 * cidr, and macaddr's text order is its byte order. Literals are read as the type (inet_in,
 * macaddr_in). The containment operators <<, <<=, >>, >>=, && run as pga_inet_rel; host(),
 * masklen(), family() and ::text are computed from the text. Every other operator or function
 * on these types is refused (0A000) rather than left to DuckDB, which would treat them as text.
 */
import type { A_Expr, FuncCall, Node, TypeCast } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import { canonicalMac, formatInet, inetSortKey, parseInet } from '../../network/inet-value.js';
import { atLocation, type EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { baseTypeName } from '../type-names.js';
import { typeOf } from './expr-types.js';
import type { PgType } from './pg-types.js';
import { orderKey } from './value-keys.js';

export function isInet(type: PgType | undefined): boolean {
  return type?.name === 'inet' || type?.name === 'cidr';
}

function isMac(type: PgType | undefined): boolean {
  return type?.name === 'macaddr' || type?.name === 'macaddr8';
}

export function isNetwork(type: PgType | undefined): boolean {
  return isInet(type) || isMac(type);
}

/** network_cmp's order as a string key (inet, cidr). */
export function inetKey(sql: string): string {
  return `pga_inet_key(${sql})`;
}

/** An untyped literal compared with a network type: inet/cidr as its key, macaddr as its text. */
export function networkLiteral(ctx: EmitContext, text: string, type: PgType, location?: number): string {
  if (isInet(type))
    return quoteLiteral(atLocation(ctx, location, () => inetSortKey(parseInet(text, type.name === 'cidr'))));
  return quoteLiteral(atLocation(ctx, location, () => canonicalMac(text, type.name === 'macaddr' ? 6 : 8)));
}

const NETWORK_TYPES = ['inet', 'cidr', 'macaddr', 'macaddr8'];

const RELATIONS = new Set(['<<', '<<=', '>>', '>>=', '&&']);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

/**
 * An operator with an inet/cidr/macaddr operand other than a comparison: the containment
 * operators of inet, or 0A000. undefined when no operand has such a type (or it is a comparison).
 */
export function emitNetworkOperator(ctx: EmitContext, expr: A_Expr, operator: string): string | undefined {
  // The pass that only lists tables runs no SQL and knows no types: the typed pass decides.
  if (ctx.listingOnly === true && RELATIONS.has(operator))
    return `coalesce(${ctx.expr(expr.lexpr!)}, ${ctx.expr(expr.rexpr!)})`;
  if (ctx.types === undefined || COMPARISONS.has(operator)) return undefined;
  const types = [expr.lexpr, expr.rexpr].map((n) => (n === undefined ? undefined : typeOf(ctx.types!, n)));
  if (!types.some(isNetwork)) return undefined;
  if (RELATIONS.has(operator) && types.every((t) => isInet(t) || t === undefined || t.category === 'X')) {
    const [left, right] = [expr.lexpr!, expr.rexpr!].map((n) => inetOperand(ctx, n));
    return `pga_inet_rel(${left}, ${right}, ${quoteLiteral(operator)})`;
  }
  throw ctx.error(
    SqlState.featureNotSupported,
    `operator ${operator} on ${types.find(isNetwork)!.name} values is not supported by pg_analytica`,
    expr.location,
    'Supported on inet and cidr: comparisons, <<, <<=, >>, >>=, &&, host(), masklen(), family() and ::text.',
  );
}

/** An operand of a containment operator: an untyped literal checked as inet_in would. */
function inetOperand(ctx: EmitContext, node: Node): string {
  const literal = 'A_Const' in node ? node.A_Const.sval?.sval : undefined;
  if (literal === undefined) return ctx.expr(node);
  const location = 'A_Const' in node ? node.A_Const.location : undefined;
  return quoteLiteral(atLocation(ctx, location, () => formatInet(parseInet(literal), false)));
}

const NETWORK_FUNCTIONS = new Set([
  'host',
  'masklen',
  'family',
  'abbrev',
  'broadcast',
  'hostmask',
  'netmask',
  'network',
  'set_masklen',
  'inet_same_family',
  'inet_merge',
  'trunc',
  'macaddr8_set7bit',
  'inet_client_addr',
  'inet_server_addr',
]);

/** host(), masklen() and family() of inet/cidr from its text; other network functions 0A000. */
export function emitNetworkFunction(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (!NETWORK_FUNCTIONS.has(name)) return undefined;
  const args = call.args ?? [];
  if (ctx.listingOnly === true) return `coalesce(NULL${args.map((a) => `, ${ctx.expr(a)}`).join('')})`;
  if (ctx.types === undefined) return undefined;
  if (name === 'trunc' && !isMac(typeOf(ctx.types, args[0]))) return undefined;
  if (args.length === 1 && isInet(typeOf(ctx.types, args[0]))) {
    const x = ctx.expr(args[0]!);
    if (name === 'host') return `split_part(${x}, '/', 1)`;
    if (name === 'masklen') return maskLength(x);
    if (name === 'family')
      return `CASE WHEN ${x} IS NULL THEN NULL WHEN contains(${x}, ':') THEN 6 ELSE 4 END`;
  }
  throw ctx.error(
    SqlState.featureNotSupported,
    `function ${name}() is not supported by pg_analytica`,
    call.location,
    'Supported on inet and cidr: host(), masklen(), family(), comparisons and the containment operators.',
  );
}

function maskLength(x: string): string {
  return `CAST(CASE WHEN contains(${x}, '/') THEN split_part(${x}, '/', 2) WHEN contains(${x}, ':') THEN '128' ELSE '32' END AS INTEGER)`;
}

/**
 * Casts to or from a network type: a literal becomes the type's text; a value of the same type
 * stays as it is; inet/cidr to text always shows the mask length (network_show), macaddr's text
 * is itself. Other casts between these types and others are refused.
 */
export function emitNetworkCast(ctx: EmitContext, cast: TypeCast, arg: Node): string | undefined {
  if (
    ctx.listingOnly === true &&
    cast.typeName !== undefined &&
    NETWORK_TYPES.includes(baseTypeName(cast.typeName))
  )
    return ctx.expr(arg);
  if (ctx.types === undefined || cast.typeName === undefined || (cast.typeName.arrayBounds?.length ?? 0) > 0)
    return undefined;
  const target = baseTypeName(cast.typeName);
  const source = typeOf(ctx.types, arg);
  const targetNetwork = NETWORK_TYPES.includes(target);
  if (!targetNetwork && !isNetwork(source)) return undefined;
  const literal = 'A_Const' in arg ? arg.A_Const.sval?.sval : undefined;
  if (targetNetwork && literal !== undefined) {
    const text = atLocation(ctx, cast.location, () =>
      target === 'inet' || target === 'cidr'
        ? formatInet(parseInet(literal, target === 'cidr'), target === 'cidr')
        : canonicalMac(literal, target === 'macaddr' ? 6 : 8),
    );
    return quoteLiteral(text);
  }
  if (source?.name === target) return ctx.expr(arg);
  if (isNetwork(source) && (target === 'text' || target === 'varchar')) {
    const x = ctx.expr(arg);
    if (isMac(source)) return x;
    return `CASE WHEN contains(${x}, '/') THEN ${x} ELSE ${x} || '/' || ${maskLength(x)} END`;
  }
  throw ctx.error(
    SqlState.featureNotSupported,
    `cast from ${source?.name ?? 'this value'} to ${target} is not supported by pg_analytica`,
    cast.location,
  );
}

/** Elements whose stored form is compared through a key or a canonical spelling (arrays of them). */
export function keyedElement(element: PgType | undefined): boolean {
  return isNetwork(element) || element?.name === 'timetz' || element?.name === 'interval';
}

/**
 * `x op ANY/ALL (array)` over inet, cidr, macaddr or timetz elements: both sides as the keys
 * comparisons use (network_cmp's, timetz_cmp's) or as canonical text (macaddr), so that the
 * answer is PostgreSQL's whatever the literal's spelling.
 */
export function keyedAnyAll(
  ctx: EmitContext,
  left: Node,
  element: PgType,
  array: string,
  operator: string,
  quantifier: string,
): string {
  const key = (sql: string) => orderKey(element, sql) ?? sql;
  const literal = 'A_Const' in left ? left.A_Const.sval?.sval : undefined;
  const location = 'A_Const' in left ? left.A_Const.location : undefined;
  const leftSql =
    literal === undefined
      ? key(ctx.expr(left))
      : isNetwork(element)
        ? networkLiteral(ctx, literal, element, location)
        : key(`CAST(${quoteLiteral(literal)} AS ${element.name === 'timetz' ? 'TIMETZ' : 'INTERVAL'})`);
  const elements = `(SELECT unnest(list_transform(${array}, lambda e: ${key('e')})))`;
  return `(CASE WHEN ${array} IS NOT NULL THEN (${leftSql} ${operator} ${quantifier} ${elements}) END)`;
}

/** An element of an array literal meeting an array of these types, in its canonical text. */
export function canonicalElement(ctx: EmitContext, text: string, element: PgType | undefined): string {
  if (isInet(element))
    return atLocation(ctx, undefined, () =>
      formatInet(parseInet(text, element!.name === 'cidr'), element!.name === 'cidr'),
    );
  if (isMac(element))
    return atLocation(ctx, undefined, () => canonicalMac(text, element!.name === 'macaddr' ? 6 : 8));
  return text;
}
