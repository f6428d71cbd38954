/**
 * DuckDB errors become PgErrors with the SQLSTATE PostgreSQL would use for the
 * same kind of failure. DuckDB prefixes messages with its error class
 * ("Binder Error: …"), which is what we map on.
 */
import { PgError, SqlState, type SqlStateCode } from '../errors.js';

const byClass: [RegExp, SqlStateCode][] = [
  [/^Parser Error/, SqlState.syntaxError],
  [
    /^Binder Error: (Referenced column|Values list|Table .* does not have a column)/,
    SqlState.undefinedColumn,
  ],
  [/^Binder Error: No function matches/, SqlState.undefinedFunction],
  [/^Binder Error/, SqlState.datatypeMismatch],
  [/^Catalog Error: (Scalar|Aggregate|Table) Function/, SqlState.undefinedFunction],
  [/^Catalog Error/, SqlState.undefinedTable],
  [/^Conversion Error/, SqlState.invalidTextRepresentation],
  [/^Out of Range Error/, SqlState.numericValueOutOfRange],
  [/^Invalid Input Error/, SqlState.invalidParameterValue],
  [/^Not implemented Error/, SqlState.featureNotSupported],
  [/^Out of Memory Error/, SqlState.outOfMemory],
  [/^INTERRUPT Error|Interrupted/i, SqlState.queryCanceled],
  [/^Permission Error/, SqlState.insufficientPrivilege],
];

export function translateDuckDbError(error: unknown): PgError {
  if (error instanceof PgError) return error;
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.split('\n')[0] ?? raw;
  const code = byClass.find(([pattern]) => pattern.test(message))?.[1] ?? SqlState.internalError;
  if (code === SqlState.queryCanceled)
    return new PgError(code, 'canceling statement due to user request', { cause: error });
  // Strip DuckDB's class prefix; the SQLSTATE carries the class now.
  const text = message.replace(/^[A-Za-z ]+ Error: /, '');
  return new PgError(code, text, {
    cause: error,
    detail: raw.includes('\n') ? raw.slice(message.length + 1).trim() || undefined : undefined,
  });
}
