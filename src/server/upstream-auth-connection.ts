/**
 * A raw protocol connection to the source PostgreSQL, used only to have it
 * verify a client's password. Framing and parsing come from node-postgres's
 * client codec (pg-protocol); messages are pulled one at a time.
 */
import { connect, type Socket } from 'node:net';
import { parse, serialize } from 'pg-protocol';
import { PgError, SqlState } from '../errors.js';
import { negotiateUpstreamTls, type UpstreamTls } from './upstream-tls.js';

/** The subset of pg-protocol's BackendMessage the relay reads. */
export interface UpstreamMessage {
  readonly name: string;
  readonly mechanisms?: string[];
  readonly data?: string;
  readonly salt?: Buffer;
  readonly code?: string;
  readonly message?: string;
  readonly severity?: string;
  readonly detail?: string;
  readonly hint?: string;
  /** DataRow values (text); RowDescription's `fields` are not read. */
  readonly fields?: unknown[];
}

export interface UpstreamAddress {
  readonly host: string;
  readonly port: number;
  /** TLS to the source (sslmode); undefined: plaintext. */
  readonly tls?: UpstreamTls | undefined;
}

export class UpstreamAuthConnection {
  readonly #socket: Socket;
  readonly #queue: UpstreamMessage[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    void parse(socket, (message) => {
      this.#queue.push(message as unknown as UpstreamMessage);
      this.#notify();
    }).catch((error: unknown) => this.#fail(error));
    socket.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on('error', (error) => this.#fail(error));
  }

  static async open(address: UpstreamAddress, timeoutMs: number): Promise<UpstreamAuthConnection> {
    const socket = connect({ host: address.host, port: address.port });
    socket.setNoDelay(true);
    // One deadline for the TCP connection and the TLS negotiation.
    const timer = setTimeout(
      () => socket.destroy(new Error(`connection timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      const secured =
        address.tls === undefined ? socket : await negotiateUpstreamTls(socket, address.host, address.tls);
      return new UpstreamAuthConnection(secured);
    } catch (error) {
      socket.destroy();
      throw new PgError(
        SqlState.connectionFailure,
        `could not connect to the source PostgreSQL server at ${address.host}:${address.port} to verify the password: ${String((error as Error).message ?? error)}`,
        { severity: 'FATAL', cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  sendStartup(user: string, database: string): void {
    this.#socket.write(serialize.startup({ user, database, application_name: 'pg_analytica_auth' }));
  }

  /** A simple Query on the logged-in connection. */
  sendQuery(sql: string): void {
    this.#socket.write(serialize.query(sql));
  }

  /** Forwards a client's PasswordMessage / SASLInitialResponse / SASLResponse body unchanged. */
  sendPasswordPayload(payload: Buffer): void {
    const header = Buffer.allocUnsafe(5);
    header.write('p', 0, 'latin1');
    header.writeInt32BE(payload.length + 4, 1);
    this.#socket.write(Buffer.concat([header, payload]));
  }

  async next(): Promise<UpstreamMessage> {
    for (;;) {
      const message = this.#queue.shift();
      if (message !== undefined) return message;
      if (this.#error !== undefined || this.#ended) {
        throw new PgError(
          SqlState.connectionFailure,
          `the source PostgreSQL server closed the connection during authentication${this.#error ? `: ${this.#error.message}` : ''}`,
          { severity: 'FATAL', cause: this.#error },
        );
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Sends Terminate and closes; the daemon never uses this connection for anything else. */
  close(): void {
    if (this.#socket.destroyed) return;
    this.#socket.end(serialize.end());
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  #fail(error: unknown): void {
    this.#error = error instanceof Error ? error : new Error(String(error));
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
