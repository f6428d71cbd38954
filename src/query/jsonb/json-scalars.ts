/**
 * The JSON text of one scalar as to_json/json_agg/json_build_* print it (datum_to_json in
 * PostgreSQL's json.c), for the values DuckDB cannot print that way itself: strings (escape_json),
 * floats (float8out/float4out, NaN and ±Infinity as strings), dates and timestamps
 * (JsonEncodeDateTime: ISO 8601 with a 'T', a timestamptz's offset as +HH:MM in the session
 * TimeZone, ±infinity as strings) and intervals (their text output as a string).
 * Registered in DuckDB by duckdb-json-functions.ts; sql/json-values.ts emits the calls.
 */
import type {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBIntervalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
} from '@duckdb/node-api';
import { PgError, SqlState } from '../../errors.js';
import {
  formatDate,
  formatInterval,
  formatTime,
  formatTimestamp,
  formatTimeTz,
  timestampTzFormatter,
} from '../format-datetime.js';
import { formatFloat4, formatFloat8 } from '../format-numbers.js';
import { timeZoneOffsets } from '../format-timezone.js';

/**
 * escape_json: `"`, `\`, \b \f \n \r \t by their short escapes, other characters below 0x20 as
 * \u00xx (lower-case hex), everything else as is — exactly what JSON.stringify writes for a string
 * (it escapes lone surrogates too, which PostgreSQL text cannot hold).
 */
export function jsonString(text: string): string {
  return JSON.stringify(text);
}

/**
 * A float as json prints it: float8out's text under the session's extra_float_digits, or a
 * string where that is no JSON number.
 */
export function jsonFloat(value: number, real: boolean, extraFloatDigits = 1): string {
  const text = real ? formatFloat4(value, extraFloatDigits) : formatFloat8(value, extraFloatDigits);
  return Number.isFinite(value) ? text : jsonString(text);
}

/** A date: "2024-01-01", "0044-03-15 BC", "infinity" (EncodeDateOnly with USE_XSD_DATES). */
export function jsonDate(value: DuckDBDateValue): string {
  return jsonString(formatDate(value.days));
}

/** A timestamp: "2024-01-01T01:02:03.5" (EncodeDateTime with USE_XSD_DATES: a 'T' between date and time). */
export function jsonTimestamp(value: DuckDBTimestampValue): string {
  return jsonString(formatTimestamp(value.micros).replace(' ', 'T'));
}

const zoned = new Map<string, (micros: bigint) => string>();

/**
 * A timestamptz in the session's zone: "2024-01-01T01:00:00+00:00". EncodeTimezone writes the
 * offset's minutes always in the XSD style ("+00:00", "+05:30", "-04:56:02"), where the ISO
 * style of timestamptz_out drops zero minutes ("+00").
 */
export function jsonTimestampTz(value: DuckDBTimestampTZValue, timeZone: string): string {
  let format = zoned.get(timeZone);
  if (format === undefined) {
    format = timestampTzFormatter(timeZoneOffsets(timeZone));
    zoned.set(timeZone, format);
  }
  const text = format(value.micros);
  const xsd = text.replace(
    /([+-]\d\d)((?::\d\d){0,2})( BC)?$/,
    (_m, hours: string, rest: string, bc?: string) => {
      return `${hours}${rest === '' ? ':00' : rest}${bc ?? ''}`;
    },
  );
  return jsonString(xsd.replace(' ', 'T'));
}

/** A time of day: its text output ("01:02:03.5") as a string. */
export function jsonTime(value: DuckDBTimeValue): string {
  return jsonString(formatTime(Number(value.micros)));
}

/** A time with time zone: its text output ("01:02:03+05:30") as a string. */
export function jsonTimeTz(value: DuckDBTimeTZValue): string {
  return jsonString(formatTimeTz(Number(value.micros), value.offset));
}

/** A bytea: byteaout's hex text ("\\x0102", the backslash escaped) as a string. */
export function jsonBytea(value: DuckDBBlobValue): string {
  return jsonString(`\\x${Buffer.from(value.bytes).toString('hex')}`);
}

/** An interval: its text output (IntervalStyle postgres) as a string. */
export function jsonInterval(value: DuckDBIntervalValue): string {
  return jsonString(formatInterval(value));
}

/** add_json's refusal of an array or json value as an object key (called for a non-NULL key only). */
export function structuredKey(): never {
  throw new PgError(
    SqlState.invalidParameterValue,
    'key value must be scalar, not array, composite, or json',
  );
}
