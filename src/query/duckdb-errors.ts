/**
 * DuckDB errors become PgErrors with the SQLSTATE PostgreSQL would use for the
 * same kind of failure. DuckDB prefixes messages with its error class
 * ("Binder Error: …"), which is what we map on.
 */
import { PgError, SqlState, type SqlStateCode } from '../errors.js';
import { unsupportedMarker } from './sql/sql-text.js';

const byClass: [RegExp, SqlStateCode][] = [
  [/^Parser Error/, SqlState.syntaxError],
  [
    // "referenced that exists in the SELECT clause": DuckDB finds the name only as an output alias.
    /^Binder Error: (Referenced column|Values list|Table .* does not have a column|Column .* referenced that exists in the SELECT clause)/,
    SqlState.undefinedColumn,
  ],
  // "missing FROM-clause entry" in PostgreSQL, e.g. a column qualified by a table not in FROM.
  [/^Binder Error: Referenced table .* not found/, SqlState.undefinedTable],
  [/^Binder Error: Ambiguous reference to column/, SqlState.ambiguousColumn],
  [/^Binder Error: No function matches/, SqlState.undefinedFunction],
  [/^Binder Error/, SqlState.datatypeMismatch],
  [/^Catalog Error: (Scalar|Aggregate|Table) Function/, SqlState.undefinedFunction],
  [/^Catalog Error/, SqlState.undefinedTable],
  // Casts that overflow the target type: "… is out of range for type integer" in PostgreSQL.
  [/^Conversion Error: .*out of range for the destination type/, SqlState.numericValueOutOfRange],
  [/^Conversion Error: Failed to cast decimal value/, SqlState.numericValueOutOfRange],
  [
    /^Conversion Error: Could not convert string '\s*[+-]?\d+\s*' to (U?(TINY|SMALL|HUGE)?INT|BIGINT|U?INT\d+)$/,
    SqlState.numericValueOutOfRange,
  ],
  // "date/time field value out of range" and "invalid input syntax for type date" in PostgreSQL.
  [/^Conversion Error: (date|timestamp|time) field value out of range/, SqlState.datetimeFieldOverflow],
  [/^Conversion Error: invalid (date|timestamp|time) field format/, SqlState.invalidDatetimeFormat],
  [/^Conversion Error/, SqlState.invalidTextRepresentation],
  [/^Out of Range Error/, SqlState.numericValueOutOfRange],
  // Raised by the zero-divisor check the SQL front end wraps around / and % (operator-rules.ts).
  [/^Invalid Input Error: division by zero$/, SqlState.divisionByZero],
  [new RegExp(`^Invalid Input Error: ${unsupportedMarker}`), SqlState.featureNotSupported],
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
