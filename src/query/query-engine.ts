/**
 * Runs client SELECTs: resolve the tables (search_path, privileges, visible
 * generation) in the source database's catalog, rewrite the statement to read
 * the generation views, run it in DuckDB, and return rows in PostgreSQL's text
 * format with PostgreSQL type OIDs.
 */
import type pg from 'pg';
import type { VisibleTable } from '../catalog/catalog.js';
import { PgError, SqlState, toPgError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  type BoundSelect,
  carriedTypes,
  collectReferences,
  describedText,
  emitTyped,
  type SelectStatement,
  sourceTypes,
  tablesVersion,
} from './bound-select.js';
import { CatalogQueryRunner } from './catalog-query-runner.js';
import { describedOutput } from './described-columns.js';
import type { DuckDbEngine } from './duckdb-engine.js';
import { hidePathsUnder } from './duckdb-errors.js';
import { DuckDbRowStream } from './duckdb-row-stream.js';
import type {
  QueryExecutor,
  ResultColumn,
  RowStream,
  SelectDescription,
  SessionContext,
} from './engine-types.js';
import { explainPlan } from './explain-plan.js';
import { PhaseClock, type PhaseTotals } from './phase-clock.js';
import { SegmentDamage, watchingReads } from './segment-damage.js';
import { type PruningTotals, SegmentPruner } from './segment-pruner.js';
import { sourceBehaviour } from './source-behaviour.js';
import { SourceDescriber } from './source-describe.js';
import { FunctionNotRun, unsupportedFunction } from './sql/function-emitter.js';
import { listTableNodes } from './sql/select-rewriter.js';
import { TablePinning } from './table-pinning.js';
import { WalFlushNudge } from './wal-flush-nudge.js';

export interface QueryEngineOptions {
  duckdb: DuckDbEngine;
  /**
   * The daemon's own connections per served database: table resolution, and
   * cancelling catalog queries. Clients' catalog queries never take these.
   */
  pools: ReadonlyMap<string, pg.Pool>;
  /** Connections for clients' catalog queries (run as the client's role); default `pools`. */
  catalogPools?: ReadonlyMap<string, pg.Pool>;
  log: Logger;
  /** Waits until a database's change stream has applied everything up to a WAL position. */
  freshness?: StreamFreshness;
  /** Skip data segments whose catalog statistics rule out the query's filters (default true). */
  segmentPruning?: boolean;
}

export interface StreamFreshness {
  /** Resolves once transactions ending at or before `lsn` are visible; throws PgError 57014 after the bound. */
  waitForApplied(database: string, lsn: bigint, signal?: AbortSignal): Promise<void>;
  /**
   * Asks the change stream to give these tables the columns the source's catalog gives them
   * (without waiting for a write to them); resolves once done, or after `waitMs`.
   */
  followSchema?(database: string, relids: readonly number[], waitMs: number): Promise<void>;
}

/**
 * Results one session may hold open in DuckDB at once (cursors, suspended portals): each
 * holds a DuckDB connection and its query's state (a sort's whole input), and DuckDB's
 * memory limit is one for every session. PostgreSQL has no such limit, but one session's
 * WITH HOLD cursors must not take the memory every other session needs.
 */
export const maxOpenResultsPerSession = 16;

/** PostgreSQL's Describe of a SELECT: a RowDescription always. */
interface DescribedSelect {
  readonly parameterTypes: readonly number[];
  readonly columns: readonly ResultColumn[];
}

export class QueryEngine implements QueryExecutor {
  readonly #options: QueryEngineOptions;
  readonly #pruner: SegmentPruner;
  readonly #catalogQueries: CatalogQueryRunner;
  readonly #describer: SourceDescriber;
  readonly #damage: SegmentDamage;
  readonly #pinning: TablePinning;
  readonly #phases = new PhaseClock();
  /** DuckDB results open per session, and in all. */
  readonly #openResults = new WeakMap<object, number>();
  #openResultCount = 0;

