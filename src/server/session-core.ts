/**
 * The state one authenticated connection shares between the simple and the
 * extended query protocol: settings, the transaction block, the statement
 * runner, cancellation, and how results, errors and ReadyForQuery are sent.
 */
import { PgError, SqlState } from '../errors.js';
import type { Logger } from '../log.js';
import type { TextRow } from '../query/engine-types.js';
import type { CursorSet } from './cursor-set.js';
import { errorFields, WireError } from './error-fields.js';
import type { MessageChannel } from './message-channel.js';
import type { ParseStatements } from './parsed-statement-kinds.js';
import type { PreparedStatements } from './prepared-statements.js';
import {
  commandComplete,
  dataRow,
  emptyQueryResponse,
  errorResponse,
  type NoticeFields,
  noticeResponse,
  parameterStatus,
  readyForQuery,
  rowDescription,
} from './protocol/index.js';
import type { QueryObserver } from './query-observer.js';
import type { SessionActivity } from './session-activity.js';
import type { SessionSettings } from './session-settings.js';
import type { RowsOutcome, StatementOutcome, StatementRunner } from './statement-runner.js';
import type { TransactionBlock } from './transaction-block.js';

function clientGone(): PgError {
  return new PgError(SqlState.connectionFailure, 'the client closed the connection');
}

/** DataRows are flushed in batches so large results stream with backpressure. */
const rowsPerFlush = 1000;

export interface SessionCoreOptions {
  readonly channel: MessageChannel;
  readonly settings: SessionSettings;
  readonly transaction: TransactionBlock;
  readonly runner: StatementRunner;
  readonly cursors: CursorSet;
  readonly prepared: PreparedStatements;
  readonly parseStatements: ParseStatements;
  readonly log: Logger;
  readonly observer?: QueryObserver;
  readonly activity?: SessionActivity;
}

export class SessionCore {
  readonly channel: MessageChannel;
  readonly settings: SessionSettings;
  readonly transaction: TransactionBlock;
  readonly runner: StatementRunner;
  readonly cursors: CursorSet;
  readonly prepared: PreparedStatements;
  readonly parseStatements: ParseStatements;
  readonly log: Logger;
  readonly #observer: QueryObserver | undefined;
  readonly #activity: SessionActivity | undefined;
  readonly #reported = new Map<string, string>();
  #running: AbortController | undefined;
  #ended = false;

  constructor(options: SessionCoreOptions) {
    this.channel = options.channel;
    this.settings = options.settings;
    this.transaction = options.transaction;
    this.runner = options.runner;
    this.cursors = options.cursors;
    this.prepared = options.prepared;
    this.parseStatements = options.parseStatements;
    this.log = options.log;
    this.#observer = options.observer;
    this.#activity = options.activity;
  }

  /**
   * A statement ended, successfully or with the error `failed` (as sent to the client), after
   * starting at `startedAt` (performance.now()): counted by outcome and timed for the metrics.
   */
  statementFinished(startedAt: number, failed?: NoticeFields): void {
    this.#observer?.queryFinished(failed?.code, (performance.now() - startedAt) / 1000);
    if (failed !== undefined && this.#activity !== undefined)
      this.#observer?.queryFailed?.({
        sqlState: failed.code,
        message: failed.message,
        database: this.#activity.identity.database,
        session: this.#activity.label,
      });
  }

  /** `query` (a simple Query's string, or an extended-protocol statement's text) runs from now. */
  activityStarted(query: string): void {
    this.#activity?.start(query);
  }

  /** The session waits for the client again. */
  activityEnded(): void {
    this.#activity?.idle();
  }

  /** Whether a FATAL error was sent: nothing more is answered and the connection closes. */
  get ended(): boolean {
    return this.#ended;
  }

  /** A signal for the statement about to run; CancelRequest aborts it. */
  beginStatement(): AbortSignal {
    this.#running = new AbortController();
    return this.#running.signal;
  }

  endStatement(): void {
    this.#running = undefined;
  }

  /** CancelRequest: interrupts the running statement, if any (like PostgreSQL, nothing otherwise). */
  cancel(): void {
    this.#running?.abort(new PgError(SqlState.queryCanceled, 'canceling statement due to user request'));
  }

  /** Sends every reported parameter whose value the client has not seen (PostgreSQL 14+ does this before ReadyForQuery). */
  reportParameterChanges(): void {
    for (const [name, value] of this.settings.reportedValues()) {
      if (this.#reported.get(name) === value) continue;
      this.#reported.set(name, value);
      this.channel.send(parameterStatus(name, value));
    }
  }

  async readyForQuery(): Promise<void> {
    if (this.#ended) return;
    this.reportParameterChanges();
    this.channel.send(readyForQuery(this.transaction.status));
    await this.channel.flush();
  }

  /**
   * Sends an error: PgError/WireError as they are, anything else logged with
   * its stack and sent as XX000. Marks an open transaction block failed.
   */
  reportError(error: unknown): NoticeFields {
    if (!(error instanceof PgError) && !(error instanceof WireError)) {
      this.log.error('unexpected error while serving a query', { error });
    }
    const fields = errorFields(error);
    if (this.#ended) return fields;
    this.channel.send(errorResponse(fields));
    this.transaction.fail();
    // As in PostgreSQL, FATAL ends the session (e.g. its role was dropped, session-role.ts).
    if (fields.severity === 'FATAL') this.#ended = true;
    return fields;
  }

  sendNotices(notices: readonly NoticeFields[]): void {
    for (const notice of notices) this.channel.send(noticeResponse(notice));
  }

  /** The simple-protocol reply for one statement. */
  async sendOutcome(outcome: StatementOutcome, signal: AbortSignal): Promise<void> {
    if (outcome.kind === 'empty') {
      this.channel.send(emptyQueryResponse());
      return;
    }
    this.sendNotices(outcome.notices);
    if (outcome.kind === 'command') {
      this.channel.send(commandComplete(outcome.tag));
      return;
    }
    try {
      this.channel.send(rowDescription(outcome.columns));
      const { count } = await this.sendRows(outcome, Number.POSITIVE_INFINITY, signal);
      this.channel.send(commandComplete(outcome.tag(count)));
    } finally {
      await outcome.close();
    }
  }

  /**
   * DataRows read from `outcome`, at most `limit`, in portions flushed with
   * backpressure; `ended` when the rows ran out before the limit.
   */
  async sendRows(
    outcome: RowsOutcome,
    limit: number,
    signal: AbortSignal,
    encode: (row: TextRow) => Buffer = dataRow,
  ): Promise<{ count: number; ended: boolean }> {
    let count = 0;
    while (count < limit) {
      // A client that went away reads no more: the statement stops, and what it holds is released.
      if (this.channel.closed) throw clientGone();
      const wanted = Math.min(rowsPerFlush, limit - count);
      const rows = await outcome.read(wanted, signal);
      for (const row of rows) this.channel.send(encode(row));
      count += rows.length;
      await this.channel.flush();
      if (rows.length < wanted) return { count, ended: true };
    }
    return { count, ended: false };
  }

  /** The session ended: open cursors give back what they hold. */
  async close(): Promise<void> {
    await this.cursors.closeAll();
    await this.runner.close();
  }
}
