/**
 * What the expression emitters need from the select rewriter: recursion into
 * expressions and subqueries, and errors positioned in the statement text.
 */
import type { Node, RangeVar, SelectStmt } from 'libpg-query';
import { PgError, type SqlStateCode } from '../../errors.js';
import type { CaseFolding } from './typing/case-folding.js';
import type { TypeEnvironment } from './typing/expr-types.js';
import type { TypedColumn, TypeScopes } from './typing/type-scope.js';

export interface EmitContext {
  /** DuckDB SQL for an expression node; refuses any node it does not know. */
  expr(node: Node): string;
  /** DuckDB SQL for a nested SELECT (subquery, CTE body), with its own CTE scope. */
  select(stmt: SelectStmt): string;
  /** A PgError whose position points at `location` (a byte offset in the statement text). */
  error(code: SqlStateCode, message: string, location?: number, hint?: string): PgError;
  /**
   * The type stage's view of the statement (column types, enums, subquery outputs); absent
   * where nothing is typed (constants for segment filters, the pass that only lists tables).
   */
  readonly types?: TypeEnvironment;
  /** Set in the pass that only lists a statement's tables: its SQL is never run. */
  readonly listingOnly?: boolean;
  /**
   * The source's lc_numeric and lc_monetary are C's, whose symbols to_char's D, G, L and S print;
   * undefined when the statement read no table (the settings were not read).
   */
  readonly numberLocaleIsC?: boolean;
  /** The session's TimeZone, which the DuckDB connection runs with too (datetime/local-time.ts). */
  readonly timeZone?: string;
  /**
   * The session's extra_float_digits, which a float's text (::text, ||, to_json) follows as
   * float8out does; undefined: 1, the shortest digits that read back.
   */
  readonly extraFloatDigits?: number;
  /** How the database's default ctype maps case (typing/case-folding.ts); undefined: not known. */
  readonly caseFolding?: CaseFolding;
  /** The source's float width_bucket() divides before it multiplies; undefined: not known. */
  readonly widthBucketDividesFirst?: boolean;
}

/** Adds what FROM clauses need: table resolution and CTE scoping. */
export interface SelectContext extends EmitContext {
  /**
   * The relation to read for a table reference (a CTE name or the resolver's answer), without
   * alias, and its columns' types when known.
   */
  rangeVar(range: RangeVar): { readonly sql: string; readonly columns: readonly TypedColumn[] | undefined };
  /** Makes a FROM item's columns known to the expressions of its SELECT level. */
  addRange(alias: string, columns: readonly TypedColumn[] | undefined, renamed?: readonly string[]): void;
  readonly types?: TypeScopes;
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

/**
 * Runs `read` (the reading of a literal's text, which may throw PostgreSQL's error) with its
 * error positioned at `location` in the statement.
 */
export function atLocation<T>(ctx: EmitContext, location: number | undefined, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PgError) throw ctx.error(error.code, error.message, location, error.hint);
    throw error;
  }
}
