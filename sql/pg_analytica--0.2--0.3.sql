-- pg_analytica control schema, upgrade 0.2 → 0.3: wait_for_sync compares snapshots.
--
-- A copy's watermark LSN is read just before its snapshot is taken, but a
-- transaction's commit record enters the WAL before the transaction becomes
-- visible. A copy that starts in that window gets an LSN at or above the commit,
-- yet a snapshot without it; a waiter whose target is that same LSN would then
-- return too early. What a copy contains is exactly its snapshot, so the copy
-- records it, and a waiter waits until that snapshot sees everything its own did.

UPDATE analytica.schema_info SET version = '0.3';

ALTER TABLE analytica.tables ADD COLUMN synced_snapshot pg_snapshot;

-- True when every transaction visible in `earlier` is visible in `later`.
-- A transaction visible in `earlier` is below its xmax and not in its xip list;
-- it is invisible in `later` only if at or above later's xmax, or in later's xip.
CREATE FUNCTION analytica.snapshot_contains(later pg_snapshot, earlier pg_snapshot) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_snapshot_xmax(earlier) <= pg_snapshot_xmax(later)
     AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(later) AS x WHERE pg_visible_in_snapshot(x, earlier))
$$;

CREATE OR REPLACE FUNCTION analytica.wait_for_sync(source regclass, timeout interval DEFAULT '60s') RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  -- The calling statement's snapshot: what "committed before the call" means.
  target pg_snapshot := pg_current_snapshot();
  started_at timestamptz := clock_timestamp();
  deadline timestamptz := clock_timestamp() + timeout;
  entry record;
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
  -- Integer cast of the oid keeps values above 2^31 distinct (they wrap to negatives).
  PERFORM pg_advisory_xact_lock_shared(analytica.wait_lock_class(), (source::oid::bigint - 2147483648)::integer);
  LOOP
    SELECT t.synced_snapshot, t.state, t.last_error, t.last_error_at INTO entry
      FROM analytica.tables t WHERE t.relid = source;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
    END IF;
    EXIT WHEN coalesce(analytica.snapshot_contains(entry.synced_snapshot, target), false);
    -- Only an error raised while we wait counts: an older one may be retried for us.
    IF entry.state = 'error' AND entry.last_error_at >= started_at THEN
      RAISE EXCEPTION 'pg_analytica cannot sync table %: %', source, entry.last_error
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'fix the cause, then call analytica.sync_now() or re-register the table';
    END IF;
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'timed out after % waiting for pg_analytica to sync table %', timeout, source
        USING ERRCODE = 'query_canceled',
              HINT = 'is the pg-analytica daemon running for this database? see SELECT * FROM analytica.status';
    END IF;
    -- Short sleeps first so quick syncs return quickly, then back off to 100 ms.
    PERFORM pg_sleep(least(0.1, 0.005 * (1 + waited_ms / 50)));
    waited_ms := waited_ms + 10;
  END LOOP;
END
$$;

-- The data directory is no longer a database setting: it bounds what the query engine may
-- read and what garbage collection deletes, so only the daemon's flags and environment set it.
CREATE OR REPLACE VIEW analytica.settings AS
SELECT s.name, current_setting(s.name, true) AS setting, s.default_value, s.description
  FROM (VALUES
    ('analytica.naptime', '1s', 'how often the daemon checks registered tables for work'),
    ('analytica.chunk_size', '1000000', 'rows per backfill chunk and per segment'),
    ('analytica.duckdb_memory_limit', '4GB', 'memory limit of the query engine'),
    ('analytica.duckdb_threads', '2', 'threads of the query engine')
  ) AS s(name, default_value, description);

-- A registration whose source is gone has no owner to check; only the daemon (which
-- unregisters it by itself) and superusers may act on it.
CREATE OR REPLACE FUNCTION analytica.check_owner(source regclass) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT coalesce(pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = source), 'USAGE'), false) THEN
    RAISE EXCEPTION 'must be owner of table %', source
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$$;

-- A registration whose source is gone is shown only to the role that registered it.
CREATE OR REPLACE VIEW analytica.status AS
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
       t.last_sync_at,
       t.last_sync_ms,
       t.last_error,
       t.last_error_at,
       t.relid
  FROM analytica.tables t
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE CASE WHEN c.oid IS NULL THEN t.registered_by = current_user ELSE has_table_privilege(c.oid, 'SELECT') END;

-- Raises from inside a COPY expression: used when a value cannot be stored exactly
-- (arrays of more than one dimension, or not starting at index 1, which PostgreSQL allows
-- in any array column whatever its declaration).
CREATE FUNCTION analytica.copy_error(message text) RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RAISE EXCEPTION '%', message USING ERRCODE = 'feature_not_supported';
END
$$;
