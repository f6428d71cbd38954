-- pg_analytica 0.7 → 0.8: every table an application has, and a status page.
--
-- Each part of the release adds its own section below.

-- ===== partitioned tables =====

-- A partitioned table is registered as one table: its copy holds the rows of every partition,
-- the first copy reads them all at one snapshot, and the stream publishes each partition's
-- changes as changes of the partitioned table (publish_via_partition_root). That option is the
-- publication's, not a table's: a partition registered alone (its ancestors not registered) is
-- still published as itself, since PostgreSQL publishes a partition through its topmost
-- *published* ancestor, and there is none. So a partition and one of its ancestors are never
-- registered together (register_table_row refuses either order).
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_publication p WHERE p.pubname = 'pg_analytica' AND p.pubowner = current_user::regrole
                AND NOT p.pubviaroot) THEN
    ALTER PUBLICATION pg_analytica SET (publish_via_partition_root = true);
  END IF;
END
$$;

-- The leaf partitions a streamed partitioned table's copy holds, {"<oid>": {"name", "node"}}
-- (name: as the leaf was then called; node: its relfilenode). Attaching, detaching, dropping or
-- truncating a partition writes no row changes to the WAL the stream could follow; the daemon
-- compares this with pg_partition_tree() and makes the copy again when the leaves changed
-- (a partition created empty needs nothing: rows routed into it are streamed).
ALTER TABLE analytica.tables ADD COLUMN partitions jsonb;

-- The partitions (at every level) of a partitioned table, as analytica.tables.partitions keeps
-- them: by oid, the qualified name, relfilenode (NULL for a partitioned one, which stores no
-- rows) and link, the transaction that attached it (xmin of its pg_inherits row, so a partition
-- detached and attached again has another). NULL for any other relation.
CREATE FUNCTION analytica.partition_tree(source regclass) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN (SELECT c.relkind FROM pg_class c WHERE c.oid = source) = 'p' THEN
    (SELECT coalesce(jsonb_object_agg(p.relid::oid::text,
                       jsonb_build_object('name', p.relid::text, 'node', pg_relation_filenode(p.relid),
                                          'link', (SELECT i.xmin::text FROM pg_inherits i WHERE i.inhrelid = p.relid))),
                     '{}')
       FROM pg_partition_tree(source) p WHERE p.relid <> source)
  END
$$;
-- The last re-copy the daemon made on its own (not analytica.resync): why, when it was asked
-- for, and when it was published (NULL while it waits or runs).
ALTER TABLE analytica.tables ADD COLUMN recopy_reason text;
ALTER TABLE analytica.tables ADD COLUMN recopy_requested_at timestamptz;
ALTER TABLE analytica.tables ADD COLUMN recopied_at timestamptz;

-- The sort order register_table gives a table when none is named: the partition key's leading
-- plain columns, then the primary key's columns not among them.
CREATE FUNCTION analytica.default_order_by(source regclass) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH partition_key AS (
    SELECT a.attname::text AS name, k.ord
      FROM pg_partitioned_table p
     CROSS JOIN LATERAL unnest(p.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum
     WHERE p.partrelid = source
       -- An expression (attnum 0) ends the prefix that segment statistics can prune on.
       AND NOT EXISTS (SELECT FROM unnest(p.partattrs::int2[]) WITH ORDINALITY AS e(attnum, ord)
                        WHERE e.attnum = 0 AND e.ord <= k.ord)
  ), primary_key AS (
    SELECT a.attname::text AS name, k.ord
      FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = source AND i.indisprimary
  )
  SELECT coalesce(array_agg(name ORDER BY part, ord), '{}')
    FROM (SELECT name, 0 AS part, ord FROM partition_key
          UNION ALL
          SELECT name, 1, ord FROM primary_key WHERE name NOT IN (SELECT name FROM partition_key)) AS o
$$;
REVOKE ALL ON FUNCTION analytica.default_order_by(regclass) FROM PUBLIC;

-- A partition and one of its ancestors cannot both be registered: the ancestor's copy holds the
-- partition's rows already, and the publication would publish the partition's changes only as
-- the ancestor's. Nor can a partitioned table with partitions the stream cannot read (foreign
-- tables).
CREATE FUNCTION analytica.check_partition_family(source regclass) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ancestor regclass;
  descendant regclass;
