/**
 * Ordered-set aggregates (… WITHIN GROUP (ORDER BY x)) as PostgreSQL's
 * orderedsetaggs.c computes them:
 * - mode(): the most frequent non-NULL value, ties going to the first in the
 *   sort order (PostgreSQL scans the sorted input and keeps a value only when a
 *   later one is strictly more frequent). DuckDB's mode() breaks ties by hash
 *   order, so the counts come from histogram() and the winner is chosen here.
 * - percentile_cont / percentile_disc: DuckDB's quantiles interpolate and pick
 *   as PostgreSQL does (checked differentially); a constant fraction outside
 *   [0, 1] fails with PostgreSQL's 22003, and percentile_cont of an interval
 *   (interpolated with interval arithmetic in PostgreSQL) is refused.
 * Returns undefined to let the generic emitter write the call.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { emitSortBy } from './sort-and-window.js';
import { operandType } from './typing/typed-operands.js';

/** Key types whose DuckDB order and equality are PostgreSQL's (text byte-wise, as under the C collation). */
const MODE_KEY_CATEGORIES = new Set(['N', 'S', 'D', 'B', 'E']);

export function emitOrderedSetAggregate(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (call.agg_within_group !== true) return undefined;
  if (name === 'mode') return emitMode(ctx, call);
  if (name === 'percentile_cont' || name === 'percentile_disc') checkPercentile(ctx, call, name);
  return undefined;
}

function emitMode(ctx: EmitContext, call: FuncCall): string {
  const [sort, ...more] = call.agg_order ?? [];
  const key = sort !== undefined && 'SortBy' in sort ? sort.SortBy.node : undefined;
  const type = operandType(ctx, key);
  const exact =
    type !== undefined &&
    MODE_KEY_CATEGORIES.has(type.category) &&
    type.name !== 'bpchar' &&
    type.heldAsText !== true;
  if (
    key === undefined ||
    more.length > 0 ||
    (call.args ?? []).length > 0 ||
    call.over !== undefined ||
    !exact
  ) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `mode() WITHIN GROUP (ORDER BY ${type === undefined ? 'a value of unknown type' : type.name}) is not supported by pg_analytica in this form`,
      call.location,
      'mode() is supported over one sort key of a numeric, text, date/time, boolean or enum type.',
    );
  }
  const descending = /\bDESC\b/.test(emitSortBy(ctx, sort!));
  const filter = call.agg_filter === undefined ? '' : ` FILTER (WHERE ${ctx.expr(call.agg_filter)})`;
  const counts = `map_entries(histogram(${ctx.expr(key)})${filter})`;
  // Sorted by (count, value): the most frequent first, then the first value in the requested order.
  const entries = descending
    ? `list_sort(list_transform(${counts}, lambda e: {'n': e.value, 'v': e.key}), 'DESC')`
    : `list_sort(list_transform(${counts}, lambda e: {'n': -CAST(e.value AS BIGINT), 'v': e.key}), 'ASC')`;
  return `(${entries})[1].v`;
}

function checkPercentile(ctx: EmitContext, call: FuncCall, name: string): void {
  const [fraction] = call.args ?? [];
  for (const value of constantFractions(fraction)) {
    if (value < 0 || value > 1 || Number.isNaN(value))
      throw ctx.error(
        SqlState.numericValueOutOfRange,
        `percentile value ${value} is not between 0 and 1`,
        call.location,
      );
  }
  const sort = call.agg_order?.[0];
  const key = sort !== undefined && 'SortBy' in sort ? sort.SortBy.node : undefined;
  if (name === 'percentile_cont' && operandType(ctx, key)?.name === 'interval') {
    throw ctx.error(
      SqlState.featureNotSupported,
      'percentile_cont of interval values is not supported by pg_analytica',
      call.location,
      'percentile_disc picks one of the values and is supported.',
    );
  }
}

/** The numbers of a constant fraction or ARRAY[…] of constants. */
function constantFractions(node: Node | undefined): number[] {
  if (node === undefined) return [];
  if ('A_ArrayExpr' in node) return (node.A_ArrayExpr.elements ?? []).flatMap(constantFractions);
  if (!('A_Const' in node)) return [];
  const constant = node.A_Const;
  if (constant.ival !== undefined) return [constant.ival.ival ?? 0];
  if (constant.fval !== undefined) return [Number(constant.fval.fval)];
  return [];
}
