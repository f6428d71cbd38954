/**
 * Startup and authentication of a replication connection: StartupMessage with
 * `replication=database`, then cleartext, MD5 or SCRAM-SHA-256 (pg's own SASL
 * code), then ParameterStatus messages until ReadyForQuery.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 */
import { serialize } from 'pg-protocol';
import { PgError, SqlState } from '../../errors.js';
import { pgCrypto, type ResolvedConnectionParameters, type SaslSession, sasl } from './pg-internals.js';
import { serverError } from './server-error.js';
import type { WireMessage, WireSocket } from './wire-socket.js';

const during = 'during startup';

/** Runs startup and authentication; returns the server's ParameterStatus values. */
export async function startReplicationSession(
  wire: WireSocket,
  params: ResolvedConnectionParameters,
  settings: Readonly<Record<string, string>> = {},
): Promise<Map<string, string>> {
  const startup: Record<string, string> = {
    user: params.user,
    database: params.database,
    replication: 'database',
    application_name: params.application_name ?? 'pg_analytica_replication',
  };
  // Session settings travel as command-line options; spaces and backslashes are backslash-escaped.
  // The connection's own options (the daemon's search_path, see source-config.ts) come first.
  const options = [
    params.options ?? '',
    ...Object.entries(settings).map(
      ([name, value]) => `-c ${name}=${value.replace(/[\\ ]/g, (c) => `\\${c}`)}`,
    ),
  ]
    .filter((option) => option !== '')
    .join(' ');
  if (options) startup.options = options;
  wire.write(serialize.startup(startup));
  const parameters = new Map<string, string>();
  const auth: AuthState = { session: undefined };
  for (;;) {
    const message = await wire.next(during);
    switch (message.name) {
      case 'parameterStatus':
        parameters.set(message.parameterName ?? '', message.parameterValue ?? '');
        break;
      case 'error':
        throw serverError(message as WireMessage & { message: string }, 'replication connection failed');
      case 'readyForQuery':
        return parameters;
      case 'authenticationOk':
      case 'backendKeyData':
      case 'notice':
        break;
      default:
        await answerAuthentication(wire, params, message, auth);
    }
  }
}

interface AuthState {
  session: SaslSession | undefined;
}

/** Cleartext, MD5 or SCRAM-SHA-256 (SASL, without channel binding: no TLS here). */
async function answerAuthentication(
  wire: WireSocket,
  params: ResolvedConnectionParameters,
  message: WireMessage,
  auth: AuthState,
): Promise<void> {
  switch (message.name) {
    case 'authenticationCleartextPassword':
      wire.write(serialize.password(await password(params)));
      return;
    case 'authenticationMD5Password':
      wire.write(serialize.password(await md5Response(params, message)));
      return;
    case 'authenticationSASL':
      auth.session = sasl.startSession(message.mechanisms ?? []);
      wire.write(serialize.sendSASLInitialResponseMessage(auth.session.mechanism, auth.session.response));
      return;
    case 'authenticationSASLContinue':
      if (!auth.session) throw protocolError(message);
      await sasl.continueSession(auth.session, await password(params), message.data ?? '');
      wire.write(serialize.sendSCRAMClientFinalMessage(auth.session.response));
      return;
    case 'authenticationSASLFinal':
      if (!auth.session) throw protocolError(message);
      sasl.finalizeSession(auth.session, message.data ?? '');
      return;
    default:
      throw protocolError(message);
  }
}

async function password(params: ResolvedConnectionParameters): Promise<string> {
  const value = typeof params.password === 'function' ? await params.password() : params.password;
  if (typeof value !== 'string' || value === '') {
    throw new PgError(
      SqlState.invalidPassword,
      `the server asks user "${params.user}" for a password, but none was given`,
      { severity: 'FATAL', hint: 'Set password in the connection config or PGPASSWORD.' },
    );
  }
  return value;
}

async function md5Response(params: ResolvedConnectionParameters, message: WireMessage): Promise<string> {
  if (!message.salt) throw protocolError(message);
  return await pgCrypto.postgresMd5PasswordHash(params.user, await password(params), message.salt);
}

function protocolError(message: WireMessage): PgError {
  return new PgError(SqlState.protocolViolation, `unexpected message "${message.name}" ${during}`, {
    severity: 'FATAL',
  });
}
