/**
 * One client socket as a pull-based message stream: `next()` yields decoded
 * frontend messages in order, `send()` buffers backend messages and `flush()`
 * writes them in one go, waiting for the socket to drain when it is full.
 *
 * Reading stops (the socket is paused) while many decoded messages, or many
 * bytes of them, wait to be taken, so a client that pipelines faster than
 * queries run is held back by TCP instead of filling memory, as PostgreSQL
 * simply does not read. A session then holds at most maxQueuedBytes of
 * messages, one more read, and the message being received (maxMessageBytes). Until `endAuthentication()` typed messages
 * are capped at PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH, so a client that has
 * not logged in cannot make the daemon buffer a large message.
 */
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { PgError, SqlState } from '../errors.js';
import {
  defaultMaxMessageBytes,
  type FrontendMessage,
  FrontendReader,
  type FrontendReaderOptions,
} from './protocol/index.js';

/** PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH: the largest password or SASL message read before login. */
export const maxAuthMessageBytes = 65_535;

/** Decoded messages waiting to be taken before reading pauses. */
const maxQueuedMessages = 1024;

/**
 * Bytes of decoded messages waiting to be taken before reading pauses: the
 * count alone would let 1024 pipelined messages of 64 MiB each be queued.
 */
export const maxQueuedBytes = 8 * 1024 * 1024;

/**
 * Messages handed out back to back before next() yields to the event loop.
 * Without it, a client pipelining cheap messages (thousands of Syncs per
 * read) keeps the one thread busy and every other session waits.
 */
const messagesPerTurn = 32;

/** What PostgreSQL says when a client sent more than the encryption request before the answer. */
export function unencryptedDataError(request: 'SSL' | 'GSSAPI encryption'): PgError {
  return new PgError(SqlState.protocolViolation, `received unencrypted data after ${request} request`, {
    severity: 'FATAL',
    detail:
      'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.',
  });
}

export class MessageChannel {
  /** The TCP socket; the one `#socket` wraps once TLS has started. */
  readonly #raw: Socket;
  #socket: Socket;
  readonly #reader: FrontendReader;
  readonly #maxMessageBytes: number | undefined;
  readonly #queue: FrontendMessage[] = [];
  /** Wire size of each queued message, and their sum. */
  readonly #sizes: number[] = [];
  #queuedBytes = 0;
  #failure: unknown;
  #ended = false;
  #paused = false;
  #closing = false;
  /** Messages next() returned since it last yielded to the event loop. */
  #handedOut = 0;
  #wake: (() => void) | undefined;
  #pending: Buffer[] = [];
  readonly #onData = (chunk: Buffer) => this.#receive(chunk);
  readonly #onFinish = () => this.#finish();

  constructor(socket: Socket, options: FrontendReaderOptions = {}) {
    this.#raw = socket;
    this.#socket = socket;
    this.#reader = new FrontendReader(options);
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#listen(socket);
  }

  get closed(): boolean {
    return this.#socket.destroyed;
  }

  /** Whether the connection runs over TLS. */
  get encrypted(): boolean {
    return this.#socket !== this.#raw;
  }

  /** Whether the client sent bytes that no next() has returned yet. */
  get hasBufferedInput(): boolean {
    return this.#queue.length > 0 || this.#reader.bufferedBytes > 0;
  }

  /** The next message; undefined once the client has gone. Throws the reader's PgError on malformed input. */
  async next(): Promise<FrontendMessage | undefined> {
    if (++this.#handedOut >= messagesPerTurn) {
      this.#handedOut = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (;;) {
      const message = this.#queue.shift();
      if (message !== undefined) {
        this.#queuedBytes -= this.#sizes.shift() ?? 0;
        if (this.#paused && !this.#full(2)) this.#resume();
        return message;
      }
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#ended) return undefined;
      this.#handedOut = 0;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  send(message: Buffer): void {
    this.#pending.push(message);
  }

  /** Writes everything sent so far; resolves when the socket can take more. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0 || this.#socket.destroyed) {
      this.#pending = [];
      return;
    }
    const data = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    const socket = this.#socket;
    if (socket.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** Caps typed messages at maxAuthMessageBytes until endAuthentication(). */
  beginAuthentication(): void {
    this.#reader.maxMessageBytes = Math.min(this.#reader.maxMessageBytes, maxAuthMessageBytes);
  }

  /** The login succeeded: messages up to the configured maximum are read again. */
  endAuthentication(): void {
    this.#reader.maxMessageBytes = this.#maxMessageBytes ?? defaultMaxMessageBytes;
  }

  /**
   * Answers an SSLRequest with 'S' and continues over TLS (server side): the
   * next bytes from the client are its TLS ClientHello. Bytes the client sent
   * after the SSLRequest, before the handshake, are refused: they were not
   * encrypted, yet would be read as if they had come through TLS
   * (CVE-2021-23214).
   */
  startTls(context: SecureContext): void {
    if (this.hasBufferedInput) throw unencryptedDataError('SSL');
    this.#raw.write(Buffer.from('S'));
    this.#raw.off('data', this.#onData);
    this.#raw.off('end', this.#onFinish);
    // The raw socket keeps its 'close' and 'error' listeners: either ends the connection.
    const secure = new TLSSocket(this.#raw, { isServer: true, secureContext: context });
    this.#socket = secure;
    this.#listen(secure);
  }

  /**
   * Flushes, then ends the connection. Reading resumes, dropping whatever the
   * client still sends, so that its FIN is seen and the socket closes; one
   * that has not closed a second later is destroyed either way (a paused
   * socket would otherwise stay half-open and keep the listener from closing).
   */
  async close(): Promise<void> {
    await this.flush();
    if (this.#socket.destroyed) return;
    this.#closing = true;
    this.#socket.resume();
    setTimeout(() => this.destroy(), 1000).unref();
    await new Promise<void>((resolve) => {
      this.#socket.once('close', resolve);
      this.#socket.end(resolve);
    });
  }

  destroy(): void {
    this.#socket.destroy();
    this.#raw.destroy();
  }

  #listen(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('end', this.#onFinish);
    socket.on('close', this.#onFinish);
    socket.on('error', this.#onFinish);
  }

  #receive(chunk: Buffer): void {
    if (this.#failure !== undefined || this.#closing) return;
    const { messages, sizes, error } = this.#reader.read(chunk);
    for (const message of messages) this.#queue.push(message);
    for (const size of sizes) {
      this.#sizes.push(size);
      this.#queuedBytes += size;
    }
    if (error !== undefined) {
      // The stream cannot be resynchronised; stop reading and let next() report it after the
      // messages that came before.
      this.#failure = error;
      this.#pause();
    } else if (this.#full(1)) {
      this.#pause();
    }
    this.#notify();
  }

  /** Whether the queue holds more than 1/`fraction` of its bounds (reading resumes below half). */
  #full(fraction: number): boolean {
    return (
      this.#queue.length >= maxQueuedMessages / fraction || this.#queuedBytes >= maxQueuedBytes / fraction
    );
  }

  #pause(): void {
    this.#paused = true;
    this.#socket.pause();
  }

  #resume(): void {
    if (this.#failure !== undefined || this.#closing) return;
    this.#paused = false;
    this.#socket.resume();
  }

  #finish(): void {
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