BEGIN
  SELECT a.relid INTO ancestor
    FROM pg_partition_ancestors(source) AS a(relid) JOIN analytica.tables t ON t.relid = a.relid
   WHERE a.relid <> source LIMIT 1;
  IF ancestor IS NOT NULL THEN
    RAISE EXCEPTION 'table % is a partition of %, which is registered', source, ancestor
      USING ERRCODE = 'duplicate_object',
            DETAIL = format('the copy of %s holds the rows of all its partitions, %s''s included', ancestor, source),
            HINT = format('query %s (filtering on its partition key), or unregister it first to register its partitions on their own', ancestor);
  END IF;
  SELECT d.relid INTO descendant
    FROM pg_partition_tree(source) AS d JOIN analytica.tables t ON t.relid = d.relid
   WHERE d.relid <> source ORDER BY d.level, d.relid LIMIT 1;
  IF descendant IS NOT NULL THEN
    RAISE EXCEPTION 'partition % of % is registered on its own', descendant, source
      USING ERRCODE = 'duplicate_object',
            DETAIL = format('registering %s copies every one of its partitions', source),
            HINT = format('call analytica.unregister_table(%L) first, then register %s', descendant::text, source);
  END IF;
  SELECT d.relid INTO descendant
    FROM pg_partition_tree(source) AS d JOIN pg_class c ON c.oid = d.relid
   WHERE d.isleaf AND c.relkind <> 'r' LIMIT 1;
  IF descendant IS NOT NULL THEN
    RAISE EXCEPTION 'partition % of % is a foreign table', descendant, source
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'pg_analytica copies and streams only partitions stored in this database',
            HINT = 'register the local partitions on their own instead';
  END IF;
END
$$;
REVOKE ALL ON FUNCTION analytica.check_partition_family(regclass) FROM PUBLIC;

-- publish_table of 0.7; the publication it creates publishes partitions through their
-- registered partitioned table (see above), and one made by an older version is set to.
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
      CREATE PUBLICATION pg_analytica WITH (publish_via_partition_root = true);
    ELSIF NOT (SELECT p.pubviaroot FROM pg_publication p WHERE p.pubname = 'pg_analytica') THEN
      ALTER PUBLICATION pg_analytica SET (publish_via_partition_root = true);
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

-- wait_for_sync of 0.7; a streamed partitioned table is in sync only once its copy holds the
-- partitions it has now (a partition attached, detached or dropped writes no row change that
-- would hold the wait: the copy made again, or a new empty partition recorded, ends it).
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
    SELECT t.mode, t.generation, t.synced_lsn, t.synced_snapshot, t.state, t.last_error, t.last_error_at,
           t.partitions INTO entry
      FROM analytica.tables t WHERE t.relid = source;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'table % is not registered', source USING ERRCODE = 'undefined_object';
    END IF;
    IF entry.mode = 'stream' THEN
      SELECT s.applied_lsn INTO applied FROM analytica.stream_state s;
      EXIT WHEN entry.generation > 0 AND entry.state = 'synced'
            AND greatest(entry.synced_lsn, applied) >= target_lsn
            AND (entry.partitions IS NULL OR entry.partitions = analytica.partition_tree(source));
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

