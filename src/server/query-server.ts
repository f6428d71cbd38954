/**
 * The PostgreSQL-wire listener: accepts connections, runs one Session per
 * socket, routes CancelRequests, and closes everything on close().
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { SqlState } from '../errors.js';
import type { Logger } from '../log.js';
import type { QueryExecutor } from '../query/engine-types.js';
import { CancelRegistry } from './cancel-registry.js';
import type { HbaRules } from './hba-rules.js';
import type { ParseStatements } from './parsed-statement-kinds.js';
import { errorResponse } from './protocol/index.js';
import type { QueryObserver } from './query-observer.js';
import { RelayLimiter } from './relay-limiter.js';
import { Session } from './session.js';
import { SessionActivities } from './session-activity.js';
import type { UpstreamAddress } from './upstream-auth-connection.js';

export interface QueryServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 6433; 0 picks a free port. */
  readonly port?: number;
  /** The source PostgreSQL that verifies client passwords. */
  readonly upstream: UpstreamAddress;
  readonly parseStatements: ParseStatements;
  readonly executor: QueryExecutor;
  readonly log: Logger;
  /** The startup packet and the login together; default 10 s (PostgreSQL's authentication_timeout). */
  readonly authTimeoutMs?: number;
  /** Source connections that logins may hold at once (relay-limiter.ts); default 10. */
  readonly maxAuthRelays?: number;
  /** Relay connections at once for one client address; default 5 (see relay-limiter.ts). */
  readonly maxAuthRelaysPerHost?: number;
  /** Largest frontend message accepted; default 64 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Connections served at once, default 100. Logging in holds a connection to
   * the source server, but at most maxAuthRelays of them at once.
   */
  readonly maxConnections?: number;
  /** The statement_timeout sessions start with (analytica.statement_timeout); default none. */
  readonly statementTimeoutMs?: number;
  /**
   * The server certificate and key. When set, SSLRequest is answered 'S' and
   * the connection continues over TLS; otherwise 'N', and clients that require
   * TLS give up.
   */
  readonly tls?: SecureContext;
  /** The databases the daemon serves (--databases); a login to another is refused with 3D000. Default: any. */
  readonly databases?: readonly string[];
  /** The daemon's own client address rules (--hba-file), checked before any login reaches the source. */
  readonly hba?: HbaRules;
  /** Told of every statement's outcome and duration (the metrics endpoint). */
  readonly observer?: QueryObserver;
}

export const defaultMaxConnections = 100;

export const defaultQueryServerPort = 6433;

export class QueryServer {
  readonly host: string;
  readonly port: number;
  /** What each session is doing (the status page's running queries). */
  readonly activities = new SessionActivities();
  readonly #server: Server;
  readonly #sessions = new Map<Session, Promise<void>>();
  readonly #sockets = new Set<Socket>();
  #closing: Promise<void> | undefined;
  #relayLimiter: RelayLimiter | undefined;
  /** Bytes written to connections that have closed (open ones are added when asked). */
  #closedBytesSent = 0;

  private constructor(server: Server, host: string, port: number) {
    this.#server = server;
    this.host = host;
    this.port = port;
  }

  static async start(options: QueryServerOptions): Promise<QueryServer> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? defaultQueryServerPort, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const queryServer = new QueryServer(server, host, port);
    queryServer.#accept(options);
    options.log.info('query server listening', { host, port });
    return queryServer;
  }

  #accept(options: QueryServerOptions): void {
    const cancels = new CancelRegistry();
    const log = options.log.child({ component: 'query-server' });
    const maxConnections = options.maxConnections ?? defaultMaxConnections;
    const relayLimiter = new RelayLimiter({
      maxRelays: options.maxAuthRelays,
      maxRelaysPerHost: options.maxAuthRelaysPerHost,
    });
    this.#relayLimiter = relayLimiter;
    this.#server.on('connection', (socket) => {
      if (this.#sockets.size >= maxConnections) {
        // As PostgreSQL answers past max_connections, before reading the startup packet.
        const fields = {
          severity: 'FATAL',
          code: SqlState.tooManyConnections,
          message: 'sorry, too many clients already',
        };
        socket.end(errorResponse(fields), () => socket.destroy());
        return;
      }
      this.#sockets.add(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#closedBytesSent += socket.bytesWritten;
      });
      const session = new Session(socket, {
        ...options,
        cancels,
        log,
        relayLimiter,
        activities: this.activities,
      });
      const done = session.run().finally(() => this.#sessions.delete(session));
      this.#sessions.set(session, done);
    });
    this.#server.on('error', (error) => log.error('listener error', { error }));
  }

  /** Client connections open right now (logging in or logged in). */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Bytes written to clients since the server started (TLS records included). */
  get bytesSent(): number {
    let bytes = this.#closedBytesSent;
    for (const socket of this.#sockets) bytes += socket.bytesWritten;
    return bytes;
  }

  /** False once close() began: the server no longer accepts connections. */
  get listening(): boolean {
    return this.#closing === undefined && this.#server.listening;
  }

  /** Connections to the source that logins hold right now. */
  get authRelays(): number {
    return this.#relayLimiter?.active ?? 0;
  }

  /** Stops listening, terminates every session and waits for them to end. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const session of this.#sessions.keys()) session.terminate();
      // Sessions and sockets alike get two seconds: the listener closes only when every socket has.
      const deadline = setTimeout(() => {
        for (const socket of this.#sockets) socket.destroy();
      }, 2000);
      await Promise.allSettled(this.#sessions.values());
      await stopped;
      clearTimeout(deadline);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
