/**
 * A jsonb literal as PostgreSQL prints it (jsonb_out): the copy holds each jsonb value in that
 * printed form, so a literal printed the same way compares equal exactly when the values are
 * equal — for values without numbers. Numbers are the exception: jsonb compares them as
 * numeric (1.0 = 1) while their printed forms differ, so a literal holding one is refused.
 */
import { PgError, SqlState } from '../../../errors.js';

/** The printed jsonb form of `text`; throws 22P02 for invalid JSON and 0A000 when it holds a number. */
export function canonicalJsonb(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PgError(SqlState.invalidTextRepresentation, 'invalid input syntax for type json', {
      detail: `The input string ended unexpectedly or is not valid JSON: ${text.slice(0, 60)}`,
    });
  }
  return print(value);
}

function print(value: unknown): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    throw new PgError(
      SqlState.featureNotSupported,
      'comparing jsonb with a value holding a number is not supported by pg_analytica',
      {
        hint: "jsonb compares numbers by value (1.0 = 1); compare the field instead, e.g. (jb->>'k')::numeric, in PostgreSQL",
      },
    );
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      throw new PgError(SqlState.invalidTextRepresentation, 'unsupported Unicode escape sequence', {
        detail: '\\u0000 cannot be converted to text.',
      });
    // JSON.stringify escapes exactly what escape_json() escapes: " \ and control characters.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(print).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  // jsonb orders keys by length, then bytes (lengthCompareJsonbString in jsonb_util.c).
  entries.sort(([a], [b]) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length - y.length || Buffer.compare(x, y);
  });
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${print(v)}`).join(', ')}}`;
}
