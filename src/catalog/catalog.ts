/**
 * The only code that names the control tables (analytica.tables,
 * analytica.segments). Every function takes the client to run on, so callers
 * choose the connection and the transaction.
 */
import type pg from 'pg';
import type { ColumnSpec } from '../source/column-types.js';
import type { PartitionTree } from '../source/partition-tree.js';

export type TableState = 'pending' | 'backfilling' | 'synced' | 'refreshing' | 'paused' | 'error';
export type TableMode = 'stream' | 'refresh' | 'append';

export interface TableEntry {
  relid: number;
  schemaName: string;
  tableName: string;
  /** False when the source table no longer exists. */
  sourceExists: boolean;
  orderBy: string[];
  mode: TableMode;
  /** Replica identity key of a streamed table: deletes and updates match rows on it. */
  keyColumns: string[] | null;
  state: TableState;
  columns: ColumnSpec[] | null;
  generation: number;
  /** Bumped by every flush of streamed changes. */
  version: number;
  syncedLsn: string | null;
  /** Rows with a lower sequence were removed by a streamed TRUNCATE. */
  truncatedSeq: string | null;
  rows: number;
  /** Mode append: every row with a key at or below this is in the copy. */
  appendWatermark: bigint | null;
  changeFingerprint: string | null;
  /** A partitioned table's partitions its copy holds (see partition-tree.ts); null for other tables. */
  partitions: PartitionTree | null;
  /**
   * The pending analytica.sync_now() request, as exact text (UTC, microseconds): a JS Date would
   * drop the microseconds, and publishGeneration could then never clear the request it answers.
   */
  syncRequestedAt: string | null;
  lastSyncAt: Date | null;
  /** Exact text (microseconds kept), to tell this registration from a later one of the same table. */
  registeredAt: string;
}

export interface NewSegment {
  segmentId: number;
  relid: number;
  generation: number;
  kind?: 'data' | 'delete';
  path: string;
  rowCount: number;
  byteSize: number;
  columnStats: Record<string, { min: string | null; max: string | null }>;
}

export async function listTables(client: pg.ClientBase): Promise<TableEntry[]> {
  const { rows } = await client.query(
    `SELECT t.relid::bigint AS relid, coalesce(n.nspname, t.schema_name) AS schema_name,
            coalesce(c.relname, t.table_name) AS table_name, c.oid IS NOT NULL AS source_exists,
            t.order_by, t.mode, t.key_columns, t.state, t.columns, t.generation::int AS generation,
            t.version::bigint AS version, t.synced_lsn::text AS synced_lsn, t.truncated_seq::text AS truncated_seq,
            t.rows::bigint AS rows, t.append_watermark::text AS append_watermark,
            t.change_fingerprint, t.partitions,
            to_char(t.sync_requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sync_requested_at,
            t.last_sync_at,
            to_char(t.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS registered_at
       FROM analytica.tables t
       LEFT JOIN pg_class c ON c.oid = t.relid
       LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY t.registered_at, t.relid`,
  );
  return rows.map((r) => ({
    relid: Number(r.relid),
    schemaName: r.schema_name,
    tableName: r.table_name,
    sourceExists: r.source_exists,
    orderBy: r.order_by,
    mode: r.mode,
    keyColumns: r.key_columns,
    state: r.state,
    columns: r.columns,
    generation: r.generation,
    version: Number(r.version),
    syncedLsn: r.synced_lsn,
    truncatedSeq: r.truncated_seq,
    rows: Number(r.rows),
    appendWatermark: r.append_watermark === null ? null : BigInt(r.append_watermark),
    changeFingerprint: r.change_fingerprint,
    partitions: r.partitions,
    syncRequestedAt: r.sync_requested_at,
    lastSyncAt: r.last_sync_at,
    registeredAt: r.registered_at,
  }));
}

/**
 * Sessions waiting in analytica.wait_for_sync, per table: their advisory locks
 * are visible at once, before they commit. Each waiter is identified by its
 * virtual transaction id, so a waiter seen before a copy read its watermark is
 * known to be satisfied by that copy.
 */
