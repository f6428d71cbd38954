/**
 * The tables a SELECT reads, resolved and pinned: the source catalog read (names, privileges,
 * the visible version), the wait for the change stream to apply what committed before the
 * statement, the check that the version's files are all there, the version a transaction block
 * keeps, and the DuckDB views over the segments pruning leaves. A copy that changes under these
 * steps (compaction, a flush) is resolved again, up to a bound.
 */
import type pg from 'pg';
import { PgError, SqlState } from '../errors.js';
import { type DuckDbEngine, StaleViewError } from './duckdb-engine.js';
import type { SessionContext } from './engine-types.js';
import type { PhaseClock } from './phase-clock.js';
import type { StreamFreshness } from './query-engine.js';
import type { DamageScope, SegmentDamage, SegmentFile } from './segment-damage.js';
import type { PruningPlan, SegmentPruner } from './segment-pruner.js';
import {
  type Resolution,
  type ResolvedTable,
  resolveTables,
  schemaCatchUpWaitMs,
  type TableReference,
} from './table-resolver.js';
import { tablesForStatement } from './transaction-versions.js';
import { nudgeAfterMs, type WalFlushNudge } from './wal-flush-nudge.js';

/** A catalog read can lose a race with a flush (see DeltaStore); it is repeated this many times. */
const maxStaleRetries = 5;

export interface TablePinningDeps {
  readonly duckdb: DuckDbEngine;
  readonly pruner: SegmentPruner;
  readonly damage: SegmentDamage;
  readonly phases: PhaseClock;
  readonly walFlush: WalFlushNudge;
  readonly freshness?: StreamFreshness;
}

/** The tables of one statement, pinned with their views until release(). */
export interface PinnedTables {
  readonly tables: ResolvedTable[];
  /**
   * As this statement's catalog read found them: a version kept by the transaction block keeps
   * its columns, not the privileges of the statement that first read it.
   */
  readonly privileges: readonly ResolvedTable[];
  readonly views: string[];
  readonly defaultCollationSortsByLocale: boolean;
  readonly numberLocaleIsC: boolean | undefined;
  readonly release: () => Promise<void>;
}

export class TablePinning {
  readonly #deps: TablePinningDeps;

  constructor(deps: TablePinningDeps) {
    this.#deps = deps;
  }

  /** Resolves and pins `references` (a run waits for the stream; a plan does not). */
  async pin(
    pool: pg.Pool,
    references: TableReference[],
    plan: PruningPlan,
    context: SessionContext,
    signal: AbortSignal | undefined,
    purpose: 'run' | 'plan',
  ): Promise<PinnedTables> {
    let tables: ResolvedTable[] = [];
    let defaultCollationSortsByLocale = false;
    let numberLocaleIsC: boolean | undefined;
    let privileges: readonly ResolvedTable[] = [];
    const views: string[] = [];
    let unreserve = () => {};
    // Files found missing by the previous attempt: missing again after a fresh catalog read, they are lost.
    let missing: SegmentFile[] = [];
    const release = async () => {
      unreserve();
      for (const view of views.splice(0)) await this.#deps.duckdb.release(view);
    };
    try {
      for (let attempt = 0; references.length > 0; attempt++) {
        const resolution = await this.#deps.phases.time('resolve', () =>
          this.#resolve(pool, references, context),
        );
        defaultCollationSortsByLocale = resolution.defaultCollationSortsByLocale === true;
        numberLocaleIsC = resolution.numberLocaleIsC;
        privileges = resolution.tables;
        unreserve();
        unreserve = this.#deps.duckdb.reserve(resolution.tables);
        // Freshness: every transaction committed before the query started is visible to it
        // (a version the transaction block already read stays as it was). Planning only
        // (EXPLAIN) does not wait: its estimates need no recent rows.
        const waits = resolution.tables.some(
          (t) => t.stream && context.snapshot?.get(context.database, t.relid) === undefined,
        );
        if (attempt === 0 && purpose === 'run' && waits)
          await this.#deps.phases.time('freshness', () =>
            this.#waitForStream(context.database, resolution.walLsn, signal),
          );
        let scope: DamageScope = { pool, tables: resolution.tables };
        try {
          await this.#deps.phases.time('views', async () => {
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
              this.#deps.duckdb,
              context,
              resolution.tables,
              purpose === 'run',
            );
            tables = kept.tables;
            scope = { pool, tables };
            for (const read of await this.#deps.pruner.prune(plan, tables, context))
              views.push(
                await this.#deps.duckdb.acquire(
                  context.database,
                  read.table,
                  read.subset,
                  kept.bounds.get(read.table.relid),
                ),
              );
          });
          break;
        } catch (error) {
          for (const view of views.splice(0)) await this.#deps.duckdb.release(view);
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
          throw error instanceof PgError ? error : await this.#deps.damage.translate(error, scope);
        }
      }
      return { tables, privileges, views, defaultCollationSortsByLocale, numberLocaleIsC, release };
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
    const missing = await this.#deps.damage.missingFiles(tables);
    const lost = missing.find((m) => before.some((b) => b.path === m.path));
    if (lost) throw await this.#deps.damage.missing(lost, scope);
    return missing;
  }

  async #waitForStream(database: string, lsn: bigint, signal: AbortSignal | undefined): Promise<void> {
    const freshness = this.#deps.freshness;
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
    const timer = setTimeout(() => void this.#deps.walFlush.nudge(database), nudgeAfterMs);
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
      const freshness = this.#deps.freshness;
      const followSchema = freshness?.followSchema
        ? (relids: number[]) => freshness.followSchema!(context.database, relids, schemaCatchUpWaitMs)
        : undefined;
      return await resolveTables(client, references, context.searchPath, context.roleOid, followSchema);
    } finally {
      client.release();
    }
  }
}
