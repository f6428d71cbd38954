-- pg_analytica control schema, upgrade 0.3 → 0.4: continuous sync through logical replication.
--
-- A table registered in mode 'stream' (the default where wal_level is logical) joins the
-- publication pg_analytica; the daemon keeps one replication slot per database on it, applies
-- inserts, updates, deletes and truncates, and commits flushed changes together with the
-- table's watermark (synced_lsn). Updates and deletes are matched by the replica identity key.

UPDATE analytica.schema_info SET version = '0.4';

ALTER TABLE analytica.tables DROP CONSTRAINT tables_mode_check;
ALTER TABLE analytica.tables ADD CONSTRAINT tables_mode_check CHECK (mode IN ('stream', 'refresh', 'append'));
ALTER TABLE analytica.tables ALTER COLUMN mode SET DEFAULT 'stream';
-- The replica identity key (primary key or REPLICA IDENTITY USING INDEX): deletes match on it.
ALTER TABLE analytica.tables ADD COLUMN key_columns text[];
-- Bumped by every flush of streamed changes, so readers can tell one set of segments from the next.
ALTER TABLE analytica.tables ADD COLUMN version bigint NOT NULL DEFAULT 0;
-- Rows whose sequence (change LSN) is below this were removed by a TRUNCATE.
ALTER TABLE analytica.tables ADD COLUMN truncated_seq pg_lsn;
-- Mode append: every row with a key at or below this is in the copy.
ALTER TABLE analytica.tables ADD COLUMN append_watermark bigint;

-- One row per database: where the change stream stands.
CREATE TABLE analytica.stream_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  slot_name name NOT NULL,
  -- Every transaction that ends at or before this LSN has been applied (in memory or in segments).
  applied_lsn pg_lsn,
  applied_at timestamptz,
  -- The last commit applied, and when it committed in PostgreSQL.
  last_commit_lsn pg_lsn,
  last_commit_at timestamptz,
  -- Set when logical replication cannot be used (wal_level, privileges), with the reason.
  unavailable_reason text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON analytica.stream_state FROM PUBLIC;

-- The replica identity key columns of a table, or NULL when it has none usable for matching rows.
-- A deferrable key is not usable: within a statement two rows may briefly share a key value, and
-- a streamed delete could then not tell them apart.
CREATE FUNCTION analytica.replica_key(source regclass) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT array_agg(a.attname::text ORDER BY k.ord)
    FROM pg_class c
    JOIN pg_index i ON i.indrelid = c.oid
         AND CASE c.relreplident WHEN 'i' THEN i.indisreplident WHEN 'n' THEN false ELSE i.indisprimary END
         AND i.indimmediate
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
   WHERE c.oid = source
$$;

-- Adds or removes a table in the publication the daemon streams; the publication exists only
-- while some table is registered for streaming.
CREATE FUNCTION analytica.publish_table(source regclass, publish boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  member boolean;
BEGIN
  member := EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                     WHERE p.pubname = 'pg_analytica' AND pr.prrelid = source);
  IF publish AND NOT member THEN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pg_analytica') THEN
      CREATE PUBLICATION pg_analytica;
    END IF;
    EXECUTE format('ALTER PUBLICATION pg_analytica ADD TABLE %s', source);
  ELSIF NOT publish AND member THEN
    EXECUTE format('ALTER PUBLICATION pg_analytica DROP TABLE %s', source);
  END IF;
  IF NOT publish AND EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'pg_analytica')
     AND NOT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                      WHERE p.pubname = 'pg_analytica') THEN
    DROP PUBLICATION pg_analytica;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION analytica.publish_table(regclass, boolean) FROM PUBLIC;

-- The checks and the catalog row of a registration; register_table adds the mode.
ALTER FUNCTION analytica.register_table(regclass, text[]) RENAME TO register_table_row;
REVOKE ALL ON FUNCTION analytica.register_table_row(regclass, text[]) FROM PUBLIC;

