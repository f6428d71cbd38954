/**
 * One launcher per database: decides which registered tables need work and
 * runs it, one table at a time. It wakes on `NOTIFY analytica` at once, every
 * naptime, and when a session starts waiting in analytica.wait_for_sync
 * (visible as an advisory lock in pg_locks before that session commits).
 * Failures are recorded on the table and retried with backoff; they never
 * stop the launcher or the daemon.
 */

import { rm } from 'node:fs/promises';
import type pg from 'pg';
import type { TableEntry } from '../catalog/catalog.js';
import * as catalog from '../catalog/catalog.js';
import { errorMessage, PgError } from '../errors.js';
import type { Logger } from '../log.js';
import { fingerprintSql } from '../source/snapshot-reader.js';
import { sourceClient } from '../source/source-config.js';
import { collectGarbage } from '../storage/garbage-collector.js';
import { scratchDirectory } from '../storage/segment-paths.js';
import type { SegmentWriter } from '../storage/segment-writer.js';
import { AppendWorker } from './append-worker.js';
import { CompactionWorker, type CompactionWorkerOptions } from './compaction-worker.js';
import { diskFullError, isDiskFull } from './disk-full.js';
import { GrantMirror } from './grant-watch.js';
import { IngestWorker } from './ingest-worker.js';
import { holdLauncherLock, startLockWaitMs } from './launcher-lock.js';
import { LauncherStream, type LauncherStreamOptions } from './launcher-stream.js';
import { watchPartitions } from './partition-watch.js';
import { schemaBehind } from './schema-watch.js';
import { WorkerActivity } from './worker-activity.js';

export { launcherLockKey } from './launcher-lock.js';
export type { LauncherStreamOptions } from './launcher-stream.js';

export interface LauncherOptions {
  database: string;
  sourceConfig: pg.ClientConfig;
  dataDir: string;
  naptimeMs: number;
  chunkSize: number;
  writer: SegmentWriter;
  /** Files running queries may still read; garbage collection keeps them. */
  pinnedPaths: () => ReadonlySet<string>;
  /** What the change stream needs; without it, tables registered for streaming are not served. */
  stream?: LauncherStreamOptions;
  log: Logger;
  /** How long to wait for another launcher of the database to go away (default 30 s). */
  lockWaitMs?: number;
  /** Compaction of the database's tables; without it, segments are never merged. */
  compaction?: LauncherCompactionOptions;
}

export type LauncherCompactionOptions = Pick<
  CompactionWorkerOptions,
  'targetBytes' | 'minSegments' | 'deleteRatio' | 'threads' | 'memoryLimit'
>;

const waiterPollMs = 50;
const maxBackoffMs = 5 * 60_000;

