/**
 * What every binary value codec shares: the codec shape and the errors.
 * A codec converts between PostgreSQL's text output of a type and its binary
 * send/receive format (the typsend/typreceive functions).
 * https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES
 */
import { PgError, SqlState } from '../../errors.js';

export interface BinaryCodec {
  /** The type's SQL name, for messages. */
  readonly name: string;
  /** PostgreSQL's text output of a value → its typsend bytes. */
  encode(text: string): Buffer;
  /** typreceive bytes → a text literal the type's input function accepts. */
  decode(bytes: Buffer): string;
}

/** Bytes a client sent that the type's receive function would reject (22P03). */
export function malformed(typeName: string, message: string): PgError {
  return new PgError(SqlState.invalidBinaryRepresentation, `invalid binary ${typeName} value: ${message}`);
}

/** Text that is not the type's output form: a bug upstream of the encoder. */
export function badText(typeName: string, text: string): PgError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new PgError(
    SqlState.invalidTextRepresentation,
    `invalid input syntax for type ${typeName}: "${shown}"`,
  );
}

export function expectLength(typeName: string, bytes: Buffer, length: number): void {
  if (bytes.length !== length) {
    throw malformed(typeName, `expected ${length} bytes, got ${bytes.length}`);
  }
}

// ignoreBOM: a leading U+FEFF is part of the value, as PostgreSQL keeps it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bytes as server text. Like PostgreSQL's pq_getmsgtext under a UTF8 server
 * encoding: invalid UTF-8 and NUL bytes are refused with 22021.
 */
export function decodeUtf8(typeName: string, bytes: Buffer): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (error) {
    throw new PgError(
      SqlState.characterNotInRepertoire,
      `invalid byte sequence for encoding "UTF8" in binary ${typeName} value`,
      { cause: error },
    );
  }
  if (text.includes('\0')) {
    throw new PgError(
      SqlState.characterNotInRepertoire,
      `invalid byte sequence for encoding "UTF8": 0x00 in binary ${typeName} value`,
    );
  }
  return text;
}
