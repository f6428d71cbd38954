/**
 * Runs one classified statement for a session: SELECTs go to the engine,
 * SET/SHOW/RESET and transaction control are emulated here. Shared by the
 * simple and extended query protocols.
 */
import { PgError, SqlState } from '../errors.js';
import type { ParsedStatement, QueryExecutor, QueryResult, SessionContext } from '../query/engine-types.js';
import { warning } from './error-fields.js';
import type { SelectStatement } from './parsed-statement-kinds.js';
import type { NoticeFields } from './protocol/index.js';
import type { SessionSettings } from './session-settings.js';
import type { TransactionBlock } from './transaction-block.js';

export type StatementOutcome =
  | { readonly kind: 'rows'; readonly result: QueryResult; readonly notices: readonly NoticeFields[] }
  | { readonly kind: 'command'; readonly tag: string; readonly notices: readonly NoticeFields[] }
  | { readonly kind: 'empty' };

export interface StatementRunnerOptions {
  readonly role: string;
  readonly database: string;
  readonly executor: QueryExecutor;
  readonly settings: SessionSettings;
  readonly transaction: TransactionBlock;
}

const textColumn = { typeOid: 25, typeSize: -1, typeModifier: -1 } as const;

export class StatementRunner {
  readonly #options: StatementRunnerOptions;

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
      case 'select':
        return { kind: 'rows', result: await this.#select(statement, signal), notices: [] };
      case 'show':
        return { kind: 'rows', result: this.#show(statement.name), notices: [] };
      case 'set': {
        // SET LOCAL outside a block is validated, then lapses when the query ends (the session clears it).
        settings.set(statement.name, statement.value, statement.isLocal);
        const outside = statement.isLocal && !transaction.inBlock && !inImplicitBlock;
        return { kind: 'command', tag: 'SET', notices: outside ? [setLocalOutsideBlock()] : [] };
      }
      case 'reset_all':
        settings.resetAll();
        return { kind: 'command', tag: 'RESET', notices: [] };
      case 'transaction': {
        const outcome = transaction.apply(statement.action, statement.savepoint);
        return { kind: 'command', tag: outcome.tag, notices: outcome.notice ? [outcome.notice] : [] };
      }
      case 'empty':
        return { kind: 'empty' };
    }
  }

  context(): SessionContext {
    const { role, database, settings } = this.#options;
    return {
      role,
      database,
      searchPath: settings.searchPath(),
      timeZone: settings.timeZone,
      ...(settings.get('analytica.segment_pruning') === 'off' ? { segmentPruning: false } : {}),
    };
  }

  /** Runs a SELECT under the session's statement_timeout; cancellation and timeout both become 57014. */
  async #select(statement: SelectStatement, cancel: AbortSignal): Promise<QueryResult> {
    const timeoutMs = this.#options.settings.statementTimeoutMs;
    const timeout = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = timeout === undefined ? cancel : AbortSignal.any([cancel, timeout]);
    try {
      if (signal.aborted) throw new Error('aborted before start');
      return await this.#options.executor.executeSelect(statement, this.context(), signal);
    } catch (error) {
      if (!signal.aborted) throw error;
      const why = cancel.aborted ? 'user request' : 'statement timeout';
      throw new PgError(SqlState.queryCanceled, `canceling statement due to ${why}`, { cause: error });
    }
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

function setLocalOutsideBlock(): NoticeFields {
  return warning(SqlState.noActiveSqlTransaction, 'SET LOCAL can only be used in transaction blocks');
}
