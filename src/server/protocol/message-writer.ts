/**
 * Builds one backend message: a type byte, an Int32 length that counts itself
 * but not the type byte, then the body.
 * https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
 */
export class MessageWriter {
  #buffer: Buffer;
  #offset = 0;

  constructor(initialBytes = 256) {
    this.#buffer = Buffer.allocUnsafe(initialBytes);
  }

  int8(value: number): this {
    this.#ensure(1);
    this.#buffer.writeUInt8(value, this.#offset);
    this.#offset += 1;
    return this;
  }

  int16(value: number): this {
    this.#ensure(2);
    this.#buffer.writeInt16BE(value, this.#offset);
    this.#offset += 2;
    return this;
  }

  int32(value: number): this {
    this.#ensure(4);
    this.#buffer.writeInt32BE(value, this.#offset);
    this.#offset += 4;
    return this;
  }

  /** A NUL-terminated UTF-8 string (PostgreSQL's String type). */
  cstring(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.#ensure(length + 1);
    this.#buffer.write(value, this.#offset, 'utf8');
    this.#offset += length;
    this.#buffer[this.#offset++] = 0;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#ensure(value.length);
    this.#buffer.set(value, this.#offset);
    this.#offset += value.length;
    return this;
  }

  /** Writes a UTF-8 string without terminator; returns its byte length. */
  utf8(value: string): number {
    const length = Buffer.byteLength(value, 'utf8');
    this.#ensure(length);
    this.#buffer.write(value, this.#offset, 'utf8');
    this.#offset += length;
    return length;
  }

  /** The finished message: type byte and length prefix followed by what was written. */
  frame(type: string): Buffer {
    const body = this.#buffer.subarray(0, this.#offset);
    const message = Buffer.allocUnsafe(5 + body.length);
    message.write(type, 0, 'latin1');
    message.writeInt32BE(body.length + 4, 1);
    body.copy(message, 5);
    return message;
  }

  #ensure(extra: number): void {
    const needed = this.#offset + extra;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#offset);
    this.#buffer = grown;
  }
}

/** A message with an empty body, e.g. ParseComplete ('1'). */
export function emptyMessage(type: string): Buffer {
  const message = Buffer.allocUnsafe(5);
  message.write(type, 0, 'latin1');
  message.writeInt32BE(4, 1);
  return message;
}
