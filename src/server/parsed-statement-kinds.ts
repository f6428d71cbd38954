/** Narrowed views of the engine contract's ParsedStatement union. */
import type { ParsedStatement } from '../query/engine-types.js';

export type TransactionStatement = Extract<ParsedStatement, { kind: 'transaction' }>;
export type TransactionAction = TransactionStatement['action'];
export type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;
export type DeclareStatement = Extract<ParsedStatement, { kind: 'declare' }>;
export type FetchStatement = Extract<ParsedStatement, { kind: 'fetch' }>;
export type ExplainStatement = Extract<ParsedStatement, { kind: 'explain' }>;

/** The function src/query provides to split and classify a query string; throws PgError (42601 …). */
export type ParseStatements = (sql: string) => ParsedStatement[];

export function transactionAction(statement: ParsedStatement): TransactionAction | undefined {
  return statement.kind === 'transaction' ? statement.action : undefined;
}
