/**
 * The extended query protocol: Parse stores statement text, Bind substitutes
 * text-format parameters as literals and classifies the statement, Describe
 * and Execute run it (a SELECT runs once, at Describe or at the first Execute,
 * and its rows are served from that result, with PortalSuspended for
 * Execute's row limit). After an error everything up to Sync is skipped.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import { PgError, SqlState } from '../errors.js';
import type { ParsedStatement, ResultColumn } from '../query/engine-types.js';
import { transactionAction } from './parsed-statement-kinds.js';
import type { PreparedStatement } from './prepared-statements.js';
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
import { checkResultFormats, describedColumns, formatOf, parameterText, rowEncoder } from './row-formats.js';
import type { SessionCore } from './session-core.js';
import { castParameters, highestParameterNumber, substituteParameters } from './sql-parameters.js';
import type { StatementOutcome } from './statement-runner.js';

interface Portal {
  /** undefined: the empty query. */
  readonly statement: ParsedStatement | undefined;
  /** Parse's text, placeholders and all: what the session's activity shows while the portal runs. */
  readonly text: string;
  /** Result formats per column as Bind gave them (empty: all text). */
  readonly resultFormats: readonly number[];
  outcome?: StatementOutcome;
  /** The rows ran out and CommandComplete was sent: further Executes return none. */
  done: boolean;
}

const byteaOid = 17;

/** Messages whose failure is counted as a failed statement (see handle). */
const countedOnError: ReadonlySet<string> = new Set(['parse', 'bind', 'describe', 'execute']);

type Message<T extends TypedMessage['type']> = Extract<TypedMessage, { type: T }>;

export class ExtendedQuery {
  readonly #core: SessionCore;
  readonly #portals = new Map<string, Portal>();
  #skipUntilSync = false;

  constructor(core: SessionCore) {
    this.#core = core;
  }

  async handle(message: TypedMessage): Promise<void> {
    if (message.type === 'sync') return await this.#sync();
    if (this.#skipUntilSync) return;
    // Counted for the metrics: each Execute, and a Parse, Bind or Describe that fails (the
    // statement then never runs: a syntax error, an unknown table, a bad parameter; a portal's
    // Describe runs the statement).
    const startedAt = performance.now();
    const text = this.#activityText(message);
    if (text !== undefined) this.#core.activityStarted(text);
    try {
      await this.#dispatch(message);
      if (message.type === 'execute') this.#core.statementFinished(startedAt);
    } catch (error) {
      const fields = this.#core.reportError(error);
      if (countedOnError.has(message.type)) this.#core.statementFinished(startedAt, fields);
      this.#skipUntilSync = true;
    } finally {
      this.#core.endStatement();
      this.#core.activityEnded();
    }
  }

  /**
   * The statement text a message works on, as pg_stat_activity shows it: Parse's text with
   * its $n placeholders, never the bound values. Undefined for messages that run nothing.
   */
  #activityText(message: TypedMessage): string | undefined {
    switch (message.type) {
      case 'parse':
        return message.sql;
      case 'bind':
        return this.#core.prepared.has(message.statement)
          ? this.#core.prepared.get(message.statement).sql
          : undefined;
      case 'describe':
        if (message.target === 'P') return this.#portals.get(message.name)?.text;
        return this.#core.prepared.has(message.name) ? this.#core.prepared.get(message.name).sql : undefined;
      case 'execute':
        return this.#portals.get(message.portal)?.text;
      default:
        return undefined;
    }
  }

  /** A simple Query drops the unnamed statement and portal, as in PostgreSQL. */
  async dropUnnamed(): Promise<void> {
    this.#core.prepared.delete('');
    await this.#dropPortal('');
  }

