/**
 * Hand-built pgoutput messages for byte-level tests: a tiny big-endian
 * writer that mirrors pq_send* in PostgreSQL, independent of the decoder, and
 * the decoding helpers the byte-level tests share.
 */
import assert from 'node:assert/strict';
import { PgError } from '../src/errors.js';
import { decodePgoutput, type PgoutputContext, type PgoutputMessage } from '../src/source/pgoutput/index.js';

export type BuilderValue = string | Buffer | null | 'u!';

export class PgoutputBuilder {
  readonly #parts: Buffer[] = [];

  byte(value: string | number): this {
    this.#parts.push(Buffer.from([typeof value === 'string' ? value.charCodeAt(0) : value]));
    return this;
  }

  int16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(value);
    this.#parts.push(b);
    return this;
  }

  int32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.#parts.push(b);
    return this;
  }

  uint32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    this.#parts.push(b);
    return this;
  }

  /** Unsigned 64-bit, as XLogRecPtr. */
  lsn(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    this.#parts.push(b);
    return this;
  }

  /** Signed 64-bit microseconds since 2000-01-01, as TimestampTz. */
  pgTimestamp(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.#parts.push(b);
    return this;
  }

  cstring(value: string): this {
    this.#parts.push(Buffer.from(value, 'utf8'), Buffer.from([0]));
    return this;
  }

  raw(value: Buffer): this {
    this.#parts.push(value);
    return this;
  }

  /** TupleData: strings as 't', Buffers as 'b', null as 'n', 'u!' as unchanged TOAST. */
  tuple(values: BuilderValue[]): this {
    this.int16(values.length);
    for (const value of values) {
      if (value === null) this.byte('n');
      else if (value === 'u!') this.byte('u');
      else if (typeof value === 'string') this.byte('t').int32(Buffer.byteLength(value)).cstringless(value);
      else this.byte('b').int32(value.length).raw(value);
    }
    return this;
  }

  cstringless(value: string): this {
    this.#parts.push(Buffer.from(value, 'utf8'));
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export function msg(type: string): PgoutputBuilder {
  return new PgoutputBuilder().byte(type);
}

/** Decoding contexts: outside and inside a streamed transaction. */
export const outside: PgoutputContext = { inStream: false };
export const inside: PgoutputContext = { inStream: true };

export function decode(payload: Buffer, context = outside): PgoutputMessage {
  return decodePgoutput(payload, context);
}

/** The call throws PgError 08P01 with a message matching `pattern`. */
export function assertProtocolViolation(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PgError, `expected PgError, got ${String(error)}`);
    assert.equal(error.code, '08P01');
    assert.match(error.message, pattern);
    return true;
  });
}