-- Status of 0.7 with the daemon's own re-copies (recopy_reason, recopy_requested_at,
-- recopied_at), and source_bytes of a partitioned table summed over its partitions.
CREATE OR REPLACE VIEW analytica.status WITH (security_barrier = true) AS
SELECT coalesce(format('%I.%I', n.nspname, c.relname), format('%I.%I', t.schema_name, t.table_name)) AS table_name,
       t.mode,
       t.state,
       t.rows,
       (SELECT count(*) FROM analytica.segments s
         WHERE s.relid = t.relid AND s.generation = t.generation AND s.kind = 'data') AS segments,
       (SELECT count(*) FROM analytica.segments s
         WHERE s.relid = t.relid AND s.generation = t.generation AND s.kind = 'delete') AS delete_segments,
       t.bytes,
       CASE WHEN c.relkind = 'p' THEN
              (SELECT coalesce(sum(pg_table_size(p.relid)), 0)::bigint FROM pg_partition_tree(c.oid) p WHERE p.isleaf)
            WHEN c.oid IS NOT NULL THEN pg_table_size(c.oid) END AS source_bytes,
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
       CASE WHEN t.mode = 'stream' THEN slot.wal_status END AS slot_wal_status,
       t.recopy_reason,
       t.recopy_requested_at,
       t.recopied_at
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

-- ===== types =====

-- The type a value of this type has: a domain's base type, through domains over domains
-- (getBaseType); any other type is its own.
CREATE FUNCTION analytica.value_type(type_oid oid) RETURNS oid
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH RECURSIVE d(oid, depth) AS (
    SELECT type_oid, 0
    UNION ALL
    SELECT t.typbasetype, d.depth + 1 FROM d JOIN pg_type t ON t.oid = d.oid AND t.typtype = 'd'
  )
  SELECT d.oid FROM d ORDER BY d.depth DESC LIMIT 1
$$;

