-- pg_analytica control schema, upgrade 0.4 → 0.5: compaction.
--
-- The daemon merges a table's small segments into large sorted ones and applies its delete
-- segments, swapping old segments for new in one transaction. analytica.compact_now asks for it
-- at once; otherwise it runs when a table crosses the analytica.compaction_* thresholds.

UPDATE analytica.schema_info SET version = '0.5';

ALTER TABLE analytica.tables ADD COLUMN compact_requested_at timestamptz;
ALTER TABLE analytica.tables ADD COLUMN last_compaction_at timestamptz;

-- Asks the daemon to compact the table now: every small segment merged, every delete applied.
CREATE FUNCTION analytica.compact_now(source regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM analytica.check_owner(source);
  UPDATE analytica.tables SET compact_requested_at = now() WHERE relid = source;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM pg_notify('analytica', 'compact ' || source::oid::text);
END
$$;

CREATE OR REPLACE VIEW analytica.settings AS
SELECT s.name, current_setting(s.name, true) AS setting, s.default_value, s.description
  FROM (VALUES
    ('analytica.naptime', '1s', 'how often the daemon checks registered tables for work and flushes streamed changes'),
    ('analytica.chunk_size', '1000000', 'rows per backfill chunk and per segment; streamed changes flush at this many rows'),
    ('analytica.duckdb_memory_limit', '4GB', 'memory limit of the query engine'),
    ('analytica.duckdb_threads', '2', 'threads of the query engine'),
    ('analytica.max_wait', '30s', 'how long a query waits for the stream to catch up with its start'),
    ('analytica.max_retained_wal', '1GB', 'WAL the replication slot may hold back before the daemon warns'),
    ('analytica.max_delta_memory', '256MB', 'streamed changes held in memory before they are flushed to segments'),
    ('analytica.compaction_target_size', '128MB', 'size of the segments compaction writes; smaller ones are merged'),
    ('analytica.compaction_min_segments', '8', 'small segments (or delete segments) of a table that start a compaction'),
    ('analytica.compaction_delete_ratio', '0.1', 'deleted rows per stored row that start a compaction applying the deletes'),
    ('analytica.compaction_memory_limit', '1GB', 'memory limit of the compaction engine (larger merges spill to disk)')
  ) AS s(name, default_value, description);

-- Status: delete segments and the last compaction.
DROP VIEW analytica.status;
CREATE VIEW analytica.status AS
SELECT coalesce(format('%I.%I', n.nspname, c.relname), format('%I.%I', t.schema_name, t.table_name)) AS table_name,
       t.mode,
       t.state,
       t.rows,
       (SELECT count(*) FROM analytica.segments s
         WHERE s.relid = t.relid AND s.generation = t.generation AND s.kind = 'data') AS segments,
       (SELECT count(*) FROM analytica.segments s
         WHERE s.relid = t.relid AND s.generation = t.generation AND s.kind = 'delete') AS delete_segments,
       t.bytes,
       CASE WHEN c.oid IS NOT NULL THEN pg_table_size(c.oid) END AS source_bytes,
       t.order_by,
       t.progress_rows,
       t.progress_total_rows,
       t.synced_lsn,
       CASE WHEN t.mode = 'stream' AND t.generation > 0 AND NOT pg_is_in_recovery() THEN
         greatest(0, pg_wal_lsn_diff(pg_current_wal_lsn(), greatest(t.synced_lsn, ss.applied_lsn)))::bigint
       END AS lag_bytes,
       CASE WHEN t.mode = 'stream' AND t.generation > 0 THEN
         CASE WHEN greatest(t.synced_lsn, ss.applied_lsn) >= pg_current_wal_lsn() THEN 0
              ELSE extract(epoch FROM clock_timestamp() - coalesce(ss.applied_at, t.last_sync_at)) END
       END AS lag_seconds,
       CASE WHEN t.mode = 'stream' THEN
         (SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), r.restart_lsn)::bigint
            FROM pg_replication_slots r WHERE r.slot_name = ss.slot_name)
       END AS slot_retained_bytes,
       t.last_sync_at,
       t.last_sync_ms,
       t.last_compaction_at,
       t.last_error,
       t.last_error_at,
       t.relid
  FROM analytica.tables t
  LEFT JOIN analytica.stream_state ss ON true
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE CASE WHEN c.oid IS NULL THEN t.registered_by = current_user ELSE has_table_privilege(c.oid, 'SELECT') END;
GRANT SELECT ON analytica.status TO PUBLIC;

-- Called by every query on a streamed table: wal_segment_size is read with current_setting
-- instead of the pg_settings view, which builds every setting's row (about 1 ms a call).
CREATE OR REPLACE FUNCTION analytica.commit_horizon() RETURNS pg_lsn
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
              WHEN (l - '0/0'::pg_lsn) % seg = 40 THEN l - 40
              WHEN (l - '0/0'::pg_lsn) % blk = 24 THEN l - 24
              ELSE l END
    FROM (SELECT pg_current_wal_insert_lsn() AS l, current_setting('wal_block_size')::numeric AS blk,
                 pg_size_bytes(current_setting('wal_segment_size'))::numeric AS seg) AS s
$$;
