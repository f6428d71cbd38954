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
--
-- Foreign tables go only into a schema pg_analytica made itself. register_table runs as the
-- installing role, so a schema named by the caller would let any table owner create objects, and
-- GRANT USAGE to PUBLIC, in a schema that is not theirs (opening it, or shadowing the objects of
-- its owner for sessions that search it first). So the schema's name is read only from the database's
-- own settings (ALTER DATABASE … SET analytica.foreign_schema, which takes the database owner or a
-- superuser), never from SET or ALTER ROLE; and it must be a schema that does not exist yet, which
-- pg_analytica then creates and records here, or one recorded here and still owned by the
-- installing role. Anything else gets no foreign table and a warning.
CREATE TABLE analytica.foreign_schemas (
  schema_oid oid PRIMARY KEY,
  schema_name name NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON analytica.foreign_schemas FROM PUBLIC;

-- The foreign table register_table created, by oid: unregister_table drops exactly that one,
-- never whatever the stored name resolves to by then.
ALTER TABLE analytica.tables ADD COLUMN foreign_table_oid oid;

-- Schema 0.6 created its foreign schema itself, owned by the installing role (the owner of
-- create_foreign_table). Such a schema is adopted only if it holds nothing but pg_analytica's
-- foreign tables; a pre-existing schema 0.6 was pointed at (and granted USAGE on) is not.
INSERT INTO analytica.foreign_schemas (schema_oid, schema_name)
SELECT n.oid, n.nspname
  FROM pg_catalog.pg_namespace n
 WHERE n.nspowner = (SELECT p.proowner FROM pg_catalog.pg_proc p
                      WHERE p.oid = 'analytica.create_foreign_table(regclass)'::pg_catalog.regprocedure)
   AND EXISTS (SELECT FROM analytica.tables t JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.foreign_table)
                WHERE c.relnamespace = n.oid AND c.relkind = 'f')
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_class c
                    WHERE c.relnamespace = n.oid
                      AND NOT EXISTS (SELECT FROM pg_catalog.pg_foreign_table ft
                                        JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
                                       WHERE ft.ftrelid = c.oid AND s.srvname = 'pg_analytica'))
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid)
   AND NOT EXISTS (SELECT FROM pg_catalog.pg_type ty WHERE ty.typnamespace = n.oid AND ty.typrelid = 0 AND ty.typelem = 0);

UPDATE analytica.tables t SET foreign_table_oid = c.oid
  FROM pg_catalog.pg_class c
 WHERE c.oid = pg_catalog.to_regclass(t.foreign_table) AND c.relkind = 'f'
   AND c.relowner = (SELECT p.proowner FROM pg_catalog.pg_proc p
                      WHERE p.oid = 'analytica.create_foreign_table(regclass)'::pg_catalog.regprocedure);

-- The foreign schema's name as the database's settings give it (pg_db_role_setting of this
-- database for all roles), 'columnar' when unset. Session and role values are ignored.
CREATE FUNCTION analytica.foreign_schema_name() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(
    (SELECT nullif(substr(cfg, length('analytica.foreign_schema=') + 1), '')
       FROM pg_db_role_setting s CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
      WHERE s.setdatabase = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
        AND s.setrole = 0 AND cfg LIKE 'analytica.foreign\_schema=%'
      LIMIT 1),
    'columnar')
$$;

-- The oid of the foreign schema pg_analytica may create foreign tables in: `wanted` if it is
-- recorded as pg_analytica's and owned by the function's owner, or newly created (and recorded,
-- and opened to PUBLIC) when no schema has that name; NULL, with a warning, otherwise.
CREATE FUNCTION analytica.own_foreign_schema(wanted text) RETURNS oid
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  existing record;
BEGIN
  SELECT n.oid, n.nspowner INTO existing FROM pg_namespace n WHERE n.nspname = wanted;
  IF NOT FOUND THEN
    EXECUTE format('CREATE SCHEMA %I', wanted);
    SELECT n.oid, n.nspowner INTO existing FROM pg_namespace n WHERE n.nspname = wanted;
    INSERT INTO analytica.foreign_schemas (schema_oid, schema_name) VALUES (existing.oid, wanted);
    -- Reading a foreign table needs a user mapping to the caller's own role on the daemon, which
    -- shows the copy only to roles that may SELECT the source: USAGE opens no data by itself.
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO PUBLIC', wanted);
    RETURN existing.oid;
  END IF;
  IF pg_get_userbyid(existing.nspowner) = current_user
     AND EXISTS (SELECT FROM analytica.foreign_schemas f WHERE f.schema_oid = existing.oid) THEN
    RETURN existing.oid;
  END IF;
  RAISE WARNING 'pg_analytica creates no foreign tables in schema %: it was not created by pg_analytica', quote_ident(wanted)
    USING HINT = 'name a schema that does not exist yet (pg_analytica creates it): '
                 'ALTER DATABASE ... SET analytica.foreign_schema = ''<new schema>'', or ''none''';
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION analytica.own_foreign_schema(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION analytica.create_foreign_table(source regclass) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  target_schema text := analytica.foreign_schema_name();
  -- The server must be pg_analytica's (or a superuser's, as when another superuser ran install):
  -- another owner could point it, and the user mappings roles create for it (passwords
  -- included), at a host of its choosing.
  server_owner name := (SELECT pg_get_userbyid(s.srvowner) FROM pg_foreign_server s WHERE s.srvname = 'pg_analytica');
  target_oid oid;
  source_schema text;
  source_name text;
  foreign_name text;
  qualified text;
  columns text;
