/**
 * The change stream of one database: one logical replication slot on the
 * publication pg_analytica, decoded (pgoutput protocol 1, no streaming of
 * transactions in progress: PostgreSQL spills large transactions to its own
 * disk and sends only committed ones, which are all this worker can show
 * anyway), applied to the delta and flushed to segments.
 *
 * StreamWorker is the coordinator: it owns the connections and the loop that
 * reads the stream, and hands the work to one part per responsibility:
 * - apply (stream-apply.ts, stream-delta-loader.ts): decoded changes become
 *   chunk files per table, loaded into the delta at source commits;
 * - flush (stream-flush.ts): segments, one catalog transaction, then the slot
 *   is confirmed (exactly once);
 * - handoff (stream-handoff.ts): a table being copied joins the stream at the
 *   copy's consistent point;
 * - schema evolution (schema-evolution.ts): relation messages that change
 *   columns the copy can follow;
 * - schema catch-up (schema-catchup.ts): the same for a migration of a table
 *   no one writes to, from the catalog;
 * - tables (stream-tables.ts): which tables it serves.
 * The state they share is a StreamState.
 */
import { mkdir, rm } from 'node:fs/promises';
import type pg from 'pg';
import type { TableEntry } from '../catalog/catalog.js';
import * as catalog from '../catalog/catalog.js';
import { errorMessage, PgError, SqlState } from '../errors.js';
import type { IngestColumn } from '../source/column-types.js';
import { replicationOutputSettings } from '../source/output-text.js';
import { formatLsn, PgoutputDecoder, RelationCache } from '../source/pgoutput/index.js';
import { ReplicationConnection } from '../source/replication/replication-connection.js';
import type { ReplicationStream } from '../source/replication/replication-stream.js';
import { sourceClient } from '../source/source-config.js';
import type { AppliedPosition } from './applied-position.js';
import { diskFullError, isDiskFull } from './disk-full.js';
import { SchemaCatchUp } from './schema-catchup.js';
import { StreamApplier } from './stream-apply.js';
import { DeltaLoader } from './stream-delta-loader.js';
import { StreamFlusher } from './stream-flush.js';
import { beginHandoff, type Handoff } from './stream-handoff.js';
import {
  boundaryIntervalMs,
  idleRecordIntervalMs,
  publicationName,
  StreamState,
  type StreamWorkerOptions,
} from './stream-state.js';
import { syncStreamedTables } from './stream-tables.js';

export type { Handoff } from './stream-handoff.js';
export { publicationName, type StreamWorkerOptions } from './stream-state.js';

export class StreamWorker {
  readonly #state: StreamState;
  readonly #flusher: StreamFlusher;
  readonly #applier: StreamApplier;
  readonly #catchUp: SchemaCatchUp;
  #connection: ReplicationConnection | undefined;
  #decoder = new PgoutputDecoder();
  #lastRetentionCheckAt = 0;
  #lastKeepaliveRequestAt = 0;
  #lastIdleRecordAt = 0;
  #closed = false;
  #loop: Promise<void> | undefined;

