/**
 * Text and binary formats in the extended protocol: Bind names a format per
 * parameter and per result column (none: all text; one: for all; else one
 * each). Values travel inside the server in PostgreSQL's text form, so a
 * binary parameter is turned into its text literal and a binary result value
 * is encoded from its text, per type OID.
 * https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES
 */
import { PgError, SqlState } from '../errors.js';
import type { ResultColumn, TextRow } from '../query/engine-types.js';
import {
  canReceiveBinary,
  canSendBinary,
  decodeBinaryParameter,
  encodeBinaryValue,
} from './protocol/binary-values.js';
import { dataRow, type FieldDescription } from './protocol/index.js';
import { MessageWriter } from './protocol/message-writer.js';

const text = 0;
const binary = 1;

/** The format code for item `index` of a Bind format list. */
export function formatOf(formats: readonly number[], index: number): number {
  return (formats.length === 1 ? formats[0] : formats[index]) ?? text;
}

/** Bind's result format codes must each be 0 or 1 (08P01 otherwise, as in PostgreSQL). */
export function checkResultFormats(formats: readonly number[]): void {
  for (const format of formats) {
    if (format !== text && format !== binary) {
      throw new PgError(SqlState.protocolViolation, `unsupported format code: ${format}`);
    }
  }
}

/** A Bind parameter as the text literal the statement is run with. */
export function parameterText(typeOid: number, format: number, value: Buffer): string {
  if (format === text) return value.toString('utf8');
  if (format !== binary) throw new PgError(SqlState.protocolViolation, `unsupported format code: ${format}`);
  if (!canReceiveBinary(typeOid)) {
    throw new PgError(
      SqlState.featureNotSupported,
      typeOid === 0
        ? 'a binary parameter needs its type declared in Parse'
        : `binary format is not supported for parameters of type ${typeOid}; send text`,
    );
  }
  return decodeBinaryParameter(typeOid, value);
}

/** RowDescription fields with the format each column is sent in. */
export function describedColumns(
  columns: readonly ResultColumn[],
  formats: readonly number[],
): FieldDescription[] {
  return columns.map((column, i) => ({ ...column, format: formatOf(formats, i) }));
}

/**
 * The DataRow encoder for these columns and formats. A type without a binary
 * form is refused before any row is sent (0A000), not silently sent as text.
 */
export function rowEncoder(
  columns: readonly ResultColumn[],
  formats: readonly number[],
): (row: TextRow) => Buffer {
  const binaryColumns = columns.map((_, i) => formatOf(formats, i) === binary);
  if (!binaryColumns.some(Boolean)) return dataRow;
  for (const [i, column] of columns.entries()) {
    if (binaryColumns[i] && !canSendBinary(column.typeOid)) {
      throw new PgError(
        SqlState.featureNotSupported,
        `binary format is not supported for result column "${column.name}" (type ${column.typeOid}); request text`,
      );
    }
  }
  return (row) => {
    const writer = new MessageWriter(2 + row.length * 16).int16(row.length);
    for (const [i, value] of row.entries()) {
      if (value === null) {
        writer.int32(-1);
        continue;
      }
      const bytes = binaryColumns[i]
        ? encodeBinaryValue(columns[i]!.typeOid, value)
        : Buffer.from(value, 'utf8');
      writer.int32(bytes.length).bytes(bytes);
    }
    return writer.frame('D');
  };
}
