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
import { CatalogQueryRunner } from './catalog-query-runner.js';
import { type DuckDbEngine, StaleViewError } from './duckdb-engine.js';
import { translateDuckDbError } from './duckdb-errors.js';
import { DuckDbRowStream } from './duckdb-row-stream.js';
import type {
  ParsedStatement,
  QueryExecutor,
  ResultColumn,
  RowStream,
  SessionContext,
} from './engine-types.js';
import { explainPlan } from './explain-plan.js';
import { materializedRowStream } from './materialized-row-stream.js';
import { columnFormatter } from './pg-text-format.js';
import { resultColumn, type SourcePgType } from './pg-type-oids.js';
import { type PruningPlan, type PruningTotals, SegmentPruner } from './segment-pruner.js';
import { listTableNodes, rewriteTypedSelect } from './sql/select-rewriter.js';
import { typedColumns } from './sql/typing/type-scope.js';
import { type Resolution, type ResolvedTable, resolveTables, type TableReference } from './table-resolver.js';
import { tablesForStatement } from './transaction-versions.js';

export interface QueryEngineOptions {
  duckdb: DuckDbEngine;
  /** Catalog connections per served database. */
  pools: ReadonlyMap<string, pg.Pool>;
  log: Logger;
  /** Waits until a database's change stream has applied everything up to a WAL position. */
  freshness?: StreamFreshness;
  /** Skip data segments whose catalog statistics rule out the query's filters (default true). */
  segmentPruning?: boolean;
}

export interface StreamFreshness {
  /** Resolves once transactions ending at or before `lsn` are visible; throws PgError 57014 after the bound. */
  waitForApplied(database: string, lsn: bigint, signal?: AbortSignal): Promise<void>;
}

/** A catalog read can lose a race with a flush (see DeltaStore); it is repeated this many times. */
const maxStaleRetries = 5;

type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;

/** A statement rewritten to read pinned views, until release(). */
interface BoundSelect {
  readonly sql: string;
  readonly sources: ReadonlyMap<string, SourcePgType>;
  /** By position: the PostgreSQL type the type stage gave an output column carried as text. */
  readonly outputs?: readonly (SourcePgType | undefined)[];
  readonly release: () => Promise<void>;
}

/** The source type describing result column i: the type stage's, else a source column's of that name. */
function columnSource(bound: BoundSelect, i: number, name: string): SourcePgType | undefined {
  return bound.outputs?.[i] ?? bound.sources.get(name);
}

export class QueryEngine implements QueryExecutor {
  readonly #options: QueryEngineOptions;
  readonly #pruner: SegmentPruner;
  readonly #catalogQueries: CatalogQueryRunner;

