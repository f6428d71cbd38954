/**
 * One client connection from first byte to close: startup negotiation,
 * password check by relay to the source server, the greeting
 * (AuthenticationOk, ParameterStatus…, BackendKeyData, ReadyForQuery), then
 * the message loop. A FATAL error (malformed bytes, failed login) closes this
 * connection only.
 * https://www.postgresql.org/docs/current/protocol-flow.html
 */
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { PgError, SqlState } from '../errors.js';
import type { Logger } from '../log.js';
import type { QueryExecutor } from '../query/engine-types.js';
import type { CancelKey, CancelRegistry } from './cancel-registry.js';
import { CursorSet } from './cursor-set.js';
import { errorFields, WireError } from './error-fields.js';
import { ExtendedQuery } from './extended-query.js';
import type { HbaRules } from './hba-rules.js';
import { MessageChannel } from './message-channel.js';
import type { ParseStatements } from './parsed-statement-kinds.js';
import { PreparedStatements } from './prepared-statements.js';
import { authenticationOk, backendKeyData, errorResponse, type TypedMessage } from './protocol/index.js';
import type { QueryObserver } from './query-observer.js';
import type { RelayLimiter } from './relay-limiter.js';
import type { SessionActivities, SessionActivity } from './session-activity.js';
import { SessionCore } from './session-core.js';
import { defaultAuthTimeoutMs, logIn } from './session-login.js';
import { SessionSettings } from './session-settings.js';
import { readStartup, type StartupRequest } from './session-startup.js';
import { runSimpleQuery } from './simple-query.js';
import { StatementRunner } from './statement-runner.js';
import { TransactionBlock } from './transaction-block.js';
import type { UpstreamAddress } from './upstream-auth-connection.js';

export interface SessionOptions {
  readonly upstream: UpstreamAddress;
  readonly parseStatements: ParseStatements;
  readonly executor: QueryExecutor;
  readonly cancels: CancelRegistry;
  readonly log: Logger;
  /** Bounds the source connections that logins hold (shared by every session). */
  readonly relayLimiter: RelayLimiter;
  readonly authTimeoutMs?: number;
  readonly maxMessageBytes?: number;
  /** The statement_timeout the session starts with, before startup parameters (default none). */
  readonly statementTimeoutMs?: number;
  /** Certificate and key: SSLRequest is answered 'S' when set. */
  readonly tls?: SecureContext;
  /** The daemon's own client address rules (--hba-file). */
  readonly hba?: HbaRules;
  /** The databases served; undefined: any. */
  readonly databases?: readonly string[];
  /** Told of every statement's outcome and duration (the metrics endpoint). */
  readonly observer?: QueryObserver;
  /** Where the session says what it is doing (pg_stat_activity for the status page). */
  readonly activities?: SessionActivities;
}

export class Session {
  readonly #channel: MessageChannel;
  readonly #options: SessionOptions;
  /** The client's IP address (the daemon's address rules and per-host login limit go by it). */
  readonly #clientAddress: string;
  #log: Logger;
  #core: SessionCore | undefined;
  #extended: ExtendedQuery | undefined;
  #cancelKey: CancelKey | undefined;
  #activity: SessionActivity | undefined;

  constructor(socket: Socket, options: SessionOptions) {
    socket.setNoDelay(true);
    this.#channel = new MessageChannel(socket, { maxMessageBytes: options.maxMessageBytes });
    this.#options = options;
    this.#clientAddress = socket.remoteAddress ?? '';
    this.#log = options.log;
  }

