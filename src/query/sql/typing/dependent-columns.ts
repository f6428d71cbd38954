/**
 * Columns PostgreSQL lets a grouped query read without grouping them: those functionally
 * dependent on a grouped primary key (`SELECT u.id, u.name … GROUP BY u.id`). DuckDB knows no
 * keys and refused the statement, so such columns are added to the GROUP BY. PostgreSQL's
 * Describe of the statement, which runs before it does (source-describe.ts), has checked that
 * each column read outside an aggregate is grouped, part of a grouped expression, or dependent
 * on a grouped key; adding a dependent column splits no group. Adding a column that is only
 * part of a grouped expression would (GROUP BY date_trunc('day', ts) is not GROUP BY ts), so a
 * column is added only when
 * - it is not inside an expression the GROUP BY names (compared without table qualifiers, so
 *   `date_trunc('day', o.ts)` matches `date_trunc('day', ts)`), and
 * - its table has a column grouped as a plain reference (a key is: `u.id`), or, unqualified,
 *   the query reads one table and groups one of its columns plainly.
 * Anything else is left to DuckDB, which refuses what it cannot group: never a wrong answer.
 */
import type { Node, SelectStmt } from 'libpg-query';
import { stringValue } from '../emit-context.js';
import { AGGREGATES } from './keyed-grouping.js';

/** The node's JSON without parse locations and with column references unqualified. */
function looseShape(node: unknown): string {
  return JSON.stringify(node, (key, value) => {
    if (key === 'location') return undefined;
    if (key === 'ColumnRef' && Array.isArray(value?.fields)) return { fields: value.fields.slice(-1) };
    return value;
  });
}

function fieldsOf(node: Node): Node[] {
  return 'ColumnRef' in node ? (node.ColumnRef.fields ?? []) : [];
}

/** The expression a GROUP BY item stands for: a position or an output name is the select item. */
function groupExpression(stmt: SelectStmt, item: Node): Node {
  const targets = stmt.targetList ?? [];
  if ('A_Const' in item && item.A_Const.ival !== undefined) {
    const target = targets[(item.A_Const.ival.ival ?? 0) - 1];
    if (target !== undefined && 'ResTarget' in target && target.ResTarget.val) return target.ResTarget.val;
  }
  const fields = fieldsOf(item);
  if (fields.length === 1) {
    const name = stringValue(fields[0]);
    const named = targets.find((t) => 'ResTarget' in t && t.ResTarget.name === name);
    if (named !== undefined && 'ResTarget' in named && named.ResTarget.val) return named.ResTarget.val;
  }
  return item;
}

/** The column references read outside aggregates, subqueries and grouped expressions. */
function ungroupedColumns(node: unknown, grouped: ReadonlySet<string>, out: Node[]): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) ungroupedColumns(item, grouped, out);
    return;
  }
  const record = node as Record<string, unknown>;
  if (grouped.has(looseShape(record))) return;
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
  for (const value of Object.values(record)) ungroupedColumns(value, grouped, out);
}

export function withDependentColumns(stmt: SelectStmt): SelectStmt {
  const groups = stmt.groupClause ?? [];
  if (groups.length === 0 || groups.some((g) => 'GroupingSet' in g)) return stmt;
  const expressions = groups.map((g) => groupExpression(stmt, g));
  const grouped = new Set(expressions.map(looseShape));
  // Tables (by qualifier) with a column grouped as a plain reference; '' for unqualified ones.
  const plainlyGrouped = new Set(
    expressions
      .map(fieldsOf)
      .filter((f) => f.length > 0)
      .map((f) => (f.length > 1 ? stringValue(f.at(-2)) : '')),
  );
  const from = stmt.fromClause ?? [];
  const oneTable = from.length === 1 && 'RangeVar' in from[0]!;
  const targets = stmt.targetList ?? [];
  const aliases = new Set(targets.map((t) => ('ResTarget' in t ? t.ResTarget.name : undefined)));
  const read: Node[] = [];
  ungroupedColumns(
    targets.map((t) => ('ResTarget' in t ? t.ResTarget.val : undefined)),
    grouped,
    read,
  );
  ungroupedColumns(stmt.havingClause, grouped, read);
  const sorted: Node[] = [];
  ungroupedColumns(stmt.sortClause, grouped, sorted);
  // ORDER BY total may name an output column rather than a table's.
  read.push(
    ...sorted.filter((ref) => !(fieldsOf(ref).length === 1 && aliases.has(stringValue(fieldsOf(ref)[0])))),
  );
  const added: Node[] = [];
  for (const ref of read) {
    const fields = fieldsOf(ref);
    if (fields.some((f) => 'A_Star' in f)) continue;
    const table = fields.length > 1 ? stringValue(fields.at(-2)) : undefined;
    const dependent = table !== undefined ? plainlyGrouped.has(table) : oneTable && plainlyGrouped.size > 0;
    const key = looseShape(ref);
    if (!dependent || grouped.has(key)) continue;
    grouped.add(key);
    added.push(ref);
  }
  return added.length === 0 ? stmt : { ...stmt, groupClause: [...groups, ...added] };
}
