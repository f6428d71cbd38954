/**
 * What the expression emitters need from the select rewriter: recursion into
 * expressions and subqueries, and errors positioned in the statement text.
 */
import type { Node, RangeVar, SelectStmt } from 'libpg-query';
import type { PgError, SqlStateCode } from '../../errors.js';

export interface EmitContext {
  /** DuckDB SQL for an expression node; refuses any node it does not know. */
  expr(node: Node): string;
  /** DuckDB SQL for a nested SELECT (subquery, CTE body), with its own CTE scope. */
  select(stmt: SelectStmt): string;
  /** A PgError whose position points at `location` (a byte offset in the statement text). */
  error(code: SqlStateCode, message: string, location?: number, hint?: string): PgError;
}

/** Adds what FROM clauses need: table resolution and CTE scoping. */
export interface SelectContext extends EmitContext {
  /** The relation to read for a table reference (a CTE name or the resolver's answer), without alias. */
  rangeVar(range: RangeVar): string;
}

/** The nodes of a List node (IN lists, BETWEEN bounds, VALUES rows), or the node itself. */
export function listItems(node: Node | undefined): Node[] {
  if (node === undefined) return [];
  if ('List' in node) return node.List.items ?? [];
  return [node];
}

/** The sval of a String node, or undefined. */
export function stringValue(node: Node | undefined): string | undefined {
  return node !== undefined && 'String' in node ? node.String.sval : undefined;
}
