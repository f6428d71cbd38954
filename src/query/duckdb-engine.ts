/**
 * The query engine's DuckDB instance, confined to the data directory.
 *
 * `enable_external_access = false` with `allowed_directories = [data_dir]`
 * limits every file access to the segments; DuckDB refuses to turn external
 * access back on or widen the directories while it runs. The configuration is
 * not locked, because each connection sets the client session's TimeZone (so
 * date_trunc and friends follow it as in PostgreSQL); user SQL never reaches
 * DuckDB as SET/PRAGMA — the SQL front end admits only checked SELECTs.
 *
 * Registered tables are views named by (table oid, generation), created on
 * first use over that generation's Parquet files; a view of a generation is
 * immutable, so a query that names it reads one consistent snapshot. A query
 * whose filters skip some segments (segment-pruner.ts) reads a subset: a
 * subquery over just those files, held like a view while the query runs and
 * forgotten when its last user leaves, since each filter selects other files.
 */

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBResult } from '@duckdb/node-api';
import type { VisibleTable } from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
import type { ColumnSpec } from '../source/column-types.js';
import { quoteIdent, quoteLiteral, readExpression } from '../source/column-types.js';
import { absoluteSegmentPath, databaseDirectoryName } from '../storage/segment-paths.js';
import { DeltaStore, deltaTables } from './delta-store.js';
import { openDuckDb } from './duckdb-instance.js';
import { KeptPlans } from './kept-plans.js';
import {
  boundsKey,
  type DeltaBounds,
  emptyDelta,
  readDeltaBounds,
  streamedViewSql,
} from './streamed-view.js';

export interface DuckDbEngineOptions {
  dataDir: string;
  threads: number;
  memoryLimit: string;
}

interface TableView {
  name: string;
  database: string;
  relid: number;
  generation: number;
  /** Catalog version within the generation (streamed flushes); 0 for re-copied tables. */
  version: number;
  /** Streamed tables: delta rows ending above this are read from the delta. */
  watermark: bigint | undefined;
  /** Streamed tables: delta rows of commits up to this are read (see streamed-view.ts). */
  through: bigint;
  /** Streamed tables: what the delta held when the view was made. */
  bounds: DeltaBounds | undefined;
  paths: readonly string[];
  columns: readonly ColumnSpec[];
  users: number;
  /** Reads some of the version's data segments: `name` is an inline subquery, not a view. */
  subset: boolean;
  /** Which making of a view this is: one name may be made again after it was dropped. */
  made: number;
}

/** The catalog was read before the delta it names was pruned: read the catalog again. */
export class StaleViewError extends Error {}

export const viewSchema = '__pga';
const maxIdlePerZone = 8;
const maxIdleZones = 16;
/** Longer statements are prepared each time they run. */
const maxPreparedSqlChars = 64 * 1024;

export class DuckDbEngine {
  readonly #instance: DuckDBInstance;
  readonly #admin: DuckDBConnection;
  readonly #dataDir: string;
  readonly #views = new Map<string, TableView>();
  /** Files of tables resolved by running queries whose views are not pinned yet (with counts). */
  readonly #reserved = new Map<string, number>();
  readonly #creating = new Map<string, Promise<void>>();
  readonly #idle = new Map<string, DuckDBConnection[]>();
  /** Views being acquired right now (by key), which cleanup must leave alone. */
  readonly #acquiring = new Map<string, number>();
  /** What those views will read: their delta rows must not be pruned before they exist. */
  readonly #acquiringTables = new Map<string, { database: string; table: VisibleTable }>();
  /** Streamed changes not yet in segments, read by the views of streamed tables. */
  readonly delta: DeltaStore;
  /** Views made since the engine started (TableView.made). */
  #made = 0;
  /** Statements kept prepared per connection (see stream()). */
  readonly #plans = new KeptPlans();

  private constructor(instance: DuckDBInstance, admin: DuckDBConnection, dataDir: string, delta: DeltaStore) {
    this.#instance = instance;
    this.#admin = admin;
    this.#dataDir = dataDir;
    this.delta = delta;
  }

  /** The absolute data directory the views read segment files from. */
  get dataDir(): string {
    return this.#dataDir;
  }

