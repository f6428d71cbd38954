/**
 * The change stream of one database: one logical replication slot on the
 * publication pg_analytica, decoded (pgoutput protocol 1, no streaming of
 * transactions in progress: PostgreSQL spills large transactions to its own
 * disk and sends only committed ones, which are all this worker can show
 * anyway), applied to the delta and flushed to segments.
 *
 * Apply: each source transaction's changes become COPY-text chunk files per
 * table (bounded: chunks spill every `chunkBytes`), loaded into the delta
 * inside one DuckDB transaction that commits at a source commit, so a query
 * never sees part of a transaction. If the delta grows past `maxDeltaBytes`
 * inside one transaction, the DuckDB transaction is rolled back and the
 * changes reach queries through the flush at its commit instead.
 *
 * Exactly once: a flush writes the committed chunks as segments (fsynced),
 * then commits their catalog rows and every streamed table's watermark in one
 * transaction, and only then confirms the position to the slot. After a
 * restart the slot sends again from its confirmed position, and a transaction
 * whose commit record starts below a table's watermark is skipped for it.
 *
 * Handoff: a table being copied is registered here first (`beginHandoff`);
 * changes for it wait until the copy's temporary slot gives its consistent
 * point, then transactions committing from that point on are applied to the
 * new generation (the copy holds everything before it), and the slot is not
 * confirmed past where the stream stood when the copy began, so a crash in
 * the middle loses nothing.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { TableEntry } from '../catalog/catalog.js';
import * as catalog from '../catalog/catalog.js';
import { errorMessage, PgError, SqlState } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeltaKey, DeltaStore } from '../query/delta-store.js';
import { type ColumnSpec, columnSpec, type IngestColumn, ingestColumn } from '../source/column-types.js';
import { replicationOutputSettings } from '../source/output-text.js';
import {
  formatLsn,
  PgoutputDecoder,
  type PgoutputMessage,
  parseLsn,
  RelationCache,
  type RelationMessage,
} from '../source/pgoutput/index.js';
import { ReplicationConnection } from '../source/replication/replication-connection.js';
import type { ReplicationStream } from '../source/replication/replication-stream.js';
import { sourceClient } from '../source/source-config.js';
import { readSourceTable } from '../source/table-schema.js';
import { scratchDirectory, segmentRelativePath } from '../storage/segment-paths.js';
import type { SegmentWriter } from '../storage/segment-writer.js';
import { AppliedPosition } from './applied-position.js';
import { type RowChunk, type SpilledChunks, StreamedTable } from './streamed-table.js';

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
}

export const publicationName = 'pg_analytica';
/** Bytes of COPY text buffered per table before they are spilled to a chunk file. */
const chunkBytes = 4 * 1024 * 1024;
/** Longest a committed transaction waits in memory before the delta shows it (unless a query waits). */
const boundaryIntervalMs = 100;
/** WAL the watermark may trail the stream by before an otherwise empty flush moves it. */
const idleFlushBytes = 16n * 1024n * 1024n;

interface SourceTransaction {
  finalLsn: bigint;
  commitTimeMicros: bigint;
  /** Below the stream's received position: sent again after a reconnect, already applied. */
  skip: boolean;
  touched: Set<StreamedTable>;
}

/** What a flush wrote, for the work after its commit. */
interface FinishedFlush {
  applied: bigint;
  streaming: StreamedTable[];
  parts: catalog.StreamedTableFlush[];
  written: number;
  changes: number;
  started: number;
}

export interface Handoff {
  /** The copy's snapshot is taken: transactions committing at or after `lsn` are the stream's. */
  established(lsn: bigint): void;
  /** The copy is visible: the table streams into its new generation. */
  published(): Promise<void>;
  /** The copy failed: the table waits for the next one. */
  failed(): Promise<void>;
}

export class StreamWorker {
  readonly #options: StreamWorkerOptions;
  readonly #log: Logger;
  readonly position: AppliedPosition;
  readonly slotName: string;
  /** Catalog connection (flushes, slot checks); replaced after it fails. */
  #catalogClient: pg.Client;
  #catalogBroken = false;
  readonly #scratch: string;
  readonly #tables = new Map<number, StreamedTable>();
  /** Per table being copied: the received position when the copy began (the slot stays at or below it). */
  readonly #holds = new Map<number, bigint>();
  #connection: ReplicationConnection | undefined;
  #stream: ReplicationStream | undefined;
  #relations = new RelationCache();
  #decoder = new PgoutputDecoder();
  #tx: SourceTransaction | undefined;
  /** Every transaction whose commit record starts below this was processed (applied, skipped or filtered). */
  #received = 0n;
  #flushed = 0n;
  #lastCommit: { lsn: bigint; atMicros: bigint } | undefined;
  /** Committed changes are in chunk files but not in the delta: only a flush shows them. */
  #flushRequired = false;
  #deltaBytes = 0;
  #pendingChanges = 0;
  #lastFlushAt = Date.now();
  #lastBoundaryAt = 0;
  /** A flush whose COMMIT failed: it may or may not have committed. */
  #uncertainFlush: FinishedFlush | undefined;
  #lastRetentionCheckAt = 0;
  #lastKeepaliveRequestAt = 0;
  #publishedPosition = 0n;
  /** Flushes that retired segments (a TRUNCATE): their files wait for garbage collection. */
  retiredSegments = 0;
  #closed = false;
  #loop: Promise<void> | undefined;