export async function waitersByTable(client: pg.ClientBase): Promise<Map<number, Set<string>>> {
  const { rows } = await client.query<{ relid: string; vxid: string }>(
    `SELECT ((l.objid::bigint + 2147483648) % 4294967296)::bigint AS relid, l.virtualtransaction AS vxid
       FROM pg_locks l
      WHERE l.locktype = 'advisory' AND l.classid = analytica.wait_lock_class()::bigint::oid
        AND l.objsubid = 2 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  const waiters = new Map<number, Set<string>>();
  for (const { relid: text, vxid } of rows) {
    // Oids go up to 2^32 - 1: bigint in SQL, exact as a JS number.
    const relid = Number(text);
    const set = waiters.get(relid) ?? new Set<string>();
    set.add(vxid);
    waiters.set(relid, set);
  }
  return waiters;
}

export async function nextSegmentId(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT nextval(pg_get_serial_sequence('analytica.segments', 'segment_id')) AS id`,
  );
  return Number(rows[0]!.id);
}

export async function setState(
  client: pg.ClientBase,
  relid: number,
  state: TableState,
  progress?: { rows: number; totalRows: number },
): Promise<void> {
  await client.query(
    `UPDATE analytica.tables SET state = $2, progress_rows = $3, progress_total_rows = $4 WHERE relid = $1`,
    [relid, state, progress?.rows ?? null, progress?.totalRows ?? null],
  );
}

export async function setProgress(
  client: pg.ClientBase,
  relid: number,
  rows: number,
  totalRows: number,
): Promise<void> {
  await client.query(
    `UPDATE analytica.tables SET progress_rows = $2, progress_total_rows = $3 WHERE relid = $1`,
    [relid, rows, totalRows],
  );
}

export async function recordError(client: pg.ClientBase, relid: number, message: string): Promise<void> {
  await client.query(
    `UPDATE analytica.tables SET state = 'error', last_error = $2, last_error_at = now() WHERE relid = $1`,
    [relid, message],
  );
}

/**
 * A segment file of the table's visible generation is missing or damaged: records why and asks
 * for a re-copy, as analytica.resync() does ('pending' is what every mode's copy starts from, and
 * analytica.wait_for_sync waits through it instead of failing). A copy already asked for or
 * running is left alone, and a paused table stays paused. Returns whether it asked.
 */
export async function reportDamagedSegment(
  client: pg.ClientBase | pg.Pool,
  relid: number,
  generation: number,
  message: string,
): Promise<boolean> {
  const { rows } = await client.query<{ relid: string }>(
    `WITH marked AS (
       UPDATE analytica.tables
          SET state = CASE WHEN state = 'paused' THEN state ELSE 'pending' END,
              sync_requested_at = now(), last_error = $3, last_error_at = now()
        WHERE relid = $1 AND generation = $2 AND state NOT IN ('pending', 'backfilling', 'refreshing')
        RETURNING relid)
     SELECT relid::bigint AS relid, pg_notify('analytica', 'resync ' || relid::text) FROM marked`,
    [relid, generation, message],
  );
  return rows.length > 0;
}

