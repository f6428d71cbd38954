-- pg_analytica control schema, upgrade 0.5 → 0.6: columnar foreign tables inside PostgreSQL.
--
-- With the postgres_fdw server "pg_analytica" pointing at the daemon's query server
-- (analytica.create_foreign_server, run by `pg-analytica install`), register_table also creates a
-- foreign table for the columnar copy: columnar.<table> by default (analytica.foreign_schema),
-- so `SELECT region, sum(amount) FROM columnar.events GROUP BY 1` in any session runs the whole
-- aggregate in the columnar engine. unregister_table drops it.

UPDATE analytica.schema_info SET version = '0.6';

-- The foreign table register_table created (schema-qualified, quoted), dropped with the registration.
ALTER TABLE analytica.tables ADD COLUMN foreign_table text;

-- Creates the foreign table of a registered table, when the pg_analytica server exists and
-- analytica.foreign_schema is not 'none'. Its columns are the source's, with text columns in the
-- "C" collation: the columnar engine compares and sorts strings by their bytes, and postgres_fdw
-- pushes comparisons and ORDER BY down assuming the remote collation is the column's. Returns the
-- qualified name, or NULL when no foreign table was made.
CREATE FUNCTION analytica.create_foreign_table(source regclass) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  target_schema text := coalesce(nullif(current_setting('analytica.foreign_schema', true), ''), 'columnar');
  source_schema text;
  source_name text;
  foreign_name text;
  qualified text;
  columns text;
BEGIN
  IF target_schema = 'none' OR NOT EXISTS (SELECT FROM pg_foreign_server WHERE srvname = 'pg_analytica') THEN
    RETURN NULL;
  END IF;
  SELECT n.nspname, c.relname INTO source_schema, source_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source;
  foreign_name := source_name;
  IF to_regclass(format('%I.%I', target_schema, foreign_name)) IS NOT NULL THEN
    -- Tables of the same name in two schemas: the second gets its schema as a prefix.
    foreign_name := source_schema || '_' || source_name;
  END IF;
  IF to_regclass(format('%I.%I', target_schema, foreign_name)) IS NOT NULL THEN
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
  EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', target_schema);
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO PUBLIC', target_schema);
  qualified := format('%I.%I', target_schema, foreign_name);
  EXECUTE format('CREATE FOREIGN TABLE %s (%s) SERVER pg_analytica OPTIONS (schema_name %L, table_name %L)',
                 qualified, columns, source_schema, source_name);
  -- Reading it needs a user mapping to the caller's own role on the daemon, which shows the
  -- copy only to roles that may SELECT the source: the grant opens no data by itself.
  EXECUTE format('GRANT SELECT ON %s TO PUBLIC', qualified);
  UPDATE analytica.tables SET foreign_table = qualified WHERE relid = source;
  RETURN qualified;
END
$$;
REVOKE ALL ON FUNCTION analytica.create_foreign_table(regclass) FROM PUBLIC;

-- Creates (or points again) the postgres_fdw server "pg_analytica" at the daemon's query server,
-- with use_remote_estimate (the planner asks the columnar engine for costs, so aggregates, sorts
-- and joins are pushed down whole) and a large fetch_size; then creates the foreign tables of
-- the tables already registered. Needs the right to create the postgres_fdw extension
-- (superuser) unless it is installed already.
CREATE FUNCTION analytica.create_foreign_server(host text, port integer, dbname text DEFAULT current_database())
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
    CREATE EXTENSION postgres_fdw;
  END IF;
  IF EXISTS (SELECT FROM pg_foreign_server WHERE srvname = 'pg_analytica') THEN
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

-- register_table as before, then the foreign table. The caller is still session_user (the
-- ownership check in register_table_copy reads it), as both run as the schema owner.
ALTER FUNCTION analytica.register_table(regclass, text[], text) RENAME TO register_table_copy;
REVOKE ALL ON FUNCTION analytica.register_table_copy(regclass, text[], text) FROM PUBLIC;

CREATE FUNCTION analytica.register_table(source regclass, order_by text[] DEFAULT NULL, mode text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM analytica.register_table_copy(source, order_by, mode);
  PERFORM analytica.create_foreign_table(source);
END
$$;

CREATE OR REPLACE FUNCTION analytica.unregister_table(source regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  foreign_name text;
BEGIN
  PERFORM analytica.check_owner(source);
  DELETE FROM analytica.tables WHERE relid = source RETURNING foreign_table INTO foreign_name;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
  END IF;
  IF foreign_name IS NOT NULL AND to_regclass(foreign_name) IS NOT NULL THEN
    EXECUTE format('DROP FOREIGN TABLE %s', foreign_name);
  END IF;
  PERFORM analytica.publish_table(source, false);
  -- Segment rows go with the table row (ON DELETE CASCADE); the daemon
  -- removes their files once no running query can still read them.
  PERFORM pg_notify('analytica', 'unregister ' || source::oid::text);
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
    ('analytica.compaction_memory_limit', '1GB', 'memory limit of the compaction engine (larger merges spill to disk)'),
    ('analytica.foreign_schema', 'columnar', 'schema where register_table creates the foreign table of a copy (''none'': no foreign tables)')
  ) AS s(name, default_value, description);