  private constructor(options: StreamWorkerOptions, catalogClient: pg.Client, slotName: string) {
    this.#options = options;
    this.#log = options.log;
    this.#catalogClient = catalogClient;
    this.#watchCatalog(catalogClient);
    this.slotName = slotName;
    this.#scratch = path.join(scratchDirectory(options.dataDir, options.database), 'stream');
    this.position = new AppliedPosition(() => this.requestKeepalive());
  }

  /**
   * Connects, makes sure the slot exists, takes over the tables already copied (before the first
   * change arrives: a change of a table not yet known would be skipped), and starts streaming.
   */
  static async start(options: StreamWorkerOptions): Promise<StreamWorker> {
    const client = sourceClient(options.sourceConfig, 'pg_analytica stream');
    client.on('error', (error) =>
      options.log.warn('stream catalog connection failed', { error: error.message }),
    );
    await client.connect();
    try {
      const { rows } = await client.query<{ oid: string }>(
        'SELECT oid::bigint AS oid FROM pg_database WHERE datname = current_database()',
      );
      const worker = new StreamWorker(options, client, `pg_analytica_${rows[0]!.oid}`);
      await rm(worker.#scratch, { recursive: true, force: true });
      await mkdir(worker.#scratch, { recursive: true });
      await worker.#ensureSlot();
      // What the delta held died with the previous process: wait_for_sync must not trust it.
      await catalog.resetStreamPosition(client, worker.slotName);
      await worker.syncTables(await catalog.listTables(client));
      worker.#loop = worker.#run();
      return worker;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  #watchCatalog(client: pg.Client): void {
    client.on('error', (error) => {
      this.#catalogBroken = true;
      this.#log.warn('stream catalog connection failed', { error: error.message });
    });
    client.on('end', () => {
      this.#catalogBroken = true;
    });
  }

  get #catalog(): pg.Client {
    return this.#catalogClient;
  }

  /** After a lost connection (server restart, terminated backend): a new one. */
  async #reconnectCatalog(): Promise<void> {
    await this.#catalogClient.end().catch(() => undefined);
    const client = await connectCatalog(this.#options.sourceConfig);
    this.#catalogClient = client;
    this.#catalogBroken = false;
    this.#watchCatalog(client);
  }

  /** Creates the slot if missing; streamed tables copied before it existed must then be copied again. */
  async #ensureSlot(): Promise<void> {
    const { rows } = await this.#catalog.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
      this.slotName,
    ]);
    if (rows.length > 0) return;
    await using connection = await ReplicationConnection.open(this.#options.sourceConfig);
    const slot = await connection.createReplicationSlot(this.slotName);
    this.#log.info('created replication slot', { slot: this.slotName, lsn: formatLsn(slot.consistentPoint) });
    const { rowCount } = await this.#catalog.query(
      `UPDATE analytica.tables SET state = 'pending', last_error = 'the replication slot was missing; copying again'
        WHERE mode = 'stream' AND generation > 0`,
    );
    if (rowCount)
      this.#log.warn('replication slot was missing: streamed tables are copied again', { tables: rowCount });
  }

  /** Brings the set of streamed tables in line with the catalog (called on every launcher pass). */
  async syncTables(entries: readonly TableEntry[]): Promise<void> {
    const streamed = new Map(entries.filter((e) => e.mode === 'stream').map((e) => [e.relid, e]));
    for (const [relid, table] of this.#tables) {
      const entry = streamed.get(relid);
      if (!entry?.sourceExists) await this.#forget(table);
    }
    for (const entry of streamed.values()) {
      if (this.#tables.has(entry.relid) || !entry.sourceExists) continue;
      if (entry.generation === 0 || entry.state !== 'synced' || !entry.columns) continue;
      await this.#adopt(entry);
    }
  }

  /**
   * A table copied before this worker started: stream it from its watermark, with the columns of
   * the copy (a column added since shows up in the stream and is followed there).
   */
  async #adopt(entry: TableEntry): Promise<void> {
    const source = await readSourceTable(this.#catalog, entry.relid);
    const specs = entry.columns ?? [];
    const live = specs.filter((c) => !c.dropped);
    const columns = live.map((spec) => {
      const column = source.columns.find(
        (c) => c.name === spec.name && c.typeOid === spec.pgTypeOid && c.typeModifier === spec.pgTypeModifier,
      );
      return column ? ingestColumn(column) : undefined;
    });
    const found = columns.filter((c): c is IngestColumn => c !== undefined);
    const table = new StreamedTable(
      entry,
      found.length === live.length ? found : source.columns.map(ingestColumn),
      'streaming',
      entry.generation,
      parseLsn(entry.syncedLsn ?? '0/0'),
      specs,
    );
    table.droppedAttributes = await this.#droppedAttributes(entry.relid);
    this.#tables.set(entry.relid, table);
    await this.#leaveDeltaTransaction();
    await this.#options.delta.ensure(this.#deltaKey(table), table.specs, table.keyColumns);
    if (found.length !== live.length || !sameColumns(found.map(columnSpec), live)) {
      await this.#stop(table, `the columns of ${table.name} changed while the daemon was not running`);
    }
  }

  async #droppedAttributes(relid: number): Promise<number> {
    const { rows } = await this.#catalog.query<{ n: string }>(
      'SELECT count(*) AS n FROM pg_attribute WHERE attrelid = $1 AND attisdropped',
      [relid],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * The delta's tables are created and dropped outside its open DuckDB transaction (a rollback
   * would undo them): what that transaction held is shown by the next flush instead.
   */
  async #leaveDeltaTransaction(): Promise<void> {
    if (!this.#options.delta.inTransaction) return;
    await this.#options.delta.rollback();
    this.#flushRequired = true;
  }

  async #forget(table: StreamedTable): Promise<void> {
    this.#tables.delete(table.relid);
    this.#holds.delete(table.relid);
    this.#tx?.touched.delete(table);
    await table.abortOpen();
    await table.clearCommitted();
    await this.#leaveDeltaTransaction();
    for (const key of this.#options.delta.keysOf(this.#options.database)) {
      if (key.relid === table.relid) await this.#options.delta.drop(key);
    }
  }

  /** Registers a table about to be copied; see Handoff. */
  async beginHandoff(entry: TableEntry, columns: readonly IngestColumn[]): Promise<Handoff> {
    const previous = this.#tables.get(entry.relid);
    if (previous) await this.#forget(previous);
    const table = new StreamedTable(entry, columns, 'establishing', entry.generation + 1, 0n);
    let establish: () => void = () => undefined;
    table.established = new Promise<void>((resolve) => {
      establish = resolve;
    });
    table.droppedAttributes = await this.#droppedAttributes(entry.relid);
    this.#tables.set(entry.relid, table);
    this.#holds.set(entry.relid, this.#received);
    await this.#leaveDeltaTransaction();
    await this.#options.delta.ensure(this.#deltaKey(table), table.specs, table.keyColumns);
    return {
      established: (lsn) => {
        table.watermark = lsn;
        table.phase = 'copying';
        establish();
      },
      published: async () => {
        if (this.#tables.get(entry.relid) !== table) return;
        this.#holds.delete(entry.relid);
        if (table.phase === 'stopped') {
          // It stopped during the copy: the publication cleared the error; say it again.
          await this.#stop(table, table.stopReason ?? 'the stream could not follow it during the copy');
          return;
        }
        table.phase = 'streaming';
        await this.#leaveDeltaTransaction();
        for (const key of this.#options.delta.keysOf(this.#options.database)) {
          if (key.relid === entry.relid && key.generation < table.generation)
            await this.#options.delta.drop(key);
        }
      },
      failed: async () => {
        if (this.#tables.get(entry.relid) !== table) return;
        table.phase = 'stopped';
        establish();
        await this.#forget(table);
      },
    };
  }

  /** Asks the server where the stream stands (it answers with a keepalive), at most every 10 ms. */
  requestKeepalive(): void {
    const now = Date.now();
    if (now - this.#lastKeepaliveRequestAt < 10) return;
    this.#lastKeepaliveRequestAt = now;
    this.#stream?.sendStatusUpdate(true);
  }

  /** Writes the applied position for analytica.wait_for_sync (called while sessions wait in it). */
  async publishPosition(): Promise<void> {
    this.requestKeepalive();
    const lsn = this.position.lsn;
    if (lsn <= this.#publishedPosition) return;
    this.#publishedPosition = lsn;
    await catalog.recordStreamPosition(this.#catalog, {
      slotName: this.slotName,
      appliedLsn: formatLsn(lsn),
      lastCommitLsn: this.#lastCommit ? formatLsn(this.#lastCommit.lsn) : null,
      lastCommitAt: this.#lastCommit ? microsToDate(this.#lastCommit.atMicros) : null,
    });
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closed) {
      try {
        if (this.#catalogBroken) await this.#reconnectCatalog();
        await this.#resolveUncertainFlush();
        await this.#startStream();
        failures = 0;
        await this.#consume(this.#stream!);
      } catch (error) {
        if (this.#closed) break;
        failures++;
        const delayMs = Math.min(5000, 100 * 2 ** Math.min(failures, 6));
        this.#log.warn('change stream interrupted; reconnecting', {
          error: errorMessage(error),
          retryInMs: delayMs,
        });
        await this.#afterLostStream();
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async #startStream(): Promise<void> {
    this.#relations = new RelationCache();
    this.#decoder = new PgoutputDecoder();
    const connection = await ReplicationConnection.open(
      { ...this.#options.sourceConfig, application_name: 'pg_analytica stream' },
      { settings: replicationOutputSettings },
    );
    try {
      this.#stream = await connection.startReplication({
        slot: this.slotName,
        startLsn: 0n,
        protoVersion: 1,
        publicationNames: [publicationName],
      });
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.#connection = connection;
    this.#log.info('change stream started', { slot: this.slotName });
  }

  /** A cut-off transaction is dropped whole; what the delta lost is shown by the next flush. */
  async #afterLostStream(): Promise<void> {
    if (this.#tx) for (const table of this.#tx.touched) await table.abortOpen();
    this.#tx = undefined;
    if (this.#options.delta.inTransaction) {
      await this.#options.delta.rollback();
      this.#flushRequired = true;
    }
    await this.#connection?.close().catch(() => undefined);
    this.#connection = undefined;
    this.#stream = undefined;
  }

  async #consume(stream: ReplicationStream): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const next = stream.next();
      let result: IteratorResult<Awaited<ReturnType<ReplicationStream['next']>>['value']> | 'tick';
      if (stream.bufferedBytes > 0) result = await next;
      else {
        let timer: NodeJS.Timeout | undefined;
        const tick = new Promise<'tick'>((resolve) => {
          timer = setTimeout(() => resolve('tick'), Math.max(10, this.#options.naptimeMs / 4));
        });
        result = await Promise.race([next, tick]);
        clearTimeout(timer);
        while (result === 'tick') {
          await this.#maybeFlushWhileIdle();
          if (this.#closed) return;
          timer = undefined;
          const again = new Promise<'tick'>((resolve) => {
            timer = setTimeout(() => resolve('tick'), Math.max(10, this.#options.naptimeMs / 4));
          });
          result = await Promise.race([next, again]);
          clearTimeout(timer);
        }
      }
      if (result.done) {
        throw new PgError(SqlState.connectionFailure, 'the replication stream ended');
      }
      const message = result.value;
      if (message.kind === 'keepalive') await this.#onKeepalive(message.walEnd);
      else await this.#onChange(message.walStart, this.#decoder.decode(message.payload));
    }
  }

  async #onKeepalive(walEnd: bigint): Promise<void> {
    if (this.#tx) return;
    if (walEnd > this.#received) this.#received = walEnd;
    if (
      this.position.wouldRelease(this.#received) ||
      Date.now() - this.#lastBoundaryAt >= boundaryIntervalMs
    ) {
      await this.#atBoundary(true);
    }
  }

  async #onChange(lsn: bigint, message: PgoutputMessage): Promise<void> {
    if (this.#relations.observe(message)) return;
    switch (message.type) {
      case 'begin':
        this.#tx = {
          finalLsn: message.finalLsn,
          commitTimeMicros: message.commitTimeMicros,
          skip: message.finalLsn < this.#received,
          touched: new Set(),
        };
        return;
      case 'commit':
        await this.#onCommit(message.endLsn);
        return;
      case 'insert': {
        const table = await this.#target(message.relationId);
        if (table) await this.#apply(table, () => table.insert(message.newTuple, lsn, this.#tx!.finalLsn));
        return;
      }
      case 'update': {
        const table = await this.#target(message.relationId);
        if (table) {
          await this.#apply(table, () =>
            table.update(
              message.oldTuple,
              message.oldKind === 'full',
              message.newTuple,
              lsn,
              this.#tx!.finalLsn,
            ),
          );
        }
        return;
      }
      case 'delete': {
        const table = await this.#target(message.relationId);
        if (table) await this.#apply(table, () => table.delete(message.oldTuple, lsn, this.#tx!.finalLsn));
        return;
      }
      case 'truncate':
        for (const relationId of message.relationIds) {
          const table = await this.#target(relationId, false);
          table?.truncate(lsn);
        }
        return;
      case 'message':
      case 'origin':
        return;
      default:
        throw new PgError(
          SqlState.protocolViolation,
          `unexpected pgoutput message "${message.type}" in protocol 1`,
        );
    }
  }

  /** The table a change applies to, or undefined when it is skipped. */
  async #target(relationId: number, checkSchema = true): Promise<StreamedTable | undefined> {
    const tx = this.#tx;
    if (!tx) throw new PgError(SqlState.protocolViolation, 'a change arrived outside a transaction');
    if (tx.skip) return undefined;
    let table = this.#tables.get(relationId);
    if (table?.phase === 'establishing') {
      await table.established;
      table = this.#tables.get(relationId);
    }
    if (!table || table.phase === 'stopped' || tx.finalLsn < table.watermark) return undefined;
    if (checkSchema) {
      const relation = this.#relations.require(relationId);
      if (!table.matches(relation)) {
        // A column dropped and added again can look unchanged, or like a rename: count the drops.
        const dropped = await this.#droppedAttributes(table.relid);
        const columnsDropped = dropped > table.droppedAttributes;
        const mismatch = table.schemaMismatch(relation);
        const reason = mismatch
          ? await this.#evolve(table, relation, columnsDropped)
          : columnsDropped
            ? 'a column was dropped and added again'
            : null;
        if (reason) {
          await this.#stop(table, `${mismatch ?? `the columns of ${table.name} changed`}: ${reason}`);
          return undefined;
        }
        table.droppedAttributes = dropped;
      }
    }
    tx.touched.add(table);
    return table;
  }

  /**
   * Applies one change to a table. A value the copy cannot store (or an update without a value
   * it needs) stops that table's stream with the reason; the other tables go on.
   */
  async #apply(table: StreamedTable, change: () => void): Promise<void> {
    try {
      change();
    } catch (error) {
      if (!(error instanceof PgError)) throw error;
      this.#tx?.touched.delete(table);
      await table.abortOpen();
      await this.#stop(table, error.message + (error.hint ? ` (${error.hint})` : ''));
      return;
    }
    await this.#afterChange(table);
  }

  async #afterChange(table: StreamedTable): Promise<void> {
    this.#pendingChanges++;
    if (table.openBytes >= chunkBytes) {
      // A large transaction: its changes so far go to a chunk file and into the open DuckDB transaction.
      const files = await table.spillOpen(this.#scratch);
      await this.#load(table, files);
    }
  }

  /** Loads chunk files into the delta's DuckDB transaction, unless only a flush can show them now. */
  async #load(table: StreamedTable, files: SpilledChunks): Promise<void> {
    if (table.phase === 'stopped') return;
    if (this.#flushRequired) {
      // Shown by the next flush; a table being copied is not flushed, so its delta gets them then.
      if (table.phase !== 'streaming') table.unloaded.push(files);
      return;
    }
    const delta = this.#options.delta;
    await delta.begin();
    const key = this.#deltaKey(table);
    try {
      if (files.rows) await delta.load(key, 'rows', files.rows, table.rowColumns);
      if (files.deletes) await delta.load(key, 'deletes', files.deletes, table.deleteColumns);
      if (files.truncate) await delta.insertTruncate(key, files.truncate.seq, files.truncate.commit);
    } catch (error) {
      // A value the engine cannot take (NaN in a numeric(p,s), say): this table stops, and the
      // aborted DuckDB transaction's other changes are shown by the next flush.
      await delta.rollback();
      this.#flushRequired = true;
      await this.#stop(table, `a change could not be stored: ${errorMessage(error)}`);
      return;
    }
    this.#deltaBytes += files.bytes;
    if (this.#deltaBytes > this.#options.maxDeltaBytes) {
      // Too much for memory: drop the delta's uncommitted part; the flush at the next commit shows it.
      this.#log.info('delta full inside a transaction; it becomes visible through a flush at its commit');
      await delta.rollback();
      this.#flushRequired = true;
    }
  }

  /** Committed changes still in memory go to chunk files and into the delta. */
  async #materialize(): Promise<void> {
    for (const table of this.#tables.values()) {
      if (table.hasReady) await this.#load(table, await table.spillReady(this.#scratch));
    }
  }

  async #onCommit(endLsn: bigint): Promise<void> {
    const tx = this.#tx;
    if (!tx) throw new PgError(SqlState.protocolViolation, 'Commit without Begin');
    let readyBytes = 0;
    for (const table of tx.touched) {
      table.commitOpen(tx.finalLsn);
      readyBytes += table.readyBytes;
    }
    this.#tx = undefined;
    if (!tx.skip) {
      this.#received = endLsn;
      this.#lastCommit = { lsn: tx.finalLsn, atMicros: tx.commitTimeMicros };
    }
    // Small transactions are batched: made visible when a query waits for them, when enough
    // piled up, or every few milliseconds (bounding the latency a new query sees).
    const due =
      this.position.wouldRelease(this.#received) ||
      this.#flushRequired ||
      readyBytes >= chunkBytes ||
      this.#pendingChanges >= this.#options.chunkSize ||
      Date.now() - this.#lastBoundaryAt >= boundaryIntervalMs;
    if (due) await this.#atBoundary(false);
  }

  /** Between transactions: make what was received visible, and flush when it is time. */
  async #atBoundary(idle: boolean): Promise<void> {
    this.#lastBoundaryAt = Date.now();
    const due =
      this.#flushRequired ||
      this.#pendingChanges >= this.#options.chunkSize ||
      this.#deltaBytes >= this.#options.maxDeltaBytes ||
      (Date.now() - this.#lastFlushAt >= this.#options.naptimeMs &&
        (this.#hasPending() ||
          this.#received - this.#flushed > idleFlushBytes ||
          (idle && this.#flushed === 0n)));
    if (due) {
      await this.#flush();
      return;
    }
    await this.#materialize();
    await this.#options.delta.commit();
    this.position.advance(this.#received);
  }

  async #maybeFlushWhileIdle(): Promise<void> {
    if (this.#tx) return;
    if (this.position.waiting) this.requestKeepalive();
    await this.#atBoundary(true);
    await this.#checkRetention();
  }

  #hasPending(): boolean {
    for (const table of this.#tables.values())
      if (table.phase === 'streaming' && table.hasPending) return true;
    return false;
  }

  /**
   * Writes the committed changes of every streaming table as segments, then commits their rows
   * and the new watermark in one transaction, then confirms the slot.
   */
  async #flush(): Promise<void> {
    const started = performance.now();
    const applied = this.#received;
    const db = this.#catalog;
    await this.#materialize();
    await this.#options.delta.commit();
    const streaming = [...this.#tables.values()].filter((t) => t.phase === 'streaming');
    const written: catalog.NewSegment[] = [];
    const parts: catalog.StreamedTableFlush[] = [];
    let changes = 0;
    try {
      for (const table of streaming) {
        const chunks = table.committedChunks;
        const mine: catalog.NewSegment[] = [];
        try {
          // One data segment per set of columns the rows were written with (a schema change splits them);
          // after a schema change at least one segment has the new columns, so that reading by name finds them.
          const groups = groupByColumns(chunks.rows);
          if (table.schemaChanged && !groups.some((g) => sameColumns(g.columns, table.rowColumns))) {
            const empty = path.join(this.#scratch, `${table.relid}-empty.tsv`);
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
        } catch (error) {
          if (!(error instanceof SegmentWriteError)) throw error;
          // This table's changes cannot be written: it stops; the others are flushed.
          for (const segment of mine) this.#options.inFlight.delete(segment.path);
          await this.#stop(table, `its changes could not be written: ${errorMessage(error.cause)}`);
          continue;
        }
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
      await db.query('BEGIN');
      try {
        // Locks the rows: an unregister waits for this flush, and one that won leaves its table out.
        const { rows } = await db.query<{ relid: string }>(
          `SELECT relid::bigint AS relid FROM analytica.tables WHERE relid = ANY($1::oid[]) AND mode = 'stream' FOR UPDATE`,
          [parts.map((p) => p.relid)],
        );
        const present = new Set(rows.map((r) => Number(r.relid)));
        for (const segment of written)
          if (present.has(segment.relid)) await catalog.insertSegment(db, segment);
        await catalog.commitStreamFlush(
          db,
          formatLsn(applied),
          parts.filter((p) => present.has(p.relid)),
        );
        await catalog.recordStreamPosition(db, {
          slotName: this.slotName,
          appliedLsn: formatLsn(applied),
          lastCommitLsn: this.#lastCommit ? formatLsn(this.#lastCommit.lsn) : null,
          lastCommitAt: this.#lastCommit ? microsToDate(this.#lastCommit.atMicros) : null,
        });
      } catch (error) {
        await db.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
      try {
        await db.query('COMMIT');
      } catch (error) {
        // The server may have committed before the connection broke: found out before going on,
        // for writing these chunks again would show their rows twice.
        this.#uncertainFlush = { applied, streaming, parts, written: written.length, changes, started };
        throw error;
      }
    } finally {
      for (const segment of written) this.#options.inFlight.delete(segment.path);
    }
    await this.#afterFlush({ applied, streaming, parts, written: written.length, changes, started });
  }

  /** After a flush whose COMMIT failed: did it commit? Then finish it; if not, its chunks are kept. */
  async #resolveUncertainFlush(): Promise<void> {
    const flush = this.#uncertainFlush;
    if (!flush) return;
    const relid = flush.parts[0]?.relid;
    let committed = false;
    if (relid !== undefined) {
      const { rows } = await this.#catalog.query<{ done: boolean }>(
        'SELECT synced_lsn >= $2::pg_lsn AS done FROM analytica.tables WHERE relid = $1',
        [relid, formatLsn(flush.applied)],
      );
      committed = rows[0]?.done === true;
    }
    this.#uncertainFlush = undefined;
    this.#log.warn('the outcome of a flush was unknown', { committed, lsn: formatLsn(flush.applied) });
    if (committed) await this.#afterFlush(flush);
  }

  /** A committed flush: chunks go, watermarks move, the slot is told, the delta is pruned. */
  async #afterFlush(flush: FinishedFlush): Promise<void> {
    const { applied, streaming, parts, changes, started } = flush;
    this.#publishedPosition = applied;
    if (parts.some((p) => p.truncatedSeq !== null)) this.retiredSegments++;
    for (const table of streaming) {
      table.watermark = applied;
      await table.clearCommitted();
    }
    this.#flushed = applied;
    let confirm = applied;
    for (const hold of this.#holds.values()) if (hold < confirm) confirm = hold;
    this.#stream?.confirmFlush(confirm);
    const wasRequired = this.#flushRequired;
    this.#flushRequired = false;
    // Tables being copied are not flushed: what could not go into their delta goes now.
    for (const table of this.#tables.values()) {
      for (const files of table.unloaded.splice(0)) await this.#load(table, files);
    }
    await this.#options.delta.commit();
    // Changes that reached the segments without passing through the delta: a view older than
    // this flush would miss them, so none may be taken any more. Said before any waiting query
    // is released, so that none of them makes such a view while the deltas are pruned.
    if (wasRequired)
      for (const table of streaming) this.#options.delta.refuseViewsBelow(this.#deltaKey(table), applied);
    this.position.advance(applied);
    for (const table of streaming) {
      const key = this.#deltaKey(table);
      const inUse = this.#options.lowestWatermarkInUse(table.relid, table.generation);
      await this.#options.delta.prune(key, inUse !== undefined && inUse < applied ? inUse : applied);
    }
    if (this.#pendingChanges > 0) {
      this.#log.debug('flushed streamed changes', {
        changes,
        segments: flush.written,
        lsn: formatLsn(applied),
        ms: Math.round(performance.now() - started),
      });
    }
    this.#deltaBytes = 0;
    this.#pendingChanges = 0;
    this.#lastFlushAt = Date.now();
  }

  async #writeSegment(
    table: StreamedTable,
    kind: 'data' | 'delete',
    segmentId: number,
    files: readonly string[],
    columns: readonly IngestColumn[],
  ): Promise<catalog.NewSegment> {
    const { dataDir, database, writer, inFlight } = this.#options;
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

  /**
   * Follows a schema change without a re-copy where the copy can: ADD COLUMN without a default
   * (rows already there read NULL, as in PostgreSQL), DROP COLUMN, RENAME COLUMN (the column keeps
   * its stored name), and widening type changes (smallint → integer → bigint, real → double,
   * longer varchar or text, numeric with more digits): later rows are written with the new
   * columns, segments are read by stored name. Returns why not for anything else.
   */
  async #evolve(
    table: StreamedTable,
    relation: RelationMessage,
    columnsDropped: boolean,
  ): Promise<string | null> {
    if (table.phase !== 'streaming') return 'a copy in progress cannot follow it';
    const now = relation.columns;
    const live = table.columns;
    const storedAs = new Map<string, string>();
    for (const c of live)
      if (table.storedName(c.name) !== c.name) storedAs.set(c.name, table.storedName(c.name));
    let source: Awaited<ReturnType<typeof readSourceTable>> | undefined;
    const sourceColumn = async (name: string) => {
      source ??= await readSourceTable(this.#catalog, table.relid);
      return source.columns.find((c) => c.name === name);
    };
    const next: IngestColumn[] = [];
    const dropped: ColumnSpec[] = [];
    const widened: IngestColumn[] = [];
    if (now.length === live.length) {
      // Same columns in place: renames and type changes, position by position.
      for (const [i, old] of live.entries()) {
        const wanted = now[i]!;
        const sameType = wanted.typeOid === old.pgTypeOid && wanted.typeModifier === old.pgTypeModifier;
        if (wanted.name === old.name && sameType) {
          next.push(old);
          continue;
        }
        const current = await sourceColumn(wanted.name);
        if (!current || current.typeOid !== wanted.typeOid || current.typeModifier !== wanted.typeModifier) {
          return `column ${wanted.name} changed again since`;
        }
        const column = ingestColumn(current);
        if (wanted.name !== old.name) {
          if (columnsDropped) return 'columns were dropped and added, which is not told apart from a rename';
          if (!sameType || live.some((c) => c.name === wanted.name) || now.some((n) => n.name === old.name)) {
            return 'columns were renamed and changed at once';
          }
          if (table.keyColumns.includes(old.name) || table.orderBy.includes(old.name)) {
            return `key or sort column ${old.name} was renamed`;
          }
          storedAs.delete(old.name);
          storedAs.set(wanted.name, table.storedName(old.name));
        } else if (table.keyColumns.includes(old.name)) {
          return `key column ${old.name} changed type`;
        } else if (!widens(old, column)) {
          return `column ${old.name} changed type from ${old.pgType} to ${column.pgType}`;
        } else {
          widened.push(column);
        }
        next.push(column);
      }
    } else {
      const kept = live.filter((c) => now.some((n) => n.name === c.name));
      const same = (c: IngestColumn, i: number) =>
        now[i]!.name === c.name &&
        now[i]!.typeOid === c.pgTypeOid &&
        now[i]!.typeModifier === c.pgTypeModifier;
      if (!kept.every(same))
        return 'columns were renamed, moved or changed type at once with others added or dropped';
      if (table.keyColumns.some((k) => !kept.some((c) => c.name === k))) return 'a key column was dropped';
      if (table.orderBy.some((k) => !kept.some((c) => c.name === k))) return 'a sort column was dropped';
      for (const c of live) {
        if (kept.includes(c)) continue;
        dropped.push({ ...table.specOf(c), dropped: true, storedAs: table.storedName(c.name) });
        storedAs.delete(c.name);
      }
      next.push(...kept);
      const addedNames = now.slice(kept.length).map((c) => c.name);
      if (addedNames.length > 0) {
        const { rows } = await this.#catalog.query<{ attname: string; valued: boolean }>(
          `SELECT attname, atthasdef OR atthasmissing AS valued FROM pg_attribute
            WHERE attrelid = $1 AND attname = ANY($2::text[])`,
          [table.relid, addedNames],
        );
        const taken = new Set([...table.storedNames, ...dropped.map((d) => d.storedAs!)]);
        for (const [i, name] of addedNames.entries()) {
          const current = await sourceColumn(name);
          const wanted = now[kept.length + i]!;
          if (
            !current ||
            current.typeOid !== wanted.typeOid ||
            current.typeModifier !== wanted.typeModifier
          ) {
            return `column ${name} changed again since`;
          }
          // A default gives the rows already there a value the stream never sends.
          if (rows.find((r) => r.attname === name)?.valued) return `column ${name} was added with a default`;
          // A name an older column was stored under is taken: its old values are in the segments.
          let stored = name;
          for (let n = 2; taken.has(stored); n++) stored = `${name}~${n}`;
          taken.add(stored);
          if (stored !== name) storedAs.set(name, stored);
          next.push(ingestColumn(current));
        }
      }
    }
    // The delta cannot be altered inside its open transaction: what it holds is shown by a flush.
    if (this.#options.delta.inTransaction) await this.#options.delta.rollback();
    this.#flushRequired = true;
    await table.spillOpen(this.#scratch);
    await table.spillReady(this.#scratch);
    const storedBefore = new Set(live.map((c) => table.storedName(c.name)));
    table.evolve(next, storedAs, dropped);
    // The delta gets new stored columns (added ones) and wider types; renamed ones stay as stored.
    for (const column of next) {
      if (!storedBefore.has(table.storedName(column.name)) || widened.includes(column)) {
        await this.#options.delta.addOrWidenColumn(this.#deltaKey(table), table.specOf(column));
      }
    }
    this.#log.info('followed a schema change', { table: table.name, columns: now.map((c) => c.name) });
    return null;
  }

  /** A change the copy cannot follow: the table stops streaming and says how to go on. */
  async #stop(table: StreamedTable, reason: string): Promise<void> {
    table.phase = 'stopped';
    table.stopReason = reason;
    this.#log.error('streamed table stopped', { table: table.name, reason });
    await catalog.recordError(
      this.#catalog,
      table.relid,
      `${reason}; call analytica.resync('${table.name.replaceAll("'", "''")}') to copy it again`,
    );
  }

  /** Warns when the slot holds back more WAL than analytica.max_retained_wal (checked every 30 s). */
  async #checkRetention(): Promise<void> {
    if (Date.now() - this.#lastRetentionCheckAt < 30_000) return;
    this.#lastRetentionCheckAt = Date.now();
    const { rows } = await this.#catalog.query<{ retained: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained
         FROM pg_replication_slots WHERE slot_name = $1`,
      [this.slotName],
    );
    const retained = Number(rows[0]?.retained ?? 0);
    if (retained > this.#options.maxRetainedWalBytes) {
      this.#log.warn('the replication slot retains more WAL than analytica.max_retained_wal', {
        slot: this.slotName,
        retainedBytes: retained,
        limitBytes: this.#options.maxRetainedWalBytes,
      });
    }
  }

  #deltaKey(table: StreamedTable): DeltaKey {
    return { database: this.#options.database, relid: table.relid, generation: table.generation };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stream?.close().catch(() => undefined);
    await this.#loop?.catch(() => undefined);
    await this.#afterLostStream();
    await this.#catalog.end().catch(() => undefined);
    this.position.failAll(new PgError(SqlState.adminShutdown, 'the change stream stopped'));
  }

  /** Drops the slot (after the last streamed table was unregistered, or on uninstall). */
  static async dropSlot(client: pg.ClientBase, slotName: string): Promise<boolean> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { rows } = await client.query<{ active: boolean }>(
        'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
        [slotName],
      );
      if (rows.length === 0) return false;
      if (!rows[0]!.active) {
        await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
        return true;
      }
      // The walsender of a stream just closed takes a moment to exit.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`replication slot ${slotName} is still in use`);
  }
}

/** The data of one table could not be written as a segment (not a failure of the catalog). */
class SegmentWriteError extends Error {
  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
  }
}

/** A type change whose old values read the same in the new type (PostgreSQL's rewrite is not streamed). */
function widens(old: IngestColumn, next: IngestColumn): boolean {
  if (old.outputText !== 'plain' || next.outputText !== 'plain') return false;
  const order = ['SMALLINT', 'INTEGER', 'BIGINT'];
  if (order.includes(old.storageType) && order.includes(next.storageType)) {
    return order.indexOf(next.storageType) >= order.indexOf(old.storageType);
  }
  if (old.storageType === 'FLOAT' && next.storageType === 'DOUBLE') return true;
  const textual = (c: IngestColumn) => /^(character varying|text)/.test(c.pgType);
  if (textual(old) && textual(next)) return true;
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/;
  const a = decimal.exec(old.storageType);
  const b = decimal.exec(next.storageType);
  return !!a && !!b && a[2] === b[2] && Number(b[1]) >= Number(a[1]);
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

/** Column lists equal in what decides storage (jsonb does not keep the key order of a spec). */
function sameColumns(a: readonly ColumnSpec[], b: readonly ColumnSpec[]): boolean {
  const fields = (c: ColumnSpec) =>
    [c.name, c.pgTypeOid, c.pgTypeModifier, c.storageType, c.queryType].join('\u0000');
  return a.length === b.length && a.every((c, i) => fields(c) === fields(b[i]!));
}

async function connectCatalog(config: pg.ClientConfig): Promise<pg.Client> {
  const client = sourceClient(config, 'pg_analytica stream');
  // Until the worker watches it: a failure during connect() rejects connect() itself.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function microsToDate(micros: bigint): Date {
  return new Date(Number(micros / 1000n));
}
