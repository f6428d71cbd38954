/**
 * DuckDB values → PostgreSQL text output format, the way a PostgreSQL 15+
 * server prints them with DateStyle ISO, IntervalStyle postgres,
 * extra_float_digits 1 and bytea_output hex, for the OIDs pg-type-oids.ts
 * announces. columnFormatter() builds one closure per result column so the
 * per-value path does no type dispatch.
 */
import type {
  DuckDBArrayValue,
  DuckDBBitValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBType,
  DuckDBUnionValue,
  DuckDBUUIDValue,
  DuckDBValue,
} from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import {
  formatDate,
  formatInterval,
  formatTime,
  formatTimestamp,
  formatTimeTz,
  nanosToMicros,
  timestampTzFormatter,
} from './format-datetime.js';
import { decimalFormatter, formatFloat4, formatFloat8 } from './format-numbers.js';
import { timeZoneOffsets } from './format-timezone.js';
import { unsupportedType } from './pg-type-oids.js';

export interface PgTextFormatOptions {
  /** The session's TimeZone setting, used for timestamptz. */
  readonly timeZone: string;
  /** The session's extra_float_digits (1 when not given): float4out's and float8out's digits. */
  readonly extraFloatDigits?: number;
}

/** Formats one value of a column; null for SQL NULL. */
export type ColumnFormatter = (value: DuckDBValue) => string | null;

/** Formats one non-null value. */
// biome-ignore lint/suspicious/noExplicitAny: each renderer knows the value class its type produces.
type Render = (value: any) => string;

const int64Infinity = 2n ** 63n - 1n;

/** A formatter for every value of a column of `type`; throws 0A000 for unsupported types. */
export function columnFormatter(type: DuckDBType, options: PgTextFormatOptions): ColumnFormatter {
  if (type.typeId === DuckDBTypeId.SQLNULL) return () => null;
  const render = renderer(type, options);
  return (value) => (value === null ? null : render(value));
}

/** One value in PostgreSQL's text format; prefer columnFormatter() for many values. */
export function formatValue(
  value: DuckDBValue,
  type: DuckDBType,
  options: PgTextFormatOptions,
): string | null {
  return columnFormatter(type, options)(value);
}

function renderer(type: DuckDBType, options: PgTextFormatOptions): Render {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return (value: boolean) => (value ? 't' : 'f');
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.INTEGER_LITERAL:
      return String;
    case DuckDBTypeId.FLOAT:
      return (value: number) => formatFloat4(value, options.extraFloatDigits);
    case DuckDBTypeId.DOUBLE:
      return (value: number) => formatFloat8(value, options.extraFloatDigits);
    case DuckDBTypeId.DECIMAL: {
      const format = decimalFormatter(type.scale);
      return (value: DuckDBDecimalValue) => format(value.value);
    }
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.STRING_LITERAL:
      return String;
    case DuckDBTypeId.BLOB:
      // bytea_output = hex: https://www.postgresql.org/docs/current/datatype-binary.html
      return (value: DuckDBBlobValue) =>
        `\\x${Buffer.from(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength).toString('hex')}`;
    case DuckDBTypeId.UUID:
      return (value: DuckDBUUIDValue) => value.toString();
    case DuckDBTypeId.BIT:
      return (value: DuckDBBitValue) => value.toString();
    default:
      return temporalRenderer(type, options) ?? nestedRenderer(type, options);
  }
}

function temporalRenderer(type: DuckDBType, options: PgTextFormatOptions): Render | undefined {
  switch (type.typeId) {
    case DuckDBTypeId.DATE:
      return (value: DuckDBDateValue) => formatDate(value.days);
    case DuckDBTypeId.TIME:
      return (value: DuckDBTimeValue) => formatTime(Number(value.micros));
    case DuckDBTypeId.TIME_NS:
      return (value: { nanos: bigint }) => formatTime(Number(nanosToMicros(value.nanos)));
    case DuckDBTypeId.TIME_TZ:
      return (value: DuckDBTimeTZValue) => formatTimeTz(Number(value.micros), value.offset);
    case DuckDBTypeId.TIMESTAMP:
      return (value: DuckDBTimestampValue) => formatTimestamp(value.micros);
    case DuckDBTypeId.TIMESTAMP_S:
      return (value: DuckDBTimestampSecondsValue) =>
        formatTimestamp(infinite(value.seconds) ?? value.seconds * 1_000_000n);
    case DuckDBTypeId.TIMESTAMP_MS:
      return (value: DuckDBTimestampMillisecondsValue) =>
        formatTimestamp(infinite(value.millis) ?? value.millis * 1000n);
    case DuckDBTypeId.TIMESTAMP_NS:
      return (value: DuckDBTimestampNanosecondsValue) =>
        formatTimestamp(infinite(value.nanos) ?? nanosToMicros(value.nanos));
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const format = timestampTzFormatter(timeZoneOffsets(options.timeZone));
      return (value: DuckDBTimestampTZValue) => format(value.micros);
    }
    case DuckDBTypeId.INTERVAL:
      return (value: DuckDBIntervalValue) => formatInterval(value);
    default:
      return undefined;
  }
}