-- The citext extension's type (not some other type that is called citext).
CREATE FUNCTION analytica.is_citext(type_oid oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (SELECT FROM pg_depend dep JOIN pg_extension x ON x.oid = dep.refobjid
                  WHERE dep.classid = 'pg_type'::regclass AND dep.objid = type_oid
                    AND dep.refclassid = 'pg_extension'::regclass AND dep.deptype = 'e'
                    AND x.extname = 'citext')
$$;

-- Whether lower() under this collation (0 or 100: the database's default) changes ASCII letters
-- only, as under the C and POSIX ctypes of libc and the builtin provider's C locale (PostgreSQL 17;
-- its colllocale and datlocale read through to_jsonb, absent before).
CREATE FUNCTION analytica.lowercases_ascii(coll oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN coll IN (0, 100) THEN
           (SELECT CASE coalesce(to_jsonb(d) ->> 'datlocprovider', 'c')
                     WHEN 'c' THEN d.datctype IN ('C', 'POSIX')
                     WHEN 'b' THEN to_jsonb(d) ->> 'datlocale' = 'C'
                     ELSE false END
              FROM pg_database d WHERE d.datname = current_database())
         ELSE coalesce((SELECT CASE co.collprovider
                                 WHEN 'c' THEN co.collctype IN ('C', 'POSIX')
                                 WHEN 'b' THEN to_jsonb(co) ->> 'colllocale' = 'C'
                                 ELSE false END
                          FROM pg_collation co WHERE co.oid = coll), false) END
$$;

-- Re-created from 0.1 (where it refused every relation but an ordinary table): a partitioned
-- table is accepted; the default sort order starts with the columns of its partition key (those
-- that are plain columns, up to the first expression), then the primary key's other columns, so
-- each segment spans a narrow range of the key and the segment statistics prune on it as
-- partition pruning would. Each column is checked by the type its values have (a domain's base
-- type; a domain over an array is that array).
CREATE OR REPLACE FUNCTION analytica.register_table_row(source regclass, order_by text[] DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  rel record;
  col record;
  key_columns text[];
  missing text;
BEGIN
  IF source IS NULL THEN
    RAISE EXCEPTION 'source table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT c.oid, c.relkind, c.relpersistence, n.nspname, c.relname
    INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = source;
  IF rel.relkind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '% is not a table', source
      USING ERRCODE = 'wrong_object_type',
            DETAIL = format('it is a %s; only tables (partitioned or not) can be registered',
                            CASE rel.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                                             WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence'
                                             ELSE format('relation of relkind %L', rel.relkind) END),
            HINT = 'register the tables it reads instead';
  END IF;
  IF rel.relpersistence = 't' THEN
    RAISE EXCEPTION '% is a temporary table', source USING ERRCODE = 'wrong_object_type';
  END IF;
  IF rel.nspname IN ('pg_catalog', 'information_schema', 'analytica') OR rel.nspname LIKE 'pg\_toast%' THEN
    RAISE EXCEPTION '% is a system table', source USING ERRCODE = 'wrong_object_type';
  END IF;
  PERFORM analytica.check_owner(source);
  IF EXISTS (SELECT 1 FROM analytica.tables t WHERE t.relid = source) THEN
    RAISE EXCEPTION 'table % is already registered', source
      USING ERRCODE = 'duplicate_object',
            HINT = format('call analytica.unregister_table(%L) first to register it again', source::text);
  END IF;
  PERFORM analytica.check_partition_family(source);

  FOR col IN
    SELECT a.attname, a.attndims, format_type(a.atttypid, a.atttypmod) AS type_name,
           vt.oid AS value_type, vt.typcategory = 'A' AND vt.typelem <> 0 AS is_array, vt.typelem,
           -- citext lowercases by its collation's ctype; the engine folds as C and POSIX do.
           analytica.is_citext(vt.oid) AND NOT analytica.lowercases_ascii(a.attcollation) AS citext_locale
      FROM pg_attribute a JOIN pg_type vt ON vt.oid = analytica.value_type(a.atttypid)
     WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum
  LOOP
    IF col.is_array THEN
      IF NOT analytica.is_supported_type(col.typelem) OR col.attndims > 1
         OR analytica.is_citext(analytica.value_type(col.typelem))
         OR (SELECT e.typtype = 'r' FROM pg_type e WHERE e.oid = analytica.value_type(col.typelem)) THEN
        RAISE EXCEPTION 'column % of table % has unsupported type %', quote_ident(col.attname), source, col.type_name
          USING ERRCODE = 'feature_not_supported',
                HINT = 'supported: one-dimensional arrays of supported element types (not of citext or ranges)';
      END IF;
    ELSIF col.citext_locale THEN
      RAISE EXCEPTION 'column % of table % is citext under a locale''s character classes, which pg_analytica cannot compare as citext does',
                      quote_ident(col.attname), source
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'citext lowercases by the LC_CTYPE of its collation; the columnar engine lowercases as the C locale does (ASCII letters only)',
              HINT = 'give the column COLLATE "C" (ALTER TABLE ... ALTER COLUMN ... TYPE citext COLLATE "C") or leave it out of the registered table';
    ELSIF NOT analytica.is_supported_type(col.value_type) THEN
      RAISE EXCEPTION 'column % of table % has unsupported type %', quote_ident(col.attname), source, col.type_name
        USING ERRCODE = 'feature_not_supported',
              HINT = 'supported: smallint, integer, bigint, real, double precision, numeric, text, varchar, char, '
                     'boolean, date, timestamp, timestamptz, time, timetz, interval, uuid, json, jsonb, bytea, inet, '
                     'cidr, macaddr, macaddr8, int4range, int8range, daterange, enums, citext, domains over these and one-dimensional arrays of these';
    END IF;
  END LOOP;

  IF order_by IS NULL THEN
    order_by := analytica.default_order_by(source);
  ELSE
    SELECT string_agg(quote_ident(o), ', ') INTO missing
      FROM unnest(order_by) AS o
     WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = source AND a.attname = o AND a.attnum > 0 AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
      RAISE EXCEPTION 'order_by names unknown column(s) % of table %', missing, source
        USING ERRCODE = 'undefined_column';
    END IF;
  END IF;

  INSERT INTO analytica.tables (relid, schema_name, table_name, order_by)
  VALUES (source, rel.nspname, rel.relname, order_by);
  PERFORM pg_notify('analytica', 'register ' || source::oid::text);
END
$$;
REVOKE ALL ON FUNCTION analytica.register_table_row(regclass, text[]) FROM PUBLIC;

-- register_table of 0.7, refusing mode append for a partitioned table (a partition attached with
-- rows whose keys are below the watermark would never be read), and no longer refusing arrays of
-- enums: their copy reads the elements through array_out (column-types.ts), never through a cast
-- the enum's owner could have created.
CREATE OR REPLACE FUNCTION analytica.register_table(source regclass, order_by text[] DEFAULT NULL, mode text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  reserved text;
BEGIN
  PERFORM analytica.register_table_copy(source, order_by, mode);
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = source) = 'p'
     AND (SELECT t.mode FROM analytica.tables t WHERE t.relid = source) = 'append' THEN
    RAISE EXCEPTION 'cannot register partitioned table % in mode append', source
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'a partition attached later can hold rows below the watermark, which mode append never reads',
            HINT = 'register it with mode => ''stream'' (the default) or mode => ''refresh''';
  END IF;
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
  PERFORM analytica.create_foreign_table(source);
END
$$;

-- ===== column privileges =====

-- A columnar.* foreign table grants SELECT as its source table does, table and column grants
-- alike, so that PostgreSQL's own check on it refuses what it would refuse on the heap: postgres_fdw
-- fetches only the columns a statement uses, so a statement naming a column the role may not read
-- (SELECT * of a subquery using one column, a CTE's unused column) would otherwise reach the
-- daemon without that column and not be refused. The daemon checks the source's privileges on
-- every statement in any case (table-resolver.ts, column-privileges.ts): this check comes first.
-- Only SELECT is mirrored (nothing else is served); the owner of the foreign table is left as it is.
CREATE OR REPLACE FUNCTION analytica.sync_foreign_grants() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ft record;
  grantee record;
  changed integer := 0;
BEGIN
  -- GRANT and REVOKE below fire the event trigger again: it does nothing while this runs.
  PERFORM set_config('pg_analytica.syncing_grants', 'on', true);
  FOR ft IN
    SELECT c.oid AS foreign_oid, c.relowner AS foreign_owner, t.relid AS source_oid
      FROM analytica.tables t
      JOIN pg_foreign_table f ON true
      JOIN pg_foreign_server srv ON srv.oid = f.ftserver AND srv.srvname = 'pg_analytica'
      JOIN pg_class c ON c.oid = f.ftrelid AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      JOIN pg_class s ON s.oid = t.relid
      JOIN pg_namespace sn ON sn.oid = s.relnamespace
     -- By the foreign table's own options: during register_table the catalog row does not name
     -- the foreign table yet when its first GRANT fires the event trigger.
     WHERE (SELECT o.option_value FROM pg_options_to_table(f.ftoptions) o WHERE o.option_name = 'schema_name') = sn.nspname
       AND (SELECT o.option_value FROM pg_options_to_table(f.ftoptions) o WHERE o.option_name = 'table_name') = s.relname
  LOOP
    IF analytica.select_grants(ft.source_oid, ft.foreign_owner) IS NOT DISTINCT FROM
       analytica.select_grants(ft.foreign_oid, ft.foreign_owner) THEN
      CONTINUE;
    END IF;
    -- Revoking the table privilege revokes the column privileges too.
    FOR grantee IN
      SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
       WHERE c.oid = ft.foreign_oid AND a.grantee <> ft.foreign_owner
      UNION
      SELECT DISTINCT a.grantee FROM pg_attribute att, aclexplode(att.attacl) a
       WHERE att.attrelid = ft.foreign_oid AND att.attnum > 0 AND a.grantee <> ft.foreign_owner
    LOOP
      EXECUTE format('REVOKE SELECT ON %s FROM %s', ft.foreign_oid::regclass, analytica.grantee_name(grantee.grantee));
    END LOOP;
    FOR grantee IN
      SELECT g.grantee, g.columns FROM analytica.select_grant_list(ft.source_oid, ft.foreign_owner) g
       -- A column the foreign table does not have (yet) is left out.
       WHERE g.columns IS NULL
          OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = ft.foreign_oid AND a.attname = ANY (g.columns))
    LOOP
      IF grantee.columns IS NULL THEN
        EXECUTE format('GRANT SELECT ON %s TO %s', ft.foreign_oid::regclass, analytica.grantee_name(grantee.grantee));
      ELSE
        EXECUTE format('GRANT SELECT (%s) ON %s TO %s',
                       (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                         WHERE a.attrelid = ft.foreign_oid AND a.attnum > 0 AND NOT a.attisdropped
                           AND a.attname = ANY (grantee.columns)),
                       ft.foreign_oid::regclass, analytica.grantee_name(grantee.grantee));
      END IF;
    END LOOP;
    changed := changed + 1;
  END LOOP;
  PERFORM set_config('pg_analytica.syncing_grants', 'off', true);
  RETURN changed;
END
$$;
REVOKE ALL ON FUNCTION analytica.sync_foreign_grants() FROM PUBLIC;

-- Who may SELECT a relation, other than `owner`: one row per grantee, columns NULL for the whole
-- table, else the columns granted to it (by name: the foreign table's are the source's).
CREATE OR REPLACE FUNCTION analytica.select_grant_list(rel oid, owner oid)
RETURNS TABLE (grantee oid, columns name[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  WITH table_level AS (
    SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
     WHERE c.oid = rel AND a.privilege_type = 'SELECT' AND a.grantee <> owner
  )
  SELECT grantee, NULL::name[] FROM table_level
  UNION ALL
  SELECT a.grantee, array_agg(att.attname ORDER BY att.attname)
    FROM pg_attribute att, aclexplode(att.attacl) a
   WHERE att.attrelid = rel AND att.attnum > 0 AND NOT att.attisdropped AND a.privilege_type = 'SELECT'
     AND a.grantee <> owner AND a.grantee NOT IN (SELECT grantee FROM table_level)
   GROUP BY a.grantee
$$;
REVOKE ALL ON FUNCTION analytica.select_grant_list(oid, oid) FROM PUBLIC;

-- The same as one comparable value.
CREATE OR REPLACE FUNCTION analytica.select_grants(rel oid, owner oid) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(array_agg(g.grantee::text || ':' || coalesce(g.columns::text, '*') ORDER BY 1), '{}')
    FROM analytica.select_grant_list(rel, owner) g
$$;
REVOKE ALL ON FUNCTION analytica.select_grants(oid, oid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION analytica.grantee_name(grantee oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END
$$;
REVOKE ALL ON FUNCTION analytica.grantee_name(oid) FROM PUBLIC;

-- Every GRANT and REVOKE (on any table: the event carries no object) brings the foreign tables in
-- line. A failure is a warning: it must never stop the user's GRANT.
CREATE OR REPLACE FUNCTION analytica.on_grant() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF coalesce(current_setting('pg_analytica.syncing_grants', true), '') = 'on' THEN
    RETURN;
  END IF;
  PERFORM analytica.sync_foreign_grants();
EXCEPTION WHEN OTHERS THEN
  RAISE WARNING 'pg_analytica could not mirror the grants onto its foreign tables: %', SQLERRM
    USING HINT = 'the daemon still checks every statement; run SELECT analytica.sync_foreign_grants() as the pg_analytica role to retry';
END
$$;
REVOKE ALL ON FUNCTION analytica.on_grant() FROM PUBLIC;

-- Only a superuser may create an event trigger. Without one (a managed service's ordinary role),
-- the foreign tables keep their grant to PUBLIC (0.6) and the daemon's check alone applies: a
-- column is never read beyond the source's grants, but a statement naming one that postgres_fdw
-- does not fetch is not refused.
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT EXISTS (SELECT FROM pg_event_trigger WHERE evtname = 'pg_analytica_mirror_grants') THEN
    CREATE EVENT TRIGGER pg_analytica_mirror_grants ON ddl_command_end
      WHEN TAG IN ('GRANT', 'REVOKE') EXECUTE FUNCTION analytica.on_grant();
    PERFORM analytica.sync_foreign_grants();
  END IF;
END
$$;

-- ===== toast =====

-- ===== status page =====

-- ===== migrations =====

-- The foreign table of a streamed table follows the source's columns when the daemon follows a
-- migration: renamed columns keep their identity (grants, dependent views), dropped ones go,
-- added ones come, type changes are applied, and the order ends as the source's (a foreign
-- table holds no data: columns after the first out of place are dropped and added again).
-- renames maps old names to new ones (the daemon knows them from the change stream); lock_wait
-- bounds the wait for the foreign table's lock (a query reading it holds one), after which the
-- call fails with lock_not_available and the daemon tries again later.
CREATE OR REPLACE FUNCTION analytica.align_foreign_table(source regclass, renames jsonb DEFAULT '{}',
                                                         lock_wait interval DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  foreign_oid oid;
  qualified text;
  r record;
  n integer := 0;
  renamed_to text[] := '{}';
  first_moved integer;
BEGIN
  SELECT t.foreign_table_oid INTO foreign_oid FROM analytica.tables t WHERE t.relid = source;
  -- Only the foreign table register_table made, if it is still there and still ours.
  IF foreign_oid IS NULL OR NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = foreign_oid AND c.relkind = 'f'
                                          AND pg_get_userbyid(c.relowner) = current_user) THEN
    RETURN false;
  END IF;
  qualified := foreign_oid::regclass::text;
  IF lock_wait IS NOT NULL THEN
    PERFORM set_config('lock_timeout', (extract(epoch FROM lock_wait) * 1000)::bigint || 'ms', true);
  END IF;
  -- Renames through temporary names, so that swapped names work.
  FOR r IN SELECT e.key AS old_name, e.value AS new_name FROM jsonb_each_text(renames) e LOOP
    CONTINUE WHEN NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = foreign_oid AND a.attnum > 0
                                AND NOT a.attisdropped AND a.attname = r.old_name::name);
    n := n + 1;
    EXECUTE format('ALTER FOREIGN TABLE %s RENAME COLUMN %I TO %I', qualified, r.old_name, '_pga_rename_' || n);
    renamed_to := renamed_to || r.new_name;
  END LOOP;
  FOR i IN 1 .. n LOOP
    EXECUTE format('ALTER FOREIGN TABLE %s RENAME COLUMN %I TO %I', qualified, '_pga_rename_' || i, renamed_to[i]);
  END LOOP;
  -- Columns the source no longer has.
  FOR r IN SELECT f.attname FROM pg_attribute f WHERE f.attrelid = foreign_oid AND f.attnum > 0 AND NOT f.attisdropped
              AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = source AND a.attnum > 0
                                AND NOT a.attisdropped AND a.attname = f.attname) LOOP
    EXECUTE format('ALTER FOREIGN TABLE %s DROP COLUMN %I', qualified, r.attname);
  END LOOP;
  -- The first position where the names differ: from there on, columns are dropped and added in order.
  SELECT min(s.ord) INTO first_moved
    FROM (SELECT a.attname, row_number() OVER (ORDER BY a.attnum) AS ord FROM pg_attribute a
           WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped) s
    FULL JOIN (SELECT f.attname, row_number() OVER (ORDER BY f.attnum) AS ord FROM pg_attribute f
                WHERE f.attrelid = foreign_oid AND f.attnum > 0 AND NOT f.attisdropped) f USING (ord)
   WHERE s.attname IS DISTINCT FROM f.attname;
  IF first_moved IS NOT NULL THEN
    FOR r IN SELECT f.attname FROM (SELECT f.attname, row_number() OVER (ORDER BY f.attnum) AS ord FROM pg_attribute f
                                     WHERE f.attrelid = foreign_oid AND f.attnum > 0 AND NOT f.attisdropped) f
              WHERE f.ord >= first_moved LOOP
      EXECUTE format('ALTER FOREIGN TABLE %s DROP COLUMN %I', qualified, r.attname);
    END LOOP;
    FOR r IN SELECT s.* FROM (SELECT a.*, row_number() OVER (ORDER BY a.attnum) AS ord FROM pg_attribute a
                               WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped) s
              WHERE s.ord >= first_moved ORDER BY s.ord LOOP
      EXECUTE format('ALTER FOREIGN TABLE %s ADD COLUMN %I %s', qualified, r.attname, format_type(r.atttypid, r.atttypmod))
              || CASE WHEN r.attcollation = 100 THEN ' COLLATE "C"' ELSE '' END
              || CASE WHEN r.attnotnull THEN ' NOT NULL' ELSE '' END;
    END LOOP;
  END IF;
  -- Columns in place whose type or nullability changed (as create_foreign_table declares them).
  FOR r IN SELECT a.attname, a.atttypid, a.atttypmod, a.attcollation, a.attnotnull,
                  f.atttypid <> a.atttypid OR f.atttypmod <> a.atttypmod AS retyped, f.attnotnull <> a.attnotnull AS renulled
             FROM pg_attribute a JOIN pg_attribute f ON f.attrelid = foreign_oid AND f.attname = a.attname
            WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped AND NOT f.attisdropped
              AND (f.atttypid <> a.atttypid OR f.atttypmod <> a.atttypmod OR f.attnotnull <> a.attnotnull) LOOP
    IF r.retyped THEN
      EXECUTE format('ALTER FOREIGN TABLE %s ALTER COLUMN %I TYPE %s', qualified, r.attname, format_type(r.atttypid, r.atttypmod))
              || CASE WHEN r.attcollation = 100 THEN ' COLLATE "C"' ELSE '' END;
    END IF;
    IF r.renulled THEN
      EXECUTE format('ALTER FOREIGN TABLE %s ALTER COLUMN %I %s NOT NULL', qualified, r.attname,
                     CASE WHEN r.attnotnull THEN 'SET' ELSE 'DROP' END);
    END IF;
  END LOOP;
  RETURN true;
END
$$;
REVOKE ALL ON FUNCTION analytica.align_foreign_table(regclass, jsonb, interval) FROM PUBLIC;

-- ===== ranges and arrays =====

-- is_supported_type of 0.1, following domains to their base type (a domain's values are its base
-- type's; its constraints are the source's business), accepting citext, timetz, the network types
-- and the built-in ranges (held as range_out's text, tstzrange's in UTC; src/query/ranges/).
CREATE OR REPLACE FUNCTION analytica.is_supported_type(type_oid oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM pg_type t
    WHERE t.oid = analytica.value_type(type_oid)
      AND (t.typtype = 'e'
           OR (t.typnamespace = 'pg_catalog'::regnamespace AND t.typname IN (
             'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'varchar', 'bpchar',
             'bool', 'date', 'timestamp', 'timestamptz', 'time', 'interval', 'uuid', 'json', 'jsonb',
             'bytea', 'timetz', 'inet', 'cidr', 'macaddr', 'macaddr8', 'int4range', 'int8range',
             'daterange', 'numrange', 'tsrange', 'tstzrange'))
           OR analytica.is_citext(t.oid)))
$$;

UPDATE analytica.schema_info SET version = '0.8';
