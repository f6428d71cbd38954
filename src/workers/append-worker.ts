/**
 * Mode append, for insert-only tables and for servers without logical replication: each pass
 * copies the rows whose key (an integer primary key filled by a sequence) is past the table's
 * watermark.
 *
 * The trap is a transaction that commits late: it took key 100 from the sequence, a later one
 * took 101 and committed first; a pass that saw 101 and moved the watermark past it would never
 * see 100. So a pass first reads how far the sequence has gone (hi), then waits until every
 * transaction in progress at that moment has ended — each one that took a key at or below hi was
 * among them, and has now committed or rolled back — and only then takes its snapshot and copies
 * the keys in (watermark, hi]. Keys above hi wait for the next pass. (A key taken by nextval() in
 * one transaction and inserted by a later one is not covered: keys must be taken by the insert.)
 *
 * Each chunk's segment and the new watermark commit in one catalog transaction. A first copy (or
 * a resync) writes a staged generation and publishes it whole. Updates and deletes cannot be
 * applied by this mode: when the table's statistics show any, it goes to `error`.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { TableEntry } from '../catalog/catalog.js';
import * as catalog from '../catalog/catalog.js';
import { columnSpec, ingestColumn } from '../source/column-types.js';
import { qualifiedName, SnapshotReader } from '../source/snapshot-reader.js';
import { readSourceTable } from '../source/table-schema.js';
import { scratchDirectory, segmentRelativePath, tableDirectory } from '../storage/segment-paths.js';
import type { IngestWorkerOptions } from './ingest-worker.js';

/** The same as the copy's: both write through the launcher's catalog connection. */
export type AppendWorkerOptions = IngestWorkerOptions;

/** How often a pass looks again at the transactions it waits for. */
const waitPollMs = 20;

export class AppendWorker {
  readonly #options: AppendWorkerOptions;

  constructor(options: AppendWorkerOptions) {
    this.#options = options;
  }