  static async create(options: DuckDbEngineOptions): Promise<DuckDbEngine> {
    const dataDir = path.resolve(options.dataDir);
    const { instance, connection: admin } = await openDuckDb(options);
    await admin.run('SET parquet_metadata_cache = true');
    await admin.run(`SET allowed_directories = [${quoteLiteral(dataDir + path.sep)}]`);
    await admin.run('SET enable_external_access = false');
    await admin.run(`CREATE SCHEMA ${viewSchema}`);
    const delta = await DeltaStore.create(await instance.connect());
    return new DuckDbEngine(instance, admin, dataDir, delta);
  }

  /**
   * A connection for one query, set to the session's time zone. Connections
   * are reused per time zone: opening one and setting its zone costs a few
   * milliseconds, and client SQL cannot change a connection's state (it never
   * reaches DuckDB as SET or DDL), so a returned connection is as good as new.
   */
  async connect(timeZone: string): Promise<DuckDBConnection> {
    const idle = this.#idle.get(timeZone)?.pop();
    if (idle) return idle;
    const connection = await this.#instance.connect();
    try {
      await connection.run(`SET TimeZone = ${quoteLiteral(timeZone)}`);
      // PostgreSQL divides integers as integers (truncating toward zero); DuckDB's / would give a double.
      await connection.run('SET integer_division = true');
    } catch (error) {
      connection.closeSync();
      throw new PgError(
        SqlState.invalidParameterValue,
        `time zone "${timeZone}" is not known to the columnar engine`,
        {
          cause: error,
          hint: 'SET TimeZone to a time zone name such as UTC or Europe/Berlin',
        },
      );
    }
    return connection;
  }

  /**
   * Starts a SELECT on the connection, streaming its result. A statement that reads only views
   * over Parquet files runs from a plan kept on the connection (kept-plans.ts), under its text
   * and the views it reads, each as made (a view made again under its name is another view). A
   * view over files reads the same data while it exists (files are immutable). A statement
   * reading the delta (DuckDB tables the stream writes to) is planned each time, as the
   * optimizer may use those tables' statistics of the moment. The connection's settings are
   * fixed (its time zone).
   */
  async stream(connection: DuckDBConnection, sql: string, views: readonly string[]): Promise<DuckDBResult> {
    const made = this.#madeOverFiles(views);
    if (made === undefined || sql.length > maxPreparedSqlChars) return await connection.stream(sql);
    return await this.#plans.stream(connection, `${made}\n${sql}`, sql);
  }

  /** Statements run from a kept plan since the engine started. */
  get preparedReuses(): number {
    return this.#plans.reuses;
  }

  /**
   * Which making of each view (by the names acquire() gave) the statement reads, when all of
   * them exist and read Parquet files only, no delta table; undefined otherwise.
   */
  #madeOverFiles(names: readonly string[]): string | undefined {
    if (names.length === 0) return undefined;
    const views = [...this.#views.values()];
    const made: string[] = [];
    for (const name of names) {
      const view = views.find((v) => v.name === name);
      const bounds = view?.bounds;
      if (view === undefined || (bounds && (bounds.rows > 0 || bounds.deletes > 0 || bounds.truncates > 0)))
        return undefined;
      // A subset is no catalog object: the statement's text spells it whole.
      made.push(view.subset ? 'subset' : String(view.made));
    }
    return made.join(',');
  }

  /** Closes a connection, with the statements kept prepared on it. */
  closeConnection(connection: DuckDBConnection): void {
    this.#plans.forget(connection);
    connection.closeSync();
  }

  /** Returns a connection from connect(); it is kept for reuse while few are idle. */
  releaseConnection(timeZone: string, connection: DuckDBConnection): void {
    const idle = this.#idle.get(timeZone) ?? [];
    if (idle.length >= maxIdlePerZone || this.#idle.size > maxIdleZones) {
      this.closeConnection(connection);
      return;
    }
    idle.push(connection);
    this.#idle.set(timeZone, idle);
  }

