/**
 * EXPLAIN without running the query: DuckDB's physical plan, printed as
 * PostgreSQL prints a plan, one node per line with `(cost=a..b rows=n
 * width=w)`. postgres_fdw's use_remote_estimate reads only the first line
 * (sscanf of "(cost=%lf..%lf rows=%lf width=%d)" from its last parenthesis),
 * and its planner sends several EXPLAINs per query, so this must be cheap.
 *
 * Rows are DuckDB's own cardinality estimates. Costs are in PostgreSQL's units
 * (cpu_tuple_cost = 0.01 per row produced by a scan, cpu_operator_cost =
 * 0.0025 per row consumed by any other node), so the local planner weighs a
 * pushed-down aggregate or join against doing the work itself on transferred
 * rows: the columnar engine's work per row is charged below PostgreSQL's.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { PgError, SqlState } from '../errors.js';
import { pgColumnType } from './pg-type-oids.js';

const cpuTupleCost = 0.01;
const cpuOperatorCost = 0.0025;
/** Width PostgreSQL assumes for a variable-length value without statistics. */
const defaultVarlenaWidth = 32;
/** Nodes whose output has as many rows as their (first) input. */
const passesRowsOn = /^(PROJECTION|ORDER_BY|RESULT_COLLECTOR)$/;
/** Nodes that consume their whole input before producing a row. */
const blocking = /ORDER_BY|GROUP_BY|AGGREGATE|TOP_N|WINDOW|HASH_JOIN|DISTINCT/;

interface DuckDbPlanNode {
  readonly name: string;
  readonly children?: readonly DuckDbPlanNode[];
  readonly extra_info?: Readonly<Record<string, unknown>>;
}

interface CostedNode {
  readonly name: string;
  readonly details: readonly string[];
  readonly rows: number;
  readonly startupCost: number;
  readonly totalCost: number;
  readonly children: readonly CostedNode[];
}

/** The plan of `sql` as EXPLAIN lines; the statement is prepared and planned, never executed. */
export async function explainPlan(
  connection: DuckDBConnection,
  sql: string,
  signal?: AbortSignal,
): Promise<string[]> {
  signal?.throwIfAborted();
  const width = await resultWidth(connection, sql);
  const reader = await connection.runAndReadAll(`EXPLAIN (FORMAT json) ${sql}`);
  const text = reader.getRows()[0]?.[1];
  if (typeof text !== 'string')
    throw new PgError(SqlState.internalError, 'the columnar engine returned no plan');
  const roots = JSON.parse(text) as DuckDbPlanNode[];
  const root = roots[0];
  if (root === undefined)
    throw new PgError(SqlState.internalError, 'the columnar engine returned an empty plan');
  const lines: string[] = [];
  printNode(costNode(root), width, 0, lines);
  return lines;
}

/** Average bytes of a result row, from the prepared statement's column types. */
async function resultWidth(connection: DuckDBConnection, sql: string): Promise<number> {
  const prepared = await connection.prepare(sql);
  try {
    let width = 0;
    for (let i = 0; i < prepared.columnCount; i++) {
      const size = pgColumnType(prepared.columnType(i)).typeSize;
      width += size > 0 ? size : defaultVarlenaWidth;
    }
    return width;
  } finally {
    prepared.destroySync();
  }
}

function costNode(node: DuckDbPlanNode): CostedNode {
  const children = (node.children ?? []).map(costNode);
  const estimate = Number(node.extra_info?.['Estimated Cardinality'] ?? Number.NaN);
  // Nodes that keep their input's rows (projections, ORDER BY) carry no estimate or a meaningless one.
  const rows = estimatedRows(node, children, estimate);
  const childCost = children.reduce((sum, child) => sum + child.totalCost, 0);
  const inputRows = children.reduce((sum, child) => sum + child.rows, 0);
  const ownCost = children.length === 0 ? rows * cpuTupleCost : operatorCost(node.name, inputRows, rows);
  const startupCost = blocking.test(node.name) ? childCost + ownCost : (children[0]?.startupCost ?? 0);
  return {
    name: node.name,
    details: describeExtraInfo(node.extra_info),
    rows: Math.max(1, Math.round(rows)),
    startupCost,
    totalCost: childCost + ownCost,
    children,
  };
}

/**
 * A node's output rows: DuckDB's estimate, except where it has none or a meaningless one:
 * projections and sorts keep their input's rows, a top-N keeps at most its limit, and a semi
 * join (DuckDB joins a top-N back to its table by rowid, estimated 0) at most its smaller input.
 */
function estimatedRows(node: DuckDbPlanNode, children: readonly CostedNode[], estimate: number): number {
  const input = children[0]?.rows;
  if (input === undefined) return Number.isFinite(estimate) ? estimate : 1;
  if (node.name === 'TOP_N') {
    const top = Number(node.extra_info?.Top ?? Number.NaN);
    return Number.isFinite(top) ? Math.min(top, input) : input;
  }
  if (/JOIN/.test(node.name) && node.extra_info?.['Join Type'] === 'SEMI') {
    return Math.min(...children.map((child) => child.rows));
  }
  if (passesRowsOn.test(node.name) || !(estimate > 0)) return input;
  return estimate;
}

/**
 * What a node costs for its input, as PostgreSQL prices it: a sort compares N log2 N times, a
 * top-N (ORDER BY … LIMIT) keeps a bounded heap, N log2(2·limit), at 2 × cpu_operator_cost per
 * comparison (cost_sort); anything else cpu_operator_cost per input row. A LIMIT pushed down is
 * then cheaper than sorting everything and limiting locally, so postgres_fdw pushes it.
 */
function operatorCost(name: string, inputRows: number, outputRows: number): number {
  const comparison = 2 * cpuOperatorCost;
  if (name === 'ORDER_BY') return comparison * inputRows * Math.log2(Math.max(2, inputRows));
  if (name === 'TOP_N') return comparison * inputRows * Math.log2(Math.max(2, 2 * outputRows));
  return inputRows * cpuOperatorCost;
}

function describeExtraInfo(info: Readonly<Record<string, unknown>> | undefined): string[] {
  const details: string[] = [];
  for (const [key, value] of Object.entries(info ?? {})) {
    if (key === 'Estimated Cardinality') continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    details.push(`${key}: ${text.replace(/\s*\n\s*/g, ' ')}`);
  }
  return details;
}

function printNode(node: CostedNode, width: number, depth: number, lines: string[]): void {
  const pad = depth === 0 ? '' : `${' '.repeat(6 * depth - 4)}->  `;
  const costs = `(cost=${node.startupCost.toFixed(2)}..${node.totalCost.toFixed(2)} rows=${node.rows} width=${width})`;
  lines.push(`${pad}${planNodeName(node.name)}  ${costs}`);
  const detailPad = ' '.repeat(depth === 0 ? 2 : 6 * depth + 2);
  for (const detail of node.details) lines.push(`${detailPad}${detail}`);
  for (const child of node.children) printNode(child, width, depth + 1, lines);
}

/** SEQ_SCAN → "Seq Scan", HASH_GROUP_BY → "Hash Group By". */
function planNodeName(name: string): string {
  return name
    .toLowerCase()
    .split(/[_ ]+/)
    .map((word) => (word === '' ? word : word[0]!.toUpperCase() + word.slice(1)))
    .join(' ');
}
