/**
 * The startup phase of a connection: an SSLRequest is answered 'S' and the
 * connection continues over TLS when a certificate is configured, else 'N';
 * GSSENCRequest is always refused with 'N'. CancelRequest is forwarded to the
 * registry, and a StartupMessage asking for a newer 3.x minor version or
 * `_pq_.` options gets NegotiateProtocolVersion.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import type { SecureContext } from 'node:tls';
import { PgError, SqlState } from '../errors.js';
import type { CancelRegistry } from './cancel-registry.js';
import { type MessageChannel, unencryptedDataError } from './message-channel.js';
import {
  errorResponseV2,
  type FrontendMessage,
  negotiateProtocolVersion,
  RequestCode,
  UnsupportedProtocolError,
} from './protocol/index.js';

export interface StartupRequest {
  readonly user: string;
  readonly database: string;
  /** Setting names and values from the packet and its `options` (-c name=value). */
  readonly settings: ReadonlyMap<string, string>;
}

/** Packet keys that are not settings. */
const connectionKeys = new Set(['user', 'database', 'options', 'replication']);

/**
 * The client's StartupMessage, or undefined when the connection carried a
 * CancelRequest or closed. `tls` is the server certificate and key, if any.
 */
export async function readStartup(
  channel: MessageChannel,
  cancels: CancelRegistry,
  tls?: SecureContext,
): Promise<StartupRequest | undefined> {
  // As PostgreSQL's ProcessStartupPacket: one SSL negotiation, and a GSS one only before it
  // or after SSL was refused.
  let sslDone = false;
  let gssDone = false;
  for (;;) {
    const message = await nextStartupMessage(channel);
    if (message === undefined) return undefined;
    switch (message.type) {
      case 'sslRequest':
        if (sslDone) throw unsupportedRequest(RequestCode.ssl);
        sslDone = true;
        if (tls === undefined) await refuseEncryption(channel, 'SSL');
        else {
          channel.startTls(tls);
          gssDone = true;
        }
        break;
      case 'gssEncRequest':
        if (gssDone) throw unsupportedRequest(RequestCode.gssEncryption);
        gssDone = true;
        await refuseEncryption(channel, 'GSSAPI encryption');
        break;
      case 'cancelRequest':
        cancels.cancel(message);
        return undefined;
      case 'startup':
        channel.beginAuthentication();
        return acceptStartup(channel, message.minorVersion, message.parameters);
      default:
        throw unexpected(message);
    }
  }
}

/**
 * The next startup-phase message. A client of protocol 1.0 or 2.0 reads errors
 * only in its own format, so its refusal is sent that way and the connection
 * closed, as PostgreSQL does; the error is rethrown for the caller.
 */
async function nextStartupMessage(channel: MessageChannel): Promise<FrontendMessage | undefined> {
  try {
    return await channel.next();
  } catch (error) {
    if (error instanceof UnsupportedProtocolError && error.majorVersion < 3) {
      channel.send(errorResponseV2('FATAL', error.message));
      await channel.close();
    }
    throw error;
  }
}

/** Answers 'N' (a single unframed byte); the client goes on in plaintext or gives up. */
async function refuseEncryption(
  channel: MessageChannel,
  request: 'SSL' | 'GSSAPI encryption',
): Promise<void> {
  // Whatever the client sent before reading the answer was meant for an encrypted channel.
  if (channel.hasBufferedInput) throw unencryptedDataError(request);
  channel.send(Buffer.from('N'));
  await channel.flush();
}

/** A repeated negotiation request is read as a protocol version, as PostgreSQL does. */
function unsupportedRequest(code: number): PgError {
  return new PgError(
    SqlState.featureNotSupported,
    `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0 to 3.0`,
    { severity: 'FATAL' },
  );
}

function unexpected(message: FrontendMessage): PgError {
  return new PgError(SqlState.protocolViolation, `unexpected ${message.type} message before startup`, {
    severity: 'FATAL',
  });
}

function acceptStartup(
  channel: MessageChannel,
  minorVersion: number,
  parameters: ReadonlyMap<string, string>,
): StartupRequest {
  const protocolOptions = [...parameters.keys()].filter((key) => key.startsWith('_pq_.'));
  if (minorVersion > 0 || protocolOptions.length > 0) {
    channel.send(negotiateProtocolVersion(0, protocolOptions));
  }
  const user = parameters.get('user');
  if (user === undefined || user === '') {
    throw new PgError(
      SqlState.invalidAuthorizationSpecification,
      'no PostgreSQL user name specified in startup packet',
      {
        severity: 'FATAL',
      },
    );
  }
  const settings = new Map<string, string>();
  for (const [key, value] of parameters) {
    if (!connectionKeys.has(key) && !key.startsWith('_pq_.')) settings.set(key, value);
  }
  for (const [key, value] of parseCommandLineOptions(parameters.get('options') ?? ''))
    settings.set(key, value);
  return { user, database: parameters.get('database') || user, settings };
}

/**
 * The `options` startup parameter holds server command-line switches; only
 * `-c name=value` and `--name=value` set anything. Backslash escapes a space.
 */
export function parseCommandLineOptions(options: string): [string, string][] {
  const words = options.match(/(?:\\.|\S)+/g)?.map((word) => word.replace(/\\(.)/g, '$1')) ?? [];
  const settings: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    const assignment =
      word === '-c'
        ? words[++i]
        : word.startsWith('--')
          ? word.slice(2)
          : word.startsWith('-c')
            ? word.slice(2)
            : undefined;
    const eq = assignment?.indexOf('=') ?? -1;
    if (assignment === undefined || eq <= 0) {
      throw new PgError(SqlState.syntaxError, `invalid command-line argument for server process: ${word}`, {
        severity: 'FATAL',
        hint: 'Use -c name=value.',
      });
    }
    settings.push([assignment.slice(0, eq).replaceAll('-', '_'), assignment.slice(eq + 1)]);
  }
  return settings;
}
