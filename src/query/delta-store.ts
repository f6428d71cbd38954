/**
 * The delta: streamed changes not yet flushed to segments, kept in tables of
 * the query engine's DuckDB instance so that queries read them together with
 * the segments (see duckdb-engine.ts for the merge).
 *
 * Per streamed table and generation there are three tables: rows (the table's
 * storage columns, `_pga_seq`, `_pga_commit`), deletes (the key columns,
 * `_pga_seq`, `_pga_commit`) and truncates (`_pga_seq`, `_pga_commit`). The applier
 * loads whole source transactions inside one DuckDB transaction, so a query
 * (one DuckDB snapshot) never sees part of one.
 *
 * `_pga_commit` is the LSN of the writing transaction's commit record. A view of
 * catalog version v reads the delta rows whose commit is at or above v's
 * watermark (the end of the last transaction in v's segments, so a commit
 * record starting there or later is not in them). After a flush those
 * rows are pruned, but only below the watermark of every view in use; a view
 * asked for after its rows were pruned is refused (the caller re-reads the
 * catalog and gets the newer version).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnSpec, IngestColumn } from '../source/column-types.js';
import { quoteIdent, storedName } from '../source/column-types.js';
import { longestLineBound, readChunkSql } from '../storage/chunk-files.js';
import { databaseDirectoryName } from '../storage/segment-paths.js';

export const deltaSchema = '__pga_delta';

export interface DeltaKey {
  database: string;
  relid: number;
  generation: number;
}

export type DeltaKind = 'rows' | 'deletes' | 'truncates';

export interface DeltaTables {
  rows: string;
  deletes: string;
  truncates: string;
}

export function deltaTables(key: DeltaKey): DeltaTables {
  const base = `${databaseDirectoryName(key.database)}_t${key.relid}_g${key.generation}`;
  const name = (suffix: string) => `${deltaSchema}.${quoteIdent(`${base}_${suffix}`)}`;
  return { rows: name('rows'), deletes: name('deletes'), truncates: name('truncates') };
}

function keyString(key: DeltaKey): string {
  return `${key.database}\u0000${key.relid}\u0000${key.generation}`;
}

export class DeltaStore {
  readonly #connection: DuckDBConnection;
  readonly #created = new Set<string>();
  readonly #prunedThrough = new Map<string, bigint>();
  /** Rows of commits below this are deleted already. */
  readonly #deletedThrough = new Map<string, bigint>();
  #inTransaction = false;
  /** Keys whose tables may hold rows: set by every load, cleared when a prune leaves them empty. */
  readonly #mayHoldRows = new Set<string>();
  /** Counts loads, so a prune can tell that none came in while it looked. */
  #loads = 0;

  constructor(connection: DuckDBConnection) {
    this.#connection = connection;
  }

  static async create(connection: DuckDBConnection): Promise<DeltaStore> {
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${deltaSchema}`);
    return new DeltaStore(connection);
  }

  /** Creates the delta tables of a streamed table's generation (idempotent). */
  async ensure(
    key: DeltaKey,
    columns: readonly ColumnSpec[],
    keyColumns: readonly string[],
  ): Promise<DeltaTables> {
    const tables = deltaTables(key);
    const id = keyString(key);
    if (this.#created.has(id)) return tables;
    const sequence = '_pga_seq BIGINT, _pga_commit BIGINT';
    const defs = columns
      .filter((c) => !c.dropped)
      .map((c) => `${quoteIdent(storedName(c))} ${c.storageType}`);
    const keyDefs = keyColumns.map((k) => {
      const column = columns.find((c) => c.name === k);
      if (!column) throw new Error(`key column ${quoteIdent(k)} is not a column of the table`);
      return `${quoteIdent(k)} ${column.storageType}`;
    });
    await this.#connection.run(
      `CREATE TABLE IF NOT EXISTS ${tables.rows} (${[...defs, sequence].join(', ')})`,
    );
    await this.#connection.run(
      `CREATE TABLE IF NOT EXISTS ${tables.deletes} (${[...keyDefs, sequence].join(', ')})`,
    );
    await this.#connection.run(`CREATE TABLE IF NOT EXISTS ${tables.truncates} (${sequence})`);
    this.#created.add(id);
    // A key dropped before (unregistered, then registered again) starts over.
    this.#prunedThrough.delete(id);
    this.#deletedThrough.delete(id);
    return tables;
  }

  /** Starts the DuckDB transaction the next loads go into (no-op when one is open). */
  async begin(): Promise<void> {
    if (this.#inTransaction) return;
    await this.#connection.run('BEGIN TRANSACTION');
    this.#inTransaction = true;
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  /** Makes every load since begin() visible to queries at once. */
  async commit(): Promise<void> {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    await this.#connection.run('COMMIT');
  }

  async rollback(): Promise<void> {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    await this.#connection.run('ROLLBACK');
  }

  /** Appends a chunk file (COPY text or resolved Parquet, see chunk-files.ts) of `columns` (ending with _pga_seq, _pga_commit) to one delta table. */
  async load(
    key: DeltaKey,
    kind: DeltaKind,
    file: string | readonly string[],
    columns: readonly IngestColumn[],
  ): Promise<void> {
    const tables = deltaTables(key);
    this.#loaded(key);
    // By name: a table's delta keeps the columns it once had (a dropped column stays, NULL).
    // Inside the stream's DuckDB transaction, which a failed statement would end: the line limit is set first.
    const maxLineBytes = await longestLineBound(file);
    await this.#connection.run(
      `INSERT INTO ${tables[kind]} BY NAME ${readChunkSql(file, columns, maxLineBytes)}`,
    );
  }

  /** A column added to the source, or widened (outside any transaction of the delta). */
  async addOrWidenColumn(key: DeltaKey, column: ColumnSpec): Promise<void> {
    const table = deltaTables(key).rows;
    const name = quoteIdent(storedName(column));
    await this.#connection.run(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${name} ${column.storageType}`);
    await this.#connection.run(
      `ALTER TABLE ${table} ALTER COLUMN ${name} SET DATA TYPE ${column.storageType}`,
    );
  }

  /** Views with a watermark below `lsn` are refused from now on (their rows stay for views in use). */
  refuseViewsBelow(key: DeltaKey, lsn: bigint): void {
    if (lsn > this.prunedThrough(key)) this.#prunedThrough.set(keyString(key), lsn);
  }

  /** Records a TRUNCATE: rows with a lower sequence are gone. */
  async insertTruncate(key: DeltaKey, sequence: bigint, commitLsn: bigint): Promise<void> {
    this.#loaded(key);
    await this.#connection.run(
      `INSERT INTO ${deltaTables(key).truncates} VALUES (${sequence}, ${commitLsn})`,
    );
  }

  /** Delta rows of commits below this LSN may be gone: a view with a lower watermark is stale. */
  prunedThrough(key: DeltaKey): bigint {
    return this.#prunedThrough.get(keyString(key)) ?? 0n;
  }

  /** Removes what the segments now hold (commits below `through`, which is a flush watermark). */
  async prune(key: DeltaKey, through: bigint): Promise<void> {
    const id = keyString(key);
    if (!this.#created.has(id) || through <= (this.#deletedThrough.get(id) ?? 0n)) return;
    // Set before the delete runs: from here on, views at older watermarks are refused.
    this.refuseViewsBelow(key, through);
    this.#deletedThrough.set(id, through);
    const tables = deltaTables(key);
    for (const table of [tables.rows, tables.deletes, tables.truncates]) {
      await this.#connection.run(`DELETE FROM ${table} WHERE _pga_commit < ${through}`);
    }
    const loads = this.#loads;
    const left = await this.#connection.runAndReadAll(
      `SELECT ((SELECT count(*) FROM ${tables.rows}) + (SELECT count(*) FROM ${tables.deletes})
               + (SELECT count(*) FROM ${tables.truncates}))::VARCHAR`,
    );
    if (String(left.getRows()[0]?.[0]) === '0' && loads === this.#loads) this.#mayHoldRows.delete(id);
  }

  /**
   * False when the key's tables hold no rows at all: a view then needs no delta, and the
   * engine skips reading its bounds (a query of its own, about 3 ms).
   */
  mayHoldRows(key: DeltaKey): boolean {
    return this.#mayHoldRows.has(keyString(key));
  }

  #loaded(key: DeltaKey): void {
    this.#loads++;
    this.#mayHoldRows.add(keyString(key));
  }

  /** Drops a generation's delta (unregistered, re-copied, or the stream restarted). */
  async drop(key: DeltaKey): Promise<void> {
    const id = keyString(key);
    if (!this.#created.has(id)) return;
    this.#created.delete(id);
    // Whatever a view of it would read is gone.
    this.#prunedThrough.set(id, BigInt('0x7fffffffffffffff'));
    const tables = deltaTables(key);
    for (const table of [tables.rows, tables.deletes, tables.truncates]) {
      await this.#connection.run(`DROP TABLE IF EXISTS ${table}`);
    }
  }

  close(): void {
    this.#connection.closeSync();
  }

  /** Delta keys of a database (to drop them all when its stream restarts). */
  keysOf(database: string): DeltaKey[] {
    return [...this.#created]
      .map((id) => {
        const [db, relid, generation] = id.split('\u0000');
        return { database: db!, relid: Number(relid), generation: Number(generation) };
      })
      .filter((k) => k.database === database);
  }
}
