/**
 * One raw PostgreSQL protocol connection: a socket framed and parsed by
 * node-postgres's codec (pg-protocol). Messages go to the current listener;
 * the default listener queues them for `next()` (the command phase), and
 * the replication stream installs its own for CopyBoth mode.
 */
import { connect, type Socket } from 'node:net';
import { parse } from 'pg-protocol';
import { PgError, SqlState } from '../../errors.js';
import { connectionLost } from './server-error.js';

/** The fields of pg-protocol's BackendMessage variants that this client reads. */
export interface WireMessage {
  readonly name: string;
  readonly message?: string;
  readonly code?: string;
  readonly severity?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly mechanisms?: string[];
  readonly data?: string;
  readonly salt?: Buffer;
  readonly parameterName?: string;
  readonly parameterValue?: string;
  readonly fields?: unknown[];
  readonly chunk?: Buffer;
  readonly text?: string;
}

export interface WireListener {
  onMessage(message: WireMessage): void;
  /** The socket closed; `error` is the socket error if there was one. */
  onClose(error: Error | undefined): void;
}

export interface WireAddress {
  readonly host: string;
  readonly port: number;
}

export class WireSocket {
  readonly #socket: Socket;
  readonly #queue: WireMessage[] = [];
  #listener: WireListener | undefined;
  #closed = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    void parse(socket, (message) => this.#dispatch(message as unknown as WireMessage));
    socket.on('error', (error) => {
      this.#error ??= error;
    });
    socket.on('close', () => {
      this.#closed = true;
      if (this.#listener) this.#listener.onClose(this.#error);
      else this.#notify();
    });
  }

  /** Connects over TCP, or to a Unix socket when `host` is a directory (as libpq does). */
  static async connect(address: WireAddress, timeoutMs: number): Promise<WireSocket> {
    const socket = address.host.startsWith('/')
      ? connect({ path: `${address.host}/.s.PGSQL.${address.port}` })
      : connect({ host: address.host, port: address.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    try {
      await waitConnected(socket, timeoutMs);
    } catch (error) {
      socket.destroy();
      throw new PgError(
        SqlState.connectionFailure,
        `could not connect to PostgreSQL at ${address.host}:${address.port} for replication: ${(error as Error).message}`,
        { severity: 'FATAL', cause: error },
      );
    }
    return new WireSocket(socket);
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Buffer): void {
    if (!this.#closed && this.#socket.writable) this.#socket.write(bytes);
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  /** Hands messages to `listener` (first those already queued); undefined goes back to queueing. */
  setListener(listener: WireListener | undefined): void {
    this.#listener = listener;
    if (!listener) return;
    for (let message = this.#queue.shift(); message; message = this.#queue.shift())
      listener.onMessage(message);
    if (this.#closed) listener.onClose(this.#error);
  }

  /** The next queued message (command phase only). */
  async next(during: string): Promise<WireMessage> {
    for (;;) {
      const message = this.#queue.shift();
      if (message !== undefined) return message;
      if (this.#closed) throw connectionLost(during, this.#error);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Sends `farewell` (e.g. Terminate) and waits, bounded, for the server to close. */
  async end(farewell: Buffer | undefined, timeoutMs = 2_000): Promise<void> {
    if (this.#closed) return;
    const closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    this.#socket.resume();
    if (farewell) this.#socket.end(farewell);
    else this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), timeoutMs);
    await closed;
    clearTimeout(timer);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #dispatch(message: WireMessage): void {
    if (this.#listener) {
      this.#listener.onMessage(message);
      return;
    }
    // pg-protocol's CopyData chunk is a view of its reusable read buffer.
    const queued = message.chunk ? { ...message, chunk: Buffer.from(message.chunk) } : message;
    this.#queue.push(queued);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

async function waitConnected(socket: Socket, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
