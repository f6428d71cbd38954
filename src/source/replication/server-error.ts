/**
 * Errors of the replication connection as PgError: the server's ErrorResponse
 * keeps its SQLSTATE; a lost connection is 08006 so callers know to reconnect.
 */
import { PgError, SqlState, type SqlStateCode } from '../../errors.js';

/** The ErrorResponse fields pg-protocol parses (its DatabaseError). */
export interface ServerErrorFields {
  readonly message: string;
  readonly code?: string | undefined;
  readonly severity?: string | undefined;
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
}

/**
 * The server's SQLSTATE is passed through as is, even when it is not one of
 * the codes SqlState names (e.g. 55006 object_in_use): it is what the caller
 * must react to, and what an operator can look up.
 */
export function serverError(fields: ServerErrorFields, context: string): PgError {
  const code = (fields.code ?? SqlState.internalError) as SqlStateCode;
  return new PgError(code, `${context}: ${fields.message}`, {
    detail: fields.detail,
    hint: fields.hint,
    severity: fields.severity === 'FATAL' || fields.severity === 'PANIC' ? 'FATAL' : 'ERROR',
    cause: fields,
  });
}

export function connectionLost(what: string, cause: Error | undefined): PgError {
  const reason = cause ? `: ${cause.message}` : '';
  return new PgError(SqlState.connectionFailure, `replication connection lost ${what}${reason}`, {
    severity: 'FATAL',
    hint: 'Reconnect and restart streaming from the last confirmed LSN; unconfirmed transactions are sent again.',
    cause,
  });
}
