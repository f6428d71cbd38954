/**
 * Sort keys and windows → DuckDB: ORDER BY items with PostgreSQL's NULLS defaults and each
 * type's order key (value-keys.ts), window specifications (PARTITION BY by equality key,
 * ORDER BY, frames from PostgreSQL's frame option bits).
 */
import type { Node, SortBy, WindowDef } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { allowAnyDims } from './multidim-arrays.js';
import { quoteIdent } from './sql-text.js';
import { refuseLocaleOrder } from './typing/collation.js';
import type { PgType } from './typing/pg-types.js';
import { operandType } from './typing/typed-operands.js';
import { groupedValue, orderKey } from './typing/value-keys.js';

/**
 * PostgreSQL sorts NULLs last ascending and first descending; DuckDB sorts
 * them last either way, so the NULLS clause is always spelled out.
 */
export function emitSortBy(ctx: EmitContext, node: Node, wrapKey?: (key: string) => string): string {
  if (!('SortBy' in node)) throw ctx.error(SqlState.syntaxError, 'sort key expected');
  const sort: SortBy = node.SortBy;
  if (sort.sortby_dir === 'SORTBY_USING') {
    throw ctx.error(
      SqlState.featureNotSupported,
      'ORDER BY … USING is not supported by pg_analytica',
      sort.location,
    );
  }
  if (sort.node === undefined) throw ctx.error(SqlState.syntaxError, 'sort key expected', sort.location);
  const descending = sort.sortby_dir === 'SORTBY_DESC';
  const nullsFirst =
    sort.sortby_nulls === 'SORTBY_NULLS_FIRST' || (sort.sortby_nulls !== 'SORTBY_NULLS_LAST' && descending);
  refuseLocaleOrder(ctx, [sort.node], 'ORDER BY', sort.location);
  // By default a value sorts by its type's order key (value-keys.ts): a numeric held as text by
  // value, an interval by its span, jsonb by its own order, bpchar without trailing blanks, an
  // array of several dimensions as array_cmp (only through that key).
  const type = operandType(ctx, sort.node);
  if (wrapKey === undefined && (type?.ndims ?? 1) > 1 && orderKey(type, 'x') !== undefined)
    allowAnyDims(sort.node);
  const key = ctx.expr(sort.node);
  const sorted = wrapKey === undefined ? (orderKey(type, key) ?? floatSortKey(type, key)) : wrapKey(key);
  return `${sorted} ${descending ? 'DESC' : 'ASC'} NULLS ${nullsFirst ? 'FIRST' : 'LAST'}`;
}

/**
 * A double precision or real sort key as an expression of its own: DuckDB's sort hands back the
 * values of a sorted column from its normalized key, where -0 has become 0 (PostgreSQL prints
 * the row's '-0'); sorting by `x + 0` orders the same and leaves the column's values alone.
 */
function floatSortKey(type: PgType | undefined, key: string): string {
  return type?.name === 'float8' || type?.name === 'float4' ? `(${key} + 0)` : key;
}

/** `OVER w` or `OVER (…)`. */
export function emitWindowReference(ctx: EmitContext, window: WindowDef): string {
  const onlyName =
    window.name !== undefined && !window.refname && !window.partitionClause && !window.orderClause;
  return onlyName ? quoteIdent(window.name ?? '') : `(${emitWindowSpec(ctx, window)})`;
}

/** A window specification's body: [base] [PARTITION BY …] [ORDER BY …] [frame]. */
export function emitWindowSpec(ctx: EmitContext, window: WindowDef): string {
  const parts: string[] = [];
  if (window.refname !== undefined) parts.push(quoteIdent(window.refname));
  const partition = (window.partitionClause ?? []).map((p) => groupedValue(operandType(ctx, p), ctx.expr(p)));
  if (partition.length > 0) parts.push(`PARTITION BY ${partition.join(', ')}`);
  const order = (window.orderClause ?? []).map((s) => emitSortBy(ctx, s));
  if (order.length > 0) parts.push(`ORDER BY ${order.join(', ')}`);
  const frame = emitFrame(ctx, window);
  if (frame !== '') parts.push(frame);
  return parts.join(' ');
}

/** Frame option bits from PostgreSQL's parsenodes.h (FRAMEOPTION_*). */
const FRAME = {
  nonDefault: 0x1,
  range: 0x2,
  rows: 0x4,
  groups: 0x8,
  startUnboundedPreceding: 0x20,
  endUnboundedFollowing: 0x100,
  startCurrentRow: 0x200,
  endCurrentRow: 0x400,
  startOffsetPreceding: 0x800,
  endOffsetPreceding: 0x1000,
  startOffsetFollowing: 0x2000,
  endOffsetFollowing: 0x4000,
  excludeCurrentRow: 0x8000,
  excludeGroup: 0x10000,
  excludeTies: 0x20000,
} as const;

function emitFrame(ctx: EmitContext, window: WindowDef): string {
  const options = window.frameOptions ?? 0;
  if ((options & FRAME.nonDefault) === 0) return '';
  const unit = options & FRAME.rows ? 'ROWS' : options & FRAME.groups ? 'GROUPS' : 'RANGE';
  const offset = (node: Node | undefined) => (node === undefined ? '' : ctx.expr(node));
  let start = 'CURRENT ROW';
  if (options & FRAME.startUnboundedPreceding) start = 'UNBOUNDED PRECEDING';
  else if (options & FRAME.startOffsetPreceding) start = `${offset(window.startOffset)} PRECEDING`;
  else if (options & FRAME.startOffsetFollowing) start = `${offset(window.startOffset)} FOLLOWING`;
  let end = 'CURRENT ROW';
  if (options & FRAME.endUnboundedFollowing) end = 'UNBOUNDED FOLLOWING';
  else if (options & FRAME.endOffsetPreceding) end = `${offset(window.endOffset)} PRECEDING`;
  else if (options & FRAME.endOffsetFollowing) end = `${offset(window.endOffset)} FOLLOWING`;
  let exclude = '';
  if (options & FRAME.excludeCurrentRow) exclude = ' EXCLUDE CURRENT ROW';
  else if (options & FRAME.excludeGroup) exclude = ' EXCLUDE GROUP';
  else if (options & FRAME.excludeTies) exclude = ' EXCLUDE TIES';
  return `${unit} BETWEEN ${start} AND ${end}${exclude}`;
}
