/**
 * The change stream of a launcher's database: started while some table is registered for
 * streaming (when logical replication is available), stopped with its slot dropped after the
 * last one is unregistered, and what queries ask of it (waiting until a position is applied).
 */
import type pg from 'pg';
import type { TableEntry } from '../catalog/catalog.js';
import * as catalog from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
import type { DeltaStore } from '../query/delta-store.js';
import type { LauncherOptions } from './launcher.js';
import { StreamWorker } from './stream-worker.js';
import type { WorkerActivity } from './worker-activity.js';

export interface LauncherStreamOptions {
  /** The query engine's delta, where streamed changes wait for a flush. */
  delta: DeltaStore;
  /** The lowest watermark of a streamed table's views in use (see DuckDbEngine). */
  lowestWatermarkInUse: (relid: number, generation: number) => bigint | undefined;
  maxWaitMs: number;
  maxDeltaBytes: number;
  maxRetainedWalBytes: number;
}

export class LauncherStream {
  readonly #options: LauncherOptions;
  readonly #inFlight: Set<string>;
  readonly #activity: WorkerActivity;
  #worker: StreamWorker | undefined;
  #unavailableReason: string | null = null;

  constructor(options: LauncherOptions, inFlight: Set<string>, activity: WorkerActivity) {
    this.#options = options;
    this.#inFlight = inFlight;
    this.#activity = activity;
  }

  /** The change stream, while some table is registered for streaming. */
  get worker(): StreamWorker | undefined {
    return this.#worker;
  }

  /**
   * Runs the change stream while some table is registered for streaming; after the last one is
   * unregistered, stops it and drops the slot (the publication went with the table).
   */
  async sync(client: pg.Client, tables: readonly TableEntry[]): Promise<void> {
    const streamed = tables.some((t) => t.mode === 'stream' && t.sourceExists);
    const options = this.#options;
    if (streamed && !this.#worker && options.stream) {
      const reason = await this.unavailable(client);
      if (reason) {
        for (const entry of tables.filter((t) => t.mode === 'stream' && t.state !== 'error')) {
          await catalog.recordError(
            client,
            entry.relid,
            `cannot stream changes: ${reason}; fix it, or register the table again with mode => 'refresh'`,
          );
        }
        return;
      }
      this.#worker = await StreamWorker.start({
        ...options.stream,
        database: options.database,
        sourceConfig: options.sourceConfig,
        dataDir: options.dataDir,
        writer: options.writer,
        inFlight: this.#inFlight,
        naptimeMs: options.naptimeMs,
        chunkSize: options.chunkSize,
        log: options.log.child({ worker: 'stream' }),
        activity: this.#activity,
      });
    } else if (!streamed && this.#worker) {
      const slot = this.#worker.slotName;
      await this.#worker.close();
      this.#worker = undefined;
      if (await StreamWorker.dropSlot(client, slot)) {
        options.log.info('no table is streamed any more: dropped the replication slot', { slot });
      }
    }
    if (this.#worker) {
      await this.#worker.syncTables(await catalog.listTables(client));
      await this.#worker.retryForeignTables(client);
    }
  }

  /** Why logical replication cannot be used (said in the log once per reason), or null. */
  async unavailable(client: pg.Client): Promise<string | null> {
    const { rows } = await client.query<{ oid: string }>(
      'SELECT oid::bigint AS oid FROM pg_database WHERE datname = current_database()',
    );
    const slot = `pg_analytica_${rows[0]!.oid}`;
    const reason = await catalog.streamUnavailableReason(client, slot);
    if (reason && reason !== this.#unavailableReason) {
      this.#options.log.warn('logical replication is not available; streamed tables wait', { reason });
      await catalog.recordStreamUnavailable(client, slot, reason);
    }
    this.#unavailableReason = reason;
    return reason;
  }

  /**
   * The running stream; just after start the first pass (`firstPass`, when the launcher loops)
   * has not started it yet: a query waits for it, bounded.
   */
  async running(firstPass: Promise<void> | undefined): Promise<StreamWorker> {
    if (!this.#worker && firstPass) {
      const bound = new Promise((resolve) =>
        setTimeout(resolve, this.#options.stream?.maxWaitMs ?? 0).unref(),
      );
      await Promise.race([firstPass, bound]);
    }
    if (!this.#worker) {
      throw new PgError(
        SqlState.objectNotInPrerequisiteState,
        'the change stream of this database is not running',
        {
          hint: 'see the pg-analytica log and analytica.status',
        },
      );
    }
    return this.#worker;
  }

  async close(): Promise<void> {
    await this.#worker?.close();
  }
}