  /** Serves the connection until it ends; never throws. */
  async run(): Promise<void> {
    // As PostgreSQL's authentication_timeout: the startup packet and the login together get one
    // deadline, so idle connections cannot hold the connection slots.
    const authTimeoutMs = this.#options.authTimeoutMs ?? defaultAuthTimeoutMs;
    const deadline = Date.now() + authTimeoutMs;
    const loginDeadline = setTimeout(() => this.#channel.destroy(), authTimeoutMs);
    let startup: StartupRequest | undefined;
    try {
      startup = await readStartup(this.#channel, this.#options.cancels, this.#options.tls);
      if (startup === undefined) return;
      this.#log = this.#log.child({ session: { user: startup.user, database: startup.database } });
      const { roleOid } = await logIn(this.#channel, startup, {
        upstream: this.#options.upstream,
        limiter: this.#options.relayLimiter,
        deadline,
        clientAddress: this.#clientAddress,
        hba: this.#options.hba,
        databases: this.#options.databases,
        log: this.#log,
      });
      this.#channel.endAuthentication();
      clearTimeout(loginDeadline);
      this.#activity = this.#options.activities?.open({
        role: startup.user,
        database: startup.database,
        clientAddress: this.#clientAddress,
      });
      this.#core = this.#createCore(startup, roleOid);
      await this.#greet(this.#core);
      this.#log.info('session started');
      await this.#serve(this.#core);
    } catch (error) {
      if (startup !== undefined && this.#core === undefined) this.#loginFailed(startup, error);
      await this.#fatal(error);
    } finally {
      clearTimeout(loginDeadline);
      if (this.#cancelKey !== undefined) this.#options.cancels.unregister(this.#cancelKey);
      this.#activity?.close();
      await this.#extended?.close().catch(() => undefined);
      await this.#core
        ?.close()
        .catch((error: unknown) => this.#log.error('closing the session’s cursors failed', { error }));
      await this.#channel.close().catch(() => undefined);
    }
  }

  /** Server shutdown: interrupts the running statement and closes the socket. */
  terminate(): void {
    this.#core?.cancel();
    this.#channel.send(
      errorResponse({
        severity: 'FATAL',
        code: SqlState.adminShutdown,
        message: 'terminating connection due to administrator command',
      }),
    );
    void this.#channel.flush().finally(() => this.#channel.destroy());
  }

  #createCore(startup: StartupRequest, roleOid: number): SessionCore {
    let settings: SessionSettings;
    try {
      const timeoutMs = this.#options.statementTimeoutMs ?? 0;
      const defaults = new Map([['statement_timeout', String(timeoutMs)]]);
      settings = new SessionSettings(startup.user, startup.settings, defaults);
    } catch (error) {
      // A bad startup setting ends the connection, as in PostgreSQL.
      throw new WireError({ ...errorFields(error), severity: 'FATAL' });
    }
    const transaction = new TransactionBlock(settings);
    const cursors = new CursorSet();
    const prepared = new PreparedStatements();
    const { executor, parseStatements } = this.#options;
    const runner = new StatementRunner({
      role: startup.user,
      roleOid,
      database: startup.database,
      executor,
      settings,
      transaction,
      cursors,
      preparedStatements: prepared,
    });
    return new SessionCore({
      channel: this.#channel,
      settings,
      transaction,
      runner,
      cursors,
      prepared,
      parseStatements,
      log: this.#log,
      observer: this.#options.observer,
      activity: this.#activity,
    });
  }

  async #greet(core: SessionCore): Promise<void> {
    this.#channel.send(authenticationOk());
    core.reportParameterChanges();
    this.#cancelKey = this.#options.cancels.register(() => core.cancel());
    if (this.#activity) this.#activity.pid = this.#cancelKey.processId;
    this.#channel.send(backendKeyData(this.#cancelKey.processId, this.#cancelKey.secretKey));
    await core.readyForQuery();
  }

  async #serve(core: SessionCore): Promise<void> {
    const extended = new ExtendedQuery(core);
    this.#extended = extended;
    for (;;) {
      const message = await this.#channel.next();
      if (message === undefined || message.type === 'terminate') return;
      await this.#dispatch(core, extended, message as TypedMessage);
      // A FATAL error (the session's role was dropped) was sent: the connection ends.
      if (core.ended) return;
    }
  }

  async #dispatch(core: SessionCore, extended: ExtendedQuery, message: TypedMessage): Promise<void> {
    switch (message.type) {
      case 'query':
        await extended.dropUnnamed();
        await runSimpleQuery(core, message.sql);
        await extended.dropPortalsIfIdle();
        return;
      case 'copy':
        return;
      case 'functionCall':
        core.reportError(
          new PgError(SqlState.featureNotSupported, 'the function call protocol is not supported'),
        );
        return await core.readyForQuery();
      case 'password':
        throw new PgError(SqlState.protocolViolation, 'unexpected password message after authentication', {
          severity: 'FATAL',
        });
      default:
        return await extended.handle(message);
    }
  }

  /** A refused login is told to the observer (the status page lists it with the recent errors). */
  #loginFailed(startup: StartupRequest, error: unknown): void {
    if (!(error instanceof PgError) && !(error instanceof WireError)) return;
    const fields = errorFields(error);
    const address = this.#clientAddress || 'local';
    this.#options.observer?.loginFailed?.({
      sqlState: fields.code,
      message: fields.message,
      database: startup.database,
      session: `${startup.user}@${startup.database} from ${address} (login)`,
    });
  }

  async #fatal(error: unknown): Promise<void> {
    if (this.#channel.closed) return;
    const fields = errorFields(error);
    if (!(error instanceof PgError) && !(error instanceof WireError)) {
      this.#log.error('unexpected error in session', { error });
    } else {
      this.#log.info('connection refused or ended', { code: fields.code, reason: fields.message });
    }
    this.#channel.send(errorResponse({ ...fields, severity: 'FATAL' }));
  }
}
