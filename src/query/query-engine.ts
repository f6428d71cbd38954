/**
 * Runs client SELECTs: resolve the tables (search_path, privileges, visible
 * generation) in the source database's catalog, rewrite the statement to read
 * the generation views, run it in DuckDB, and return rows in PostgreSQL's text
 * format with PostgreSQL type OIDs.
 */
import type pg from 'pg';
import type { VisibleTable } from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
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
import { databaseCaseFolding } from './database-ctype.js';
import { describedOutput } from './described-columns.js';
import { type DuckDbEngine, StaleViewError } from './duckdb-engine.js';
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
import { type DamageScope, SegmentDamage, type SegmentFile, watchingReads } from './segment-damage.js';
import { type PruningTotals, SegmentPruner } from './segment-pruner.js';
import { SourceDescriber } from './source-describe.js';
import { listTableNodes } from './sql/select-rewriter.js';
import {
  type Resolution,
  type ResolvedTable,
  resolveTables,
  schemaCatchUpWaitMs,
  type TableReference,
} from './table-resolver.js';
import { tablesForStatement } from './transaction-versions.js';
import { nudgeAfterMs, WalFlushNudge } from './wal-flush-nudge.js';

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

/** A catalog read can lose a race with a flush (see DeltaStore); it is repeated this many times. */
const maxStaleRetries = 5;

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
  readonly #walFlush: WalFlushNudge;
  readonly #phases = new PhaseClock();
  /** DuckDB results open per session, and in all. */
  readonly #openResults = new WeakMap<object, number>();
  #openResultCount = 0;

  constructor(options: QueryEngineOptions) {
    this.#options = options;
    this.#damage = new SegmentDamage({ dataDir: options.duckdb.dataDir, log: options.log });
    this.#walFlush = new WalFlushNudge(options.pools, options.log);
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
    let tables: ResolvedTable[] = [];
    let defaultCollationSortsByLocale = false;
    let numberLocaleIsC: boolean | undefined;
    // As this statement's catalog read found them: a version kept by the transaction block
    // keeps its columns, not the privileges of the statement that first read it.
    let privileges: readonly ResolvedTable[] = [];
    const views: string[] = [];
    let unreserve = () => {};
    // Files found missing by the previous attempt: missing again after a fresh catalog read, they are lost.
    let missing: SegmentFile[] = [];
    const release = async () => {
      unreserve();
      for (const view of views.splice(0)) await this.#options.duckdb.release(view);
    };
    try {
      for (let attempt = 0; references.length > 0; attempt++) {
        const resolution = await this.#phases.time('resolve', () => this.#resolve(pool, references, context));
        defaultCollationSortsByLocale = resolution.defaultCollationSortsByLocale === true;
        numberLocaleIsC = resolution.numberLocaleIsC;
        privileges = resolution.tables;
        unreserve();
        unreserve = this.#options.duckdb.reserve(resolution.tables);
        // Freshness: every transaction committed before the query started is visible to it
        // (a version the transaction block already read stays as it was). Planning only
        // (EXPLAIN) does not wait: its estimates need no recent rows.
        const waits = resolution.tables.some(
          (t) => t.stream && context.snapshot?.get(context.database, t.relid) === undefined,
        );
        if (attempt === 0 && purpose === 'run' && waits)
          await this.#phases.time('freshness', () =>
            this.#waitForStream(context.database, resolution.walLsn, signal),
          );
        let scope: DamageScope = { pool, tables: resolution.tables };
        try {
          await this.#phases.time('views', async () => {
            // Reserved now: compaction's collector leaves the files alone from here on. Checked
            // before a transaction block keeps a version: a kept version is read by every later
            // attempt and statement of the block, so one missing a file compaction replaced
            // would be reported as lost (58P01) instead of being resolved again.
            missing = await this.#missingFiles(resolution.tables, missing, scope);
            if (missing.length > 0)
              throw new StaleViewError('a segment was replaced while the query resolved its tables');
            // Versions a transaction block kept stay reserved by the block itself. Keeping one
            // makes its view, which is stale if a flush pruned its delta since the catalog was
            // read: like any stale view, that resolves again.
            const kept = await tablesForStatement(
              this.#options.duckdb,
              context,
              resolution.tables,
              purpose === 'run',
            );
            tables = kept.tables;
            scope = { pool, tables };
            for (const read of await this.#pruner.prune(plan, tables, context))
              views.push(
                await this.#options.duckdb.acquire(
                  context.database,
                  read.table,
                  read.subset,
                  kept.bounds.get(read.table.relid),
                ),
              );
          });
          break;
        } catch (error) {
          for (const view of views.splice(0)) await this.#options.duckdb.release(view);
          if (error instanceof StaleViewError && attempt < maxStaleRetries) continue;
          // Making a view reads the files' metadata: DuckDB may find one damaged here.
          // Still stale after every retry: the copy changed under each attempt. Clients retry
          // 40001 as they do a serialization failure in PostgreSQL.
          if (error instanceof StaleViewError)
            throw new PgError(
              SqlState.serializationFailure,
              'could not read a consistent version of the copy: it changed while the query started',
              { hint: 'Run the statement again.' },
            );
          throw error instanceof PgError ? error : await this.#damage.translate(error, scope);
        }
      }
      // Inferring $n's types asks the source's Describe (cached): counted as describing.
      const typed = await this.#phases.time('describe', () =>
        this.#withInferredParameters(statement, tables, context),
      );
      const caseFolding = await databaseCaseFolding(pool);
      const { sql, outputs } = this.#phases.timeSync('typing', () =>
        emitTyped(typed, {
          caseFolding,
          defaultCollationSortsByLocale,
          numberLocaleIsC,
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
   * The files of the tables that are missing. Compaction may have replaced and removed one
   * between the catalog read and the pin: the statement then resolves again. A file still named
   * and still missing after that is lost: it is recorded, and thrown as the client's error.
   */
  async #missingFiles(
    tables: readonly ResolvedTable[],
    before: readonly SegmentFile[],
    scope: DamageScope,
  ): Promise<SegmentFile[]> {
    const missing = await this.#damage.missingFiles(tables);
    const lost = missing.find((m) => before.some((b) => b.path === m.path));
    if (lost) throw await this.#damage.missing(lost, scope);
    return missing;
  }

  async #waitForStream(database: string, lsn: bigint, signal: AbortSignal | undefined): Promise<void> {
    const freshness = this.#options.freshness;
    if (!freshness) {
      throw new PgError(
        SqlState.objectNotInPrerequisiteState,
        'the change stream of this database is not running',
        {
          hint: 'streamed tables are served by a daemon that runs its launcher; see the daemon log',
        },
      );
    }
    // Still waiting after a moment: the WAL it waits for may be written but not flushed.
    const timer = setTimeout(() => void this.#walFlush.nudge(database), nudgeAfterMs);
    try {
      await freshness.waitForApplied(database, lsn, signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves the tables in the source catalog (one statement, one snapshot of the catalog). */
  async #resolve(pool: pg.Pool, references: TableReference[], context: SessionContext): Promise<Resolution> {
    const client = await pool.connect().catch((error: unknown) => {
      throw new PgError(
        SqlState.connectionFailure,
        `cannot reach the source database "${context.database}" to resolve tables`,
        {
          cause: error,
          detail: error instanceof Error ? error.message : String(error),
        },
      );
    });
    try {
      const freshness = this.#options.freshness;
      const followSchema = freshness?.followSchema
        ? (relids: number[]) => freshness.followSchema!(context.database, relids, schemaCatchUpWaitMs)
        : undefined;
      return await resolveTables(client, references, context.searchPath, context.roleOid, followSchema);
    } finally {
      client.release();
    }
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