/** Adds a (not yet visible) segment of a staged generation. */
export async function insertSegment(client: pg.ClientBase, segment: NewSegment): Promise<void> {
  await client.query(
    `INSERT INTO analytica.segments (segment_id, relid, generation, path, row_count, byte_size, column_stats, kind)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      segment.segmentId,
      segment.relid,
      segment.generation,
      segment.path,
      segment.rowCount,
      segment.byteSize,
      JSON.stringify(segment.columnStats),
      segment.kind ?? 'data',
    ],
  );
}

/**
 * Paths of one generation's data segments (also of a copy not yet published: the stream reads
 * rows an update left unchanged from them).
 */
export async function dataSegmentPaths(
  client: pg.ClientBase,
  relid: number,
  generation: number,
): Promise<string[]> {
  const { rows } = await client.query<{ path: string }>(
    `SELECT path FROM analytica.segments WHERE relid = $1 AND generation = $2 AND kind = 'data' ORDER BY segment_id`,
    [relid, generation],
  );
  return rows.map((r) => r.path);
}

/** Drops segment rows of generations that never became visible (a refresh cut short). */
export async function discardStagedSegments(client: pg.ClientBase, relid: number): Promise<number> {
  const result = await client.query(
    `DELETE FROM analytica.segments s USING analytica.tables t
      WHERE s.relid = $1 AND t.relid = s.relid AND s.generation > t.generation`,
    [relid],
  );
  return result.rowCount ?? 0;
}

export interface Publication {
  relid: number;
  generation: number;
  columns: ColumnSpec[];
  syncedLsn: string;
  /** The copy's snapshot; analytica.wait_for_sync compares callers' snapshots with it. */
  syncedSnapshot: string | null;
  fingerprint: string;
  /** The partitions of a partitioned table, read before the copy's snapshot. */
  partitions?: PartitionTree | null;
  syncMs: number;
  /** The registration the copy was made for (registered_at); a re-registration is another one. */
  registeredAt: string;
  /** The request this sync answers; cleared only if no newer request came in. */
  requestedAt: string | null;
}

/**
 * Makes a staged generation visible and retires the previous one, in the
 * caller's transaction. Row and byte totals come from the segments themselves.
 * A re-copy asked for (requestRecopy) before the copy began is answered (recopied_at); one
 * asked for while it ran leaves the table 'pending', to be copied again.
 */
export async function publishGeneration(client: pg.ClientBase, p: Publication): Promise<void> {
  const result = await client.query(
    `UPDATE analytica.tables t
        SET generation = $2, columns = $3, synced_lsn = $4::pg_lsn, synced_snapshot = $8::pg_snapshot,
            change_fingerprint = $5,
            partitions = $10::jsonb,
            recopied_at = CASE WHEN t.recopy_requested_at <= $7::timestamptz THEN now() ELSE t.recopied_at END,
            state = CASE WHEN t.recopy_requested_at > coalesce($7::timestamptz, '-infinity') AND t.recopied_at IS NULL
                         THEN 'pending' ELSE 'synced' END,
            last_sync_at = now(), last_sync_ms = $6, last_error = NULL, last_error_at = NULL,
            progress_rows = NULL, progress_total_rows = NULL,
            sync_requested_at = CASE WHEN t.sync_requested_at <= $7::timestamptz THEN NULL ELSE t.sync_requested_at END,
            version = t.version + 1, truncated_seq = NULL,
            rows = coalesce((SELECT sum(row_count) FROM analytica.segments s
                              WHERE s.relid = t.relid AND s.generation = $2 AND s.kind = 'data'), 0),
            bytes = coalesce((SELECT sum(byte_size) FROM analytica.segments s WHERE s.relid = t.relid AND s.generation = $2), 0)
      WHERE relid = $1 AND t.generation = $2 - 1 AND t.registered_at = $9::timestamptz`,
    [
      p.relid,
      p.generation,
      JSON.stringify(p.columns),
      p.syncedLsn,
      p.fingerprint,
      p.syncMs,
      p.requestedAt,
      p.syncedSnapshot,
      p.registeredAt,
      p.partitions ? JSON.stringify(p.partitions) : null,
    ],
  );
  // The registration this copy was made for is gone (unregistered, maybe registered again) or
  // another copy published first: its segment rows may have been deleted with it, so never publish.
  if (result.rowCount !== 1) {
    throw new Error(
      'the table was unregistered or copied by someone else while this copy ran; it will be copied again',
    );
  }
  await client.query(`DELETE FROM analytica.segments WHERE relid = $1 AND generation < $2`, [
    p.relid,
    p.generation,
  ]);
}

/** Where the change stream stands, for analytica.wait_for_sync and the status view. */
export interface StreamPosition {
  slotName: string;
  appliedLsn: string;
  lastCommitLsn: string | null;
  lastCommitAt: Date | null;
}

export async function recordStreamPosition(client: pg.ClientBase, p: StreamPosition): Promise<void> {
  await client.query(
    `INSERT INTO analytica.stream_state AS s (slot_name, applied_lsn, applied_at, last_commit_lsn, last_commit_at, unavailable_reason, updated_at)
     VALUES ($1, $2::pg_lsn, now(), $3::pg_lsn, $4, NULL, now())
     ON CONFLICT (singleton) DO UPDATE
       SET slot_name = excluded.slot_name, applied_lsn = greatest(s.applied_lsn, excluded.applied_lsn),
           applied_at = now(), last_commit_lsn = coalesce(excluded.last_commit_lsn, s.last_commit_lsn),
           last_commit_at = coalesce(excluded.last_commit_at, s.last_commit_at), unavailable_reason = NULL,
           updated_at = now()`,
    [p.slotName, p.appliedLsn, p.lastCommitLsn, p.lastCommitAt],
  );
}

/** At stream start: applied is what the segments hold (the delta of a previous process is gone). */
export async function resetStreamPosition(client: pg.ClientBase, slotName: string): Promise<void> {
  await client.query(
    `INSERT INTO analytica.stream_state AS s (slot_name, applied_lsn, updated_at)
     VALUES ($1, (SELECT min(synced_lsn) FROM analytica.tables WHERE mode = 'stream'), now())
     ON CONFLICT (singleton) DO UPDATE SET slot_name = excluded.slot_name, applied_lsn = excluded.applied_lsn,
                                           updated_at = now()`,
    [slotName],
  );
}

/** Records why the change stream cannot run (shown by the status view and the logs). */
export async function recordStreamUnavailable(
  client: pg.ClientBase,
  slotName: string,
  reason: string,
): Promise<void> {
  await client.query(
    `INSERT INTO analytica.stream_state AS s (slot_name, unavailable_reason, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (singleton) DO UPDATE SET unavailable_reason = excluded.unavailable_reason, updated_at = now()`,
    [slotName, reason],
  );
}

/**
 * Why this connection's role cannot stream changes of the database, or null when it can:
 * wal_level below logical, no REPLICATION attribute, or no replication slot left.
 */
export async function streamUnavailableReason(
  client: pg.ClientBase,
  slotName: string,
): Promise<string | null> {
  const { rows } = await client.query<{ reason: string | null }>(
    `SELECT CASE
              WHEN current_setting('wal_level') <> 'logical'
                THEN format('wal_level is %s, not logical', current_setting('wal_level'))
              WHEN NOT (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user)
                THEN format('role %s may not replicate (it needs the REPLICATION attribute)', current_user)
              WHEN NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)
                   AND (SELECT count(*) FROM pg_replication_slots) >= current_setting('max_replication_slots')::int
                THEN 'every replication slot is in use (max_replication_slots)'
            END AS reason`,
    [slotName],
  );
  return rows[0]?.reason ?? null;
}

/** One streamed table's part of a flush. */
export interface StreamedTableFlush {
  relid: number;
  generation: number;
  /** Rows added minus rows removed since the last flush (or, after a truncate, rows since it). */
  rowsDelta: number;
  /** Highest TRUNCATE sequence in this flush; older segments of the table are dropped. */
  truncatedSeq: string | null;
  /** Segment ids from this one on belong to this flush (the older ones go on truncate). */
  firstSegmentId: number;
  /** The table's columns after a schema change the stream followed, else null. */
  columns: ColumnSpec[] | null;
}

/**
 * Moves streamed tables' watermark to `appliedLsn` after their flushed segments were inserted,
 * in the caller's transaction (exactly once: files fsynced → this commit → slot confirmed).
 * Returns the tables actually updated (a table unregistered or re-copied meanwhile is left out).
 */
export async function commitStreamFlush(
  client: pg.ClientBase,
  appliedLsn: string,
  tables: readonly StreamedTableFlush[],
): Promise<number[]> {
  const truncated = tables.filter((t) => t.truncatedSeq !== null);
  if (truncated.length > 0) {
    await client.query(
      `DELETE FROM analytica.segments s USING unnest($1::oid[], $2::bigint[], $3::bigint[]) AS d(relid, generation, first_id)
        WHERE s.relid = d.relid AND s.generation = d.generation AND s.segment_id < d.first_id`,
      [
        truncated.map((t) => t.relid),
        truncated.map((t) => t.generation),
        truncated.map((t) => t.firstSegmentId),
      ],
    );
  }
  const { rows } = await client.query<{ relid: string }>(
    `UPDATE analytica.tables t
        SET synced_lsn = $1::pg_lsn, version = t.version + 1, last_sync_at = now(),
            rows = CASE WHEN d.truncated_seq IS NOT NULL THEN d.rows_delta ELSE t.rows + d.rows_delta END,
            truncated_seq = coalesce(d.truncated_seq, t.truncated_seq),
            columns = coalesce(d.columns::jsonb, t.columns),
            bytes = coalesce((SELECT sum(byte_size) FROM analytica.segments s
                               WHERE s.relid = t.relid AND s.generation = t.generation), 0)
       FROM unnest($2::oid[], $3::bigint[], $4::bigint[], $5::pg_lsn[], $6::text[])
              AS d(relid, generation, rows_delta, truncated_seq, columns)
      WHERE t.relid = d.relid AND t.generation = d.generation AND t.mode = 'stream'
      RETURNING t.relid::bigint AS relid`,
    [
      appliedLsn,
      tables.map((t) => t.relid),
      tables.map((t) => t.generation),
      tables.map((t) => t.rowsDelta),
      tables.map((t) => t.truncatedSeq),
      tables.map((t) => (t.columns ? JSON.stringify(t.columns) : null)),
    ],
  );
  return rows.map((r) => Number(r.relid));
}

/**
 * One chunk of an append pass: its segment (inserted before, in the caller's transaction) and
 * the new watermark commit together.
 */
export async function advanceAppendWatermark(
  client: pg.ClientBase,
  p: { relid: number; generation: number; watermark: bigint; rows: number },
): Promise<void> {
  const result = await client.query(
    `UPDATE analytica.tables t
        SET append_watermark = $3, rows = t.rows + $4,
            bytes = coalesce((SELECT sum(byte_size) FROM analytica.segments s
                               WHERE s.relid = t.relid AND s.generation = t.generation), 0)
      WHERE relid = $1 AND generation = $2`,
    [p.relid, p.generation, p.watermark.toString(), p.rows],
  );
  if (result.rowCount !== 1)
    throw new Error('the table was unregistered or copied again during an append pass');
}

/** The end of an append pass: what it saw (for wait_for_sync) and when. */
export async function finishAppendPass(
  client: pg.ClientBase,
  p: { relid: number; generation: number; snapshot: string; fingerprint: string; ms: number },
): Promise<void> {
  await client.query(
    `UPDATE analytica.tables SET synced_snapshot = $3::pg_snapshot, change_fingerprint = $4, state = 'synced',
            last_sync_at = now(), last_sync_ms = $5, last_error = NULL, last_error_at = NULL
      WHERE relid = $1 AND generation = $2`,
    [p.relid, p.generation, p.snapshot, p.fingerprint, p.ms],
  );
}

export async function deleteTable(client: pg.ClientBase, relid: number): Promise<void> {
  await client.query(`DELETE FROM analytica.tables WHERE relid = $1`, [relid]);
}

/** Every path any catalog row names (all generations), for garbage collection. */
export async function allSegmentPaths(client: pg.ClientBase): Promise<Set<string>> {
  const { rows } = await client.query<{ path: string }>(`SELECT path FROM analytica.segments`);
  return new Set(rows.map((r) => r.path));
}

/** Oids of the registered tables. */
export async function registeredRelids(client: pg.ClientBase): Promise<Set<number>> {
  const { rows } = await client.query<{ relid: string }>(
    'SELECT relid::bigint AS relid FROM analytica.tables',
  );
  return new Set(rows.map((r) => Number(r.relid)));
}

export interface VisibleTable {
  relid: number;
  schemaName: string;
  tableName: string;
  generation: number;
  columns: ColumnSpec[];
  paths: string[];
  /** Set for streamed tables: what merges the delete segments and the in-memory delta in. */
  stream?: StreamedView;
  /**
   * The source table's columns are not the copy's: a schema change the stream has not met yet
   * (it learns of one with the table's next row change). Set by the query resolver.
   */
  columnsBehind?: boolean;
}

export interface StreamedView {
  version: number;
  keyColumns: string[];
  /** Transactions ending at or below this LSN are in the segments; later ones are in the delta. */
  watermark: bigint;
  /** Rows with a lower sequence were truncated. */
  truncatedSeq: bigint;
  deletePaths: string[];
}
