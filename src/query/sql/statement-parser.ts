/**
 * Splits a query string into statements and classifies each one, the way a
 * read-only PostgreSQL (a hot standby) would: reads run, session commands are
 * emulated, anything that writes fails with 25006 and PostgreSQL's wording.
 */
import type { Node, SelectStmt, TransactionStmt } from 'libpg-query';
import { PgError, SqlState } from '../../errors.js';
import type { ParsedStatement } from '../engine-types.js';
import { commandName, lockingCommandName } from './command-names.js';
import { classifyClose, classifyDeclare, classifyExplain, classifyFetch } from './cursor-statements.js';
import { classifySet } from './set-statement.js';
import { parseSql, type RawStatement } from './sql-parser.js';
import { sliceBytes } from './sql-text.js';

type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;

export { initSqlParser } from './sql-parser.js';

/** Statements pg_analytica does not run (SQL-level PREPARE/EXECUTE: use the extended protocol); refused as 0A000. */
const NOT_YET_SUPPORTED: Readonly<Record<string, string>> = {
  PrepareStmt: 'PREPARE',
  ExecuteStmt: 'EXECUTE',
  ConstraintsSetStmt: 'SET CONSTRAINTS',
  CheckPointStmt: 'CHECKPOINT',
  LoadStmt: 'LOAD',
};

/**
 * Parses and classifies every statement of `sql` (synchronous; call
 * initSqlParser() once first). A blank string or one of only semicolons and
 * comments yields one { kind: 'empty' }. For SELECTs, `sql` is the
 * statement's own text and `ast` its SelectStmt parsed from that text, so AST
 * locations are byte offsets into `sql`.
 */
export function parseStatements(sql: string): ParsedStatement[] {
  const raw = parseSql(sql);
  if (raw.length === 0) return [{ kind: 'empty' }];
  return raw.map((statement) => classify(sql, statement, raw.length === 1));
}

function classify(sql: string, raw: RawStatement, only: boolean): ParsedStatement {
  const stmt = raw.stmt;
  if (stmt === undefined) return { kind: 'empty' };
  if ('SelectStmt' in stmt) return classifySelect(sql, raw, stmt.SelectStmt, only);
  if ('VariableSetStmt' in stmt) return classifySet(stmt.VariableSetStmt);
  if ('VariableShowStmt' in stmt)
    return { kind: 'show', name: (stmt.VariableShowStmt.name ?? '').toLowerCase() };
  if ('TransactionStmt' in stmt) return classifyTransaction(stmt.TransactionStmt);
  if ('DeclareCursorStmt' in stmt)
    return classifyDeclare(ownText(sql, raw), stmt.DeclareCursorStmt, selectFromText);
  if ('FetchStmt' in stmt) return classifyFetch(stmt.FetchStmt);
  if ('ClosePortalStmt' in stmt) return classifyClose(stmt.ClosePortalStmt);
  if ('ExplainStmt' in stmt) return classifyExplain(ownText(sql, raw), stmt.ExplainStmt, selectFromText);
  if ('DeallocateStmt' in stmt)
    return { kind: 'deallocate', name: stmt.DeallocateStmt.isall ? undefined : stmt.DeallocateStmt.name };
  if ('DiscardStmt' in stmt && stmt.DiscardStmt.target === 'DISCARD_ALL') return { kind: 'discard_all' };
  const tag = Object.keys(stmt)[0] ?? '';
  const unsupported = NOT_YET_SUPPORTED[tag];
  if (unsupported !== undefined) {
    throw new PgError(SqlState.featureNotSupported, `${unsupported} is not supported by pg_analytica`);
  }
  throw readOnlyError(commandName(stmt));
}

export function readOnlyError(command: string): PgError {
  return new PgError(SqlState.readOnlySqlTransaction, `cannot execute ${command} in a read-only transaction`);
}