  /** Portals live until the transaction ends. */
  async dropPortalsIfIdle(): Promise<void> {
    if (!this.#core.transaction.inBlock) await this.close();
  }

  /** Closes every portal (transaction or session end), releasing what their results hold. */
  async close(): Promise<void> {
    for (const name of [...this.#portals.keys()]) await this.#dropPortal(name);
  }

  async #dropPortal(name: string): Promise<void> {
    const portal = this.#portals.get(name);
    if (portal === undefined) return;
    this.#portals.delete(name);
    if (portal.outcome?.kind === 'rows') await portal.outcome.close();
  }

  async #dispatch(message: TypedMessage): Promise<void> {
    switch (message.type) {
      case 'parse':
        return this.#parse(message);
      case 'bind':
        return await this.#bind(message);
      case 'describe':
        return message.target === 'S'
          ? await this.#describeStatement(message.name)
          : await this.#describePortal(message.name);
      case 'execute':
        return await this.#execute(message);
      case 'close':
        if (message.target === 'S') this.#core.prepared.delete(message.name);
        else if (this.#portals.has(message.name)) await this.#dropPortal(message.name);
        // A SQL cursor is a portal too (psycopg closes its server-side cursors this way).
        else if (this.#core.cursors.has(message.name)) await this.#core.cursors.close(message.name);
        this.#core.channel.send(closeComplete());
        return;
      case 'flush':
        return await this.#core.channel.flush();
      default:
        throw new PgError(SqlState.protocolViolation, `unexpected message ${message.type} in extended query`);
    }
  }

  #parse(message: Message<'parse'>): void {
    if (message.statement !== '' && this.#core.prepared.has(message.statement)) {
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
    this.#core.prepared.set(message.statement, { sql: message.sql, paramTypes });
    this.#core.channel.send(parseComplete());
  }

  async #bind(message: Message<'bind'>): Promise<void> {
    const prepared = this.#core.prepared.get(message.statement);
    if (message.params.length !== prepared.paramTypes.length) {
      throw new PgError(
        SqlState.protocolViolation,
        `bind message supplies ${message.params.length} parameters, but prepared statement "${message.statement}" requires ${prepared.paramTypes.length}`,
      );
    }
    if (message.portal !== '' && this.#portals.has(message.portal)) {
      throw new PgError(SqlState.duplicateCursor, `portal "${message.portal}" already exists`);
    }
    // A binary parameter of unspecified type has the type PostgreSQL infers for it ($1::text is
    // text), read by that type's binary format; bytea where no type is inferred (a Buffer that
    // node-postgres sends for a value of unknown use).
    const unspecifiedBinary = (oid: number, i: number) =>
      oid === 0 && message.params[i] !== null && formatOf(message.paramFormats, i) === 1;
    const inferred = prepared.paramTypes.some(unspecifiedBinary) ? await this.#inferredTypes(prepared) : [];
    const types = prepared.paramTypes.map((oid, i) =>
      unspecifiedBinary(oid, i) ? inferred[i] || byteaOid : oid,
    );
    const values = message.params.map((value, i) =>
      value === null ? null : parameterText(types[i] ?? 0, formatOf(message.paramFormats, i), value),
    );
    const statement = this.#classify(prepared.sql, values, types, prepared.paramTypes);
    checkResultFormats(message.resultFormats);
    await this.#dropPortal(message.portal);
    this.#portals.set(message.portal, {
      statement,
      text: prepared.sql,
      resultFormats: message.resultFormats,
      done: false,
    });
    this.#core.channel.send(bindComplete());
  }