export class Launcher {
  readonly #options: LauncherOptions;
  /** What this database's workers have done (read by the metrics endpoint). */
  readonly activity = new WorkerActivity();
  /** The catalog connection (LISTENs, holds the launcher lock); replaced after a failure. */
  #connection: { client: pg.Client; worker: IngestWorker; append: AppendWorker } | undefined;
  #connectionBroken = false;
  readonly #inFlight = new Set<string>();
  /** Per table: waiters (virtual transaction ids) seen before the last copy read its watermark. */
  readonly #satisfied = new Map<number, Set<string>>();
  /** Per table: consecutive failures and when to try again. */
  readonly #backoff = new Map<number, { failures: number; retryAt: number }>();
  /** Registered tables seen by the last pass. */
  #registered = new Set<number>();
  /** True while unreferenced files wait for queries to finish with them. */
  #collectionDeferred = false;
  /** The stream's count of flushes that retired segments, at the last collection. */
  #retiredSegmentsSeen = 0;
  /** The change stream, while some table is registered for streaming. */
  readonly #streams: LauncherStream;
  /** Merges segments beside the launcher's loop, sharing its files in flight. */
  compaction: CompactionWorker | undefined;
  /** Streamed tables whose copy failed: copied again after the backoff. */
  readonly #retryCopy = new Set<number>();
  /** Mirrors the sources' grants onto the columnar.* foreign tables where no event trigger does. */
  readonly #grants = new GrantMirror();
  #wake: (() => void) | undefined;
  /** Resolved once the loop's first pass is over (the stream runs from then on, if it can). */
  #firstPassDone: () => void = () => {};
  readonly #firstPass = new Promise<void>((resolve) => {
    this.#firstPassDone = resolve;
  });
  #notified = false;
  #closed = false;
  #loop: Promise<void> | undefined;

  private constructor(options: LauncherOptions) {
    this.#options = options;
    this.#streams = new LauncherStream(options, this.#inFlight, this.activity);
  }

  get #stream() {
    return this.#streams.worker;
  }

  /** Connects, LISTENs, cleans up after any crash, and starts the loop (unless `loop` is false, for tests). */
  static async start(options: LauncherOptions, loop = true): Promise<Launcher> {
    const launcher = new Launcher(options);
    await launcher.#connect(options.lockWaitMs ?? startLockWaitMs);
    await rm(scratchDirectory(options.dataDir, options.database), { recursive: true, force: true });
    await launcher.collectGarbage();
    // Said at start, whether or not a table streams yet.
    if (options.stream) await launcher.#streams.unavailable(launcher.#client);
    if (options.compaction) {
      launcher.compaction = await CompactionWorker.start(
        {
          ...options.compaction,
          targetRows: options.chunkSize,
          database: options.database,
          sourceConfig: options.sourceConfig,
          dataDir: options.dataDir,
          naptimeMs: options.naptimeMs,
          inFlight: launcher.#inFlight,
          pinnedPaths: options.pinnedPaths,
          log: options.log.child({ worker: 'compaction' }),
          activity: launcher.activity,
        },
        loop,
      );
    }
    if (loop) launcher.#loop = launcher.#run();
    return launcher;
  }

  /**
   * Why the launcher does not serve its database, or undefined when it does: not closed, and its catalog connection (which holds
   * the launcher lock and hears NOTIFY) is up. The loop itself never ends before close().
   */
  get notReadyReason(): string | undefined {
    if (this.#closed) return 'its launcher was closed';
    if (this.#connectionBroken || !this.#connection) return 'its launcher lost the catalog connection';
    return undefined;
  }

  get #client(): pg.Client {
    if (!this.#connection) throw new Error('the launcher is not connected');
    return this.#connection.client;
  }

  /** Opens the catalog connection: launcher lock, LISTEN, and an ingest worker writing through it. */
  async #connect(lockWaitMs: number): Promise<void> {
    const options = this.#options;
    const client = sourceClient(options.sourceConfig, 'pg_analytica launcher');
    client.on('notification', () => this.#signal());
    client.on('error', (error) => {
      this.#connectionBroken = true;
      options.log.error('launcher connection failed', { error: errorMessage(error) });
    });
    client.on('end', () => {
      this.#connectionBroken = true;
    });
    await client.connect();
    try {
      await holdLauncherLock(client, options.database, lockWaitMs);
      await client.query('LISTEN analytica');
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    // Both write through the catalog connection, one table at a time.
    const copyOptions = {
      database: options.database,
      dataDir: options.dataDir,
      chunkSize: options.chunkSize,
      sourceConfig: options.sourceConfig,
      catalogClient: client,
      writer: options.writer,
      inFlight: this.#inFlight,
      log: options.log,
    };
    this.#connection = {
      client,
      worker: new IngestWorker(copyOptions),
      append: new AppendWorker(copyOptions),
    };
    this.#connectionBroken = false;
  }

  /** After a lost connection (server restart, terminated backend): connect again, as at start. */
  async #reconnect(): Promise<void> {
    await this.#connection?.client.end().catch(() => undefined);
    this.#connection = undefined;
    await this.#connect(this.#options.lockWaitMs ?? 30_000);
    this.#options.log.info('launcher reconnected');
    await this.collectGarbage();
  }

  /** One pass over all registered tables; returns the number of tables copied. */
  async runOnce(): Promise<number> {
    let tables = await catalog.listTables(this.#client);
    // Partitions attached, detached or dropped since a copy: re-copies, seen by this very pass.
    if ((await watchPartitions(this.#client, tables, this.#options.log)) > 0)
      tables = await catalog.listTables(this.#client);
    const waiters = await catalog.waitersByTable(this.#client);
    const fingerprints = await this.#fingerprints(tables);
    await this.#noticeUnregistered(tables);
    await this.#streams.sync(this.#client, tables);
    // Migrations of tables no one writes to: followed without waiting for a write.
    const behind = this.#stream ? await schemaBehind(this.#client) : [];
    if (behind.length > 0) void this.#stream?.followSchema(behind);
    await this.#grants.pass(this.#client, this.#options.log);
    let copied = 0;
    for (const entry of tables) {
      if (this.#closed) break;
      if (!entry.sourceExists) {
        this.#options.log.info('source table was dropped; unregistering it', {
          relid: entry.relid,
          table: entry.tableName,
        });
        await catalog.deleteTable(this.#client, entry.relid);
        await this.collectGarbage();
        continue;
      }
      const waiting = waiters.get(entry.relid) ?? new Set<string>();
      const forced = this.#hasNewWaiter(entry.relid, waiting) || entry.syncRequestedAt !== null;
      if (entry.mode === 'append') {
        if (await this.#appendPass(entry, waiting, forced, fingerprints.get(entry.relid))) copied++;
        continue;
      }
      if (!this.#needsCopy(entry, forced, fingerprints.get(entry.relid))) continue;
      try {
        // Read before the copy takes its watermark: these waiters' targets are at or below it.
        this.#satisfied.set(entry.relid, waiting);
        await this.#connection!.worker.copyTable(entry, this.#stream);
        this.#backoff.delete(entry.relid);
        this.#retryCopy.delete(entry.relid);
        copied++;
        await this.collectGarbage();
      } catch (error) {
        await this.#fail(entry, error);
      }
    }
    const retired = this.#stream?.retiredSegments ?? 0;
    if (this.#collectionDeferred || retired !== this.#retiredSegmentsSeen) {
      this.#retiredSegmentsSeen = retired;
      await this.collectGarbage();
    }
    return copied;
  }

  /** Resolves once the change stream made every transaction ending at or before `lsn` visible. */
  async waitForApplied(lsn: bigint, signal?: AbortSignal): Promise<void> {
    const stream = await this.#streams.running(this.#loop && this.#firstPass);
    await stream.position.waitFor(lsn, this.#options.stream!.maxWaitMs, signal);
  }

  /**
   * Asks the change stream to catch up with the catalog's columns of these tables, and waits for
   * it at most `waitMs`; the caller reads the catalog again either way.
   */
  async followSchema(relids: readonly number[], waitMs: number): Promise<void> {
    const stream = this.#stream;
    if (!stream || relids.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([stream.followSchema(relids), bound]);
    clearTimeout(timer);
  }

  /** Mode append: a pass when the table changed, when asked, or first of all a copy. */
  async #appendPass(
    entry: TableEntry,
    waiting: Set<string>,
    forced: boolean,
    fingerprint: string | undefined,
  ): Promise<boolean> {
    const backoff = this.#backoff.get(entry.relid);
    if (entry.state === 'paused' || (backoff && !forced && Date.now() < backoff.retryAt)) return false;
    const due =
      forced ||
      entry.generation === 0 ||
      entry.state === 'pending' ||
      fingerprint !== entry.changeFingerprint;
    if (!due) return false;
    try {
      this.#satisfied.set(entry.relid, waiting);
      await this.#connection!.append.pass(entry);
      this.#backoff.delete(entry.relid);
      await this.collectGarbage();
      return true;
    } catch (error) {
      await this.#fail(entry, error);
      return false;
    }
  }

  /** Tables unregistered since the last pass leave files behind: collect them. */
  async #noticeUnregistered(tables: readonly TableEntry[]): Promise<void> {
    const current = new Set(tables.map((t) => t.relid));
    const gone = [...this.#registered].filter((relid) => !current.has(relid));
    this.#registered = current;
    for (const relid of gone) {
      this.#satisfied.delete(relid);
      this.#backoff.delete(relid);
    }
    if (gone.length > 0) await this.collectGarbage();
  }

  #hasNewWaiter(relid: number, waiting: ReadonlySet<string>): boolean {
    const satisfied = this.#satisfied.get(relid);
    for (const vxid of waiting) if (!satisfied?.has(vxid)) return true;
    return false;
  }

  #needsCopy(entry: TableEntry, forced: boolean, fingerprint: string | undefined): boolean {
    const backoff = this.#backoff.get(entry.relid);
    if (entry.state === 'paused') return false;
    if (entry.mode === 'stream') {
      // The stream keeps the copy current: copy only what has none yet, what resync asked for,
      // and what failed to copy. An error of the stream itself waits for analytica.resync().
      if (!this.#stream) return false;
      if (backoff && Date.now() < backoff.retryAt) return false;
      // A copy found 'backfilling' or 'refreshing' here was cut off (copies run one at a time).
      return (
        entry.generation === 0 ||
        ['pending', 'backfilling', 'refreshing'].includes(entry.state) ||
        this.#retryCopy.has(entry.relid)
      );
    }
    if (backoff && !forced && Date.now() < backoff.retryAt) return false;
    if (forced || entry.state === 'pending' || entry.state === 'error' || entry.generation === 0) return true;
    return fingerprint !== entry.changeFingerprint;
  }

  async #fingerprints(tables: TableEntry[]): Promise<Map<number, string>> {
    const relids = tables.filter((t) => t.sourceExists).map((t) => t.relid);
    if (relids.length === 0) return new Map();
    const { rows } = await this.#client.query<{ relid: string; fingerprint: string }>(
      `SELECT relid::bigint AS relid, ${fingerprintSql('relid')} AS fingerprint
         FROM unnest($1::oid[]) AS relid WHERE to_regclass(relid::regclass::text) IS NOT NULL`,
      [relids],
    );
    return new Map(rows.map((r) => [Number(r.relid), r.fingerprint]));
  }

  async #fail(entry: TableEntry, cause: unknown): Promise<void> {
    if (entry.mode === 'stream') this.#retryCopy.add(entry.relid);
    const failures = (this.#backoff.get(entry.relid)?.failures ?? 0) + 1;
    const delay = Math.min(maxBackoffMs, this.#options.naptimeMs * 2 ** Math.min(failures, 16));
    this.#backoff.set(entry.relid, { failures, retryAt: Date.now() + delay });
    const error = isDiskFull(cause) ? diskFullError(cause, this.#options.dataDir) : cause;
    // The hint says what to do; analytica.status shows only this one text.
    const message =
      error instanceof PgError && error.hint ? `${error.message} (${error.hint})` : errorMessage(error);
    this.#options.log.error('copy failed', {
      table: `${entry.schemaName}.${entry.tableName}`,
      error: message,
      retryInMs: delay,
    });
    try {
      await catalog.recordError(this.#client, entry.relid, message);
    } catch (recordFailure) {
      this.#options.log.error('could not record the error in the catalog', {
        error: errorMessage(recordFailure),
      });
    }
  }

  /** Removes files no catalog row names, keeping writes in progress and files open in queries. */
  async collectGarbage(): Promise<string[]> {
    const { removed, deferred } = await collectGarbage({
      dataDir: this.#options.dataDir,
      database: this.#options.database,
      referenced: () => catalog.allSegmentPaths(this.#client),
      registered: () => catalog.registeredRelids(this.#client),
      inFlight: () => new Set(this.#inFlight),
      pinned: this.#options.pinnedPaths,
    });
    // Files a running query still read: collect them on a later pass.
    this.#collectionDeferred = deferred.length > 0;
    if (removed.length > 0) this.#options.log.info('removed unreferenced files', { count: removed.length });
    return removed;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        if (this.#connectionBroken || !this.#connection) await this.#reconnect();
        await this.runOnce();
        this.#firstPassDone();
        await this.#sleep();
      } catch (error) {
        this.#firstPassDone();
        if (this.#closed) break;
        this.#options.log.error('launcher pass failed', { error: errorMessage(error) });
        await new Promise((resolve) => setTimeout(resolve, this.#options.naptimeMs));
      }
    }
  }

  /** Sleeps until naptime passes, a notification arrives, or a new waiter appears. */
  async #sleep(): Promise<void> {
    const deadline = Date.now() + this.#options.naptimeMs;
    while (!this.#closed && !this.#notified && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, Math.min(waiterPollMs, Math.max(0, deadline - Date.now())));
      });
      if (!this.#closed && (await this.#anyNewWaiter())) break;
    }
    this.#notified = false;
  }

  async #anyNewWaiter(): Promise<boolean> {
    const waiters = await catalog.waitersByTable(this.#client);
    // Sessions in wait_for_sync on a streamed table read the stream's position from the catalog.
    if (waiters.size > 0) await this.#stream?.publishPosition();
    for (const [relid, waiting] of waiters) {
      if (this.#hasNewWaiter(relid, waiting)) return true;
    }
    return false;
  }

  #signal(): void {
    this.#notified = true;
    this.#wake?.();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal();
    await this.#loop;
    await this.compaction?.close();
    await this.#streams.close();
    await this.#connection?.client.end().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
