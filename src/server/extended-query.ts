/**
 * The extended query protocol: Parse stores statement text, Bind substitutes
 * text-format parameters as literals and classifies the statement, Describe
 * and Execute run it (a SELECT runs once, at Describe or at the first Execute,
 * and its rows are served from that result, with PortalSuspended for
 * Execute's row limit). After an error everything up to Sync is skipped.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import { PgError, SqlState } from '../errors.js';
import type { ParsedStatement, QueryResult } from '../query/engine-types.js';
import { transactionAction } from './parsed-statement-kinds.js';
import {
  bindComplete,
  closeComplete,
  commandComplete,
  emptyQueryResponse,
  noData,
  parameterDescription,
  parseComplete,
  portalSuspended,
  rowDescription,
  type TypedMessage,
} from './protocol/index.js';
import type { SessionCore } from './session-core.js';
import { highestParameterNumber, substituteParameters } from './sql-parameters.js';
import type { StatementOutcome } from './statement-runner.js';

interface PreparedStatement {
  readonly sql: string;
  /** Declared types, extended to the highest $n used (0 = unspecified). */
  readonly paramTypes: readonly number[];
}

interface Portal {
  /** undefined: the empty query. */
  readonly statement: ParsedStatement | undefined;
  outcome?: StatementOutcome;
  /** Rows of `outcome` already sent by Execute. */
  sent: number;
}

type Message<T extends TypedMessage['type']> = Extract<TypedMessage, { type: T }>;

export class ExtendedQuery {
  readonly #core: SessionCore;
  readonly #statements = new Map<string, PreparedStatement>();
  readonly #portals = new Map<string, Portal>();
  #skipUntilSync = false;

  constructor(core: SessionCore) {
    this.#core = core;
  }

  async handle(message: TypedMessage): Promise<void> {
    if (message.type === 'sync') return await this.#sync();
    if (this.#skipUntilSync) return;
    try {
      await this.#dispatch(message);
    } catch (error) {
      this.#core.reportError(error);
      this.#skipUntilSync = true;
    } finally {
      this.#core.endStatement();
    }
  }

  /** A simple Query drops the unnamed statement and portal, as in PostgreSQL. */
  dropUnnamed(): void {
    this.#statements.delete('');
    this.#portals.delete('');
  }

  /** Portals live until the transaction ends. */
  dropPortalsIfIdle(): void {
    if (!this.#core.transaction.inBlock) this.#portals.clear();
  }

  async #dispatch(message: TypedMessage): Promise<void> {
    switch (message.type) {
      case 'parse':
        return this.#parse(message);
      case 'bind':
        return this.#bind(message);
      case 'describe':
        return message.target === 'S'
          ? await this.#describeStatement(message.name)
          : await this.#describePortal(message.name);
      case 'execute':
        return await this.#execute(message);
      case 'close':
        (message.target === 'S' ? this.#statements : this.#portals).delete(message.name);
        this.#core.channel.send(closeComplete());
        return;
      case 'flush':
        return await this.#core.channel.flush();
      default:
        throw new PgError(SqlState.protocolViolation, `unexpected message ${message.type} in extended query`);
    }
  }

  #parse(message: Message<'parse'>): void {
    if (message.statement !== '' && this.#statements.has(message.statement)) {
      throw new PgError(
        SqlState.duplicatePreparedStatement,
        `prepared statement "${message.statement}" already exists`,
      );
    }
    const count = Math.max(message.paramTypes.length, highestParameterNumber(message.sql));
    const paramTypes = Array.from({ length: count }, (_, i) => message.paramTypes[i] ?? 0);
    // Classify now (with NULL parameters) so syntax errors and 25P02 surface at Parse, as in PostgreSQL.
    this.#classify(
      message.sql,
      paramTypes.map(() => null),
      paramTypes,
    );
    this.#statements.set(message.statement, { sql: message.sql, paramTypes });
    this.#core.channel.send(parseComplete());
  }