  constructor(options: QueryEngineOptions) {
    this.#options = options;
    this.#damage = new SegmentDamage({ dataDir: options.duckdb.dataDir, log: options.log });
    hidePathsUnder(options.duckdb.dataDir);
    this.#catalogQueries = new CatalogQueryRunner({
      pools: options.catalogPools ?? options.pools,
      cancelPools: options.pools,
      log: options.log,
    });
    this.#describer = new SourceDescriber({ pools: options.catalogPools ?? options.pools });
    this.#pruner = new SegmentPruner({
      duckdb: options.duckdb,
      log: options.log,
      enabled: options.segmentPruning ?? true,
    });
    this.#pinning = new TablePinning({
      duckdb: options.duckdb,
      pruner: this.#pruner,
      damage: this.#damage,
      phases: this.#phases,
      walFlush: new WalFlushNudge(options.pools, options.log),
      freshness: options.freshness,
    });
  }

  /** Data segments queries read, of those of the tables they named, since the engine started. */
  get pruningStats(): Readonly<PruningTotals> {
    return { ...this.#pruner.totals };
  }

  /** Work saved since the engine started: pruning answers and DuckDB plans reused. */
  get reuses(): { prunings: number; plans: number } {
    return { prunings: this.#pruner.cachedAnswers, plans: this.#options.duckdb.preparedReuses };
  }

  /** Statements described on the source (cache misses) since the engine started. */
  get sourceDescribes(): number {
    return this.#describer.misses;
  }

  /** Milliseconds spent per phase of client SELECTs since the engine started (bench/query-overhead.ts). */
  get phaseTotals(): Readonly<PhaseTotals> {
    return { ...this.#phases.totals };
  }

  /** DuckDB results open now, across all sessions (each holds a connection and pinned views). */
  get openResults(): number {
    return this.#openResultCount;
  }

  /** Bytes DuckDB holds now (queries' state, cached files), for tests and status. */
  async duckdbMemoryBytes(): Promise<number> {
    return await this.#options.duckdb.memoryBytes();
  }

  async openSelect(
    statement: SelectStatement,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<RowStream> {
    // Catalog queries (psql \d, drivers' metadata, IMPORT FOREIGN SCHEMA) run on the source PostgreSQL.
    const catalog = await this.#catalogQueries.tryOpen(statement, context, signal);
    if (catalog !== undefined) return catalog;
    this.#checkOpenResults(context);
    const bound = await this.#bind(statement, context, signal, 'run');
    try {
      const described = await this.#phases.time('describe', () =>
        this.#describeOnSource(statement, bound, context),
      );
      return await this.#open(bound, described, context, signal);
    } catch (error) {
      await bound.release();
      throw error;
    }
  }

  async describeSelect(
    statement: SelectStatement,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<SelectDescription> {
    if (this.#catalogQueries.handles(statement, context)) {
      const stream = await this.openSelect(statement, context, signal);
      await stream.close();
      const { parameterTypes } = await this.#describer.describe(describedText(statement, ''), context);
      return { columns: stream.columns, parameterTypes };
    }
    const bound = await this.#bind(statement, context, signal, 'plan');
    try {
      const described = await this.#describeOnSource(statement, bound, context);
      const connection = await this.#options.duckdb.connect(context.timeZone);
      try {
        // Prepared, so DuckDB binds the statement and types its columns without running it.
        const prepared = await connection.prepare(bound.sql);
        try {
          const types = Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnType(i));
          const names = types.map((_, i) => prepared.columnName(i));
          const { columns } = describedOutput(described.columns, types, context, carriedTypes(bound, names));
          return { columns, parameterTypes: described.parameterTypes };
        } finally {
          prepared.destroySync();
        }
      } finally {
        this.#options.duckdb.releaseConnection(context.timeZone, connection);
      }
    } catch (error) {
      throw await this.#damage.translate(error, bound.scope);
    } finally {
      await bound.release();
    }
  }

  /**
   * The statement with its unspecified parameters typed as PostgreSQL types them at Parse
   * (`jb = $1` is jsonb, so the value is compared as jsonb, not as text).
   */
  async #withInferredParameters(
    statement: SelectStatement,
    tables: readonly VisibleTable[],
    context: SessionContext,
  ): Promise<SelectStatement> {
    const prepared = statement.prepared;
    if (prepared?.retype === undefined || !prepared.parameterTypes.includes(0)) return statement;
    const { parameterTypes } = await this.#describer.describe(
      describedText(statement, tablesVersion(tables)),
      context,
    );
    return prepared.retype(parameterTypes) ?? statement;
  }

  /**
   * PostgreSQL's Describe of the statement (source-describe.ts), the truth every
   * RowDescription and ParameterDescription is sent from. Asked only once the front end
   * accepted the statement, so the source parses only what the daemon would run.
   */
  async #describeOnSource(
    statement: SelectStatement,
    bound: BoundSelect,
    context: SessionContext,
  ): Promise<DescribedSelect> {
    const description = await this.#describer.describe(
      describedText(statement, tablesVersion(bound.scope.tables)),
      context,
    );
    if (description.columns === undefined)
      throw new PgError(SqlState.internalError, 'PostgreSQL describes the SELECT as returning no rows');
    return { parameterTypes: description.parameterTypes, columns: description.columns };
  }

  async explainSelect(
    statement: SelectStatement,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<string[]> {
    const bound = await this.#bind(statement, context, signal, 'plan');
    try {
      const connection = await this.#options.duckdb.connect(context.timeZone);
      try {
        return await explainPlan(connection, bound.sql, signal);
      } finally {
        this.#options.duckdb.releaseConnection(context.timeZone, connection);
      }
    } catch (error) {
      if (!(error instanceof PgError))
        this.#options.log.debug('DuckDB rejected EXPLAIN', { sql: bound.sql, error: String(error) });
      throw await this.#damage.translate(error, bound.scope);
    } finally {
      await bound.release();
    }
  }

  /**
   * Resolves the statement's tables, pins their views and rewrites it to read
   * them. The views stay pinned until release().
   */
  async #bind(
    statement: SelectStatement,
    context: SessionContext,
    signal: AbortSignal | undefined,
    purpose: 'run' | 'plan',
  ): Promise<BoundSelect> {
    try {
      return await this.#bindTables(statement, context, signal, purpose);
    } catch (error) {
      if (error instanceof FunctionNotRun) throw await this.#functionVerdict(error, statement, context);
      throw error;
    }
  }

  async #bindTables(
    statement: SelectStatement,
    context: SessionContext,
    signal: AbortSignal | undefined,
    purpose: 'run' | 'plan',
  ): Promise<BoundSelect> {
    const pool = this.#options.pools.get(context.database);
    if (!pool) {
      throw new PgError(
        SqlState.invalidCatalogName,
        `database "${context.database}" is not served by pg_analytica`,
      );
    }
    const listed = listTableNodes(statement);
    const plan = this.#pruner.plan(statement, listed, context);
    const references = collectReferences(listed, plan, this.#pruner);
    const pinned = await this.#pinning.pin(pool, references, plan, context, signal, purpose);
    const { tables, privileges, views, release } = pinned;
    try {
      // Inferring $n's types asks the source's Describe (cached): counted as describing.
      const typed = await this.#phases.time('describe', () =>
        this.#withInferredParameters(statement, tables, context),
      );
      const { caseFolding, widthBucketDividesFirst } = await sourceBehaviour(pool);
      const { sql, outputs } = this.#phases.timeSync('typing', () =>
        emitTyped(typed, {
          caseFolding,
          widthBucketDividesFirst,
          defaultCollationSortsByLocale: pinned.defaultCollationSortsByLocale,
          numberLocaleIsC: pinned.numberLocaleIsC,
          context,
          tables,
          views,
          privileges,
        }),
      );
      return {
        sql,
        sources: sourceTypes(tables),
        outputs,
        release,
        views: [...views],
        scope: { pool, tables },
      };
    } catch (error) {
      await release();
      throw error;
    }
  }

  /**
   * PostgreSQL's word on a function the front end does not run: its own error when it has no
   * such function (exact argument types, search_path, schema), 0A000 when it has.
   */
  async #functionVerdict(
    error: FunctionNotRun,
    statement: SelectStatement,
    context: SessionContext,
  ): Promise<PgError> {
    try {
      // Kept apart from the cache entries of statements the daemon runs (their version names their tables).
      await this.#describer.describe(describedText(statement, 'function verdict'), context);
    } catch (sourceError) {
      return toPgError(sourceError);
    }
    return unsupportedFunction(error);
  }

  #checkOpenResults(context: SessionContext): void {
    const session = context.session;
    if (session === undefined || (this.#openResults.get(session) ?? 0) < maxOpenResultsPerSession) return;
    throw new PgError(
      SqlState.programLimitExceeded,
      `this session already holds ${maxOpenResultsPerSession} open query results, the most one session may hold`,
      { hint: 'CLOSE cursors (or finish portals) that are no longer read' },
    );
  }

  #countOpen(context: SessionContext, delta: number): void {
    this.#openResultCount += delta;
    const session = context.session;
    if (session !== undefined) this.#openResults.set(session, (this.#openResults.get(session) ?? 0) + delta);
  }

  /** Starts the bound statement in DuckDB; the stream then owns the connection and the views. */
  async #open(
    bound: BoundSelect,
    described: DescribedSelect,
    context: SessionContext,
    signal: AbortSignal | undefined,
  ): Promise<RowStream> {
    signal?.throwIfAborted();
    const { duckdb, log } = this.#options;
    const connection = await duckdb.connect(context.timeZone);
    const interrupt = () => connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    const release = async (finished: boolean) => {
      this.#countOpen(context, -1);
      // A result read in part keeps its query's state (a sort's whole input) until the connection
      // runs another statement; closing the connection would leave it to the garbage collector,
      // minutes later. So a statement ends it now, and the connection is as good as new.
      const ended =
        finished ||
        (await connection.run('SELECT 1').then(
          () => true,
          () => false,
        ));
      if (ended) duckdb.releaseConnection(context.timeZone, connection);
      else duckdb.closeConnection(connection);
      await bound.release();
    };
    this.#countOpen(context, 1);
    try {
      const stream = await this.#phases.time('duckdbOpen', () =>
        DuckDbRowStream.open({
          connection,
          sql: bound.sql,
          start: () => duckdb.stream(connection, bound.sql, bound.views),
          describe: (names, types) =>
            describedOutput(described.columns, types, context, carriedTypes(bound, names)),
          release,
          onError: (error) =>
            log.debug('DuckDB rejected a statement', { sql: bound.sql, error: String(error) }),
        }),
      );
      return this.#phases.timedReads(watchingReads(stream, this.#damage, bound.scope));
    } catch (error) {
      this.#countOpen(context, -1);
      duckdb.closeConnection(connection);
      if (signal?.aborted)
        throw new PgError(SqlState.queryCanceled, 'canceling statement due to user request');
      log.debug('DuckDB rejected a statement', { sql: bound.sql, error: String(error) });
      throw await this.#damage.translate(error, bound.scope);
    } finally {
      signal?.removeEventListener('abort', interrupt);
    }
  }
}