  /**
   * Ensures the view of this database's table generation exists and pins it;
   * returns its quoted name (for a subset of the data segments, the subquery to
   * read instead). Table oids repeat across databases, so the database is part
   * of the key.
   */
  async acquire(
    database: string,
    table: VisibleTable,
    subset = false,
    fixedBounds?: DeltaBounds,
  ): Promise<string> {
    const baseKey = viewKey(database, table);
    const deltaKey = { database, relid: table.relid, generation: table.generation };
    // Checked and counted in one turn of the event loop: from here on, the delta rows this view
    // reads stay until it is released.
    if (table.stream && this.delta.prunedThrough(deltaKey) > table.stream.watermark) {
      throw new StaleViewError(
        `catalog version ${table.stream.version} of table ${table.relid} is superseded`,
      );
    }
    this.#pin(baseKey, { database, table });
    let key = baseKey;
    try {
      let bounds: DeltaBounds | undefined;
      if (table.stream) {
        const tables = await this.delta.ensure(deltaKey, table.columns, table.stream.keyColumns);
        // A transaction block's later statements read the delta only as far as its first one did.
        bounds =
          fixedBounds ??
          (this.delta.mayHoldRows(deltaKey)
            ? await readDeltaBounds(this.#admin, tables, table.stream.watermark)
            : emptyDelta);
        key = `${baseKey}${boundsKey(bounds)}`;
        this.#pin(key, { database, table });
      }
      if (!this.#views.has(key)) {
        let creating = this.#creating.get(key);
        if (!creating) {
          creating = this.#createView(key, database, table, subset, bounds).finally(() =>
            this.#creating.delete(key),
          );
          this.#creating.set(key, creating);
        }
        await creating;
      }
      const view = this.#views.get(key)!;
      view.users++;
      return view.name;
    } finally {
      this.#unpin(baseKey);
      if (key !== baseKey) this.#unpin(key);
    }
  }

