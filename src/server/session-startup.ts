/**
 * The startup phase of a connection: SSLRequest and GSSENCRequest are refused
 * with 'N' (so SCRAM runs without channel binding and can be relayed),
 * CancelRequest is forwarded to the registry, and a StartupMessage asking for
 * a newer 3.x minor version or `_pq_.` options gets NegotiateProtocolVersion.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { PgError, SqlState } from '../errors.js';
import type { CancelRegistry } from './cancel-registry.js';
import type { MessageChannel } from './message-channel.js';
import { negotiateProtocolVersion } from './protocol/index.js';

export interface StartupRequest {
  readonly user: string;
  readonly database: string;
  /** Setting names and values from the packet and its `options` (-c name=value). */
  readonly settings: ReadonlyMap<string, string>;
}

/** Packet keys that are not settings. */
const connectionKeys = new Set(['user', 'database', 'options', 'replication']);

/** The client's StartupMessage, or undefined when the connection carried a CancelRequest or closed. */
export async function readStartup(
  channel: MessageChannel,
  cancels: CancelRegistry,
): Promise<StartupRequest | undefined> {
  for (;;) {
    const message = await channel.next();
    if (message === undefined) return undefined;
    switch (message.type) {
      case 'sslRequest':
      case 'gssEncRequest':
        // A single unframed byte.
        channel.send(Buffer.from('N'));
        await channel.flush();
        break;
      case 'cancelRequest':
        cancels.cancel(message);
        return undefined;
      case 'startup':
        return acceptStartup(channel, message.minorVersion, message.parameters);
      default:
        throw new PgError(SqlState.protocolViolation, `unexpected ${message.type} message before startup`, {
          severity: 'FATAL',
        });
    }
  }
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
