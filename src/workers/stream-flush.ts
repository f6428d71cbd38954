/**
 * Flushes the stream: writes the committed chunks of every streaming table as
 * segments (fsynced), then commits their catalog rows and every streamed
 * table's watermark in one transaction, and only then confirms the position
 * to the slot (exactly once: after a restart the slot sends again from its
 * confirmed position, and what a table's watermark covers is skipped).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as catalog from '../catalog/catalog.js';
import { errorMessage } from '../errors.js';
import type { IngestColumn } from '../source/column-types.js';
import { formatLsn } from '../source/pgoutput/index.js';
import { segmentRelativePath } from '../storage/segment-paths.js';
import { diskFullError, isDiskFull } from './disk-full.js';
import { sameColumns } from './schema-evolution.js';
import type { DeltaLoader } from './stream-delta-loader.js';
import { type FinishedFlush, idleFlushBytes, type StreamState } from './stream-state.js';
import type { RowChunk, StreamedTable } from './streamed-table.js';

export class StreamFlusher {
  readonly #state: StreamState;
  readonly #loader: DeltaLoader;

  constructor(state: StreamState, loader: DeltaLoader) {
    this.#state = state;
    this.#loader = loader;
  }

  /** Between transactions: make what was received visible, and flush when it is time. */
  async atBoundary(idle: boolean): Promise<void> {
    const state = this.#state;
    state.lastBoundaryAt = Date.now();
    const due =
      state.flushRequired ||
      state.pendingChanges >= state.options.chunkSize ||
      state.deltaBytes >= state.options.maxDeltaBytes ||
      (Date.now() - state.lastFlushAt >= state.options.naptimeMs &&
        (this.#hasPending() ||
          state.received - state.flushed > idleFlushBytes ||
          (idle && state.flushed === 0n)));
    if (due) {
      await this.flush();
      return;
    }
    await this.#loader.materialize();
    await state.options.delta.commit();
    state.position.advance(state.received);
  }

  #hasPending(): boolean {
    for (const table of this.#state.tables.values())
      if (table.phase === 'streaming' && table.hasPending) return true;
    return false;
  }

  /**
   * Writes the committed changes of every streaming table as segments, then commits their rows
   * and the new watermark in one transaction, then confirms the slot.
   */
  async flush(): Promise<void> {
    const state = this.#state;
    const started = performance.now();
    const applied = state.received;
    await this.#loader.materialize();
    await state.options.delta.commit();
    // A table whose copy is ahead of the stream (its watermark, the copy's consistent point, is
    // above what the stream has received) is left out: it has nothing to flush (a change is applied
    // only from a transaction committing at or above the watermark), and its watermark must not
    // move down to the stream's position, or the transactions in between, which the copy already
    // holds, would be applied again (PostgreSQL's table-sync keeps a per-table sync LSN likewise).
    const streaming = [...state.tables.values()].filter(
      (t) => t.phase === 'streaming' && t.watermark <= applied,
    );
    const written: catalog.NewSegment[] = [];
    const parts: catalog.StreamedTableFlush[] = [];
    let changes = 0;
    try {
      for (const table of streaming) {
        const mine = await this.#writeTable(table);
        if (!mine) continue;
        written.push(...mine);
        changes += mine.reduce((n, s) => n + s.rowCount, 0);
        // A truncate drops every segment older than this flush's own.
        const firstSegmentId = mine[0]?.segmentId ?? Number.MAX_SAFE_INTEGER;
        parts.push({
          relid: table.relid,
          generation: table.generation,
          rowsDelta: table.committedRowsDelta,
          truncatedSeq: table.committedTruncate === undefined ? null : formatLsn(table.committedTruncate),
          firstSegmentId,
          columns: table.schemaChanged ? table.specs : null,
        });
      }
      await this.#commit(applied, written, parts);
      try {
        await state.catalog.query('COMMIT');
      } catch (error) {
        // The server may have committed before the connection broke: found out before going on,
        // for writing these chunks again would show their rows twice.
        state.uncertainFlush = { applied, streaming, parts, written: written.length, changes, started };
        throw error;
      }
    } finally {
      for (const segment of written) state.options.inFlight.delete(segment.path);
    }
    await this.#afterFlush({ applied, streaming, parts, written: written.length, changes, started });
  }

  /**
   * The segments of one table's committed changes, or undefined when they cannot be written
   * (the table stops; the others are flushed).
   */
  async #writeTable(table: StreamedTable): Promise<catalog.NewSegment[] | undefined> {
    const state = this.#state;
    const db = state.catalog;
    const chunks = table.committedChunks;
    const mine: catalog.NewSegment[] = [];
    try {
      // One data segment per set of columns the rows were written with (a schema change splits them);
      // after a schema change at least one segment has the new columns, so that reading by name finds them.
      const groups = groupByColumns(chunks.rows);
      if (table.schemaChanged && !groups.some((g) => sameColumns(g.columns, table.rowColumns))) {
        const empty = path.join(state.scratch, `${table.relid}-empty.tsv`);
        await writeFile(empty, '');
        groups.push({ columns: table.rowColumns, files: [empty] });
      }
      for (const group of groups) {
        mine.push(
          await this.#writeSegment(
            table,
            'data',
            await catalog.nextSegmentId(db),
            group.files,
            group.columns,
          ),
        );
      }
      if (chunks.deletes.length > 0) {
        mine.push(
          await this.#writeSegment(
            table,
            'delete',
            await catalog.nextSegmentId(db),
            chunks.deletes,
            table.deleteColumns,
          ),
        );
      }
      return mine;
    } catch (error) {
      if (!(error instanceof SegmentWriteError)) throw error;
      for (const segment of mine) state.options.inFlight.delete(segment.path);
      // A full disk is not this table's fault: the stream stops and retries with backoff, the
      // changes stay in their chunk files and the slot unconfirmed until a flush succeeds.
      if (isDiskFull(error.cause)) throw diskFullError(error.cause, state.options.dataDir);
      await state.stop(table, `its changes could not be written: ${errorMessage(error.cause)}`);
      return undefined;
    }
  }

  /** The flush's catalog transaction up to its COMMIT (rolled back if anything fails). */
  async #commit(
    applied: bigint,
    written: readonly catalog.NewSegment[],
    parts: readonly catalog.StreamedTableFlush[],
  ): Promise<void> {
    const db = this.#state.catalog;
    await db.query('BEGIN');
    try {
      // Locks the rows: an unregister waits for this flush, and one that won leaves its table out.
      const { rows } = await db.query<{ relid: string }>(
        `SELECT relid::bigint AS relid FROM analytica.tables WHERE relid = ANY($1::oid[]) AND mode = 'stream' FOR UPDATE`,
        [parts.map((p) => p.relid)],
      );
      const present = new Set(rows.map((r) => Number(r.relid)));
      for (const segment of written) if (present.has(segment.relid)) await catalog.insertSegment(db, segment);
      await catalog.commitStreamFlush(
        db,
        formatLsn(applied),
        parts.filter((p) => present.has(p.relid)),
      );
      await catalog.recordStreamPosition(db, this.#state.streamPosition(formatLsn(applied)));
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Between transactions, when nothing received waits for a flush: every transaction before
   * `position` is in the segments or was skipped, so the slot may be confirmed up to there (not
   * past a copy in progress) without a flush, as PostgreSQL's own subscriber confirms a
   * keepalive's position when no transaction is pending. It needs no catalog commit, so a source
   * server shutting down (it refuses new sessions, and waits for its walsenders' clients to
   * confirm all WAL sent) is not held up by an idle daemon. Returns whether the stream was idle.
   */
  confirmIdle(position: bigint): boolean {
    const state = this.#state;
    if (state.tx || state.uncertainFlush) return false;
    for (const table of state.tables.values())
      if (table.phase !== 'stopped' && table.hasPending) return false;
    let confirm = position;
    for (const hold of state.holds.values()) if (hold < confirm) confirm = hold;
    state.stream?.confirmFlush(confirm);
    return true;
  }

  /** After a flush whose COMMIT failed: did it commit? Then finish it; if not, its chunks are kept. */
  async resolveUncertainFlush(): Promise<void> {
    const state = this.#state;
    const flush = state.uncertainFlush;
    if (!flush) return;
    const relid = flush.parts[0]?.relid;
    let committed = false;
    if (relid !== undefined) {
      const { rows } = await state.catalog.query<{ done: boolean }>(
        'SELECT synced_lsn >= $2::pg_lsn AS done FROM analytica.tables WHERE relid = $1',
        [relid, formatLsn(flush.applied)],
      );
      committed = rows[0]?.done === true;
    }
    state.uncertainFlush = undefined;
    state.log.warn('the outcome of a flush was unknown', { committed, lsn: formatLsn(flush.applied) });
    if (committed) await this.#afterFlush(flush);
  }

  /** A committed flush: chunks go, watermarks move, the slot is told, the delta is pruned. */
  async #afterFlush(flush: FinishedFlush): Promise<void> {
    const state = this.#state;
    const { applied, streaming, parts } = flush;
    state.publishedPosition = applied;
    if (parts.some((p) => p.truncatedSeq !== null)) state.retiredSegments++;
    for (const table of streaming) {
      if (applied > table.watermark) table.watermark = applied;
      await table.clearCommitted();
    }
    state.flushed = applied;
    let confirm = applied;
    for (const hold of state.holds.values()) if (hold < confirm) confirm = hold;
    state.stream?.confirmFlush(confirm);
    const wasRequired = state.flushRequired;
    state.flushRequired = false;
    // Tables being copied are not flushed: what could not go into their delta goes now.
    for (const table of state.tables.values()) {
      for (const files of table.unloaded.splice(0)) await this.#loader.load(table, files);
    }
    await state.options.delta.commit();
    // Changes that reached the segments without passing through the delta: a view older than
    // this flush would miss them, so none may be taken any more. Said before any waiting query
    // is released, so that none of them makes such a view while the deltas are pruned.
    if (wasRequired)
      for (const table of streaming) state.options.delta.refuseViewsBelow(state.deltaKey(table), applied);
    state.position.advance(applied);
    for (const table of streaming) {
      const key = state.deltaKey(table);
      const inUse = state.options.lowestWatermarkInUse(table.relid, table.generation);
      await state.options.delta.prune(key, inUse !== undefined && inUse < applied ? inUse : applied);
    }
    if (flush.written > 0 && state.options.activity) state.options.activity.flushes++;
    this.#logFlush(flush);
    await state.clearStreamError();
    state.deltaBytes = 0;
    state.pendingChanges = 0;
    state.lastFlushAt = Date.now();
  }

  #logFlush({ applied, changes, written, started }: FinishedFlush): void {
    if (this.#state.pendingChanges === 0) return;
    this.#state.log.debug('flushed streamed changes', {
      changes,
      segments: written,
      lsn: formatLsn(applied),
      ms: Math.round(performance.now() - started),
    });
  }

  async #writeSegment(
    table: StreamedTable,
    kind: 'data' | 'delete',
    segmentId: number,
    files: readonly string[],
    columns: readonly IngestColumn[],
  ): Promise<catalog.NewSegment> {
    const { dataDir, database, writer, inFlight } = this.#state.options;
    const relative = segmentRelativePath(database, table.relid, segmentId);
    inFlight.add(relative);
    const orderBy = kind === 'data' ? table.storedOrderBy : table.keyColumns.map((k) => table.storedName(k));
    const target = path.join(dataDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    const result = await writer.write(files, columns, orderBy, target).catch((error: unknown) => {
      inFlight.delete(relative);
      throw new SegmentWriteError(error);
    });
    return {
      segmentId,
      relid: table.relid,
      generation: table.generation,
      kind,
      path: relative,
      rowCount: result.rowCount,
      byteSize: result.byteSize,
      columnStats: result.columnStats,
    };
  }
}

/** The data of one table could not be written as a segment (not a failure of the catalog). */
class SegmentWriteError extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
  }
}

/** Consecutive row chunks written with the same columns, as one file list each. */
function groupByColumns(
  chunks: readonly RowChunk[],
): { columns: readonly IngestColumn[]; files: string[] }[] {
  const groups: { columns: readonly IngestColumn[]; files: string[] }[] = [];
  for (const chunk of chunks) {
    const last = groups.at(-1);
    if (last && last.columns === chunk.columns) last.files.push(chunk.file);
    else groups.push({ columns: chunk.columns, files: [chunk.file] });
  }
  return groups;
}
