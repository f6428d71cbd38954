/**
 * What the parts of one database's change stream share: the streamed tables,
 * the catalog connection, the replication stream, and the positions that
 * decide what is applied, shown, flushed and confirmed (see StreamWorker).
 */
import path from 'node:path';
import type pg from 'pg';
import * as catalog from '../catalog/catalog.js';
import { alignForeignTable, type ColumnRenames } from '../catalog/foreign-server.js';
import { requestRecopy } from '../catalog/recopy.js';
import type { Logger } from '../log.js';
import type { DeltaKey, DeltaStore } from '../query/delta-store.js';
import { formatLsn, RelationCache } from '../source/pgoutput/index.js';
import type { ReplicationStream } from '../source/replication/replication-stream.js';
import { scratchDirectory } from '../storage/segment-paths.js';
import type { SegmentWriter } from '../storage/segment-writer.js';
import { AppliedPosition } from './applied-position.js';
import type { ResolveUnchanged, StreamedTable } from './streamed-table.js';
import { unchangedResolver } from './unchanged-value-resolver.js';
import type { WorkerActivity } from './worker-activity.js';

export interface StreamWorkerOptions {
  database: string;
  sourceConfig: pg.ClientConfig;
  dataDir: string;
  writer: SegmentWriter;
  delta: DeltaStore;
  /** The lowest watermark of the table's views in use: delta rows above it stay. */
  lowestWatermarkInUse: (relid: number, generation: number) => bigint | undefined;
  /** Paths being written; the garbage collector leaves them alone. */
  inFlight: Set<string>;
  naptimeMs: number;
  chunkSize: number;
  maxDeltaBytes: number;
  maxWaitMs: number;
  maxRetainedWalBytes: number;
  log: Logger;
  /** Counts applied changes and flushes (for the metrics endpoint). */
  activity?: WorkerActivity;
}

export const publicationName = 'pg_analytica';
/** Bytes of COPY text buffered per table before they are spilled to a chunk file. */
export const chunkBytes = 4 * 1024 * 1024;
/** Longest a committed transaction waits in memory before the delta shows it (unless a query waits). */
export const boundaryIntervalMs = 100;
/** Shortest interval between two records of an idle stream's applied position (status view lag). */
export const idleRecordIntervalMs = 2000;
/** WAL the watermark may trail the stream by before an otherwise empty flush moves it. */
export const idleFlushBytes = 16n * 1024n * 1024n;

export interface SourceTransaction {
  finalLsn: bigint;
  commitTimeMicros: bigint;
  /** Below the stream's received position: sent again after a reconnect, already applied. */
  skip: boolean;
  touched: Set<StreamedTable>;
  /** Changes applied from it so far (counted as applied when it commits), in all and per table. */
  changes: number;
  changesByTable: Map<StreamedTable, number>;
}

/** What a flush wrote, for the work after its commit. */
export interface FinishedFlush {
  applied: bigint;
  streaming: StreamedTable[];
  parts: catalog.StreamedTableFlush[];
  written: number;
  changes: number;
  started: number;
}

