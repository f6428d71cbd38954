/**
 * Bounds-checked reads over one frontend message body. Any read past the end
 * is a protocol violation (08P01), as in PostgreSQL's pq_getmsg* functions.
 */
import { PgError, SqlState } from '../../errors.js';

export class PayloadReader {
  readonly #buffer: Buffer;
  readonly #what: string;
  #offset = 0;

  /** `what` names the message in errors, e.g. "Bind". */
  constructor(buffer: Buffer, what: string) {
    this.#buffer = buffer;
    this.#what = what;
  }

  get remaining(): number {
    return this.#buffer.length - this.#offset;
  }

  int8(): number {
    this.#need(1);
    return this.#buffer.readUInt8(this.#offset++);
  }

  int16(): number {
    this.#need(2);
    const value = this.#buffer.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  /** Unsigned, as PostgreSQL's pq_getmsgint(msg, 2) reads element counts (0 to 65535). */
  uint16(): number {
    this.#need(2);
    const value = this.#buffer.readUInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    this.#need(4);
    const value = this.#buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  uint32(): number {
    this.#need(4);
    const value = this.#buffer.readUInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  cstring(): string {
    const end = this.#buffer.indexOf(0, this.#offset);
    if (end < 0) throw this.#malformed('unterminated string');
    const value = this.#buffer.toString('utf8', this.#offset, end);
    this.#offset = end + 1;
    return value;
  }

  bytes(length: number): Buffer {
    if (length < 0) throw this.#malformed(`negative length ${length}`);
    this.#need(length);
    const value = this.#buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Messages must be consumed exactly; trailing bytes are as wrong as missing ones. */
  end(): void {
    if (this.remaining !== 0) throw this.#malformed(`${this.remaining} unexpected trailing bytes`);
  }

  #need(count: number): void {
    if (this.remaining < count) throw this.#malformed('message is too short');
  }

  #malformed(reason: string): PgError {
    return new PgError(SqlState.protocolViolation, `invalid ${this.#what} message format: ${reason}`, {
      severity: 'FATAL',
    });
  }
}
