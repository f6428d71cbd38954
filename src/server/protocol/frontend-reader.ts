/**
 * Splits the client's byte stream into frontend messages, across any partial
 * reads. Before StartupMessage packets are untyped (Int32 length, body); after
 * it every message starts with a type byte.
 * https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-MESSAGE-CONCEPTS
 */
import { PgError, SqlState } from '../../errors.js';
import { decodeStartupPacket } from './decode-startup.js';
import { decodeTypedMessage } from './decode-typed.js';
import type { FrontendMessage } from './frontend-messages.js';

export interface FrontendReaderOptions {
  /** Largest typed message accepted, length word included; default 64 MiB. */
  maxMessageBytes?: number;
}

/** What one chunk completed: the messages before any malformed input, and that input's error. */
export interface ReadResult {
  readonly messages: FrontendMessage[];
  /** Each message's size on the wire, in the same order (what holding it costs, roughly). */
  readonly sizes: number[];
  /** Set when the stream is malformed; nothing after the messages can be read any more. */
  readonly error?: unknown;
}

/** PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
export const maxStartupPacketBytes = 10_000;
export const defaultMaxMessageBytes = 64 * 1024 * 1024;

export class FrontendReader {
  #maxMessageBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #startupDone = false;

  constructor(options: FrontendReaderOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? defaultMaxMessageBytes;
  }

  /** Whether StartupMessage was read, i.e. typed messages are expected now. */
  get startupDone(): boolean {
    return this.#startupDone;
  }

  /** Bytes received but not yet part of a complete message. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * The largest typed message accepted from now on, length word included. A
   * declared length is checked against it before any of the body is buffered,
   * and nothing is allocated for a body until its bytes arrive.
   */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  set maxMessageBytes(bytes: number) {
    this.#maxMessageBytes = bytes;
  }

  /**
   * Adds received bytes and returns every message they complete. Throws
   * PgError 08P01 (severity FATAL) on malformed input; the stream cannot be
   * resynchronised after that, so the connection must be closed.
   */
  push(chunk: Uint8Array): FrontendMessage[] {
    const { messages, error } = this.read(chunk);
    if (error !== undefined) throw error;
    return messages;
  }

  /**
   * As push(), but a malformed message does not discard the complete messages
   * before it in the same chunk: PostgreSQL runs those before it fails.
   */
  read(chunk: Uint8Array): ReadResult {
    if (chunk.length > 0) {
      this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#buffered += chunk.length;
    }
    const messages: FrontendMessage[] = [];
    const sizes: number[] = [];
    try {
      for (;;) {
        const before = this.#buffered;
        const message = this.#startupDone ? this.#nextTyped() : this.#nextStartup();
        if (message === undefined) return { messages, sizes };
        messages.push(message);
        sizes.push(before - this.#buffered);
      }
    } catch (error) {
      return { messages, sizes, error };
    }
  }

  #nextStartup(): FrontendMessage | undefined {
    const length = this.#peekInt32(0);
    if (length === undefined) return undefined;
    if (length < 8 || length > maxStartupPacketBytes) throw invalidLength('startup packet', length);
    const packet = this.#take(length);
    if (packet === undefined) return undefined;
    const message = decodeStartupPacket(packet.subarray(4));
    if (message.type === 'startup') this.#startupDone = true;
    return message;
  }

  #nextTyped(): FrontendMessage | undefined {
    const length = this.#peekInt32(1);
    if (length === undefined) return undefined;
    if (length < 4 || length > this.#maxMessageBytes) throw invalidLength('message', length);
    const message = this.#take(length + 1);
    if (message === undefined) return undefined;
    const type = String.fromCharCode(message[0] ?? 0);
    return decodeTypedMessage(type, message.subarray(5));
  }

  /** Reads a big-endian Int32 at `offset` without consuming, if buffered. */
  #peekInt32(offset: number): number | undefined {
    if (this.#buffered < offset + 4) return undefined;
    const head = this.#coalesce(offset + 4);
    return head.readInt32BE(offset);
  }

  /** Consumes exactly `count` bytes if that many are buffered. */
  #take(count: number): Buffer | undefined {
    if (this.#buffered < count) return undefined;
    const all = this.#coalesce(count);
    const taken = all.subarray(0, count);
    const rest = all.subarray(count);
    this.#chunks = rest.length > 0 ? [rest, ...this.#chunks.slice(1)] : this.#chunks.slice(1);
    this.#buffered -= count;
    return taken;
  }

  /** Merges leading chunks so that the first holds at least `count` bytes; copies only when needed. */
  #coalesce(count: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= count) return first;
    let merged = 0;
    let used = 0;
    while (merged < count) merged += this.#chunks[used++]?.length ?? 0;
    const head = Buffer.concat(this.#chunks.slice(0, used));
    this.#chunks = [head, ...this.#chunks.slice(used)];
    return head;
  }
}

function invalidLength(what: string, length: number): PgError {
  return new PgError(SqlState.protocolViolation, `invalid ${what} length ${length}`, { severity: 'FATAL' });
}