  /** One pass; returns the rows appended. */
  async pass(entry: TableEntry): Promise<number> {
    const { catalogClient: db, log } = this.#options;
    const started = performance.now();
    const staged = entry.generation === 0 || entry.state === 'pending';
    const generation = staged ? entry.generation + 1 : entry.generation;
    let watermark = staged ? 0n : (entry.appendWatermark ?? 0n);
    const key = entry.keyColumns?.[0];
    if (!key) throw new Error('a table in mode append needs its key column');
    if (!staged) await this.#refuseChanges(entry);
    if (staged) await catalog.discardStagedSegments(db, entry.relid);

    const source = await readSourceTable(db, entry.relid);
    const columns = source.columns.map(ingestColumn);
    const table = qualifiedName(source.schema, source.name);
    const hi = await this.#sequenceHorizon(table, key);
    await this.#waitForTransactionsInProgress(entry);

    await mkdir(tableDirectory(this.#options.dataDir, this.#options.database, entry.relid), {
      recursive: true,
    });
    const scratch = path.join(
      scratchDirectory(this.#options.dataDir, this.#options.database),
      `append-${entry.relid}`,
    );
    await mkdir(scratch, { recursive: true });
    const reader = await SnapshotReader.open(this.#options.sourceConfig, entry.relid);
    let appended = 0;
    try {
      const step = BigInt(this.#options.chunkSize);
      while (watermark < hi) {
        const upTo = watermark + step < hi ? watermark + step : hi;
        const file = path.join(scratch, 'chunk.tsv');
        const rows = await reader.copyKeyRange(table, columns, key, watermark, upTo, file);
        const segment = rows > 0 ? await this.#writeSegment(entry, generation, columns, file) : undefined;
        await db.query('BEGIN');
        try {
          if (segment) await catalog.insertSegment(db, segment);
          if (!staged)
            await catalog.advanceAppendWatermark(db, {
              relid: entry.relid,
              generation,
              watermark: upTo,
              rows,
            });
          await db.query('COMMIT');
        } catch (error) {
          await db.query('ROLLBACK');
          throw error;
        } finally {
          // Named by a committed row now (or an orphan for the garbage collector).
          if (segment) this.#options.inFlight.delete(segment.path);
        }
        appended += rows;
        watermark = upTo;
      }
      const { snapshot, fingerprint, lsn } = reader.info;
      const ms = Math.round(performance.now() - started);
      await db.query('BEGIN');
      try {
        if (staged) {
          await catalog.publishGeneration(db, {
            relid: entry.relid,
            generation,
            columns: columns.map(columnSpec),
            syncedLsn: lsn,
            syncedSnapshot: snapshot,
            fingerprint,
            syncMs: ms,
            requestedAt: entry.syncRequestedAt,
            registeredAt: entry.registeredAt,
          });
          await catalog.advanceAppendWatermark(db, { relid: entry.relid, generation, watermark, rows: 0 });
        }
        await catalog.finishAppendPass(db, { relid: entry.relid, generation, snapshot, fingerprint, ms });
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      }
      if (appended > 0 || staged)
        log.info('append pass', { table, rows: appended, watermark: String(watermark), ms });
      return appended;
    } finally {
      await reader.close();
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** The highest key the sequence has handed out (0 before the first). */
  async #sequenceHorizon(table: string, key: string): Promise<bigint> {
    const { rows } = await this.#options.catalogClient.query<{ hi: string }>(
      `SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass), 0)::text AS hi`,
      [table, key],
    );
    return BigInt(rows[0]!.hi);
  }

  /**
   * Waits until every transaction in progress now has ended (as CREATE INDEX CONCURRENTLY waits
   * for older transactions: by their virtual transaction ids). Sessions waiting in
   * analytica.wait_for_sync are not waited for: they wait for this pass.
   */
  async #waitForTransactionsInProgress(entry: TableEntry): Promise<void> {
    const db = this.#options.catalogClient;
    const { rows } = await db.query<{ vxids: string[] | null }>(
      `SELECT array_agg(l.virtualxid) AS vxids FROM pg_locks l
        WHERE l.locktype = 'virtualxid' AND l.pid <> pg_backend_pid()
          AND l.pid NOT IN (SELECT w.pid FROM pg_locks w
                             WHERE w.locktype = 'advisory' AND w.classid = analytica.wait_lock_class()::bigint::oid)`,
    );
    const vxids = rows[0]?.vxids ?? [];
    // Prepared transactions hold no virtual transaction id; they are waited for by name.
    const prepared = await db.query<{ gids: string[] | null }>(
      `SELECT array_agg(gid) AS gids FROM pg_prepared_xacts WHERE database = current_database()`,
    );
    const gids = prepared.rows[0]?.gids ?? [];
    const started = Date.now();
    let warned = false;
    while (vxids.length > 0 || gids.length > 0) {
      const { rows: left } = await db.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY($1::text[]))
              + (SELECT count(*) FROM pg_prepared_xacts WHERE gid = ANY($2::text[])) AS n`,
        [vxids, gids],
      );
      if (left[0]!.n === '0') return;
      if (!warned && Date.now() - started > 10_000) {
        warned = true;
        this.#options.log.warn('an append pass waits for long transactions to end', {
          table: `${entry.schemaName}.${entry.tableName}`,
          transactions: left[0]!.n,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, waitPollMs));
    }
  }

  /** An update, delete or rewrite since the last pass cannot be applied: the table goes to error. */
  async #refuseChanges(entry: TableEntry): Promise<void> {
    const { rows } = await this.#options.catalogClient.query<{ fingerprint: string }>(
      `SELECT concat_ws(':', pg_relation_filenode($1::oid::regclass), pg_stat_get_tuples_inserted($1::oid),
              pg_stat_get_tuples_updated($1::oid), pg_stat_get_tuples_deleted($1::oid)) AS fingerprint`,
      [entry.relid],
    );
    const [file, , updated, deleted] = (rows[0]?.fingerprint ?? '').split(':');
    const [lastFile, , lastUpdated, lastDeleted] = (entry.changeFingerprint ?? '').split(':');
    if (!entry.changeFingerprint) return;
    if (file !== lastFile || Number(updated) > Number(lastUpdated) || Number(deleted) > Number(lastDeleted)) {
      throw new Error(
        'the table is registered in mode append, but rows were updated, deleted or the table was truncated or rewritten; ' +
          "call analytica.resync() to copy it again, or register it again with mode => 'stream' or 'refresh'",
      );
    }
  }

  async #writeSegment(
    entry: TableEntry,
    generation: number,
    columns: ReturnType<typeof ingestColumn>[],
    file: string,
  ): Promise<catalog.NewSegment> {
    const { dataDir, database, writer, inFlight, catalogClient: db } = this.#options;
    const segmentId = await catalog.nextSegmentId(db);
    const relative = segmentRelativePath(database, entry.relid, segmentId);
    // In flight until the caller commits its catalog row.
    inFlight.add(relative);
    try {
      const written = await writer.write(file, columns, entry.orderBy, path.join(dataDir, relative));
      return {
        segmentId,
        relid: entry.relid,
        generation,
        path: relative,
        rowCount: written.rowCount,
        byteSize: written.byteSize,
        columnStats: written.columnStats,
      };
    } catch (error) {
      inFlight.delete(relative);
      throw error;
    }
  }
}
