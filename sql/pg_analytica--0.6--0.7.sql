-- pg_analytica 0.6 → 0.7: hardening.
--
-- Settings are rows of analytica.setting_definitions (the view analytica.settings
-- reads them with the database's current value), so a later version adds a
-- setting with one INSERT instead of repeating the whole list.

CREATE TABLE analytica.setting_definitions (
  name text PRIMARY KEY CHECK (name LIKE 'analytica.%'),
  default_value text NOT NULL,
  description text NOT NULL
);
INSERT INTO analytica.setting_definitions (name, default_value, description) VALUES
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
  ('analytica.compaction_memory_limit', '1GB', 'memory limit of the compaction engine (larger merges spill to disk)'),
  ('analytica.foreign_schema', 'columnar', 'schema where register_table creates the foreign table of a copy (''none'': no foreign tables)');
REVOKE ALL ON analytica.setting_definitions FROM PUBLIC;
GRANT SELECT ON analytica.setting_definitions TO PUBLIC;

CREATE OR REPLACE VIEW analytica.settings AS
SELECT s.name, current_setting(s.name, true) AS setting, s.default_value, s.description
  FROM analytica.setting_definitions AS s;

-- ===== control schema security =====

-- ===== query server limits =====

-- ===== sync integrity =====

-- Status: the WAL the slot holds back next to analytica.max_retained_wal (the database's setting,
-- else its default: the daemon's flags and environment are not visible here), and the slot's
-- wal_status (reserved, extended, unreserved, lost: PostgreSQL's own verdict).
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
       CASE WHEN t.mode = 'stream' THEN slot.retained END AS slot_retained_bytes,
       t.last_sync_at,
       t.last_sync_ms,
       t.last_compaction_at,
       t.last_error,
       t.last_error_at,
       t.relid,
       CASE WHEN t.mode = 'stream' THEN
         pg_size_bytes(coalesce(nullif(current_setting('analytica.max_retained_wal', true), ''),
                                (SELECT d.default_value FROM analytica.setting_definitions d
                                  WHERE d.name = 'analytica.max_retained_wal')))
       END AS slot_retained_limit_bytes,
       CASE WHEN t.mode = 'stream' THEN slot.wal_status END AS slot_wal_status
  FROM analytica.tables t
  LEFT JOIN analytica.stream_state ss ON true
  LEFT JOIN LATERAL (
    SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), r.restart_lsn)::bigint AS retained, r.wal_status
      FROM pg_replication_slots r WHERE r.slot_name = ss.slot_name
  ) AS slot ON true
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE CASE WHEN c.oid IS NULL THEN t.registered_by = current_user ELSE has_table_privilege(c.oid, 'SELECT') END;
GRANT SELECT ON analytica.status TO PUBLIC;


-- ===== segment integrity =====

UPDATE analytica.schema_info SET version = '0.7';
