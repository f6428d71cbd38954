/**
 * Columns PostgreSQL lets a grouped query read without grouping them: those functionally
 * dependent on a grouped primary key (`SELECT u.id, u.name … GROUP BY u.id`). DuckDB knows no
 * keys and refused the statement. Every column such a query reads outside an aggregate is
 * therefore added to its GROUP BY: PostgreSQL's Describe of the statement, which runs before
 * the statement does (source-describe.ts), has already checked that each one is grouped or
 * dependent on what is, so adding it splits no group.
 */
import type { Node, SelectStmt } from 'libpg-query';
import { stringValue } from '../emit-context.js';

/** Aggregates: a column read inside one is read per row. */
const AGGREGATES = new Set(
  (
    'count sum avg min max stddev stddev_samp stddev_pop variance var_samp var_pop bool_and bool_or every ' +
    'string_agg array_agg percentile_cont percentile_disc mode corr covar_pop covar_samp bit_and bit_or ' +
    'regr_slope regr_intercept regr_count regr_r2 json_agg jsonb_agg json_object_agg jsonb_object_agg'
  ).split(' '),
);

function shape(node: Node): string {
  return JSON.stringify(node, (key, value) => (key === 'location' ? undefined : value));
}

/** The column references read outside aggregates and subqueries. */
function columnsOutsideAggregates(node: unknown, out: Node[]): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) columnsOutsideAggregates(item, out);
    return;
  }
  const record = node as Record<string, unknown>;
  if ('ColumnRef' in record) {
    out.push(record as Node);
    return;
  }
  if ('SubLink' in record) return;
  const call = record.FuncCall as { funcname?: Node[]; over?: unknown } | undefined;
  if (call !== undefined && call.over === undefined) {
    const name = stringValue(call.funcname?.at(-1));
    if (name !== undefined && AGGREGATES.has(name)) return;
  }
  for (const value of Object.values(record)) columnsOutsideAggregates(value, out);
}

export function withDependentColumns(stmt: SelectStmt): SelectStmt {
  const groups = stmt.groupClause ?? [];
  if (groups.length === 0 || groups.some((g) => 'GroupingSet' in g)) return stmt;
  const targets = stmt.targetList ?? [];
  const aliases = new Set(targets.map((t) => ('ResTarget' in t ? t.ResTarget.name : undefined)));
  const grouped = new Set(groups.map(shape));
  const read: Node[] = [];
  columnsOutsideAggregates(
    targets.map((t) => ('ResTarget' in t ? t.ResTarget.val : undefined)),
    read,
  );
  columnsOutsideAggregates(stmt.havingClause, read);
  const sortColumns: Node[] = [];
  columnsOutsideAggregates(stmt.sortClause, sortColumns);
  // ORDER BY total may name an output column rather than a table's.
  for (const ref of sortColumns) {
    const fields = 'ColumnRef' in ref ? (ref.ColumnRef.fields ?? []) : [];
    if (!(fields.length === 1 && aliases.has(stringValue(fields[0])))) read.push(ref);
  }
  const added: Node[] = [];
  for (const ref of read) {
    const fields = 'ColumnRef' in ref ? (ref.ColumnRef.fields ?? []) : [];
    if (fields.some((f) => 'A_Star' in f)) continue;
    const key = shape(ref);
    if (grouped.has(key)) continue;
    grouped.add(key);
    added.push(ref);
  }
  return added.length === 0 ? stmt : { ...stmt, groupClause: [...groups, ...added] };
}
