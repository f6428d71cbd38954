/**
 * The one place that calls libpg-query (PostgreSQL's own parser compiled to
 * WebAssembly). The module loads asynchronously once; after initSqlParser()
 * resolves, parsing is synchronous so the server can parse per query.
 */
import { hasSqlDetails, loadModule, type Node, parseSync } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';

export interface RawStatement {
  readonly stmt: Node | undefined;
  /** Byte offset of the statement in the query text. */
  readonly location: number;
  /** Byte length, or undefined when the statement runs to the end of the text. */
  readonly length: number | undefined;
}

let loaded = false;

/** Loads the parser; call once at start-up (idempotent). */
export async function initSqlParser(): Promise<void> {
  await loadModule();
  loaded = true;
}

/** Parses a query string into raw statements; syntax errors become 42601 with PostgreSQL's position. */
export function parseSql(sql: string): RawStatement[] {
  if (!loaded) {
    throw new PgError(SqlState.internalError, 'the SQL parser is not loaded; call initSqlParser() first');
  }
  // libpg-query rejects blank input itself; PostgreSQL treats it as an empty query.
  if (sql.trim() === '') return [];
  let result: { stmts?: { stmt?: Node; stmt_location?: number; stmt_len?: number }[] };
  try {
    result = parseSync(sql);
  } catch (error) {
    throw toSyntaxError(error);
  }
  return (result.stmts ?? []).map((s) => ({
    stmt: s.stmt,
    location: s.stmt_location ?? 0,
    length: s.stmt_len === undefined || s.stmt_len === 0 ? undefined : s.stmt_len,
  }));
}

function toSyntaxError(error: unknown): PgError {
  if (!hasSqlDetails(error)) {
    return new PgError(SqlState.syntaxError, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  // libpg-query reports PostgreSQL's 1-based character cursor minus one.
  return new PgError(SqlState.syntaxError, error.sqlDetails.message, {
    position: error.sqlDetails.cursorPosition + 1,
    cause: error,
  });
}