BEGIN
  IF coalesce(current_setting('analytica.foreign_schema', true), '') NOT IN ('', target_schema) THEN
    RAISE NOTICE 'analytica.foreign_schema is read from the database''s settings only; this session''s % is not used',
      quote_literal(current_setting('analytica.foreign_schema', true))
      USING HINT = 'a database owner sets it with ALTER DATABASE ... SET analytica.foreign_schema';
  END IF;
  IF target_schema = 'none' OR server_owner IS NULL THEN
    RETURN NULL;
  END IF;
  IF server_owner <> current_user AND NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = server_owner) THEN
    RAISE WARNING 'no foreign table for %: the server pg_analytica belongs to role %, not to pg_analytica', source, quote_ident(server_owner)
      USING HINT = 'drop that server, then run pg-analytica install (or analytica.create_foreign_server) to make pg_analytica''s own';
    RETURN NULL;
  END IF;
  target_oid := analytica.own_foreign_schema(target_schema);
  IF target_oid IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT n.nspname, c.relname INTO source_schema, source_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source;
  foreign_name := source_name;
  -- A relation and its row type share the name: either one taken means the name is taken.
  IF EXISTS (SELECT FROM pg_type t WHERE t.typnamespace = target_oid AND t.typname = foreign_name::name) THEN
    -- Tables of the same name in two schemas: the second gets its schema as a prefix.
    foreign_name := source_schema || '_' || source_name;
  END IF;
  IF EXISTS (SELECT FROM pg_type t WHERE t.typnamespace = target_oid AND t.typname = foreign_name::name) THEN
    RAISE NOTICE 'no foreign table for %: %.% and %.% already exist', source,
      quote_ident(target_schema), quote_ident(source_name), quote_ident(target_schema), quote_ident(foreign_name);
    RETURN NULL;
  END IF;
  SELECT string_agg(
           format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
             || CASE WHEN a.attcollation = 100 THEN ' COLLATE "C"' ELSE '' END
             || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
           ', ' ORDER BY a.attnum)
    INTO columns
    FROM pg_attribute a
   WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped;
  qualified := format('%I.%I', target_schema, foreign_name);
  EXECUTE format('CREATE FOREIGN TABLE %s (%s) SERVER pg_analytica OPTIONS (schema_name %L, table_name %L)',
                 qualified, columns, source_schema, source_name);
  EXECUTE format('GRANT SELECT ON %s TO PUBLIC', qualified);
  UPDATE analytica.tables
     SET foreign_table = qualified,
         foreign_table_oid = (SELECT c.oid FROM pg_class c WHERE c.relnamespace = target_oid AND c.relname = foreign_name::name)
   WHERE relid = source;
  RETURN qualified;
END
$$;
REVOKE ALL ON FUNCTION analytica.create_foreign_table(regclass) FROM PUBLIC;

