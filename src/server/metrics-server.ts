/**
 * The daemon's HTTP endpoint (opt-in: --metrics-port, loopback by default):
 * - GET /metrics: Prometheus text format;
 * - GET /healthz: 200 while the process serves HTTP at all (liveness);
 * - GET /readyz: 200 when the query server listens and every database's
 *   launcher runs, else 503 with a one-line reason (readiness).
 * - more pages by exact path (routes: path → handler), e.g. the status page
 *   (status-page/status-page-routes.ts); any other path is 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorMessage, PgError, SqlState } from '../errors.js';
import type { Logger } from '../log.js';

/** What a route answers. */
export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string | Buffer;
  /** More response headers (e.g. a page's Content-Security-Policy). */
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: IncomingMessage) => Promise<HttpReply> | HttpReply;

export interface MetricsServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The Prometheus exposition and its content type. */
  readonly metrics: () => Promise<{ body: string; contentType: string }>;
  /** Why the daemon is not ready, or undefined when it is. */
  readonly notReadyReason: () => string | undefined;
  /** More pages, by exact path (e.g. a status page). */
  readonly routes?: ReadonlyMap<string, RouteHandler>;
  readonly log: Logger;
}

const textPlain = 'text/plain; charset=utf-8';

export class MetricsServer {
  readonly host: string;
  readonly port: number;
  readonly #server: Server;
  #closing: Promise<void> | undefined;

  private constructor(server: Server, host: string, port: number) {
    this.#server = server;
    this.host = host;
    this.port = port;
  }

  static async start(options: MetricsServerOptions): Promise<MetricsServer> {
    const routes = new Map<string, RouteHandler>([
      ['/metrics', async () => ({ status: 200, ...(await options.metrics()) })],
      ['/healthz', () => ({ status: 200, contentType: textPlain, body: 'ok\n' })],
      ['/readyz', () => readiness(options.notReadyReason())],
      ...(options.routes ?? []),
    ]);
    const server = createServer((request, response) => {
      void answer(routes, request, response, options.log);
    });
    // A scraper that keeps its connection open must not hold close() up.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => reject(listenError(error, options.host, options.port));
      server.once('error', fail);
      server.listen(options.port, options.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    options.log.info('metrics endpoint listening', { host: options.host, port });
    return new MetricsServer(server, options.host, port);
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A port taken or a host not on this machine, said with the setting to change. */
function listenError(error: Error, host: string, port: number): PgError {
  const code = (error as { code?: string }).code;
  const why =
    code === 'EADDRINUSE'
      ? 'the port is in use'
      : code === 'EADDRNOTAVAIL'
        ? 'no such local address'
        : errorMessage(error);
  return new PgError(
    SqlState.configFileError,
    `the metrics endpoint cannot listen on ${host}:${port}: ${why}`,
    {
      hint: 'choose another --metrics-port (PG_ANALYTICA_METRICS_PORT) or --metrics-host, or leave the port unset to serve no metrics',
      cause: error,
    },
  );
}

function readiness(reason: string | undefined): HttpReply {
  return reason === undefined
    ? { status: 200, contentType: textPlain, body: 'ready\n' }
    : { status: 503, contentType: textPlain, body: `not ready: ${reason}\n` };
}

async function answer(
  routes: ReadonlyMap<string, RouteHandler>,
  request: IncomingMessage,
  response: ServerResponse,
  log: Logger,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const handler = routes.get(path);
  let reply: HttpReply;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    reply = { status: 405, contentType: textPlain, body: 'only GET and HEAD are served\n' };
    response.setHeader('Allow', 'GET, HEAD');
  } else if (!handler) {
    reply = {
      status: 404,
      contentType: textPlain,
      body: `no page ${path}; try ${[...routes.keys()].join(', ')}\n`,
    };
  } else {
    try {
      reply = await handler(request);
    } catch (error) {
      log.error('metrics endpoint request failed', { path, error: errorMessage(error) });
      reply = {
        status: 500,
        contentType: textPlain,
        body: `could not answer ${path}: ${errorMessage(error)}\n`,
      };
    }
  }
  response.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': reply.contentType,
    'Cache-Control': 'no-store',
    ...(request.method === 'HEAD' ? {} : { 'Content-Length': Buffer.byteLength(reply.body) }),
  });
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}