  #bind(message: Message<'bind'>): void {
    const prepared = this.#statement(message.statement);
    if (message.params.length !== prepared.paramTypes.length) {
      throw new PgError(
        SqlState.protocolViolation,
        `bind message supplies ${message.params.length} parameters, but prepared statement "${message.statement}" requires ${prepared.paramTypes.length}`,
      );
    }
    if (message.resultFormats.some((format) => format !== 0)) {
      throw new PgError(
        SqlState.featureNotSupported,
        'binary result format is not supported; request text format',
      );
    }
    const values = message.params.map((value, i) => {
      if (value !== null && formatOf(message.paramFormats, i) !== 0) {
        throw new PgError(
          SqlState.featureNotSupported,
          'binary format parameters are not supported; send text',
        );
      }
      return value === null ? null : value.toString('utf8');
    });
    const statement = this.#classify(prepared.sql, values, prepared.paramTypes);
    this.#portals.set(message.portal, { statement, sent: 0 });
    this.#core.channel.send(bindComplete());
  }

  async #describeStatement(name: string): Promise<void> {
    const prepared = this.#statement(name);
    this.#core.channel.send(parameterDescription(prepared.paramTypes.map((oid) => (oid === 0 ? 25 : oid))));
    const statement = this.#classify(
      prepared.sql,
      prepared.paramTypes.map(() => null),
      prepared.paramTypes,
    );
    if (statement?.kind === 'select' || statement?.kind === 'show') {
      // Only the columns are needed; running with NULL parameters is how we learn them.
      const outcome = await this.#core.runner.run(statement, this.#core.beginStatement(), false);
      if (outcome.kind === 'rows')
        return void this.#core.channel.send(rowDescription(outcome.result.columns));
    }
    this.#core.channel.send(noData());
  }

  async #describePortal(name: string): Promise<void> {
    const portal = this.#portal(name);
    const kind = portal.statement?.kind;
    if (kind !== 'select' && kind !== 'show') return void this.#core.channel.send(noData());
    const outcome = await this.#run(portal);
    if (outcome.kind === 'rows') this.#core.channel.send(rowDescription(outcome.result.columns));
  }

  async #execute(message: Message<'execute'>): Promise<void> {
    const portal = this.#portal(message.portal);
    const outcome = await this.#run(portal);
    if (outcome.kind === 'empty') return void this.#core.channel.send(emptyQueryResponse());
    this.#core.sendNotices(outcome.notices);
    if (outcome.kind === 'command') return void this.#core.channel.send(commandComplete(outcome.tag));
    await this.#sendPortion(portal, outcome.result, message.maxRows);
  }

  /** Rows from where the last Execute stopped; PortalSuspended if the limit cut them short. */
  async #sendPortion(portal: Portal, result: QueryResult, maxRows: number): Promise<void> {
    const total = result.rows.length;
    const end = maxRows > 0 ? Math.min(total, portal.sent + maxRows) : total;
    await this.#core.sendRows(result, portal.sent, end);
    const count = end - portal.sent;
    const wasWhole = portal.sent === 0 && end === total;
    portal.sent = end;
    if (end < total) return void this.#core.channel.send(portalSuspended());
    const tag = wasWhole ? result.commandTag : result.commandTag.replace(/\d+$/, String(count));
    this.#core.channel.send(commandComplete(tag));
  }

  /** Runs the portal's statement once; later Describe/Execute reuse the outcome. */
  async #run(portal: Portal): Promise<StatementOutcome> {
    if (portal.outcome !== undefined) return portal.outcome;
    portal.outcome =
      portal.statement === undefined
        ? { kind: 'empty' }
        : await this.#core.runner.run(portal.statement, this.#core.beginStatement(), false);
    return portal.outcome;
  }

  async #sync(): Promise<void> {
    this.#skipUntilSync = false;
    if (!this.#core.transaction.inBlock) this.#core.settings.clearLocal();
    this.dropPortalsIfIdle();
    await this.#core.readyForQuery();
  }

  #classify(
    sql: string,
    values: readonly (string | null)[],
    types: readonly number[],
  ): ParsedStatement | undefined {
    const statements = this.#core.parseStatements(substituteParameters(sql, values, types));
    if (statements.length > 1) {
      throw new PgError(SqlState.syntaxError, 'cannot insert multiple commands into a prepared statement');
    }
    const statement = statements[0];
    if (statement?.kind === 'empty') return undefined;
    if (statement !== undefined && !this.#core.transaction.allows(transactionAction(statement))) {
      throw new PgError(
        SqlState.inFailedSqlTransaction,
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    }
    return statement;
  }

  #statement(name: string): PreparedStatement {
    const prepared = this.#statements.get(name);
    if (prepared === undefined) {
      throw new PgError(SqlState.invalidSqlStatementName, `prepared statement "${name}" does not exist`);
    }
    return prepared;
  }

  #portal(name: string): Portal {
    const portal = this.#portals.get(name);
    if (portal === undefined)
      throw new PgError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
    return portal;
  }
}

/** Bind's format list: empty = all text, one entry = for all, else one per parameter. */
function formatOf(formats: readonly number[], index: number): number {
  return (formats.length === 1 ? formats[0] : formats[index]) ?? 0;
}
