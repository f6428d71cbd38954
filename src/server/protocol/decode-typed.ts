/**
 * Decodes the body of one typed frontend message.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { PgError, SqlState } from '../../errors.js';
import type { DescribeTarget, TypedMessage } from './frontend-messages.js';
import { PayloadReader } from './payload-reader.js';

export function decodeTypedMessage(type: string, body: Buffer): TypedMessage {
  switch (type) {
    case 'Q':
      return decodeQuery(new PayloadReader(body, 'Query'));
    case 'P':
      return decodeParse(new PayloadReader(body, 'Parse'));
    case 'B':
      return decodeBind(new PayloadReader(body, 'Bind'));
    case 'D':
      return decodeDescribeOrClose('describe', new PayloadReader(body, 'Describe'));
    case 'C':
      return decodeDescribeOrClose('close', new PayloadReader(body, 'Close'));
    case 'E':
      return decodeExecute(new PayloadReader(body, 'Execute'));
    case 'S':
      return empty({ type: 'sync' }, body, 'Sync');
    case 'H':
      return empty({ type: 'flush' }, body, 'Flush');
    case 'X':
      return empty({ type: 'terminate' }, body, 'Terminate');
    case 'p':
      return { type: 'password', payload: body };
    case 'd':
    case 'c':
    case 'f':
      return { type: 'copy', code: type };
    case 'F':
      return { type: 'functionCall' };
    default:
      throw new PgError(SqlState.protocolViolation, `invalid frontend message type ${type.charCodeAt(0)}`, {
        severity: 'FATAL',
      });
  }
}

function empty(message: TypedMessage, body: Buffer, what: string): TypedMessage {
  new PayloadReader(body, what).end();
  return message;
}

function decodeQuery(reader: PayloadReader): TypedMessage {
  const sql = reader.cstring();
  reader.end();
  return { type: 'query', sql };
}

/**
 * Parse: String name, String query, Int16 n, Int32[n] parameter type OIDs.
 * Element counts are unsigned 16-bit, as PostgreSQL reads them: up to 65,535.
 */
function decodeParse(reader: PayloadReader): TypedMessage {
  const statement = reader.cstring();
  const sql = reader.cstring();
  const paramTypes = repeat(reader.uint16(), () => reader.uint32(), reader);
  reader.end();
  return { type: 'parse', statement, sql, paramTypes };
}

/**
 * Bind: String portal, String statement, Int16 n + Int16[n] parameter formats,
 * Int16 n + n × (Int32 length (-1 = NULL), Byte[length]), Int16 n + Int16[n] result formats.
 */
function decodeBind(reader: PayloadReader): TypedMessage {
  const portal = reader.cstring();
  const statement = reader.cstring();
  const paramFormats = repeat(reader.uint16(), () => reader.int16(), reader);
  const params = repeat(
    reader.uint16(),
    () => {
      const length = reader.int32();
      return length === -1 ? null : reader.bytes(length);
    },
    reader,
  );
  const resultFormats = repeat(reader.uint16(), () => reader.int16(), reader);
  reader.end();
  return { type: 'bind', portal, statement, paramFormats, params, resultFormats };
}

/** Describe and Close: Byte1 'S' (statement) or 'P' (portal), String name. */
function decodeDescribeOrClose(type: 'describe' | 'close', reader: PayloadReader): TypedMessage {
  const target = String.fromCharCode(reader.int8());
  if (target !== 'S' && target !== 'P') {
    throw new PgError(SqlState.protocolViolation, `invalid ${type} message subtype ${target.charCodeAt(0)}`, {
      severity: 'FATAL',
    });
  }
  const name = reader.cstring();
  reader.end();
  return { type, target: target as DescribeTarget, name };
}

/** Execute: String portal, Int32 max rows (0 = no limit). */
function decodeExecute(reader: PayloadReader): TypedMessage {
  const portal = reader.cstring();
  const maxRows = reader.int32();
  reader.end();
  return { type: 'execute', portal, maxRows: Math.max(0, maxRows) };
}

function repeat<T>(count: number, read: () => T, reader: PayloadReader): T[] {
  // Each element takes at least one byte, so a count above what is left is malformed.
  if (count < 0 || count > reader.remaining) {
    throw new PgError(SqlState.protocolViolation, `invalid element count ${count} in message`, {
      severity: 'FATAL',
    });
  }
  const items: T[] = [];
  for (let i = 0; i < count; i++) items.push(read());
  return items;
}
