/**
 * ErrorResponse 'E' and NoticeResponse 'N': a list of (Byte1 field code,
 * String value) pairs ended by a zero byte.
 * https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
import { MessageWriter } from './message-writer.js';

export interface NoticeFields {
  /** ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG. */
  readonly severity: string;
  /** SQLSTATE, five characters. */
  readonly code: string;
  readonly message: string;
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
  /** 1-based character position in the query string. */
  readonly position?: number | undefined;
}

export function errorResponse(fields: NoticeFields): Buffer {
  return encodeFields(fields, 'E');
}

export function noticeResponse(fields: NoticeFields): Buffer {
  return encodeFields(fields, 'N');
}

function encodeFields(fields: NoticeFields, type: 'E' | 'N'): Buffer {
  const writer = new MessageWriter();
  // 'S' may be localised; 'V' (PostgreSQL 9.6+) never is, and clients prefer it.
  writer.int8(0x53).cstring(fields.severity);
  writer.int8(0x56).cstring(fields.severity);
  writer.int8(0x43).cstring(fields.code);
  writer.int8(0x4d).cstring(fields.message);
  if (fields.detail !== undefined) writer.int8(0x44).cstring(fields.detail);
  if (fields.hint !== undefined) writer.int8(0x48).cstring(fields.hint);
  if (fields.position !== undefined) writer.int8(0x50).cstring(String(fields.position));
  return writer.int8(0).frame(type);
}
