/**
 * Runs one classified statement for a session: SELECTs go to the engine,
 * SET/SHOW/RESET and transaction control are emulated here. Shared by the
 * simple and extended query protocols.
 */
import { PgError, SqlState } from '../errors.js';
import type {
  ParsedStatement,
  QueryExecutor,
  QueryResult,
  ResultColumn,
  SelectDescription,
  SessionContext,
  TextRow,
} from '../query/engine-types.js';
import { materializedRowStream } from '../query/materialized-row-stream.js';
import type { CursorSet } from './cursor-set.js';
import { warning } from './error-fields.js';
import type {
  DeclareStatement,
  ExplainStatement,
  FetchStatement,
  SelectStatement,
} from './parsed-statement-kinds.js';
import type { NoticeFields } from './protocol/index.js';
import type { SessionSettings } from './session-settings.js';
import type { TransactionBlock } from './transaction-block.js';
import { TransactionSnapshot } from './transaction-snapshot.js';

/**
 * Rows to send: read in portions (by the sender, with backpressure), then
 * CommandComplete with tag(count). close() releases what they hold: a
 * SELECT's engine resources; a FETCH leaves its cursor open.
 */
export interface RowsOutcome {
  readonly kind: 'rows';
  readonly columns: readonly ResultColumn[];
  read(maxRows: number, signal?: AbortSignal): Promise<TextRow[]>;
  tag(count: number): string;
  close(): Promise<void>;
  readonly notices: readonly NoticeFields[];
}

export type StatementOutcome =
  | RowsOutcome
  | { readonly kind: 'command'; readonly tag: string; readonly notices: readonly NoticeFields[] }
  | { readonly kind: 'empty' };

export interface StatementRunnerOptions {
  readonly role: string;
  /** The authenticated role's OID (see SessionContext.roleOid). */
  readonly roleOid: number;
  readonly database: string;
  readonly executor: QueryExecutor;
  readonly settings: SessionSettings;
  readonly transaction: TransactionBlock;
  readonly cursors: CursorSet;
  /** DEALLOCATE / DISCARD ALL: the extended protocol's prepared statements. */
  readonly preparedStatements: { deallocate(name: string | undefined): void };
}

const textColumn = { typeOid: 25, typeSize: -1, typeModifier: -1 } as const;

export class StatementRunner {
  readonly #options: StatementRunnerOptions;
  /** Table versions of the open transaction block; WITH HOLD cursors keep their own pins. */
  readonly #snapshot = new TransactionSnapshot();

  constructor(options: StatementRunnerOptions) {
    this.#options = options;
  }

