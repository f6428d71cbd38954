/**
 * Bounds-checked big-endian reads over one pgoutput message. Every read checks
 * the remaining length first, so malformed input becomes a PgError 08P01 and
 * never a RangeError or a read past the payload.
 */
import { PgError, SqlState } from '../../errors.js';

/** Microseconds from 1970-01-01 to 2000-01-01 (PostgreSQL's epoch), both UTC. */
export const pgEpochOffsetMicros = 946_684_800_000_000n;

export class PgoutputCursor {
  readonly buf: Buffer;
  pos: number;
  /** Message name for errors, e.g. "Insert"; set once the type byte is known. */
  what = 'pgoutput';

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  int16(): number {
    this.need(2);
    const value = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** Transaction ids and OIDs are unsigned 32-bit on the wire. */
  uint32(): number {
    this.need(4);
    const value = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return value;
  }

  /** XLogRecPtr: unsigned 64-bit. */
  lsn(): bigint {
    this.need(8);
    const value = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return value;
  }

  /** TimestampTz: signed 64-bit microseconds since 2000-01-01 UTC → micros since the Unix epoch. */
  timestamp(): bigint {
    this.need(8);
    const value = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return value + pgEpochOffsetMicros;
  }

  /** NUL-terminated string (pq_sendstring), decoded as UTF-8. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw this.malformed(`unterminated string at offset ${this.pos}`);
    const value = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return value;
  }

  bytes(length: number): Buffer {
    this.need(length);
    const value = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** Messages must be consumed exactly: trailing bytes mean a layout we do not understand. */
  end(): void {
    if (this.pos !== this.buf.length) {
      throw this.malformed(`${this.buf.length - this.pos} unexpected trailing bytes at offset ${this.pos}`);
    }
  }

  need(count: number): void {
    if (this.buf.length - this.pos < count) {
      throw this.malformed(
        `truncated: needs ${count} bytes at offset ${this.pos}, ${this.buf.length - this.pos} left`,
      );
    }
  }

  malformed(reason: string): PgError {
    return new PgError(SqlState.protocolViolation, `invalid pgoutput ${this.what} message: ${reason}`);
  }
}