export class StreamState {
  readonly options: StreamWorkerOptions;
  readonly log: Logger;
  readonly slotName: string;
  readonly scratch: string;
  readonly position: AppliedPosition;
  readonly tables = new Map<number, StreamedTable>();
  /** Per table being copied: the received position when the copy began (the slot stays at or below it). */
  readonly holds = new Map<number, bigint>();
  /** Catalog connection (flushes, slot checks); replaced after it fails. */
  catalogClient: pg.Client;
  catalogBroken = false;
  stream: ReplicationStream | undefined;
  relations = new RelationCache();
  tx: SourceTransaction | undefined;
  /** Every transaction whose commit record starts below this was processed (applied, skipped or filtered). */
  received = 0n;
  flushed = 0n;
  lastCommit: { lsn: bigint; atMicros: bigint } | undefined;
  /** Committed changes are in chunk files but not in the delta: only a flush shows them. */
  flushRequired = false;
  deltaBytes = 0;
  pendingChanges = 0;
  lastFlushAt = Date.now();
  lastBoundaryAt = 0;
  /** A flush whose COMMIT failed: it may or may not have committed. */
  uncertainFlush: FinishedFlush | undefined;
  publishedPosition = 0n;
  /** Flushes that retired segments (a TRUNCATE): their files wait for garbage collection. */
  retiredSegments = 0;
  /** The stream's own error recorded on the streamed tables (recordStreamError). */
  streamError: string | undefined;
  /**
   * Per streamed table: which source column (attnum) each column of its copy is, by name, so
   * that a column dropped and added again under its name is not taken for the old one.
   */
  readonly attnums = new WeakMap<StreamedTable, ReadonlyMap<string, number>>();
  /** Per streamed table: its file when the copy last followed it (a rewrite changes it). */
  readonly filenodes = new WeakMap<StreamedTable, string>();
  /** Tables stopped for a re-copy (recopy): not an error, even if a copy of them is running. */
  readonly recopying = new WeakSet<StreamedTable>();
  /**
   * Per relation id: the commit position of the transaction that brought its latest Relation
   * message (the received position for one outside a transaction).
   */
  readonly relationSeenAt = new Map<number, bigint>();
  /** Foreign tables (columnar.*) still to be altered to their source's columns: relid → renames. */
  readonly foreignTablesBehind = new Map<number, ColumnRenames>();
  /** Fills in the values updates left unchanged as lines go to chunk files. */
  readonly resolveUnchanged: ResolveUnchanged = unchangedResolver(this);

  constructor(options: StreamWorkerOptions, catalogClient: pg.Client, slotName: string, onWait: () => void) {
    this.options = options;
    this.log = options.log;
    this.catalogClient = catalogClient;
    this.slotName = slotName;
    this.scratch = path.join(scratchDirectory(options.dataDir, options.database), 'stream');
    this.position = new AppliedPosition(onWait);
  }

  get catalog(): pg.Client {
    return this.catalogClient;
  }

  deltaKey(table: StreamedTable): DeltaKey {
    return { database: this.options.database, relid: table.relid, generation: table.generation };
  }

  /**
   * The delta's tables are created and dropped outside its open DuckDB transaction (a rollback
   * would undo them): what that transaction held is shown by the next flush instead.
   */
  async leaveDeltaTransaction(): Promise<void> {
    if (!this.options.delta.inTransaction) return;
    await this.options.delta.rollback();
    this.flushRequired = true;
  }