  /** `inImplicitBlock`: part of a multi-statement query string, where SET LOCAL is allowed. */
  async run(
    statement: ParsedStatement,
    signal: AbortSignal,
    inImplicitBlock: boolean,
  ): Promise<StatementOutcome> {
    const { settings, transaction } = this.#options;
    if (!transaction.allows(statement.kind === 'transaction' ? statement.action : undefined)) {
      throw new PgError(
        SqlState.inFailedSqlTransaction,
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    }
    switch (statement.kind) {
      case 'select': {
        const stream = await this.#guard(signal, (guarded) =>
          this.#options.executor.openSelect(statement, this.context(), guarded),
        );
        return this.#rowsOf(
          stream,
          (count) => `SELECT ${count}`,
          () => stream.close(),
        );
      }
      case 'show':
        return this.#materialized(this.#show(statement.name), 'SHOW');
      case 'explain':
        return this.#explain(statement, signal);
      case 'declare':
        return await this.#declare(statement, signal);
      case 'fetch':
        return await this.#fetch(statement);
      case 'close':
        if (statement.name === undefined) await this.#options.cursors.closeAll();
        else await this.#options.cursors.close(statement.name);
        return command('CLOSE CURSOR');
      case 'deallocate':
        this.#options.preparedStatements.deallocate(statement.name);
        return command(statement.name === undefined ? 'DEALLOCATE ALL' : 'DEALLOCATE');
      case 'discard_all':
        return await this.#discardAll();
      case 'set': {
        // SET LOCAL outside a block is validated, then lapses when the query ends (the session clears it).
        settings.set(statement.name, statement.value, statement.isLocal);
        const outside = statement.isLocal && !transaction.inBlock && !inImplicitBlock;
        return { kind: 'command', tag: 'SET', notices: outside ? [setLocalOutsideBlock()] : [] };
      }
      case 'reset_all':
        settings.resetAll();
        return command('RESET');
      case 'transaction': {
        const wasInBlock = transaction.inBlock;
        const outcome = transaction.apply(statement.action, statement.savepoint);
        if (wasInBlock && !transaction.inBlock) {
          await this.#options.cursors.endTransaction(outcome.tag === 'COMMIT');
          // The block's table versions go with it: the next transaction reads what is current then.
          await this.#snapshot.release();
        }
        return { kind: 'command', tag: outcome.tag, notices: outcome.notice ? [outcome.notice] : [] };
      }
      case 'empty':
        return { kind: 'empty' };
    }
  }

  /** The columns and parameter types of a SELECT, without running it (parameters as NULL). */
  async describe(statement: SelectStatement, cancel: AbortSignal): Promise<SelectDescription> {
    return await this.#guard(cancel, (signal) =>
      this.#options.executor.describeSelect(statement, this.context(), signal),
    );
  }

  /**
   * The signal a statement's work runs under: the client's cancel and the
   * session's statement_timeout. Both end in 57014, as in PostgreSQL.
   */
  statementSignal(cancel: AbortSignal): AbortSignal {
    const timeoutMs = this.#options.settings.statementTimeoutMs;
    return timeoutMs > 0 ? AbortSignal.any([cancel, AbortSignal.timeout(timeoutMs)]) : cancel;
  }

  async #guard<T>(cancel: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = this.statementSignal(cancel);
    try {
      signal.throwIfAborted();
      return await work(signal);
    } catch (error) {
      if (!signal.aborted) throw error;
      throw canceled(cancel.aborted ? 'user request' : 'statement timeout', error);
    }
  }

  #rowsOf(
    stream: { columns: readonly ResultColumn[]; read: RowsOutcome['read'] },
    tag: (count: number) => string,
    close: () => Promise<void>,
  ): RowsOutcome {
    return {
      kind: 'rows',
      columns: stream.columns,
      read: (maxRows, cancel) =>
        cancel === undefined
          ? stream.read(maxRows)
          : this.#guard(cancel, (signal) => stream.read(maxRows, signal)),
      tag,
      close,
      notices: [],
    };
  }

  #materialized(result: QueryResult, tag: string): RowsOutcome {
    const stream = materializedRowStream(result);
    return this.#rowsOf(
      stream,
      () => tag,
      () => stream.close(),
    );
  }

  async #explain(statement: ExplainStatement, cancel: AbortSignal): Promise<RowsOutcome> {
    const lines = await this.#guard(cancel, (signal) =>
      this.#options.executor.explainSelect(statement.select, this.context(), signal),
    );
    const shown = statement.costs ? lines : lines.map((line) => line.replace(/\s+\(cost=[^)]*\)$/, ''));
    const columns = [{ name: 'QUERY PLAN', ...textColumn }];
    return this.#materialized(
      { columns, rows: shown.map((line) => [line]), commandTag: 'EXPLAIN' },
      'EXPLAIN',
    );
  }

  async #declare(statement: DeclareStatement, cancel: AbortSignal): Promise<StatementOutcome> {
    const { cursors, transaction, executor } = this.#options;
    if (!statement.hold && !transaction.inBlock) {
      throw new PgError(
        SqlState.noActiveSqlTransaction,
        'DECLARE CURSOR can only be used in transaction blocks',
      );
    }
    if (cursors.has(statement.name)) {
      throw new PgError(SqlState.duplicateCursor, `cursor "${statement.name}" already exists`);
    }
    const stream = await this.#guard(cancel, (signal) =>
      executor.openSelect(statement.select, this.context(), signal),
    );
    await cursors.declare(statement.name, stream, statement.hold, transaction.inBlock);
    return command('DECLARE CURSOR');
  }

  /** FETCH/MOVE: rows come from the cursor as the sender reads them; the tag counts them. */
  async #fetch(statement: FetchStatement): Promise<StatementOutcome> {
    const cursor = this.#options.cursors.get(statement.name);
    const verb = statement.move ? 'MOVE' : 'FETCH';
    if (statement.direction === 'backward') return command(`MOVE ${await cursor.rewind()}`);
    let rows: ((maxRows: number, signal?: AbortSignal) => Promise<TextRow[]>) | undefined;
    if (statement.direction === 'forward' && statement.count > 0) {
      let left = statement.count;
      rows = async (maxRows, signal) => {
        const batch = await cursor.forward(maxRows > 0 ? Math.min(maxRows, left) : left, signal);
        left -= batch.length;
        return batch;
      };
    } else {
      let once: Promise<TextRow[]> | undefined;
      const { direction, count } = statement;
      rows = async (_maxRows, signal) => {
        if (once !== undefined) return [];
        once = direction === 'absolute' ? cursor.absolute(count, signal) : cursor.relative(count, signal);
        return await once;
      };
    }
    if (statement.move) {
      let moved = 0;
      for (let batch = await rows(10_000); batch.length > 0; batch = await rows(10_000))
        moved += batch.length;
      return command(`MOVE ${moved}`);
    }
    return this.#rowsOf(
      { columns: cursor.columns, read: rows },
      (count) => `${verb} ${count}`,
      async () => {},
    );
  }

  async #discardAll(): Promise<StatementOutcome> {
    if (this.#options.transaction.inBlock) {
      throw new PgError(SqlState.activeSqlTransaction, 'DISCARD ALL cannot run inside a transaction block');
    }
    await this.#options.cursors.closeAll();
    this.#options.preparedStatements.deallocate(undefined);
    this.#options.settings.resetAll();
    return command('DISCARD ALL');
  }

  context(): SessionContext {
    const { role, roleOid, database, settings, transaction } = this.#options;
    return {
      role,
      roleOid,
      database,
      session: this,
      searchPath: settings.searchPath(),
      timeZone: settings.timeZone,
      extraFloatDigits: settings.extraFloatDigits,
      ...(settings.get('analytica.segment_pruning') === 'off' ? { segmentPruning: false } : {}),
      ...(transaction.inBlock ? { snapshot: this.#snapshot } : {}),
    };
  }

  /** The session ended: what its open transaction block pinned is released. */
  async close(): Promise<void> {
    await this.#snapshot.release();
  }

  #show(name: string): QueryResult {
    const { settings } = this.#options;
    if (name.toLowerCase() === 'all') {
      const columns = ['name', 'setting', 'description'].map((n) => ({ name: n, ...textColumn }));
      return { columns, rows: settings.showAll(), commandTag: 'SHOW' };
    }
    const { column, value } = settings.show(name);
    return { columns: [{ name: column, ...textColumn }], rows: [[value]], commandTag: 'SHOW' };
  }
}

function command(tag: string): StatementOutcome {
  return { kind: 'command', tag, notices: [] };
}

function canceled(why: string, cause: unknown): PgError {
  return new PgError(SqlState.queryCanceled, `canceling statement due to ${why}`, { cause });
}

function setLocalOutsideBlock(): NoticeFields {
  return warning(SqlState.noActiveSqlTransaction, 'SET LOCAL can only be used in transaction blocks');
}
