/**
 * Logging in, after the StartupMessage: the daemon's own address rules
 * (--hba-file), a bounded slot for the connection that has the source server
 * verify the password (relay-limiter.ts), the relayed authentication itself,
 * and the identity (role OID) the session is then pinned to.
 */

import { PgError, SqlState } from '../errors.js';
import type { Logger } from '../log.js';
import { type AuthenticatedRole, relayAuthentication } from './auth-relay.js';
import type { HbaRules } from './hba-rules.js';
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
  /** The daemon's own address rules; undefined: every address may log in. */
  readonly hba: HbaRules | undefined;
  /** The databases the daemon serves; undefined: any. */
  readonly databases: readonly string[] | undefined;
  readonly log: Logger;
}

export async function logIn(
  channel: MessageChannel,
  startup: StartupRequest,
  options: LoginOptions,
): Promise<AuthenticatedRole> {
  if (options.hba !== undefined) checkAddressRules(options.hba, channel, startup, options);
  const remainingMs = () => Math.max(1, options.deadline - Date.now());
  const release = await options.limiter.acquire(options.clientAddress, AbortSignal.timeout(remainingMs()));
  let role: AuthenticatedRole;
  try {
    role = await relayAuthentication(channel, {
      upstream: options.upstream,
      user: startup.user,
      database: startup.database,
      timeoutMs: remainingMs(),
    });
  } finally {
    release();
  }
  // After the password, as PostgreSQL checks the database: who may not log in learns nothing.
  if (options.databases !== undefined && !options.databases.includes(startup.database)) {
    throw notServed(startup.database, options.databases);
  }
  return role;
}

function notServed(database: string, served: readonly string[]): PgError {
  return new PgError(SqlState.invalidCatalogName, `database "${database}" is not served by pg_analytica`, {
    severity: 'FATAL',
    detail: `This daemon serves ${served.map((d) => `"${d}"`).join(', ')}.`,
    hint: `To serve it, restart the daemon with --databases ${[...served, database].join(',')}.`,
  });
}

/** Refuses the client (FATAL 28000) unless the first --hba-file line it matches says allow. */
function checkAddressRules(
  hba: HbaRules,
  channel: MessageChannel,
  startup: StartupRequest,
  options: LoginOptions,
): void {
  const client = {
    address: options.clientAddress,
    user: startup.user,
    database: startup.database,
    encrypted: channel.encrypted,
  };
  const rule = hba.match(client);
  // As PostgreSQL, the client is not told which line refused it; the daemon's log says.
  if (rule === undefined || !rule.allow) {
    options.log.info('login refused by --hba-file', {
      address: options.clientAddress,
      line: rule?.line ?? null,
      rule: rule?.text ?? null,
    });
  }
  hba.check(client);
}
