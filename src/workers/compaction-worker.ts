/**
 * The compaction worker of one database: every naptime (and at once on
 * analytica.compact_now) it merges each table's small segments into large
 * sorted ones and rewrites segments without their deleted rows, following
 * compaction-plan.ts. It has its own catalog connection and its own DuckDB
 * instance, so it never holds up the copy, the stream or a query:
 *
 * 1. the merged segment is written and fsynced while nothing is locked;
 * 2. one catalog transaction replaces the merged segments by it (swapSegments),
 *    only if they are all still there, so a concurrent refresh or TRUNCATE wins;
 * 3. garbage collection removes the replaced files once no running query can
 *    read them any more (queries pin the files of the views they read).
 *
 * A crash anywhere leaves either the old segments or the new one in the
 * catalog, and an unreferenced file that the next collection removes.
 */
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { allSegmentPaths, nextSegmentId, registeredRelids } from '../catalog/catalog.js';
import type { CatalogSegment, CompactionCandidate } from '../catalog/compaction.js';
import * as compaction from '../catalog/compaction.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { storedName } from '../source/column-types.js';
import { parseLsn } from '../source/pgoutput/index.js';
import { sourceClient } from '../source/source-config.js';
import { collectGarbage } from '../storage/garbage-collector.js';
import { type MergeInput, SegmentMerger, type StreamedLayout } from '../storage/segment-merger.js';
import { scratchDirectory, segmentRelativePath } from '../storage/segment-paths.js';
import type { WrittenSegment } from '../storage/segment-writer.js';
import { type CompactionPolicy, deletesWorthMeasuring, planCompaction } from './compaction-plan.js';
import type { WorkerActivity } from './worker-activity.js';

export interface CompactionWorkerOptions extends CompactionPolicy {
  database: string;
  sourceConfig: pg.ClientConfig;
  dataDir: string;
  naptimeMs: number;
  threads: number;
  memoryLimit: string;
  /** Files being written (shared with the launcher): garbage collection keeps them. */
  inFlight: Set<string>;
  /** Files running queries may still read. */
  pinnedPaths: () => ReadonlySet<string>;
  log: Logger;
  /** Counts compactions (for the metrics endpoint). */
  activity?: WorkerActivity;
}

/** What one pass did to one table. */
export interface TableCompaction {
  relid: number;
  mergedSegments: number;
  writtenSegments: number;
  /** Swaps given up because the segments changed meanwhile (retried on a later pass). */
  conflicts: number;
  deleteSegmentsBefore: number;
  deleteSegmentsAfter: number;
}

export class CompactionWorker {
  readonly #options: CompactionWorkerOptions;
  #client: pg.Client;
  readonly #merger: SegmentMerger;
  #broken = false;
  /** Replaced files still read by a query: collected on a later pass. */
  #collectionDeferred = false;
  #wake: (() => void) | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;

  private constructor(options: CompactionWorkerOptions, client: pg.Client, merger: SegmentMerger) {
    this.#options = options;
    this.#client = client;
    this.#merger = merger;
  }

