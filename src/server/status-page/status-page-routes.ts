/**
 * The status page on the metrics port: `/` (HTML), `/status.css`,
 * `/status.js` and `/status.json` (StatusBoard's document, polled by the
 * script every 2 s). The three files are shipped as they are in the package
 * (package.json "files"), next to the compiled code: no build step.
 *
 * Anyone who can reach the port sees the page (loopback by default;
 * --metrics-host widens it), running statements' text included, as a superuser
 * sees pg_stat_activity. Two more guards:
 * - the page's script writes every value as text, and a Content-Security-Policy
 *   allows no script but /status.js, so a hostile table name cannot run;
 * - requests whose Host is a DNS name other than localhost or this machine's are
 *   refused, so that a web page the DBA visits cannot rebind its own name to
 *   127.0.0.1 and read /status.json from the browser (DNS rebinding).
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { PgError, SqlState } from '../../errors.js';
import type { HttpReply, RouteHandler } from '../metrics-server.js';
import type { StatusBoard } from './status-board.js';

/** From dist/src/server/status-page/ (compiled) up to the package root, then to the shipped sources. */
export const statusAssetsDirectory = fileURLToPath(
  new URL('../../../../src/server/status-page/assets/', import.meta.url),
);

const assetFiles = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/status.css': ['status.css', 'text/css; charset=utf-8'],
  '/status.js': ['status.js', 'text/javascript; charset=utf-8'],
} as const;

const pageHeaders = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export interface StatusPageRoutesOptions {
  readonly board: StatusBoard;
  /** The address the metrics endpoint listens on (--metrics-host): a Host naming it is accepted. */
  readonly listenHost: string;
  /** Where index.html, status.css and status.js are (default: statusAssetsDirectory). */
  readonly assetsDirectory?: string;
}

/** The status page's routes, its files read once (a missing file fails here, at start). */
export async function statusPageRoutes(options: StatusPageRoutesOptions): Promise<Map<string, RouteHandler>> {
  const directory = options.assetsDirectory ?? statusAssetsDirectory;
  const routes = new Map<string, RouteHandler>();
  for (const [path, [file, contentType]] of Object.entries(assetFiles)) {
    const body = await readAsset(directory, file);
    routes.set(
      path,
      guarded(options.listenHost, () => ({ status: 200, contentType, body, headers: pageHeaders })),
    );
  }
  routes.set(
    '/status.json',
    guarded(options.listenHost, async (request) => {
      const since = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('since'));
      const document = await options.board.document(Number.isFinite(since) && since > 0 ? since : undefined);
      return {
        status: 200,
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify(document),
        headers: pageHeaders,
      };
    }),
  );
  return routes;
}

async function readAsset(directory: string, file: string): Promise<Buffer> {
  try {
    return await readFile(`${directory}/${file}`);
  } catch (error) {
    throw new PgError(SqlState.undefinedFile, `the status page file ${directory}/${file} cannot be read`, {
      hint: 'the installation is incomplete: reinstall pg-analytica (or run npm run build in a checkout)',
      cause: error,
    });
  }
}

/** The handler, for requests whose Host header a DNS-rebinding page could not have sent. */
function guarded(listenHost: string, handler: RouteHandler): RouteHandler {
  return (request) => {
    const host = request.headers.host;
    if (host === undefined || trustedHost(host, listenHost)) return handler(request);
    const reply: HttpReply = {
      status: 403,
      contentType: 'text/plain; charset=utf-8',
      body: `the status page answers requests for an IP address, localhost or ${hostname()}, not for ${host}; open it by address, e.g. http://127.0.0.1:<port>/\n`,
    };
    return reply;
  };
}

/** Whether a Host header (`name[:port]` or `[v6]:port`) names this machine without a DNS name anyone else controls. */
export function trustedHost(host: string, listenHost: string): boolean {
  if (host.startsWith('[')) return true; // an IPv6 literal
  const name = host.replace(/:\d*$/, '').toLowerCase();
  if (isIP(name) !== 0) return true;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const machine = hostname().toLowerCase();
  return name === listenHost.toLowerCase() || name === machine || name === machine.split('.')[0];
}