  /**
   * ParameterDescription and RowDescription as PostgreSQL's Describe of the same statement
   * gives them (the engine asks the source); a parameter type the engine cannot tell is text.
   */
  async #describeStatement(name: string): Promise<void> {
    const prepared = this.#core.prepared.get(name);
    const described = await this.#describePrepared(prepared);
    const parameterTypes =
      prepared.inferredTypes !== undefined && prepared.inferredTypes.length > 0
        ? prepared.inferredTypes
        : prepared.paramTypes.map((oid) => (oid === 0 ? 25 : oid));
    this.#core.channel.send(parameterDescription(parameterTypes));
    const columns = described?.columns;
    this.#core.channel.send(columns === undefined ? noData() : rowDescription(columns));
  }

  /** The parameter types PostgreSQL's Describe gives the statement, asked once per statement. */
  async #inferredTypes(prepared: PreparedStatement): Promise<readonly number[]> {
    if (prepared.inferredTypes === undefined) await this.#describePrepared(prepared);
    return prepared.inferredTypes ?? [];
  }

  /** Describes a prepared statement, keeping the parameter types PostgreSQL inferred ([] if none). */
  async #describePrepared(prepared: PreparedStatement) {
    const statement = this.#classify(
      prepared.sql,
      prepared.paramTypes.map(() => null),
      prepared.paramTypes,
    );
    const described = statement === undefined ? undefined : await this.#describe(statement);
    const inferred = described?.parameterTypes;
    prepared.inferredTypes = inferred?.length === prepared.paramTypes.length ? inferred : [];
    return described;
  }

  /** The columns a statement returns (undefined: none), without consuming any rows. */
  async #describe(
    statement: ParsedStatement,
  ): Promise<{ columns?: readonly ResultColumn[]; parameterTypes?: readonly number[] } | undefined> {
    if (statement.kind === 'fetch')
      return statement.move ? undefined : { columns: this.#core.cursors.get(statement.name).columns };
    if (!returnsRows(statement)) return undefined;
    if (statement.kind === 'select')
      return await this.#core.runner.describe(statement, this.#core.beginStatement());
    // SHOW and EXPLAIN answer at once; their rows are never read.
    const outcome = await this.#core.runner.run(statement, this.#core.beginStatement(), false);
    if (outcome.kind !== 'rows') return undefined;
    await outcome.close();
    return { columns: outcome.columns };
  }

  async #describePortal(name: string): Promise<void> {
    const portal = this.#portals.get(name);
    if (portal === undefined) return this.#describeCursor(name);
    if (portal.statement === undefined || !returnsRows(portal.statement)) {
      return void this.#core.channel.send(noData());
    }
    const outcome = await this.#run(portal);
    if (outcome.kind === 'rows')
      this.#core.channel.send(rowDescription(describedColumns(outcome.columns, portal.resultFormats)));
    else this.#core.channel.send(noData());
  }

  /** A SQL cursor is also a portal: psycopg describes its server-side cursor by name. */
  #describeCursor(name: string): void {
    if (!this.#core.cursors.has(name)) throw missingPortal(name);
    this.#core.channel.send(rowDescription(this.#core.cursors.get(name).columns));
  }

  async #execute(message: Message<'execute'>): Promise<void> {
    const portal = this.#portal(message.portal);
    const outcome = await this.#run(portal);
    if (outcome.kind === 'empty') return void this.#core.channel.send(emptyQueryResponse());
    this.#core.sendNotices(outcome.notices);
    if (outcome.kind === 'command') return void this.#core.channel.send(commandComplete(outcome.tag));
    if (portal.done) return void this.#core.channel.send(commandComplete(outcome.tag(0)));
    const limit = message.maxRows > 0 ? message.maxRows : Number.POSITIVE_INFINITY;
    const encode = rowEncoder(outcome.columns, portal.resultFormats);
    const { count, ended } = await this.#core.sendRows(outcome, limit, this.#core.beginStatement(), encode);
    // As PostgreSQL: a limit reached exactly suspends the portal; the next Execute finds the end.
    if (!ended) return void this.#core.channel.send(portalSuspended());
    portal.done = true;
    this.#core.channel.send(commandComplete(outcome.tag(count)));
    await outcome.close();
  }

  /** Runs the portal's statement once; later Describe/Execute reuse the outcome (and read on from it). */
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
    await this.dropPortalsIfIdle();
    await this.#core.readyForQuery();
  }

  /** `prepared`: Parse's parameter types (`types` may differ: a binary parameter of type 0 is bytea). */
  #classify(
    sql: string,
    values: readonly (string | null)[],
    types: readonly number[],
    prepared: readonly number[] = types,
  ): ParsedStatement | undefined {
    const statements = this.#core.parseStatements(substituteParameters(sql, values, types));
    if (statements.length > 1) {
      throw new PgError(SqlState.syntaxError, 'cannot insert multiple commands into a prepared statement');
    }
    const parsed = statements[0];
    if (parsed?.kind === 'empty') return undefined;
    // PostgreSQL is asked to describe the text as Parse received it, placeholders and all;
    // bound values are cast to the types it infers for unspecified parameters.
    const retype = (inferred: readonly number[]) => {
      const cast = castParameters(sql);
      const typed = types.map((oid, i) => (oid === 0 && !cast.has(i + 1) ? (inferred[i] ?? 0) : oid));
      if (typed.every((oid, i) => oid === types[i]) || values.every((v) => v === null)) return undefined;
      const again = this.#core.parseStatements(substituteParameters(sql, values, typed))[0];
      return again?.kind === 'select' ? again : undefined;
    };
    const statement =
      parsed?.kind === 'select' ? { ...parsed, prepared: { sql, parameterTypes: prepared, retype } } : parsed;
    if (statement !== undefined && !this.#core.transaction.allows(transactionAction(statement))) {
      throw new PgError(
        SqlState.inFailedSqlTransaction,
        'current transaction is aborted, commands ignored until end of transaction block',
      );
    }
    return statement;
  }

  #portal(name: string): Portal {
    const portal = this.#portals.get(name);
    if (portal === undefined) throw missingPortal(name);
    return portal;
  }
}

function missingPortal(name: string): PgError {
  return new PgError(SqlState.invalidCursorName, `portal "${name}" does not exist`);
}

/** Statements whose Describe is a RowDescription. */
function returnsRows(statement: ParsedStatement): boolean {
  const { kind } = statement;
  return kind === 'select' || kind === 'show' || kind === 'explain' || (kind === 'fetch' && !statement.move);
}
