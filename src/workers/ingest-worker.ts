/**
 * Copies one registered table into a new generation of segments and makes it
 * visible atomically (backfill and refresh are the same operation here).
 *
 * Steps, each crash-safe:
 * 1. segment rows of a generation that never became visible are deleted (their
 *    files become orphans for the garbage collector);
 * 2. one snapshot; chunks of heap pages are COPYed to scratch CSV while DuckDB
 *    turns the previous chunk into a Parquet segment (the two overlap);
 * 3. each segment file is fsynced and renamed before its catalog row commits;
 * 4. one transaction makes the new generation visible and retires the old one.
 * A kill at any point leaves the previous generation visible and intact.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { TableEntry } from '../catalog/catalog.js';
import * as catalog from '../catalog/catalog.js';
import type { Logger } from '../log.js';
import {
  columnSpec,
  type IngestColumn,
  ingestColumn,
  sequenceColumn,
  sequenceColumnNames,
} from '../source/column-types.js';
import { formatLsn } from '../source/pgoutput/index.js';
import { ReplicationConnection } from '../source/replication/replication-connection.js';
import { SnapshotReader } from '../source/snapshot-reader.js';
import { readSourceTable } from '../source/table-schema.js';
import { scratchDirectory, segmentRelativePath, tableDirectory } from '../storage/segment-paths.js';
import type { SegmentWriter } from '../storage/segment-writer.js';
import type { Handoff, StreamWorker } from './stream-worker.js';

export interface IngestWorkerOptions {
  database: string;
  dataDir: string;
  chunkSize: number;
  /** How to open the snapshot connection to the source database. */
  sourceConfig: pg.ClientConfig;
  /** Connection for catalog writes (autocommit between calls). */
  catalogClient: pg.ClientBase;
  writer: SegmentWriter;
  /** Relative paths being written now; the garbage collector leaves them alone. */
  inFlight: Set<string>;
  log: Logger;
}

export interface CopyResult {
  rows: number;
  segments: number;
  bytes: number;
  ms: number;
}

export class IngestWorker {
  readonly #options: IngestWorkerOptions;

  constructor(options: IngestWorkerOptions) {
    this.#options = options;
  }

  /**
   * Copies the table. A streamed table is copied from the snapshot of a temporary replication
   * slot, handed to `stream` (see StreamWorker.beginHandoff) so that the stream continues
   * exactly where the copy ends.
   */
  async copyTable(entry: TableEntry, stream?: StreamWorker): Promise<CopyResult> {
    const { catalogClient: db, log: parentLog } = this.#options;
    const log = parentLog.child({ table: `${entry.schemaName}.${entry.tableName}` });
    const started = performance.now();
    await catalog.discardStagedSegments(db, entry.relid);
    const source = await readSourceTable(db, entry.relid);
    const columns = source.columns.map(ingestColumn);
    // Streamed tables' segments carry the row sequence; copied rows are older than any change.
    const copied =
      entry.mode === 'stream' ? [...columns, ...sequenceColumnNames.map(sequenceColumn)] : columns;
    const generation = entry.generation + 1;
    await mkdir(tableDirectory(this.#options.dataDir, this.#options.database, entry.relid), {
      recursive: true,
    });
    const scratch = path.join(
      scratchDirectory(this.#options.dataDir, this.#options.database),
      String(entry.relid),
    );
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });

    let handoff: Handoff | undefined;
    let reader: SnapshotReader;
    if (entry.mode === 'stream') {
      if (!stream) throw new Error('the change stream of this database is not running');
      handoff = await stream.beginHandoff(entry, columns);
      reader = await this.#openExportedSnapshot(entry.relid, handoff).catch(async (error: unknown) => {
        await handoff!.failed();
        throw error;
      });
    } else {
      reader = await SnapshotReader.open(this.#options.sourceConfig, entry.relid);
    }
    let published = false;
    try {
      const { lsn, fingerprint, estimatedRows, snapshot, partitions } = reader.info;
      await catalog.setState(db, entry.relid, entry.generation === 0 ? 'backfilling' : 'refreshing', {
        rows: 0,
        totalRows: estimatedRows,
      });
      log.info('copy started', { generation, lsn, estimatedRows });
      const chunks = await reader.planChunks(this.#options.chunkSize);
      const totals = { rows: 0, segments: 0, bytes: 0 };
      // COPY of chunk i+1 runs while DuckDB writes chunk i (a partitioned table may have no chunk).
      let pending = chunks[0]
        ? handled(reader.copyChunk(copied, chunks[0], path.join(scratch, '0.csv')))
        : Promise.resolve(0);
      for (let i = 0; i < chunks.length; i++) {
        const csv = path.join(scratch, `${i}.csv`);
        const rows = await pending;
        const next = chunks[i + 1];
        if (next) pending = handled(reader.copyChunk(copied, next, path.join(scratch, `${i + 1}.csv`)));
        if (rows > 0) {
          const written = await this.#writeSegment(entry, generation, copied, csv);
          totals.rows += written.rowCount;
          totals.bytes += written.byteSize;
          totals.segments++;
        }
        await rm(csv, { force: true });
        await catalog.setProgress(db, entry.relid, totals.rows, Math.max(estimatedRows, totals.rows));
        log.debug('chunk copied', { chunk: i + 1, of: chunks.length, rows: totals.rows });
      }
      const ms = Math.round(performance.now() - started);
      await db.query('BEGIN');
      try {
        await catalog.publishGeneration(db, {
          relid: entry.relid,
          generation,
          columns: columns.map(columnSpec),
          syncedLsn: lsn,
          // A streamed table is in sync by WAL position; the snapshot a slot exports is not a valid pg_snapshot text.
          syncedSnapshot: entry.mode === 'stream' ? null : snapshot,
          fingerprint,
          partitions,
          syncMs: ms,
          requestedAt: entry.syncRequestedAt,
          registeredAt: entry.registeredAt,
        });
        await db.query('COMMIT');
        published = true;
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      }
      await handoff?.published();
      log.info('copy published', {
        generation,
        ...totals,
        ms,
        rowsPerSecond: Math.round((totals.rows * 1000) / Math.max(ms, 1)),
      });
      return { ...totals, ms };
    } finally {
      if (!published) await handoff?.failed();
      await reader.close();
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * A temporary slot's exported snapshot: the copy sees exactly the transactions that commit
   * before the slot's consistent point, and the stream applies the rest. The snapshot is
   * imported before the slot's connection is closed (it lives only as long as that connection).
   */
  async #openExportedSnapshot(relid: number, handoff: Handoff): Promise<SnapshotReader> {
    await using connection = await ReplicationConnection.open(this.#options.sourceConfig);
    const slotName = `pg_analytica_copy_${process.pid}_${relid}`;
    const slot = await connection.createReplicationSlot(slotName, { temporary: true, snapshot: 'export' });
    const reader = await SnapshotReader.open(this.#options.sourceConfig, relid, {
      snapshotName: slot.snapshotName!,
      lsn: formatLsn(slot.consistentPoint),
    });
    handoff.established(slot.consistentPoint);
    return reader;
  }

  async #writeSegment(entry: TableEntry, generation: number, columns: IngestColumn[], csv: string) {
    const { catalogClient: db, dataDir, database, writer, inFlight } = this.#options;
    const segmentId = await catalog.nextSegmentId(db);
    const relative = segmentRelativePath(database, entry.relid, segmentId);
    inFlight.add(relative);
    try {
      const written = await writer.write(csv, columns, entry.orderBy, path.join(dataDir, relative));
      await catalog.insertSegment(db, {
        segmentId,
        relid: entry.relid,
        generation,
        path: relative,
        rowCount: written.rowCount,
        byteSize: written.byteSize,
        columnStats: written.columnStats,
      });
      return written;
    } finally {
      inFlight.delete(relative);
    }
  }
}

/**
 * Marks a promise as handled without changing what awaiting it gives: when a
 * segment write fails, the COPY already running for the next chunk is abandoned
 * (the reader closes and it rejects) and nobody awaits it any more.
 */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
