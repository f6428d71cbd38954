/**
 * Logging in, after the StartupMessage: the daemon's own address rules
 * (--hba-file), a bounded slot for the connection that has the source server
 * verify the password (relay-limiter.ts), the relayed authentication itself,
 * and the identity (role OID) the session is then pinned to.
 */

import { relayAuthentication } from './auth-relay.js';
import type { MessageChannel } from './message-channel.js';
import type { RelayLimiter } from './relay-limiter.js';
import type { StartupRequest } from './session-startup.js';
import type { UpstreamAddress } from './upstream-auth-connection.js';

/** PostgreSQL's authentication_timeout is 60 s; a relay holds a source connection, so ours is shorter. */
export const defaultAuthTimeoutMs = 10_000;

export interface LoginOptions {
  readonly upstream: UpstreamAddress;
  readonly limiter: RelayLimiter;
  /** When the login must have finished (Date.now() scale). */
  readonly deadline: number;
  /** The client's IP address, as the socket reports it. */
  readonly clientAddress: string;
}

export async function logIn(
  channel: MessageChannel,
  startup: StartupRequest,
  options: LoginOptions,
): Promise<void> {
  const remainingMs = () => Math.max(1, options.deadline - Date.now());
  const release = await options.limiter.acquire(options.clientAddress, AbortSignal.timeout(remainingMs()));
  try {
    await relayAuthentication(channel, {
      upstream: options.upstream,
      user: startup.user,
      database: startup.database,
      timeoutMs: remainingMs(),
    });
  } finally {
    release();
  }
}
