/**
 * `agg(x) FILTER (WHERE c)`: PostgreSQL computes x only for the rows c keeps, DuckDB for every
 * row, so an input that fails on the others (`sum(100 / n) FILTER (WHERE n <> 0)`,
 * `avg(t::int) FILTER (WHERE t ~ '^\d+$')`) failed where PostgreSQL answers. Each computed
 * input (and aggregate sort key) becomes `CASE WHEN c THEN x END`, which DuckDB evaluates only
 * where c holds; the FILTER stays, so the NULLs of the other rows are never aggregated.
 *
 * Left as they are: what reads no column (a percentile's fraction), string_agg's separator, a FILTER with a subquery
 * (written once per input it would resolve its tables again), and the JSON aggregates, which
 * do the same themselves (json-constructors.ts).
 */
import type { FuncCall, Node } from 'libpg-query';

const HANDLED_ELSEWHERE = new Set(['json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg']);

function guarded(condition: Node, node: Node): Node {
  // Only what reads the row can fail on it; a constant ('','::text) stays a constant.
  if (!JSON.stringify(node).includes('"ColumnRef"') || 'NamedArgExpr' in node || 'RowExpr' in node)
    return node;
  return { CaseExpr: { args: [{ CaseWhen: { expr: condition, result: node } }] } };
}

export function withFilteredInputs(call: FuncCall, name: string): FuncCall {
  const condition = call.agg_filter;
  if (condition === undefined || HANDLED_ELSEWHERE.has(name)) return call;
  if (JSON.stringify(condition).includes('"SubLink"')) return call;
  const order = call.agg_order?.map((s) =>
    'SortBy' in s && s.SortBy.node !== undefined
      ? { SortBy: { ...s.SortBy, node: guarded(condition, s.SortBy.node) } }
      : s,
  );
  return {
    ...call,
    // string_agg's separator is read once (DuckDB wants it constant).
    args: call.args?.map((a, i) => (name === 'string_agg' && i === 1 ? a : guarded(condition, a))),
    ...(order === undefined ? {} : { agg_order: order }),
  };
}