function classifySelect(sql: string, raw: RawStatement, select: SelectStmt, only: boolean): SelectStatement {
  rejectWritingSelect(select);
  const text = ownText(sql, raw);
  if (only && raw.location === 0 && text === sql) return { kind: 'select', sql: text, ast: select };
  // Re-parse the statement alone so AST locations are offsets into its own text.
  return selectFromText(text);
}

/** The statement's own text within the query string. */
function ownText(sql: string, raw: RawStatement): string {
  const end = raw.length === undefined ? undefined : raw.location + raw.length;
  return sliceBytes(sql, raw.location, end).trim();
}

/** A SELECT written alone (a whole statement, or the query of DECLARE/EXPLAIN). */
function selectFromText(text: string): SelectStatement {
  const parsed = parseSql(text);
  const own = parsed[0]?.stmt;
  if (parsed.length !== 1 || own === undefined || !('SelectStmt' in own)) {
    throw new PgError(SqlState.internalError, 'statement text did not re-parse as the same SELECT');
  }
  rejectWritingSelect(own.SelectStmt);
  return { kind: 'select', sql: text, ast: own.SelectStmt };
}

/** SELECT INTO, FOR UPDATE/SHARE and data-modifying CTEs write, wherever they are nested. */
function rejectWritingSelect(select: SelectStmt): void {
  if (select.intoClause !== undefined) throw readOnlyError('SELECT INTO');
  const locking = select.lockingClause?.[0];
  if (locking !== undefined && 'LockingClause' in locking) {
    throw readOnlyError(lockingCommandName(locking.LockingClause.strength));
  }
  for (const cte of select.withClause?.ctes ?? []) {
    const query = 'CommonTableExpr' in cte ? cte.CommonTableExpr.ctequery : undefined;
    if (query === undefined) continue;
    if (!('SelectStmt' in query)) throw readOnlyError(commandName(query));
    rejectWritingSelect(query.SelectStmt);
  }
  if (select.larg !== undefined) rejectWritingSelect(select.larg);
  if (select.rarg !== undefined) rejectWritingSelect(select.rarg);
  for (const node of [...(select.fromClause ?? []), select.whereClause]) rejectWritingSubquery(node);
}

function rejectWritingSubquery(node: Node | undefined): void {
  if (node === undefined) return;
  if ('RangeSubselect' in node) {
    const sub = node.RangeSubselect.subquery;
    if (sub !== undefined && 'SelectStmt' in sub) rejectWritingSelect(sub.SelectStmt);
  } else if ('JoinExpr' in node) {
    rejectWritingSubquery(node.JoinExpr.larg);
    rejectWritingSubquery(node.JoinExpr.rarg);
  }
}

function classifyTransaction(stmt: TransactionStmt): ParsedStatement {
  if (stmt.chain === true) {
    throw new PgError(SqlState.featureNotSupported, 'COMMIT AND CHAIN is not supported by pg_analytica');
  }
  const savepoint = stmt.savepoint_name;
  switch (stmt.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      // Isolation levels and READ ONLY/READ WRITE are accepted: every query reads one snapshot.
      return { kind: 'transaction', action: 'begin' };
    case 'TRANS_STMT_COMMIT':
      return { kind: 'transaction', action: 'commit' };
    case 'TRANS_STMT_ROLLBACK':
      return { kind: 'transaction', action: 'rollback' };
    case 'TRANS_STMT_SAVEPOINT':
      return { kind: 'transaction', action: 'savepoint', savepoint: savepoint ?? '' };
    case 'TRANS_STMT_RELEASE':
      return { kind: 'transaction', action: 'release', savepoint: savepoint ?? '' };
    case 'TRANS_STMT_ROLLBACK_TO':
      return { kind: 'transaction', action: 'rollback_to', savepoint: savepoint ?? '' };
    default:
      throw new PgError(SqlState.featureNotSupported, 'two-phase commit is not supported by pg_analytica');
  }
}