  /** Connects and starts the loop (unless `loop` is false: tests call runOnce). */
  static async start(options: CompactionWorkerOptions, loop = true): Promise<CompactionWorker> {
    const merger = await SegmentMerger.create({
      threads: options.threads,
      memoryLimit: options.memoryLimit,
      spillDirectory: path.join(scratchDirectory(options.dataDir, options.database), 'compaction'),
    });
    const client = await CompactionWorker.#connect(options).catch((error: unknown) => {
      merger.close();
      throw error;
    });
    const worker = new CompactionWorker(options, client, merger);
    worker.#watch(client);
    if (loop) worker.#loop = worker.#run();
    return worker;
  }

  static async #connect(options: CompactionWorkerOptions): Promise<pg.Client> {
    const client = sourceClient(options.sourceConfig, 'pg_analytica compaction');
    try {
      await client.connect();
      await client.query('LISTEN analytica');
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** A lost connection is replaced at the next pass; compact_now wakes the loop. */
  #watch(client: pg.Client): void {
    const broken = (error?: Error) => {
      this.#broken = true;
      if (error) this.#options.log.error('compaction connection failed', { error: errorMessage(error) });
    };
    client.on('error', broken);
    client.on('end', () => broken());
    client.on('notification', (message) => {
      if (message.payload?.startsWith('compact ')) this.#wake?.();
    });
  }

  /** One pass over every table; returns what it did to the tables it compacted. */
  async runOnce(): Promise<TableCompaction[]> {
    const done: TableCompaction[] = [];
    for (const table of await compaction.listCompactionCandidates(this.#client)) {
      if (this.#closed) break;
      try {
        const result = await this.#compactTable(table);
        if (result) done.push(result);
        if (result && result.writtenSegments + result.mergedSegments > 0 && this.#options.activity)
          this.#options.activity.compactions++;
        if (table.compactRequestedAt)
          await compaction.finishCompactionRequest(this.#client, table.relid, table.compactRequestedAt);
      } catch (error) {
        this.#options.log.error('compaction failed', {
          table: `${table.schemaName}.${table.tableName}`,
          error: errorMessage(error),
        });
      }
    }
    if (done.length > 0 || this.#collectionDeferred) await this.#collectGarbage();
    return done;
  }

  async #compactTable(table: CompactionCandidate): Promise<TableCompaction | undefined> {
    const forced = table.compactRequestedAt !== null;
    const stream = streamedLayout(table);
    const data = table.segments.filter((s) => s.kind === 'data');
    const deletes = stream ? table.segments.filter((s) => s.kind === 'delete') : [];
    const deadRows =
      stream && deletesWorthMeasuring(data, deletes, this.#options, forced)
        ? await this.#deadRows(data, deletes, stream)
        : new Map<string, number>();
    const plan = planCompaction({ data, deletes, deadRows, forced }, this.#options);
    if (plan.pieces.length === 0 && !plan.consolidateDeletes) return undefined;
    const started = performance.now();
    const result: TableCompaction = {
      relid: table.relid,
      mergedSegments: 0,
      writtenSegments: 0,
      conflicts: 0,
      deleteSegmentsBefore: deletes.length,
      deleteSegmentsAfter: deletes.length,
    };
    const input = { columns: liveColumns(table), orderBy: storedOrderBy(table), stream };
    const deletePaths = deletes.map((s) => this.#absolute(s.path));
    const written = new Set<number>();
    for (const piece of plan.pieces) {
      if (this.#closed) return result;
      const merged = { ...input, inputs: piece.map((s) => this.#absolute(s.path)), deletes: deletePaths };
      const segmentId = await this.#replace(
        table,
        piece,
        (target) => this.#merger.merge(merged, target),
        'data',
      );
      if (segmentId === false) {
        result.conflicts++;
        continue;
      }
      if (segmentId !== undefined) written.add(segmentId);
      result.mergedSegments += piece.length;
      result.writtenSegments += segmentId === undefined ? 0 : 1;
    }
    if (plan.consolidateDeletes && stream && !this.#closed) {
      result.deleteSegmentsAfter = await this.#consolidateDeletes(table, deletes, written, stream);
    }
    this.#options.log.info('compacted', {
      table: `${table.schemaName}.${table.tableName}`,
      merged: result.mergedSegments,
      written: result.writtenSegments,
      deleteSegments: `${result.deleteSegmentsBefore} → ${result.deleteSegmentsAfter}`,
      conflicts: result.conflicts,
      ms: Math.round(performance.now() - started),
    });
    return result;
  }

  async #deadRows(
    data: readonly CatalogSegment[],
    deletes: readonly CatalogSegment[],
    stream: StreamedLayout,
  ): Promise<Map<string, number>> {
    const byFile = await this.#merger.deadRows(
      data.map((s) => this.#absolute(s.path)),
      deletes.map((s) => this.#absolute(s.path)),
      stream,
    );
    return new Map(data.map((s) => [s.path, byFile.get(this.#absolute(s.path)) ?? 0]));
  }

  /**
   * Merges the delete segments into one holding only deletes that still hide a version in a
   * data segment they were not applied to: every data segment now visible except the ones
   * this pass wrote (those had all of `deletes` applied). Returns the delete segments left.
   */
  async #consolidateDeletes(
    table: CompactionCandidate,
    deletes: readonly CatalogSegment[],
    written: ReadonlySet<number>,
    stream: StreamedLayout,
  ): Promise<number> {
    const now = (await compaction.listCompactionCandidates(this.#client)).find(
      (t) => t.relid === table.relid,
    );
    if (!now || now.generation !== table.generation) return deletes.length;
    const remaining = now.segments.filter((s) => s.kind === 'data' && !written.has(s.segmentId));
    const outcome = await this.#replace(
      table,
      deletes,
      (target) =>
        this.#merger.consolidateDeletes(
          deletes.map((s) => this.#absolute(s.path)),
          remaining.map((s) => this.#absolute(s.path)),
          stream,
          target,
        ),
      'delete',
    );
    const others = now.segments.filter((s) => s.kind === 'delete').length - deletes.length;
    if (outcome === false) return now.segments.filter((s) => s.kind === 'delete').length;
    return others + (outcome === undefined ? 0 : 1);
  }

  /**
   * Writes the replacement of `old` with `write` and swaps it in. Returns its segment id,
   * undefined when nothing was left to write (the old segments are dropped), or false when
   * the swap lost to a concurrent change (the new file is removed).
   */
  async #replace(
    table: CompactionCandidate,
    old: readonly CatalogSegment[],
    write: (target: string) => Promise<WrittenSegment | undefined>,
    kind: 'data' | 'delete',
  ): Promise<number | undefined | false> {
    const segmentId = await nextSegmentId(this.#client);
    const relative = segmentRelativePath(this.#options.database, table.relid, segmentId);
    const target = this.#absolute(relative);
    this.#options.inFlight.add(relative);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      const written = await write(target);
      const added =
        written === undefined || written.rowCount === 0
          ? []
          : [
              {
                segmentId,
                relid: table.relid,
                generation: table.generation,
                kind,
                path: relative,
                ...written,
              },
            ];
      const swapped = await compaction.swapSegments(this.#client, {
        relid: table.relid,
        generation: table.generation,
        removed: old.map((s) => s.segmentId),
        added,
      });
      if (!swapped) {
        await unlink(target).catch(() => undefined);
        return false;
      }
      return added.length > 0 ? segmentId : undefined;
    } finally {
      this.#options.inFlight.delete(relative);
    }
  }

  #absolute(relative: string): string {
    return path.join(this.#options.dataDir, relative);
  }

  async #collectGarbage(): Promise<void> {
    const { removed, deferred } = await collectGarbage({
      dataDir: this.#options.dataDir,
      database: this.#options.database,
      referenced: () => allSegmentPaths(this.#client),
      registered: () => registeredRelids(this.#client),
      inFlight: () => new Set(this.#options.inFlight),
      pinned: this.#options.pinnedPaths,
    });
    this.#collectionDeferred = deferred.length > 0;
    if (removed.length > 0) this.#options.log.debug('removed compacted files', { count: removed.length });
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        if (this.#broken) {
          await this.#client.end().catch(() => undefined);
          this.#client = await CompactionWorker.#connect(this.#options);
          this.#broken = false;
          this.#watch(this.#client);
        }
        await this.runOnce();
      } catch (error) {
        if (this.#closed) break;
        this.#options.log.error('compaction pass failed', { error: errorMessage(error) });
      }
      // Woken early (close, a request), the nap's timer goes too: a long naptime must not keep
      // the process alive after the daemon closed.
      await new Promise<void>((resolve) => {
        const nap = setTimeout(resolve, this.#options.naptimeMs);
        this.#wake = () => {
          clearTimeout(nap);
          resolve();
        };
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    await this.#loop;
    this.#merger.close();
    await this.#client.end().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Streamed tables' segments carry sequences and have delete segments; the others do not. */
function streamedLayout(table: CompactionCandidate): StreamedLayout | undefined {
  if (table.mode !== 'stream' || !table.keyColumns) return undefined;
  const stored = (name: string) => {
    const spec = table.columns.find((c) => c.name === name && !c.dropped);
    return spec ? storedName(spec) : name;
  };
  return {
    keyColumns: table.keyColumns.map(stored),
    truncatedSeq: table.truncatedSeq ? parseLsn(table.truncatedSeq) : 0n,
  };
}

function liveColumns(table: CompactionCandidate): MergeInput['columns'] {
  return table.columns
    .filter((c) => !c.dropped)
    .map((c) => ({ name: storedName(c), storageType: c.storageType }));
}

function storedOrderBy(table: CompactionCandidate): string[] {
  return table.orderBy.map((name) => {
    const spec = table.columns.find((c) => c.name === name && !c.dropped);
    return spec ? storedName(spec) : name;
  });
}
