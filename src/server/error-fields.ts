/**
 * Turns errors into ErrorResponse/NoticeResponse fields. Only the session
 * serializes errors to clients; this is the one place that decides how.
 */
import { PgError, SqlState, type SqlStateCode } from '../errors.js';
import type { NoticeFields } from './protocol/index.js';

/** An error to send with exactly these fields, e.g. one relayed from the source server. */
export class WireError extends Error {
  readonly fields: NoticeFields;

  constructor(fields: NoticeFields) {
    super(fields.message);
    this.name = 'WireError';
    this.fields = fields;
  }
}

export function errorFields(error: unknown): NoticeFields {
  if (error instanceof WireError) return error.fields;
  if (error instanceof PgError) {
    return {
      severity: error.severity,
      code: error.code,
      message: error.message,
      detail: error.detail,
      hint: error.hint,
      position: error.position,
    };
  }
  return {
    severity: 'ERROR',
    code: SqlState.internalError,
    message: String((error as Error)?.message ?? error),
  };
}

export function isFatal(error: unknown): boolean {
  return errorFields(error).severity === 'FATAL';
}

export function warning(code: SqlStateCode, message: string): NoticeFields {
  return { severity: 'WARNING', code, message };
}
