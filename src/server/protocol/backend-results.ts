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

/**
 * DataRow 'D': Int16 count, then per value Int32 length (-1 for NULL) and the bytes.
 * The hottest message: written in one pass into a buffer sized for the worst case (3 bytes
 * of UTF-8 per UTF-16 unit), each length filled in after its value is written.
 */
export function dataRow(values: readonly (string | null)[]): Buffer {
  let capacity = 7;
  for (const value of values) capacity += 4 + (value === null ? 0 : value.length * 3);
  const message = Buffer.allocUnsafe(capacity);
  message[0] = 0x44; // 'D'
  message.writeInt16BE(values.length, 5);
  let offset = 7;
  for (const value of values) {
    if (value === null) {
      message.writeInt32BE(-1, offset);
      offset += 4;
      continue;
    }
    const length = message.write(value, offset + 4, 'utf8');
    message.writeInt32BE(length, offset);
    offset += 4 + length;
  }
  message.writeInt32BE(offset - 1, 1);
  return message.subarray(0, offset);
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
