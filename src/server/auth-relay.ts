/**
 * Password authentication by relay: the source PostgreSQL verifies the
 * client's role and password. We open a connection to it as the same
 * user/database and pass the authentication exchange through unchanged
 * (AuthenticationSASL → SASLInitialResponse → SASLContinue → SASLResponse →
 * SASLFinal → AuthenticationOk; MD5 and cleartext likewise). SCRAM works
 * through a relay only without channel binding: the client's TLS session (if
 * any) ends at the daemon, so -PLUS mechanisms are never offered.
 * https://www.postgresql.org/docs/current/sasl-authentication.html
 *
 * Passwords and SASL payloads are never logged.
 */
import { PgError, SqlState } from '../errors.js';
import { WireError } from './error-fields.js';
import type { MessageChannel } from './message-channel.js';
import {
  authenticationCleartextPassword,
  authenticationMd5Password,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
} from './protocol/index.js';
import {
  type UpstreamAddress,
  UpstreamAuthConnection,
  type UpstreamMessage,
} from './upstream-auth-connection.js';

export interface AuthRelayOptions {
  readonly upstream: UpstreamAddress;
  readonly user: string;
  readonly database: string;
  /** PostgreSQL's authentication_timeout; default 60 s. */
  readonly timeoutMs?: number;
}

/** Who the source server let in: the role's OID, which the session acts for from now on. */
export interface AuthenticatedRole {
  readonly roleOid: number;
}

/** Resolves when the source server accepted the login; throws a FATAL PgError or WireError otherwise. */
export async function relayAuthentication(
  channel: MessageChannel,
  options: AuthRelayOptions,
): Promise<AuthenticatedRole> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const upstream = await UpstreamAuthConnection.open(options.upstream, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new PgError(SqlState.connectionFailure, 'authentication timed out', { severity: 'FATAL' })),
      timeoutMs,
    );
  });
  try {
    upstream.sendStartup(options.user, options.database);
    return await Promise.race([exchange(channel, upstream), timeout]);
  } finally {
    clearTimeout(timer);
    upstream.close();
  }
}

async function exchange(
  channel: MessageChannel,
  upstream: UpstreamAuthConnection,
): Promise<AuthenticatedRole> {
  let passwordRequested = false;
  for (;;) {
    const message = await upstream.next();
    if (message.name === 'authenticationOk') {
      if (!passwordRequested) throw trustRefused();
      // Role and database checks (3D000, "not permitted to log in") come after AuthenticationOk.
      await awaitReady(upstream);
      return { roleOid: await authenticatedRoleOid(upstream) };
    }
    if (message.name === 'error') throw relayedError(message);
    if (message.name === 'notice') continue;
    passwordRequested = true;
    const expectsReply = await forwardRequest(channel, message);
    if (expectsReply) upstream.sendPasswordPayload(await clientResponse(channel));
  }
}

/** Sends the upstream's authentication request to the client; returns whether a client reply is due. */
async function forwardRequest(channel: MessageChannel, message: UpstreamMessage): Promise<boolean> {
  switch (message.name) {
    case 'authenticationSASL':
      // Channel binding (-PLUS) cannot survive a relay; upstream never offers it without TLS anyway.
      channel.send(authenticationSasl((message.mechanisms ?? []).filter((m) => !m.endsWith('-PLUS'))));
      break;
    case 'authenticationSASLContinue':
      channel.send(authenticationSaslContinue(message.data ?? ''));
      break;
    case 'authenticationSASLFinal':
      channel.send(authenticationSaslFinal(message.data ?? ''));
      await channel.flush();
      return false;
    case 'authenticationMD5Password':
      channel.send(authenticationMd5Password(message.salt ?? Buffer.alloc(4)));
      break;
    case 'authenticationCleartextPassword':
      channel.send(authenticationCleartextPassword());
      break;
    default:
      throw new PgError(
        SqlState.protocolViolation,
        `unexpected message "${message.name}" from the source server during authentication`,
        { severity: 'FATAL' },
      );
  }
  await channel.flush();
  return true;
}

async function clientResponse(channel: MessageChannel): Promise<Buffer> {
  const reply = await channel.next();
  if (reply === undefined) {
    throw new PgError(SqlState.connectionFailure, 'the client closed the connection during authentication', {
      severity: 'FATAL',
    });
  }
  if (reply.type !== 'password') {
    throw new PgError(SqlState.protocolViolation, `expected a password response, got ${reply.type}`, {
      severity: 'FATAL',
    });
  }
  return reply.payload;
}

async function awaitReady(upstream: UpstreamAuthConnection): Promise<void> {
  for (;;) {
    const message = await upstream.next();
    if (message.name === 'readyForQuery') return;
    if (message.name === 'error') throw relayedError(message);
  }
}

/**
 * The OID of the role the source just let in. session_user is the name the
 * source now gives the login's role OID, so a rename during the login cannot
 * make us pin another role.
 */
async function authenticatedRoleOid(upstream: UpstreamAuthConnection): Promise<number> {
  upstream.sendQuery('SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) session_user');
  let oid: number | undefined;
  for (;;) {
    const message = await upstream.next();
    if (message.name === 'dataRow') oid = Number(message.fields?.[0]);
    else if (message.name === 'error') throw relayedError(message);
    else if (message.name === 'readyForQuery') break;
  }
  if (oid === undefined || !Number.isInteger(oid)) {
    throw new PgError(
      SqlState.invalidAuthorizationSpecification,
      'the role that logged in no longer exists',
      {
        severity: 'FATAL',
      },
    );
  }
  return oid;
}

function relayedError(message: UpstreamMessage): WireError {
  return new WireError({
    severity: 'FATAL',
    code: message.code ?? SqlState.invalidAuthorizationSpecification,
    message: message.message ?? 'authentication failed',
    detail: message.detail,
    hint: message.hint,
  });
}

function trustRefused(): PgError {
  return new PgError(
    SqlState.invalidAuthorizationSpecification,
    'pg_analytica requires password authentication on the source server, but it let this role in without a password',
    {
      severity: 'FATAL',
      hint: 'Change the source server’s pg_hba.conf entry for this host from "trust" to "scram-sha-256".',
    },
  );
}