  private constructor(options: StreamWorkerOptions, catalogClient: pg.Client, slotName: string) {
    this.#state = new StreamState(options, catalogClient, slotName, () => this.requestKeepalive());
    this.#watchCatalog(catalogClient);
    const loader = new DeltaLoader(this.#state);
    this.#flusher = new StreamFlusher(this.#state, loader);
    this.#catchUp = new SchemaCatchUp(this.#state);
    this.#applier = new StreamApplier(this.#state, loader, this.#flusher, this.#catchUp);
  }

  get position(): AppliedPosition {
    return this.#state.position;
  }

  get slotName(): string {
    return this.#state.slotName;
  }

  /** Flushes that retired segments (a TRUNCATE): their files wait for garbage collection. */
  get retiredSegments(): number {
    return this.#state.retiredSegments;
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
      const state = worker.#state;
      await rm(state.scratch, { recursive: true, force: true });
      await mkdir(state.scratch, { recursive: true });
      await worker.#ensureSlot();
      // What the delta held died with the previous process: wait_for_sync must not trust it.
      await catalog.resetStreamPosition(client, state.slotName);
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
      this.#state.catalogBroken = true;
      this.#state.log.warn('stream catalog connection failed', { error: error.message });
    });
    client.on('end', () => {
      this.#state.catalogBroken = true;
    });
  }

  /** After a lost connection (server restart, terminated backend): a new one. */
  async #reconnectCatalog(): Promise<void> {
    await this.#state.catalogClient.end().catch(() => undefined);
    const client = await connectCatalog(this.#state.options.sourceConfig);
    this.#state.catalogClient = client;
    this.#state.catalogBroken = false;
    this.#watchCatalog(client);
  }

  /** Creates the slot if missing; streamed tables copied before it existed must then be copied again. */
  async #ensureSlot(): Promise<void> {
    const state = this.#state;
    const { rows } = await state.catalog.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
      state.slotName,
    ]);
    if (rows.length > 0) return;
    await using connection = await ReplicationConnection.open(state.options.sourceConfig);
    const slot = await connection.createReplicationSlot(state.slotName);
    state.log.info('created replication slot', {
      slot: state.slotName,
      lsn: formatLsn(slot.consistentPoint),
    });
    const { rowCount } = await state.catalog.query(
      `UPDATE analytica.tables SET state = 'pending', last_error = 'the replication slot was missing; copying again'
        WHERE mode = 'stream' AND generation > 0`,
    );
    if (rowCount)
      state.log.warn('replication slot was missing: streamed tables are copied again', { tables: rowCount });
  }

  /** Foreign tables a query held when their source's columns changed are altered now. */
  async retryForeignTables(client: pg.ClientBase): Promise<void> {
    await this.#state.retryForeignTables(client);
  }

  /** Brings the set of streamed tables in line with the catalog (called on every launcher pass). */
  async syncTables(entries: readonly TableEntry[]): Promise<void> {
    await syncStreamedTables(this.#state, entries);
  }

  /**
   * Resolves once the copies of these tables have the columns (and enum labels) the source's
   * catalog gives them, without waiting for a write to them, or cannot follow them in place (a
   * re-copy asked for, a copy in progress): see schema-catchup.ts.
   */
  followSchema(relids: readonly number[]): Promise<void> {
    const done = this.#catchUp.request(relids);
    this.requestKeepalive();
    return done;
  }

  /** Registers a table about to be copied; see Handoff. */
  async beginHandoff(entry: TableEntry, columns: readonly IngestColumn[]): Promise<Handoff> {
    return await beginHandoff(this.#state, entry, columns);
  }

  /** Asks the server where the stream stands (it answers with a keepalive), at most every 10 ms. */
  requestKeepalive(): void {
    const now = Date.now();
    if (now - this.#lastKeepaliveRequestAt < 10) return;
    this.#lastKeepaliveRequestAt = now;
    this.#state.stream?.sendStatusUpdate(true);
  }

  /** Writes the applied position for analytica.wait_for_sync (called while sessions wait in it). */
  async publishPosition(): Promise<void> {
    const state = this.#state;
    this.requestKeepalive();
    const lsn = state.position.lsn;
    if (lsn <= state.publishedPosition) return;
    state.publishedPosition = lsn;
    await catalog.recordStreamPosition(state.catalog, state.streamPosition(formatLsn(lsn)));
  }

  async #run(): Promise<void> {
    const state = this.#state;
    let failures = 0;
    let flushedAtFailure = state.flushed;
    while (!this.#closed) {
      try {
        if (state.catalogBroken) await this.#reconnectCatalog();
        await this.#flusher.resolveUncertainFlush();
        await this.#startStream();
        await this.#consume(state.stream!);
      } catch (error) {
        if (this.#closed) break;
        // The backoff grows until a flush gets through again: a stream that starts and fails at
        // once (a full disk) must not spin, while one that ran a long time reconnects at once.
        failures = state.flushed > flushedAtFailure ? 1 : failures + 1;
        flushedAtFailure = state.flushed;
        const delayMs = Math.min(5000, 100 * 2 ** Math.min(failures, 6));
        state.log.warn('change stream interrupted; reconnecting', {
          error: errorMessage(error),
          retryInMs: delayMs,
        });
        await this.#afterLostStream();
        if (isDiskFull(error)) await this.#recordDiskFull(error);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** A full disk stalls every streamed table: analytica.status says so until a flush succeeds. */
  async #recordDiskFull(cause: unknown): Promise<void> {
    const error = diskFullError(cause, this.#state.options.dataDir);
    try {
      await this.#state.recordStreamError(`the change stream is stalled: ${error.message} (${error.hint})`);
    } catch (recordFailure) {
      this.#state.log.error('could not record the error in the catalog', {
        error: errorMessage(recordFailure),
      });
    }
  }

  async #startStream(): Promise<void> {
    const state = this.#state;
    state.relations = new RelationCache();
    this.#decoder = new PgoutputDecoder();
    const connection = await ReplicationConnection.open(
      { ...state.options.sourceConfig, application_name: 'pg_analytica stream' },
      { settings: replicationOutputSettings },
    );
    try {
      state.stream = await connection.startReplication({
        slot: state.slotName,
        startLsn: 0n,
        protoVersion: 1,
        publicationNames: [publicationName],
      });
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.#connection = connection;
    state.log.info('change stream started', { slot: state.slotName });
  }

  /** A cut-off transaction is dropped whole; what the delta lost is shown by the next flush. */
  async #afterLostStream(): Promise<void> {
    const state = this.#state;
    if (state.tx) for (const table of state.tx.touched) await table.abortOpen();
    state.tx = undefined;
    if (state.options.delta.inTransaction) {
      await state.options.delta.rollback();
      state.flushRequired = true;
    }
    await this.#connection?.close().catch(() => undefined);
    this.#connection = undefined;
    state.stream = undefined;
  }

  async #consume(stream: ReplicationStream): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const next = stream.next();
      let result: IteratorResult<Awaited<ReturnType<ReplicationStream['next']>>['value']> | 'tick';
      if (stream.bufferedBytes > 0) result = await next;
      else {
        result = await this.#nextOrTick(next);
        while (result === 'tick') {
          await this.#maybeFlushWhileIdle();
          if (this.#closed) return;
          result = await this.#nextOrTick(next);
        }
      }
      if (result.done) {
        throw new PgError(SqlState.connectionFailure, 'the replication stream ended');
      }
      const message = result.value;
      if (message.kind === 'keepalive') await this.#onKeepalive(message.walEnd);
      else await this.#applier.onChange(message.walStart, this.#decoder.decode(message.payload));
    }
  }

  /** The next message, or 'tick' when none came within a quarter of naptime. */
  async #nextOrTick<T>(next: Promise<T>): Promise<T | 'tick'> {
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>((resolve) => {
      timer = setTimeout(() => resolve('tick'), Math.max(10, this.#state.options.naptimeMs / 4));
    });
    const result = await Promise.race([next, tick]);
    clearTimeout(timer);
    return result;
  }

  async #onKeepalive(walEnd: bigint): Promise<void> {
    const state = this.#state;
    if (state.tx) return;
    if (walEnd > state.received) state.received = walEnd;
    // Before the slot is confirmed as idle: columns a catch-up applied here are not confirmed
    // past before the flush that records them (it confirms the slot itself).
    await this.#catchUp.atBoundary();
    const idle = !state.flushRequired && this.#flusher.confirmIdle(state.received);
    if (
      state.flushRequired ||
      state.position.wouldRelease(state.received) ||
      Date.now() - state.lastBoundaryAt >= boundaryIntervalMs
    ) {
      await this.#flusher.atBoundary(true);
    }
    if (idle) await this.#recordIdlePosition();
  }

  /**
   * An idle stream records how far it has applied, at most every idleRecordIntervalMs: the status
   * view then measures lag from a recent time when WAL it has not confirmed yet appears (the slot's
   * confirmed position, which it also reads, moves with every keepalive but carries no time). Not
   * on every keepalive: the record is itself WAL, which brings the next keepalive.
   */
  async #recordIdlePosition(): Promise<void> {
    const state = this.#state;
    const lsn = state.position.lsn;
    if (lsn <= state.publishedPosition || Date.now() - this.#lastIdleRecordAt < idleRecordIntervalMs) return;
    this.#lastIdleRecordAt = Date.now();
    state.publishedPosition = lsn;
    await catalog.recordStreamPosition(state.catalog, state.streamPosition(formatLsn(lsn)));
  }

  async #maybeFlushWhileIdle(): Promise<void> {
    if (this.#state.tx) return;
    if (this.#state.position.waiting || this.#catchUp.busy) this.requestKeepalive();
    await this.#catchUp.atBoundary();
    await this.#flusher.atBoundary(true);
    await this.#checkRetention();
  }

  /** Warns when the slot holds back more WAL than analytica.max_retained_wal (checked every 30 s). */
  async #checkRetention(): Promise<void> {
    const state = this.#state;
    if (Date.now() - this.#lastRetentionCheckAt < 30_000) return;
    this.#lastRetentionCheckAt = Date.now();
    const { rows } = await state.catalog.query<{ retained: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint AS retained
         FROM pg_replication_slots WHERE slot_name = $1`,
      [state.slotName],
    );
    const retained = Number(rows[0]?.retained ?? 0);
    if (retained > state.options.maxRetainedWalBytes) {
      state.log.warn('the replication slot retains more WAL than analytica.max_retained_wal', {
        slot: state.slotName,
        retainedBytes: retained,
        limitBytes: state.options.maxRetainedWalBytes,
      });
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#state.stream?.close().catch(() => undefined);
    await this.#loop?.catch(() => undefined);
    await this.#afterLostStream();
    await this.#state.catalog.end().catch(() => undefined);
    this.#state.position.failAll(new PgError(SqlState.adminShutdown, 'the change stream stopped'));
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

async function connectCatalog(config: pg.ClientConfig): Promise<pg.Client> {
  const client = sourceClient(config, 'pg_analytica stream');
  // Until the worker watches it: a failure during connect() rejects connect() itself.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
