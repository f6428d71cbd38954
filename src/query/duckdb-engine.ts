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
 * immutable, so a query that names it reads one consistent snapshot.
 */
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { VisibleTable } from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
import type { ColumnSpec } from '../source/column-types.js';
import { quoteIdent, quoteLiteral, readExpression } from '../source/column-types.js';
import { absoluteSegmentPath, databaseDirectoryName } from '../storage/segment-paths.js';
import { openDuckDb } from './duckdb-instance.js';

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
  paths: readonly string[];
  columns: readonly ColumnSpec[];
  users: number;
}

export const viewSchema = '__pga';
const maxIdlePerZone = 8;
const maxIdleZones = 16;

export class DuckDbEngine {
  readonly #instance: DuckDBInstance;
  readonly #admin: DuckDBConnection;
  readonly #dataDir: string;
  readonly #views = new Map<string, TableView>();
  readonly #creating = new Map<string, Promise<void>>();
  readonly #idle = new Map<string, DuckDBConnection[]>();
  /** Views being acquired right now (by key), which cleanup must leave alone. */
  readonly #acquiring = new Map<string, number>();

  private constructor(instance: DuckDBInstance, admin: DuckDBConnection, dataDir: string) {
    this.#instance = instance;
    this.#admin = admin;
    this.#dataDir = dataDir;
  }

  static async create(options: DuckDbEngineOptions): Promise<DuckDbEngine> {
    const dataDir = path.resolve(options.dataDir);
    const { instance, connection: admin } = await openDuckDb(options);
    await admin.run('SET parquet_metadata_cache = true');
    await admin.run(`SET allowed_directories = [${quoteLiteral(dataDir + path.sep)}]`);
    await admin.run('SET enable_external_access = false');
    await admin.run(`CREATE SCHEMA ${viewSchema}`);
    return new DuckDbEngine(instance, admin, dataDir);
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

  /** Returns a connection from connect(); it is kept for reuse while few are idle. */
  releaseConnection(timeZone: string, connection: DuckDBConnection): void {
    const idle = this.#idle.get(timeZone) ?? [];
    if (idle.length >= maxIdlePerZone || this.#idle.size > maxIdleZones) {
      connection.closeSync();
      return;
    }
    idle.push(connection);
    this.#idle.set(timeZone, idle);
  }

  /**
   * Ensures the view of this database's table generation exists and pins it;
   * returns its quoted name. Table oids repeat across databases, so the
   * database is part of the key.
   */
  async acquire(database: string, table: VisibleTable): Promise<string> {
    const key = `${databaseDirectoryName(database)}_t${table.relid}_g${table.generation}`;
    // Counted before any await, so a newer generation's cleanup cannot drop this view meanwhile.
    this.#acquiring.set(key, (this.#acquiring.get(key) ?? 0) + 1);
    try {
      if (!this.#views.has(key)) {
        let creating = this.#creating.get(key);
        if (!creating) {
          creating = this.#createView(key, database, table).finally(() => this.#creating.delete(key));
          this.#creating.set(key, creating);
        }
        await creating;
      }
      const view = this.#views.get(key)!;
      view.users++;
      return view.name;
    } finally {
      const left = (this.#acquiring.get(key) ?? 1) - 1;
      if (left === 0) this.#acquiring.delete(key);
      else this.#acquiring.set(key, left);
    }
  }

  /** Unpins a view; views of superseded generations are dropped when their last user leaves. */
  async release(viewName: string): Promise<void> {
    const view = [...this.#views.values()].find((v) => v.name === viewName);
    if (!view) return;
    view.users--;
    await this.#dropSuperseded(view.database, view.relid);
  }

  /** Relative paths that running queries may still read. */
  pinnedPaths(): Set<string> {
    const pinned = new Set<string>();
    for (const view of this.#views.values()) if (view.users > 0) for (const p of view.paths) pinned.add(p);
    return pinned;
  }

  async #createView(key: string, database: string, table: VisibleTable): Promise<void> {
    const name = `${viewSchema}.${quoteIdent(key)}`;
    await this.#admin.run(`CREATE OR REPLACE VIEW ${name} AS ${viewSql(this.#dataDir, table)}`);
    this.#views.set(key, {
      name,
      database,
      relid: table.relid,
      generation: table.generation,
      paths: table.paths,
      columns: table.columns,
      users: 0,
    });
    await this.#dropSuperseded(database, table.relid);
  }

  async #dropSuperseded(database: string, relid: number): Promise<void> {
    const views = [...this.#views.entries()].filter(([, v]) => v.database === database && v.relid === relid);
    const newest = Math.max(...views.map(([, v]) => v.generation));
    for (const [key, view] of views) {
      if (view.generation < newest && view.users === 0 && !this.#acquiring.has(key)) {
        this.#views.delete(key);
        await this.#admin.run(`DROP VIEW IF EXISTS ${view.name}`);
      }
    }
  }

  close(): void {
    for (const idle of this.#idle.values()) for (const connection of idle) connection.closeSync();
    this.#idle.clear();
    this.#admin.closeSync();
    this.#instance.closeSync();
  }
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
