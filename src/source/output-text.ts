/**
 * Turns values as logical replication sends them (each type's text output, in
 * the replication session's settings: ISO dates, UTC, iso_8601 intervals) into
 * fields of the same COPY text the backfill reads, so streamed rows go through
 * the very conversions of column-types.ts and land in segments identical to
 * copied ones.
 *
 * - plain values are COPY-escaped (backslash, tab, newline, carriage return);
 * - arrays become a JSON array of their elements' text, nested by dimension, as the backfill's
 *   `to_json(col::text[])` gives (the column's declared dimensions starting at 1, else an error);
 * - intervals become "<months> months <days> days <micros> microseconds".
 */
import { PgError, SqlState } from '../errors.js';
import { declaredDims, parseNestedArray } from './array-columns.js';
import type { IngestColumn } from './column-types.js';
import { quoteIdent } from './column-types.js';

/** Settings of the replication session whose text output this module reads. */
export const replicationOutputSettings: Readonly<Record<string, string>> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO,MDY',
  IntervalStyle: 'iso_8601',
  extra_float_digits: '1',
  bytea_output: 'hex',
};

export const copyNull = '\\N';

/** Escapes text for one field of COPY's text format. */
export function copyEscape(text: string): string {
  if (!/[\\\t\n\r]/.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** One COPY text field for `column` from its text output (null stays NULL). */
export function copyField(column: IngestColumn, text: string | null): string {
  if (text === null) return copyNull;
  switch (column.outputText) {
    case 'plain':
      return copyEscape(text);
    case 'array':
      return copyEscape(JSON.stringify(parseNestedArray(column.name, declaredDims(column), text)));
    case 'interval':
      return intervalFields(column, text);
    case 'interval-array': {
      const elements = parseArrayElements(column, text);
      return copyEscape(JSON.stringify(elements.map((e) => (e === null ? null : intervalFields(column, e)))));
    }
  }
}

/** The elements of a one-dimensional array literal as array_out writes it (see parseNestedArray). */
export function parseArrayElements(column: IngestColumn, literal: string): (string | null)[] {
  return parseNestedArray(column.name, 1, literal) as (string | null)[];
}

const isoInterval =
  /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d+))?S)?)?$/;

/** An iso_8601 interval ("P1Y2M3DT4H5M6.5S", fields signed separately) as months, days and microseconds. */
export function intervalFields(column: IngestColumn, text: string): string {
  const match = isoInterval.exec(text);
  if (!match) {
    throw new PgError(
      SqlState.invalidTextRepresentation,
      `unexpected interval text ${JSON.stringify(text)} for column ${quoteIdent(column.name)}`,
    );
  }
  const [, years, months, days, hours, minutes, secondsSign, seconds, fraction] = match;
  const n = (v: string | undefined) => BigInt(v ?? '0');
  const totalMonths = n(years) * 12n + n(months);
  const fractionMicros = BigInt(`${fraction ?? ''}000000`.slice(0, 6));
  const secondMicros = (n(seconds) * 1_000_000n + fractionMicros) * (secondsSign === '-' ? -1n : 1n);
  const micros = (n(hours) * 60n + n(minutes)) * 60_000_000n + secondMicros;
  return `${totalMonths} months ${n(days)} days ${micros} microseconds`;
}