  constructor(options: QueryEngineOptions) {
    this.#options = options;
    this.#catalogQueries = new CatalogQueryRunner({ pools: options.pools, log: options.log });
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

  async openSelect(
    statement: SelectStatement,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<RowStream> {
    // Catalog queries (psql \d, drivers' metadata, IMPORT FOREIGN SCHEMA) run on the source PostgreSQL.
    const catalog = await this.#catalogQueries.tryRun(statement, context, signal);
    if (catalog !== undefined) return materializedRowStream(catalog);
    const bound = await this.#bind(statement, context, signal, 'run');
    try {
      return await this.#open(bound, context, signal);
    } catch (error) {
      await bound.release();
      throw error;
    }
  }

  async describeSelect(
    statement: SelectStatement,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<readonly ResultColumn[]> {
    if (this.#catalogQueries.handles(statement, context)) {
      const stream = await this.openSelect(statement, context, signal);
      await stream.close();
      return stream.columns;
    }
    const bound = await this.#bind(statement, context, signal, 'plan');
    try {
      const connection = await this.#options.duckdb.connect(context.timeZone);
      try {
        // Prepared, so DuckDB binds the statement and types its columns without running it.
        const prepared = await connection.prepare(bound.sql);
        try {
          return Array.from({ length: prepared.columnCount }, (_, i) => {
            const name = prepared.columnName(i);
            return resultColumn(name, prepared.columnType(i), columnSource(bound, i, name));
          });
        } finally {
          prepared.destroySync();
        }
      } finally {
        this.#options.duckdb.releaseConnection(context.timeZone, connection);
      }
    } catch (error) {
      if (error instanceof PgError) throw error;
      throw translateDuckDbError(error);
    } finally {
      await bound.release();
    }
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
      if (error instanceof PgError) throw error;
      this.#options.log.debug('DuckDB rejected EXPLAIN', { sql: bound.sql, error: String(error) });
      throw translateDuckDbError(error);
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
    const views: string[] = [];
    let unreserve = () => {};
    const release = async () => {
      unreserve();
      for (const view of views.splice(0)) await this.#options.duckdb.release(view);
    };
    try {
      for (let attempt = 0; references.length > 0; attempt++) {
        const resolution = await this.#resolve(pool, references, context);
        unreserve();
        unreserve = this.#options.duckdb.reserve(resolution.tables);
        // Freshness: every transaction committed before the query started is visible to it
        // (a version the transaction block already read stays as it was). Planning only
        // (EXPLAIN) does not wait: its estimates need no recent rows.
        const waits = resolution.tables.some(
          (t) => t.stream && context.snapshot?.get(context.database, t.relid) === undefined,
        );
        if (attempt === 0 && purpose === 'run' && waits)
          await this.#waitForStream(context.database, resolution.walLsn, signal);
        // Versions a transaction block kept stay reserved by the block itself.
        const kept = await tablesForStatement(
          this.#options.duckdb,
          context,
          resolution.tables,
          purpose === 'run',
        );
        tables = kept.tables;
        try {
          for (const read of await this.#pruner.prune(plan, tables, context))
            views.push(
              await this.#options.duckdb.acquire(
                context.database,
                read.table,
                read.subset,
                kept.bounds.get(read.table.relid),
              ),
            );
          // Compaction may have replaced and removed a file between the catalog read and the pin.
          if (!(await this.#options.duckdb.filesExist(tables)))
            throw new StaleViewError('a segment was replaced while the query resolved its tables');
          break;
        } catch (error) {
          for (const view of views.splice(0)) await this.#options.duckdb.release(view);
          if (!(error instanceof StaleViewError) || attempt >= maxStaleRetries) throw error;
        }
      }
      let next = 0;
      // Each reference reads its view, with its columns' PostgreSQL types for the type stage.
      const { sql, outputs } = rewriteTypedSelect(statement, {
        typed: true,
        resolveTable: () => {
          const i = next++;
          return { sql: views[i]!, columns: typedColumns(tables[i]!.columns) };
        },
      });
      return { sql, sources: sourceTypes(tables), outputs, release };
    } catch (error) {
      await release();
      throw error;
    }
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
    await freshness.waitForApplied(database, lsn, signal);
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
      return await resolveTables(client, references, context.searchPath, context.role);
    } finally {
      client.release();
    }
  }

  /** Starts the bound statement in DuckDB; the stream then owns the connection and the views. */
  async #open(
    bound: BoundSelect,
    context: SessionContext,
    signal: AbortSignal | undefined,
  ): Promise<RowStream> {
    signal?.throwIfAborted();
    const { duckdb, log } = this.#options;
    const connection = await duckdb.connect(context.timeZone);
    const interrupt = () => connection.interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    const release = async (finished: boolean) => {
      // A result read only in part may still be running: such a connection is not reused.
      if (finished) duckdb.releaseConnection(context.timeZone, connection);
      else connection.closeSync();
      await bound.release();
    };
    try {
      return await DuckDbRowStream.open({
        connection,
        sql: bound.sql,
        describe: (names, types) => ({
          columns: names.map((name, i) => resultColumn(name, types[i]!, columnSource(bound, i, name))),
          formatters: types.map((type) => columnFormatter(type, { timeZone: context.timeZone })),
        }),
        release,
        onError: (error) =>
          log.debug('DuckDB rejected a statement', { sql: bound.sql, error: String(error) }),
      });
    } catch (error) {
      connection.closeSync();
      if (signal?.aborted)
        throw new PgError(SqlState.queryCanceled, 'canceling statement due to user request');
      log.debug('DuckDB rejected a statement', { sql: bound.sql, error: String(error) });
      throw error instanceof PgError ? error : translateDuckDbError(error);
    } finally {
      signal?.removeEventListener('abort', interrupt);
    }
  }
}

/** The statement's table references, in the order rewriteSelect visits them. */
function collectReferences(
  listed: ReturnType<typeof listTableNodes>,
  plan: PruningPlan,
  pruner: SegmentPruner,
): TableReference[] {
  return listed.map(({ reference: ref }, i) => ({
    schema: ref.schema,
    name: ref.name,
    position: ref.location,
    statsColumns: pruner.statsColumns(plan, i),
  }));
}

/**
 * PostgreSQL types of the source columns by name, so that a result column read
 * straight from a table (json, jsonb, varchar(n), char(n), numeric kept as
 * text) is described as in PostgreSQL. A name two tables disagree on is left
 * out. resultColumn() uses it only where the printed text is the same.
 */
function sourceTypes(tables: readonly VisibleTable[]): Map<string, SourcePgType> {
  const types = new Map<string, SourcePgType>();
  const conflicting = new Set<string>();
  for (const table of tables) {
    for (const column of table.columns) {
      const existing = types.get(column.name);
      if (
        existing &&
        (existing.typeOid !== column.pgTypeOid || existing.typeModifier !== column.pgTypeModifier)
      ) {
        conflicting.add(column.name);
      }
      types.set(column.name, { typeOid: column.pgTypeOid, typeModifier: column.pgTypeModifier });
    }
  }
  for (const name of conflicting) types.delete(name);
  return types;
}
