/**
 * One client socket as a pull-based message stream: `next()` yields decoded
 * frontend messages in order, `send()` buffers backend messages and `flush()`
 * writes them in one go, waiting for the socket to drain when it is full.
 */
import type { Socket } from 'node:net';
import { type FrontendMessage, FrontendReader, type FrontendReaderOptions } from './protocol/index.js';

export class MessageChannel {
  readonly #socket: Socket;
  readonly #reader: FrontendReader;
  readonly #queue: FrontendMessage[] = [];
  #failure: unknown;
  #ended = false;
  #wake: (() => void) | undefined;
  #pending: Buffer[] = [];

  constructor(socket: Socket, options: FrontendReaderOptions = {}) {
    this.#socket = socket;
    this.#reader = new FrontendReader(options);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => this.#finish());
    socket.on('close', () => this.#finish());
    socket.on('error', () => this.#finish());
  }

  get closed(): boolean {
    return this.#socket.destroyed;
  }

  /** The next message; undefined once the client has gone. Throws the reader's PgError on malformed input. */
  async next(): Promise<FrontendMessage | undefined> {
    for (;;) {
      const message = this.#queue.shift();
      if (message !== undefined) return message;
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#ended) return undefined;
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
    if (this.#socket.write(data)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  /** Flushes, then ends the connection. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.#socket.end(resolve);
      setTimeout(() => {
        this.#socket.destroy();
        resolve();
      }, 1000).unref();
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    if (this.#failure !== undefined) return;
    try {
      this.#queue.push(...this.#reader.push(chunk));
    } catch (error) {
      // The stream cannot be resynchronised; stop reading and let next() report it.
      this.#failure = error;
      this.#socket.pause();
    }
    this.#notify();
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