  async droppedAttributes(relid: number): Promise<number> {
    const { rows } = await this.catalog.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_attribute WHERE attrelid = $1 AND attisdropped',
      [relid],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The attnum of each live column of the source now, by name. */
  async liveAttnums(relid: number): Promise<Map<string, number>> {
    const { rows } = await this.catalog.query<{ attname: string; attnum: number }>(
      'SELECT attname, attnum FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped',
      [relid],
    );
    return new Map(rows.map((r) => [r.attname, r.attnum]));
  }

  /** The table's file (pg_relation_filenode; null for a partitioned table, which has none). */
  async filenode(relid: number): Promise<string | null> {
    const { rows } = await this.catalog.query<{ filenode: string | null }>(
      'SELECT pg_relation_filenode($1::oid::regclass)::text AS filenode',
      [relid],
    );
    return rows[0]?.filenode ?? null;
  }

  /** Where the copy of `table` starts to follow the source from: its columns and its file now. */
  async baseline(table: StreamedTable): Promise<void> {
    this.attnums.set(table, await this.liveAttnums(table.relid));
    const filenode = await this.filenode(table.relid);
    if (filenode !== null) this.filenodes.set(table, filenode);
  }

  /** A change the copy cannot follow: the table stops streaming and says how to go on. */
  async stop(table: StreamedTable, reason: string): Promise<void> {
    table.phase = 'stopped';
    table.stopReason = reason;
    this.log.error('streamed table stopped', { table: table.name, reason });
    await catalog.recordError(
      this.catalog,
      table.relid,
      `${reason}; call analytica.resync('${table.name.replaceAll("'", "''")}') to copy it again`,
    );
  }

  /**
   * A change of the source the copy cannot follow in place (a table rewrite the WAL does not
   * carry, a type change that alters values): the stream stops applying changes to this copy
   * and the launcher copies the table again, analytica.status showing the reason. Not an error.
   */
  async recopy(table: StreamedTable, reason: string): Promise<void> {
    table.phase = 'stopped';
    table.stopReason = reason;
    this.recopying.add(table);
    this.log.info('the copy cannot follow a schema change in place; copying the table again', {
      table: table.name,
      reason,
    });
    // The foreign table is altered when the new copy is published (stream-handoff.ts).
    await requestRecopy(this.catalog, table.relid, reason);
  }

  /**
   * Alters the table's foreign table to the source's columns now, or at a later call of
   * retryForeignTables when a query holds it (renames not applied yet are kept, composed).
   */
  async followForeignTable(
    relid: number,
    renames: ColumnRenames,
    client: pg.ClientBase = this.catalog,
  ): Promise<void> {
    const merged = composeRenames(this.foreignTablesBehind.get(relid) ?? {}, renames);
    let done = true;
    try {
      done = await alignForeignTable(client, relid, merged);
    } catch (error) {
      // The copy itself is right; a foreign table someone altered by hand (a view depending on
      // a dropped column…) is left as it is, and the log says why.
      this.log.warn('could not alter the foreign table to the columns of its source', {
        relid,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    if (done) this.foreignTablesBehind.delete(relid);
    else this.foreignTablesBehind.set(relid, merged);
  }

  /**
   * Foreign tables a query held at the last try are altered now (on every launcher pass, on the
   * launcher's connection).
   */
  async retryForeignTables(client: pg.ClientBase): Promise<void> {
    for (const relid of [...this.foreignTablesBehind.keys()])
      await this.followForeignTable(relid, {}, client);
  }

  /** The table is no longer streamed here: its pending changes and delta go. */
  async forget(table: StreamedTable): Promise<void> {
    this.tables.delete(table.relid);
    this.holds.delete(table.relid);
    this.tx?.touched.delete(table);
    await table.abortOpen();
    await table.clearCommitted();
    await this.leaveDeltaTransaction();
    for (const key of this.options.delta.keysOf(this.options.database)) {
      if (key.relid === table.relid) await this.options.delta.drop(key);
    }
  }

  /**
   * An error of the whole stream (not of one table) shown on every streamed table without
   * changing its state: the copies stay readable, only behind. Cleared by the next flush.
   */
  async recordStreamError(message: string): Promise<void> {
    await this.catalog.query(
      `UPDATE analytica.tables SET last_error = $1, last_error_at = now()
        WHERE mode = 'stream' AND state <> 'error' AND last_error IS DISTINCT FROM $1`,
      [message],
    );
    this.streamError = message;
  }

  /** After a flush: the stream's error recorded on the tables is over. */
  async clearStreamError(): Promise<void> {
    if (this.streamError === undefined) return;
    await this.catalog.query(
      `UPDATE analytica.tables SET last_error = NULL, last_error_at = NULL WHERE last_error = $1`,
      [this.streamError],
    );
    this.streamError = undefined;
  }

  /** The position record that analytica.wait_for_sync and analytica.status read. */
  streamPosition(appliedLsn: string): catalog.StreamPosition {
    return {
      slotName: this.slotName,
      appliedLsn,
      lastCommitLsn: this.lastCommit ? formatLsn(this.lastCommit.lsn) : null,
      lastCommitAt: this.lastCommit ? microsToDate(this.lastCommit.atMicros) : null,
    };
  }
}

/** Renames `first` then `then`: a→b followed by b→c is a→c. */
export function composeRenames(first: ColumnRenames, then: ColumnRenames): ColumnRenames {
  const composed: Record<string, string> = {};
  const targets = new Set(Object.values(first));
  for (const [from, to] of Object.entries(first)) composed[from] = then[to] ?? to;
  for (const [from, to] of Object.entries(then)) if (!targets.has(from)) composed[from] = to;
  return composed;
}

function microsToDate(micros: bigint): Date {
  return new Date(Number(micros / 1000n));
}