CREATE FUNCTION analytica.register_table(source regclass, order_by text[] DEFAULT NULL, mode text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  chosen text := mode;
  key text[];
  unavailable text;
  logical boolean := current_setting('wal_level') = 'logical';
BEGIN
  IF chosen IS NOT NULL AND chosen NOT IN ('stream', 'refresh', 'append') THEN
    RAISE EXCEPTION 'unknown mode %', quote_literal(chosen)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'mode is ''stream'' (logical replication, the default), ''append'' (insert-only tables, '
                   'polled past a watermark) or ''refresh'' (re-copy when the table changed)';
  END IF;
  PERFORM analytica.register_table_row(source, order_by);
  IF chosen IS NULL THEN
    -- Where the daemon found it cannot replicate (no REPLICATION attribute, no free slot), it said why.
    SELECT s.unavailable_reason INTO unavailable FROM analytica.stream_state s;
    chosen := CASE WHEN logical AND unavailable IS NULL THEN 'stream' ELSE 'refresh' END;
    IF chosen = 'refresh' THEN
      RAISE NOTICE '% is re-copied when it changes (mode refresh): %', source,
        coalesce(unavailable, format('wal_level is %s, not logical', current_setting('wal_level')));
    END IF;
  END IF;
  IF chosen = 'stream' THEN
    IF NOT logical THEN
      RAISE EXCEPTION 'cannot stream changes of %: wal_level is %', source, current_setting('wal_level')
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'set wal_level = logical and restart PostgreSQL, or register with mode => ''refresh''';
    END IF;
    key := analytica.replica_key(source);
    IF key IS NULL THEN
      RAISE EXCEPTION 'cannot stream changes of %: it has no primary key to match updated and deleted rows', source
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = format('add a primary key (or ALTER TABLE %s REPLICA IDENTITY USING INDEX on a unique index of '
                            'NOT NULL columns), or register with mode => ''refresh''', source);
    END IF;
    PERFORM analytica.publish_table(source, true);
  END IF;
  IF chosen = 'append' THEN
    -- New rows are found by a key that grows as rows are inserted: an integer primary key fed
    -- by a sequence (serial or identity).
    SELECT array_agg(a.attname::text) INTO key
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = source AND i.indisprimary AND array_length(i.indkey::int2[], 1) = 1
       AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
       AND pg_get_serial_sequence(source::text, a.attname) IS NOT NULL
       -- A sequence with CACHE > 1 hands keys to sessions ahead of time, out of order.
       AND (SELECT s.seqcache FROM pg_sequence s
             WHERE s.seqrelid = pg_get_serial_sequence(source::text, a.attname)::regclass) = 1;
    IF key IS NULL THEN
      RAISE EXCEPTION 'cannot register % in mode append: it needs a one-column integer primary key filled by a sequence (with CACHE 1)', source
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'use bigint GENERATED ALWAYS AS IDENTITY (or serial) as the primary key, or register with mode => ''refresh''';
    END IF;
  END IF;
  UPDATE analytica.tables SET mode = chosen, key_columns = key WHERE relid = source;
END
$$;

CREATE OR REPLACE FUNCTION analytica.unregister_table(source regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM analytica.check_owner(source);
  DELETE FROM analytica.tables WHERE relid = source;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM analytica.publish_table(source, false);
  -- Segment rows go with the table row (ON DELETE CASCADE); the daemon
  -- removes their files once no running query can still read them.
  PERFORM pg_notify('analytica', 'unregister ' || source::oid::text);
END
$$;

-- Copies a table again from a fresh snapshot (after a schema change the stream cannot follow,
-- or to repair a copy in error).
CREATE FUNCTION analytica.resync(source regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM analytica.check_owner(source);
  UPDATE analytica.tables SET state = 'pending', sync_requested_at = now(), last_error = NULL
   WHERE relid = source;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM pg_notify('analytica', 'resync ' || source::oid::text);
END
$$;

-- The WAL position every transaction committed so far ends at or before: the insert position
-- (with synchronous_commit off a commit is visible before its record is written, so the write
-- position can trail it), less the page header the insert position skips at a page boundary,
-- where no record ends.
CREATE FUNCTION analytica.commit_horizon() RETURNS pg_lsn
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
              WHEN (l - '0/0'::pg_lsn) % seg = 40 THEN l - 40
              WHEN (l - '0/0'::pg_lsn) % blk = 24 THEN l - 24
              ELSE l END
    FROM (SELECT pg_current_wal_insert_lsn() AS l, current_setting('wal_block_size')::numeric AS blk,
                 (SELECT setting::numeric FROM pg_settings WHERE name = 'wal_segment_size') AS seg) AS s
$$;

-- wait_for_sync: a streamed table is in sync when the stream has applied everything up to the
-- caller's WAL position (commit records of earlier transactions are before it); a re-copied
-- table compares snapshots as before.
CREATE OR REPLACE FUNCTION analytica.wait_for_sync(source regclass, timeout interval DEFAULT '60s') RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  target pg_snapshot := pg_current_snapshot();
  target_lsn pg_lsn := analytica.commit_horizon();
  started_at timestamptz := clock_timestamp();
  deadline timestamptz := clock_timestamp() + timeout;
  entry record;
  applied pg_lsn;
  waited_ms integer := 0;
BEGIN
  IF NOT has_table_privilege(session_user, source, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for table %', source USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'analytica.wait_for_sync must run at isolation level READ COMMITTED'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'it has to see the daemon''s progress while it waits';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(analytica.wait_lock_class(), (source::oid::bigint - 2147483648)::integer);
  LOOP
    SELECT t.mode, t.generation, t.synced_lsn, t.synced_snapshot, t.state, t.last_error, t.last_error_at INTO entry
      FROM analytica.tables t WHERE t.relid = source;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
    END IF;
    IF entry.mode = 'stream' THEN
      SELECT s.applied_lsn INTO applied FROM analytica.stream_state s;
      EXIT WHEN entry.generation > 0 AND entry.state = 'synced'
            AND greatest(entry.synced_lsn, applied) >= target_lsn;
    ELSE
      EXIT WHEN coalesce(analytica.snapshot_contains(entry.synced_snapshot, target), false);
    END IF;
    IF entry.state = 'error' AND entry.last_error_at >= started_at THEN
      RAISE EXCEPTION 'pg_analytica cannot sync table %: %', source, entry.last_error
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'fix the cause, then call analytica.resync() or re-register the table';
    END IF;
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'timed out after % waiting for pg_analytica to sync table %', timeout, source
        USING ERRCODE = 'query_canceled',
              HINT = 'is the pg-analytica daemon running for this database? see SELECT * FROM analytica.status';
    END IF;
    PERFORM pg_sleep(least(0.1, 0.005 * (1 + waited_ms / 50)));
    waited_ms := waited_ms + 10;
  END LOOP;
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
    ('analytica.max_delta_memory', '256MB', 'streamed changes held in memory before they are flushed to segments')
  ) AS s(name, default_value, description);

-- Status: lag of streamed tables in bytes of WAL and in seconds.
DROP VIEW analytica.status;
CREATE VIEW analytica.status AS
SELECT coalesce(format('%I.%I', n.nspname, c.relname), format('%I.%I', t.schema_name, t.table_name)) AS table_name,
       t.mode,
       t.state,
       t.rows,
       (SELECT count(*) FROM analytica.segments s
         WHERE s.relid = t.relid AND s.generation = t.generation AND s.kind = 'data') AS segments,
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
       t.last_error,
       t.last_error_at,
       t.relid
  FROM analytica.tables t
  LEFT JOIN analytica.stream_state ss ON true
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE CASE WHEN c.oid IS NULL THEN t.registered_by = current_user ELSE has_table_privilege(c.oid, 'SELECT') END;
GRANT SELECT ON analytica.status TO PUBLIC;
