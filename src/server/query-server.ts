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
import type { ParseStatements } from './parsed-statement-kinds.js';
import { errorResponse } from './protocol/index.js';
import { Session } from './session.js';
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
  /** Default 60 s, like PostgreSQL's authentication_timeout. */
  readonly authTimeoutMs?: number;
  /** Largest frontend message accepted; default 64 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * Connections served at once, default 100. Each connection that is logging in
   * holds a connection to the source server, so this also bounds what clients
   * can make the daemon ask of PostgreSQL.
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
}

export const defaultMaxConnections = 100;

export const defaultQueryServerPort = 6433;

export class QueryServer {
  readonly host: string;
  readonly port: number;
  readonly #server: Server;
  readonly #sessions = new Map<Session, Promise<void>>();
  readonly #sockets = new Set<Socket>();
  #closing: Promise<void> | undefined;

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
      socket.once('close', () => this.#sockets.delete(socket));
      const session = new Session(socket, { ...options, cancels, log });
      const done = session.run().finally(() => this.#sessions.delete(session));
      this.#sessions.set(session, done);
    });
    this.#server.on('error', (error) => log.error('listener error', { error }));
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
