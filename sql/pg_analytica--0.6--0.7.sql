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

INSERT INTO analytica.setting_definitions (name, default_value, description) VALUES
  ('analytica.statement_timeout', '1h', 'statement_timeout query server sessions start with (0: none); SET statement_timeout overrides it');

-- ===== sync integrity =====

-- ===== segment integrity =====

UPDATE analytica.schema_info SET version = '0.7';