CREATE OR REPLACE FUNCTION analytica.unregister_table(source regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  foreign_oid oid;
BEGIN
  PERFORM analytica.check_owner(source);
  DELETE FROM analytica.tables WHERE relid = source RETURNING foreign_table_oid INTO foreign_oid;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
  END IF;
  -- Only the foreign table register_table made, if it is still there and still ours.
  IF EXISTS (SELECT FROM pg_class c WHERE c.oid = foreign_oid AND c.relkind = 'f' AND pg_get_userbyid(c.relowner) = current_user) THEN
    EXECUTE format('DROP FOREIGN TABLE %s', foreign_oid::regclass);
  END IF;
  PERFORM analytica.publish_table(source, false);
  -- Segment rows go with the table row (ON DELETE CASCADE); the daemon
  -- removes their files once no running query can still read them.
  PERFORM pg_notify('analytica', 'unregister ' || source::oid::text);
END
$$;

UPDATE analytica.setting_definitions
   SET description = 'schema where register_table creates the foreign table of a copy (''none'': no foreign tables); '
                     'read only from ALTER DATABASE ... SET, and only a schema pg_analytica creates itself'
 WHERE name = 'analytica.foreign_schema';

-- Streamed segments carry hidden columns (_pga_seq, the change's position, and _pga_commit);
-- a source column of the same name would collide with them in every file. The prefix _pga_ is
-- reserved, as PostgreSQL reserves its system column names. Arrays of enums are refused here as
-- the copy refuses them (converting them would apply casts the enum's owner can define), instead
-- of being registered and then failing.
CREATE OR REPLACE FUNCTION analytica.register_table(source regclass, order_by text[] DEFAULT NULL, mode text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  reserved text;
BEGIN
  PERFORM analytica.register_table_copy(source, order_by, mode);
  UPDATE analytica.tables SET registered_by = analytica.calling_role() WHERE relid = source;
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO reserved
    FROM pg_attribute a
   WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped AND a.attname LIKE '\_pga\_%';
  IF reserved IS NOT NULL THEN
    RAISE EXCEPTION 'column % of table % conflicts with the hidden columns of pg_analytica', reserved, source
      USING ERRCODE = 'duplicate_column',
            DETAIL = 'column names beginning with _pga_ are reserved for pg_analytica''s own columns',
            HINT = format('rename the column (ALTER TABLE %s RENAME COLUMN ... TO ...), then register the table', source);
  END IF;
  SELECT string_agg(format('%I (%s)', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum)
    INTO reserved
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_type e ON e.oid = t.typelem
   WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped AND t.typcategory = 'A' AND e.typtype = 'e';
  IF reserved IS NOT NULL THEN
    RAISE EXCEPTION 'column % of table % is an array of an enum type, which pg_analytica cannot copy', reserved, source
      USING ERRCODE = 'feature_not_supported',
            HINT = 'store the labels as text[] instead, or leave the column out of the registered table';
  END IF;
  PERFORM analytica.create_foreign_table(source);
END
$$;

-- Whom a function of the control schema acts for. They run as the installing role, so
-- current_user is not the caller's; session_user is the login, which is too much where a session
-- narrowed itself with SET ROLE (a pooler or API gateway logged in as one role acting for others,
-- or the daemon's own catalog queries, run under SET LOCAL ROLE <client>). SET ROLE sets the
-- setting `role`, which a SECURITY DEFINER function cannot change: when set, it is the caller.
CREATE FUNCTION analytica.calling_role() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN current_setting('role') = 'none' THEN session_user ELSE current_setting('role')::name END
$$;

CREATE OR REPLACE FUNCTION analytica.check_owner(source regclass) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT coalesce(pg_has_role(analytica.calling_role(), (SELECT relowner FROM pg_class WHERE oid = source), 'USAGE'), false) THEN
    RAISE EXCEPTION 'must be owner of table %', source
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$$;

-- wait_for_sync of 0.4, checking the calling role's SELECT privilege.
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
  IF NOT has_table_privilege(analytica.calling_role(), source, 'SELECT') THEN
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

-- The publication pg_analytica must be pg_analytica's own. Any role that may CREATE in the
-- database can create a publication of that name first, and its owner can ALTER it (drop a table,
-- publish only inserts): the daemon would then miss changes and serve a stale copy as current.
CREATE OR REPLACE FUNCTION analytica.publish_table(source regclass, publish boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  member boolean;
  owner name := (SELECT pg_get_userbyid(p.pubowner) FROM pg_publication p WHERE p.pubname = 'pg_analytica');
BEGIN
  IF owner IS NOT NULL AND owner <> current_user THEN
    IF publish THEN
      RAISE EXCEPTION 'cannot stream changes of %: the publication pg_analytica belongs to role %, not to pg_analytica', source, quote_ident(owner)
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'its owner could change what it publishes, and the copy would miss changes unnoticed',
              HINT = 'drop that publication (DROP PUBLICATION pg_analytica) and register again, or register with mode => ''refresh''';
    END IF;
    RAISE WARNING 'the publication pg_analytica belongs to role %, not to pg_analytica: % is left in it', quote_ident(owner), source;
    RETURN;
  END IF;
  member := EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                     WHERE p.pubname = 'pg_analytica' AND pr.prrelid = source);
  IF publish AND NOT member THEN
    IF owner IS NULL THEN
      CREATE PUBLICATION pg_analytica;
    END IF;
    EXECUTE format('ALTER PUBLICATION pg_analytica ADD TABLE %s', source);
  ELSIF NOT publish AND member THEN
    EXECUTE format('ALTER PUBLICATION pg_analytica DROP TABLE %s', source);
  END IF;
  IF NOT publish AND owner IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                      WHERE p.pubname = 'pg_analytica') THEN
    DROP PUBLICATION pg_analytica;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION analytica.publish_table(regclass, boolean) FROM PUBLIC;

-- create_foreign_server of 0.6, refusing a server pg_analytica that another role (not a superuser) made.
CREATE OR REPLACE FUNCTION analytica.create_foreign_server(host text, port integer, dbname text DEFAULT current_database())
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  server_owner name := (SELECT pg_get_userbyid(s.srvowner) FROM pg_foreign_server s WHERE s.srvname = 'pg_analytica');
BEGIN
  IF server_owner <> current_user AND NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = server_owner) THEN
    RAISE EXCEPTION 'the foreign server pg_analytica belongs to role %, not to the role that installs pg_analytica', quote_ident(server_owner)
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'its owner could point it, and the user mappings made for it, at another host',
            HINT = 'check who made it, then DROP SERVER pg_analytica CASCADE and install again';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
    CREATE EXTENSION postgres_fdw;
  END IF;
  IF server_owner IS NOT NULL THEN
    EXECUTE format('ALTER SERVER pg_analytica OPTIONS (SET host %L, SET port %L, SET dbname %L)',
                   host, port::text, dbname);
  ELSE
    EXECUTE format('CREATE SERVER pg_analytica FOREIGN DATA WRAPPER postgres_fdw '
                   'OPTIONS (host %L, port %L, dbname %L, use_remote_estimate %L, fetch_size %L)',
                   host, port::text, dbname, 'true', '10000');
  END IF;
  PERFORM analytica.create_foreign_table(t.relid)
     FROM analytica.tables t
    WHERE t.foreign_table IS NULL OR to_regclass(t.foreign_table) IS NULL;
END
$$;
REVOKE ALL ON FUNCTION analytica.create_foreign_server(text, integer, text) FROM PUBLIC;

-- Every function of the control schema runs with search_path = pg_catalog, pg_temp, whatever the
-- caller's: a SECURITY DEFINER function runs as the installing role, and names it calls must not
-- resolve to a caller's function, operator or type (CVE-2018-1058). Later versions keep it by
-- declaring SET search_path on each function; this sets it on any that lacks it.
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid FROM pg_catalog.pg_proc p
     WHERE p.pronamespace = 'analytica'::pg_catalog.regnamespace
       AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
  LOOP
    EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp', f);
  END LOOP;
END
$$;

-- ===== query server limits =====

INSERT INTO analytica.setting_definitions (name, default_value, description) VALUES
  ('analytica.statement_timeout', '1h', 'statement_timeout query server sessions start with (0: none); SET statement_timeout overrides it');

-- ===== sync integrity =====

-- Status: the WAL the slot holds back next to analytica.max_retained_wal (the database's setting,
-- else its default: the daemon's flags and environment are not visible here), and the slot's
-- wal_status (reserved, extended, unreserved, lost: PostgreSQL's own verdict).
DROP VIEW analytica.status;
-- Status: lag is measured from the position the change stream stands at, which is the greatest of
-- - the table's watermark (its segments hold every change up to it),
-- - stream_state.applied_lsn (recorded at each flush, and by an idle stream every few seconds),
-- - the slot's confirmed_flush_lsn: an idle stream confirms each keepalive's position (nothing
--   received waits for a flush), so while no transaction touches a registered table this follows
--   the WAL other tables, checkpoints and the server's own records write, with no catalog write.
-- It is compared with the WAL flushed (what the walsender can send; a committed transaction is
-- flushed at its commit, or within wal_writer_delay when synchronous_commit is off), so a copy
-- holding every committed change shows lag 0. Behind, lag_seconds is the time since the stream was
-- last known current (applied_at), never older than the table's last sync.
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
         greatest(0, pg_wal_lsn_diff(pg_current_wal_flush_lsn(),
                                     greatest(t.synced_lsn, ss.applied_lsn, slot.confirmed_flush_lsn)))::bigint
       END AS lag_bytes,
       CASE WHEN t.mode = 'stream' AND t.generation > 0 THEN
         CASE WHEN pg_is_in_recovery()
                OR greatest(t.synced_lsn, ss.applied_lsn, slot.confirmed_flush_lsn) >= pg_current_wal_flush_lsn() THEN 0
              ELSE extract(epoch FROM clock_timestamp() - greatest(ss.applied_at, t.last_sync_at)) END
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
    SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), r.restart_lsn)::bigint AS retained, r.wal_status,
           r.confirmed_flush_lsn
      FROM pg_replication_slots r WHERE r.slot_name = ss.slot_name
  ) AS slot ON true
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE CASE WHEN c.oid IS NULL THEN t.registered_by = current_user ELSE has_table_privilege(c.oid, 'SELECT') END;
-- A security barrier: the privilege filter runs before any condition of the caller's query, so a
-- cheap function of the caller's in WHERE never sees a row of a table the caller may not read.
ALTER VIEW analytica.status SET (security_barrier = true);
GRANT SELECT ON analytica.status TO PUBLIC;


-- ===== segment integrity =====

UPDATE analytica.schema_info SET version = '0.7';