  #pin(key: string, acquiring: { database: string; table: VisibleTable }): void {
    this.#acquiring.set(key, (this.#acquiring.get(key) ?? 0) + 1);
    this.#acquiringTables.set(key, acquiring);
  }

  #unpin(key: string): void {
    const left = (this.#acquiring.get(key) ?? 1) - 1;
    if (left === 0) {
      this.#acquiring.delete(key);
      this.#acquiringTables.delete(key);
    } else this.#acquiring.set(key, left);
  }

  /** What a streamed table's view reads of the delta (undefined for other tables). */
  deltaBoundsOf(viewName: string): DeltaBounds | undefined {
    return [...this.#views.values()].find((v) => v.name === viewName)?.bounds;
  }

  /** Unpins a view; views of superseded generations are dropped when their last user leaves. */
  async release(viewName: string): Promise<void> {
    const view = [...this.#views.values()].find((v) => v.name === viewName);
    if (!view) return;
    view.users--;
    await this.#dropSuperseded(view.database, view.relid);
  }

  /**
   * The lowest watermark of a streamed table's views in use (or being acquired): delta rows
   * above it must stay. Undefined when no view of the table's generation is in use.
   */
  lowestWatermarkInUse(database: string, relid: number, generation: number): bigint | undefined {
    let lowest: bigint | undefined;
    const consider = (watermark: bigint | undefined) => {
      if (watermark !== undefined && (lowest === undefined || watermark < lowest)) lowest = watermark;
    };
    for (const view of this.#views.values()) {
      if (view.database !== database || view.relid !== relid || view.generation !== generation) continue;
      if (view.users > 0) consider(view.watermark);
    }
    // Views still being made: their rows must stay too.
    for (const { database: db, table } of this.#acquiringTables.values()) {
      if (db === database && table.relid === relid && table.generation === generation)
        consider(table.stream?.watermark);
    }
    return lowest;
  }

  /** Relative paths that running queries may still read. */
  pinnedPaths(): Set<string> {
    const pinned = new Set<string>(this.#reserved.keys());
    for (const view of this.#views.values()) if (view.users > 0) for (const p of view.paths) pinned.add(p);
    return pinned;
  }

  /**
   * Pins the files of tables a query just resolved, before their views exist; returns the
   * release. A file can still be removed between the catalog read and this call (compaction
   * swapped it out and collected it): the query engine checks that they exist after this
   * (SegmentDamage.missingFiles), before a transaction block keeps the version, and if one
   * does not, resolves again.
   */
  reserve(tables: readonly VisibleTable[]): () => void {
    const paths = tables.flatMap(filesOf);
    for (const p of paths) this.#reserved.set(p, (this.#reserved.get(p) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const p of paths) {
        const left = (this.#reserved.get(p) ?? 1) - 1;
        if (left === 0) this.#reserved.delete(p);
        else this.#reserved.set(p, left);
      }
    };
  }

  async #createView(
    key: string,
    database: string,
    table: VisibleTable,
    subset: boolean,
    bounds: DeltaBounds | undefined,
  ): Promise<void> {
    const sql =
      table.stream && bounds
        ? streamedViewSql(this.#dataDir, table, table.stream, deltaTables({ database, ...table }), bounds)
        : viewSql(this.#dataDir, table);
    // A subset is read once or twice at most: no DDL on the shared connection for it.
    const name = subset ? `(${sql})` : `${viewSchema}.${quoteIdent(key)}`;
    if (!subset) await this.#admin.run(`CREATE OR REPLACE VIEW ${name} AS ${sql}`);
    this.#views.set(key, {
      name,
      database,
      relid: table.relid,
      generation: table.generation,
      version: table.stream?.version ?? 0,
      watermark: table.stream?.watermark,
      through: bounds?.through ?? 0n,
      bounds,
      paths: [...table.paths, ...(table.stream?.deletePaths ?? [])],
      columns: table.columns,
      users: 0,
      subset,
      made: ++this.#made,
    });
    if (!subset) await this.#dropSuperseded(database, table.relid);
  }

  /**
   * Forgets the table's views no query uses that are subsets or of an older version (a query
   * starting later reads the newest catalog version, or a newer one).
   */
  async #dropSuperseded(database: string, relid: number): Promise<void> {
    const views = [...this.#views.entries()].filter(([, v]) => v.database === database && v.relid === relid);
    const full = views.filter(([, v]) => !v.subset);
    const newest = full.reduce<TableView | undefined>((a, [, v]) => (!a || newer(v, a) ? v : a), undefined);
    for (const [key, view] of views) {
      if (view.users > 0 || this.#acquiring.has(key)) continue;
      const superseded = view !== newest || views.some(([, other]) => newer(other, view));
      if (!view.subset && !superseded) continue;
      this.#views.delete(key);
      if (!view.subset) await this.#admin.run(`DROP VIEW IF EXISTS ${view.name}`);
    }
  }

  /** Bytes DuckDB's buffer manager holds now (duckdb_memory()), for tests and status. */
  async memoryBytes(): Promise<number> {
    const reader = await this.#admin.runAndReadAll(
      'SELECT coalesce(sum(memory_usage_bytes), 0)::DOUBLE FROM duckdb_memory()',
    );
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  close(): void {
    for (const idle of this.#idle.values()) for (const connection of idle) this.closeConnection(connection);
    this.#idle.clear();
    this.delta.close();
    this.#admin.closeSync();
    this.#instance.closeSync();
  }
}

function filesOf(table: VisibleTable): string[] {
  return [...table.paths, ...(table.stream?.deletePaths ?? [])];
}

function newer(a: TableView, b: TableView): boolean {
  if (a.generation !== b.generation) return a.generation > b.generation;
  return a.version !== b.version ? a.version > b.version : a.through > b.through;
}

/**
 * A view's name: the table, its generation and version, and a digest of the files it reads, so
 * a table registered again (generations start over) never reuses a view of its earlier copy.
 */
function viewKey(database: string, table: VisibleTable): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([table.paths, table.stream?.deletePaths, table.stream?.watermark?.toString()]))
    .digest('hex')
    .slice(0, 12);
  return `${databaseDirectoryName(database)}_t${table.relid}_g${table.generation}_v${table.stream?.version ?? 0}_${digest}`;
}

/** SELECT over a generation's files, exposing each column as the query type (enums get their labels back). */
function viewSql(dataDir: string, table: VisibleTable): string {
  const columns = table.columns.map(
    (c) => `${readExpression(c, quoteIdent(c.name))} AS ${quoteIdent(c.name)}`,
  );
  if (table.paths.length === 0) {
    const typed = table.columns.map((c) => `CAST(NULL AS ${c.queryType}) AS ${quoteIdent(c.name)}`);
    return `SELECT ${typed.join(', ')} WHERE false`;
  }
  const files = table.paths.map((p) => quoteLiteral(absoluteSegmentPath(dataDir, p))).join(', ');
  return `SELECT ${columns.join(', ')} FROM read_parquet([${files}])`;
}
