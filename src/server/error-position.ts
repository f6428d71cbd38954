/**
 * Error positions relative to the whole query string, as PostgreSQL reports
 * them. The engine reports a position within the statement's own text (the
 * statement, trimmed, or for DECLARE and EXPLAIN the query inside it); in a
 * Query message of several statements, or one with leading blanks or
 * comments, that text starts further into the string the client sent.
 * Computed only when an error carries a position, so the common path does not
 * parse twice.
 */
import { PgError } from '../errors.js';
import type { ParsedStatement } from '../query/engine-types.js';
import { parseSql } from '../query/sql/sql-parser.js';
import { charPosition, sliceBytes } from '../query/sql/sql-text.js';
import { WireError } from './error-fields.js';

/** `error` with its position moved from statement `index` of `sql` into `sql` itself. */
export function positionInQuery(
  error: unknown,
  sql: string,
  index: number,
  statement: ParsedStatement,
): unknown {
  const position =
    error instanceof PgError
      ? error.position
      : error instanceof WireError
        ? error.fields.position
        : undefined;
  if (position === undefined) return error;
  const offset = statementTextOffset(sql, index, statement);
  if (offset === 0) return error;
  if (error instanceof WireError) return new WireError({ ...error.fields, position: position + offset });
  const e = error as PgError;
  return new PgError(e.code, e.message, {
    detail: e.detail,
    hint: e.hint,
    cause: e.cause,
    severity: e.severity,
    position: position + offset,
  });
}

/** Characters before the text the statement's positions count from. */
function statementTextOffset(sql: string, index: number, statement: ParsedStatement): number {
  const raw = parseSql(sql)[index];
  if (raw === undefined) return 0;
  const end = raw.length === undefined ? undefined : raw.location + raw.length;
  const own = sliceBytes(sql, raw.location, end);
  const trimmed = own.trim();
  let offset = (charPosition(sql, raw.location) ?? 1) - 1 + (own.length - own.trimStart().length);
  // DECLARE … FOR <query> and EXPLAIN <query>: positions count from the query, the end of the text.
  const inner =
    statement.kind === 'declare' || statement.kind === 'explain' ? statement.select.sql : undefined;
  if (inner !== undefined && trimmed.endsWith(inner)) offset += trimmed.length - inner.length;
  return offset;
}
