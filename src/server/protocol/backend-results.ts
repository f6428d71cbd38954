/**
 * Query result and extended-protocol acknowledgement messages.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { emptyMessage, MessageWriter } from './message-writer.js';

/** One RowDescription field; table OID and attribute number are 0 for computed columns. */
export interface FieldDescription {
  readonly name: string;
  readonly tableOid?: number;
  readonly columnNumber?: number;
  readonly typeOid: number;
  readonly typeSize: number;
  readonly typeModifier: number;
  /** 0 text, 1 binary. */
  readonly format?: number;
}

/**
 * RowDescription 'T': Int16 count, then per field String name, Int32 table
 * OID, Int16 column number, Int32 type OID, Int16 type size, Int32 type
 * modifier, Int16 format code.
 */
export function rowDescription(fields: readonly FieldDescription[]): Buffer {
  const writer = new MessageWriter(2 + fields.length * 32).int16(fields.length);
  for (const field of fields) {
    writer
      .cstring(field.name)
      .int32(field.tableOid ?? 0)
      .int16(field.columnNumber ?? 0)
      .int32(field.typeOid)
      .int16(field.typeSize)
      .int32(field.typeModifier)
      .int16(field.format ?? 0);
  }
  return writer.frame('T');
}

/** DataRow 'D': Int16 count, then per value Int32 length (-1 for NULL) and the bytes. */
export function dataRow(values: readonly (string | null)[]): Buffer {
  const writer = new MessageWriter(2 + values.length * 16).int16(values.length);
  for (const value of values) {
    if (value === null) {
      writer.int32(-1);
    } else {
      writer.int32(Buffer.byteLength(value, 'utf8'));
      writer.utf8(value);
    }
  }
  return writer.frame('D');
}

/** CommandComplete 'C': String tag such as "SELECT 3" or "SET". */
export function commandComplete(tag: string): Buffer {
  return new MessageWriter().cstring(tag).frame('C');
}

/** ParameterDescription 't': Int16 count, Int32[count] type OIDs. */
export function parameterDescription(typeOids: readonly number[]): Buffer {
  const writer = new MessageWriter(2 + typeOids.length * 4).int16(typeOids.length);
  for (const oid of typeOids) writer.int32(oid | 0);
  return writer.frame('t');
}

export const emptyQueryResponse = (): Buffer => emptyMessage('I');
export const parseComplete = (): Buffer => emptyMessage('1');
export const bindComplete = (): Buffer => emptyMessage('2');
export const closeComplete = (): Buffer => emptyMessage('3');
export const noData = (): Buffer => emptyMessage('n');
export const portalSuspended = (): Buffer => emptyMessage('s');
