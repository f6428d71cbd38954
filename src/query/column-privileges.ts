/**
 * Column privileges: a role granted SELECT on some columns of a table only
 * (GRANT SELECT (id, created_at) ON orders TO alice) reads exactly those, as
 * in PostgreSQL. The resolver (table-resolver.ts) returns, with the table, the
 * columns the role may SELECT, in the same catalog statement as the table
 * check, so privileges are those of the catalog as the statement starts (a
 * REVOKE counts from the next statement on, nothing is cached). The select
 * rewriter reports the columns each reference reads (sql/column-reads.ts);
 * they are checked here before DuckDB runs anything.
 */
import type { VisibleTable } from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
import type { ColumnReads } from './sql/column-reads.js';
import { quoteIdent } from './sql/sql-text.js';
import type { ResolvedTable } from './table-resolver.js';

/**
 * Throws PostgreSQL's error for the first reference reading a column the role may not
 * SELECT. `privileges` are the tables as the statement's catalog read resolved them, by
 * reference; a reference reading no column was let through by the resolver only if the
 * role may SELECT some column (has_any_column_privilege).
 */
export function checkColumnPrivileges(privileges: readonly ResolvedTable[], reads: ColumnReads): void {
  privileges.forEach((table, i) => {
    const selectable = table.selectableColumns;
    if (selectable === undefined) return;
    for (const column of reads.columnsRead(i)) {
      // PostgreSQL names the table, not the column (aclcheck_error in ExecCheckPermissions).
      if (!selectable.has(column))
        throw new PgError(SqlState.insufficientPrivilege, `permission denied for table ${table.tableName}`, {
          hint: `column "${column}" is not granted to the role: name only the columns it may SELECT (* and a whole-row reference need them all)`,
        });
    }
  });
}

/**
 * The relation a reference with column grants reads: the view narrowed to the columns the role
 * may SELECT, so that a reference the check above did not see fails in DuckDB (the column does
 * not exist there) instead of reading what the role may not.
 */
export function grantedRelation(
  view: string,
  table: VisibleTable,
  selectable: ReadonlySet<string> | undefined,
): string {
  if (selectable === undefined) return view;
  const columns = table.columns.filter((c) => selectable.has(c.name)).map((c) => quoteIdent(c.name));
  // No column of the copy granted (only columns it does not have yet): rows, and nothing of them.
  return `(SELECT ${columns.length > 0 ? columns.join(', ') : 'NULL AS "?pga_no_column?"'} FROM ${view})`;
}