/** DuckDB marks ±infinity of every timestamp unit with ±(2^63 - 1); keep that marker in micros. */
function infinite(units: bigint): bigint | undefined {
  return units === int64Infinity || units === -int64Infinity ? units : undefined;
}

function nestedRenderer(type: DuckDBType, options: PgTextFormatOptions): Render {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return arrayRenderer(type.valueType, options);
    case DuckDBTypeId.STRUCT: {
      const names = type.entryNames;
      const renders = type.entryTypes.map((entryType) => renderer(entryType, options));
      return (value: DuckDBStructValue) => rowLiteral(names, renders, value);
    }
    case DuckDBTypeId.MAP: {
      const key = renderer(type.keyType, options);
      const item = renderer(type.valueType, options);
      return (value: DuckDBMapValue) => mapText(key, item, value);
    }
    case DuckDBTypeId.UNION: {
      const members = new Map(
        type.memberTags.map((tag, i) => [tag, renderer(type.memberTypes[i] as DuckDBType, options)]),
      );
      return (value: DuckDBUnionValue) =>
        value.value === null ? 'NULL' : (members.get(value.tag) ?? String)(value.value);
    }
    default:
      throw unsupportedType(type);
  }
}

/** Element types whose text never needs quoting in an array literal (digits, signs, letters, '.', '-'). */
const unquotedElementTypes: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.BIGNUM,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.UUID,
]);

/**
 * array_out: '{a,NULL,"b c"}'. Nested lists print as inner braces, not as
 * quoted strings; other elements are quoted when array_in could misread them
 * (see quoteArrayElement). src/backend/utils/adt/arrayfuncs.c
 */
function arrayRenderer(elementType: DuckDBType, options: PgTextFormatOptions): Render {
  const nested = elementType.typeId === DuckDBTypeId.LIST || elementType.typeId === DuckDBTypeId.ARRAY;
  const inner = renderer(elementType, options);
  const element =
    nested || unquotedElementTypes.has(elementType.typeId)
      ? inner
      : (v: unknown) => quoteArrayElement(inner(v));
  return (value: DuckDBListValue | DuckDBArrayValue) => {
    const items = value.items;
    let text = '{';
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i > 0) text += ',';
      text += item === null || item === undefined ? 'NULL' : element(item);
    }
    return `${text}}`;
  };
}

/** array_out quotes empty strings, "NULL" in any case, and text with {}",\ or C isspace(). */
const needsArrayQuotes = /^$|^null$|[{}",\\ \t\n\r\v\f]/i;
const needsBackslash = /["\\]/g;

export function quoteArrayElement(text: string): string {
  return needsArrayQuotes.test(text) ? `"${text.replace(needsBackslash, '\\$&')}"` : text;
}

/** record_out quotes empty strings and text with "\(), or whitespace, doubling " and \. */
const needsRowQuotes = /^$|["\\(), \t\n\r\v\f]/;
const doubled = /["\\]/g;

/** record_out: '(1,"a b",)' — a NULL field prints as nothing. src/backend/utils/adt/rowtypes.c */
function rowLiteral(names: readonly string[], renders: readonly Render[], value: DuckDBStructValue): string {
  let text = '(';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) text += ',';
    const field = value.entries[names[i] as string];
    if (field === null || field === undefined) continue;
    const fieldText = (renders[i] as Render)(field);
    text += needsRowQuotes.test(fieldText) ? `"${fieldText.replace(doubled, '$&$&')}"` : fieldText;
  }
  return `${text})`;
}

/** PostgreSQL has no map type; DuckDB's own notation with PostgreSQL-formatted keys and values. */
function mapText(key: Render, item: Render, value: DuckDBMapValue): string {
  const parts = value.entries.map(
    (entry) => `${key(entry.key)}=${entry.value === null ? 'NULL' : item(entry.value)}`,
  );
  return `{${parts.join(', ')}}`;
}
