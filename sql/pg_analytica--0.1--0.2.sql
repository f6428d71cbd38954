-- pg_analytica control schema, upgrade 0.1 → 0.2: wait_for_sync and the settings view.

UPDATE analytica.schema_info SET version = '0.2';

-- Advisory-lock key space shown to the daemon in pg_locks: (classid, objid) =
-- (analytica.wait_lock_class(), relid). A waiter holds the lock for as long as it
-- waits, and the lock is visible to the daemon at once, unlike NOTIFY or a
-- catalog row, which only show at commit — after the wait would be over.
CREATE FUNCTION analytica.wait_lock_class() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 1885823073 $$;  -- 'pga' + 'a' as int4

-- Returns once the columnar copy of `source` includes every transaction that
-- committed before the call; raises 57014 after `timeout`, or the table's
-- error if the daemon fails to sync it.
CREATE FUNCTION analytica.wait_for_sync(source regclass, timeout interval DEFAULT '60s') RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  target pg_lsn := pg_current_wal_lsn();
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
    SELECT t.synced_lsn, t.state, t.last_error, t.last_error_at INTO entry FROM analytica.tables t WHERE t.relid = source;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
    END IF;
    EXIT WHEN entry.synced_lsn >= target;
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

-- The daemon's settings as this database sees them. Set them with
-- ALTER DATABASE d SET analytica.naptime = '2s'; flags and environment override.
CREATE VIEW analytica.settings AS
SELECT s.name, current_setting(s.name, true) AS setting, s.default_value, s.description
  FROM (VALUES
    ('analytica.naptime', '1s', 'how often the daemon checks registered tables for work'),
    ('analytica.chunk_size', '1000000', 'rows per backfill chunk and per segment'),
    ('analytica.data_dir', '', 'where the daemon keeps segment files (flag --data-dir overrides)'),
    ('analytica.duckdb_memory_limit', '4GB', 'memory limit of the query engine'),
    ('analytica.duckdb_threads', '2', 'threads of the query engine')
  ) AS s(name, default_value, description);

GRANT SELECT ON analytica.settings TO PUBLIC;
