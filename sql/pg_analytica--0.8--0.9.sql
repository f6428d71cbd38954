-- pg_analytica 0.8 → 0.9: multi-dimensional arrays, schema changes followed without a write,
-- and a lighter path for small queries.
--
-- Each part of the release adds its own section below.

-- ===== arrays =====

-- Re-created from 0.8 with one change: arrays declared with more than one dimension
-- (pg_attribute.attndims > 1, `integer[][]`, or a domain's pg_type.typndims) are accepted, stored
-- as nested lists of that depth (src/source/array-columns.ts), except of intervals (refused, with
-- the column named).
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
    -- Declared dimensions: the column's, or a domain's over an array (CREATE DOMAIN d AS int[][]).
    SELECT a.attname, greatest(a.attndims, (SELECT t.typndims FROM pg_type t WHERE t.oid = a.atttypid)) AS attndims,
           format_type(a.atttypid, a.atttypmod) AS type_name,
           vt.oid AS value_type, vt.typcategory = 'A' AND vt.typelem <> 0 AS is_array, vt.typelem,
           -- citext lowercases by its collation's ctype; the engine folds as C and POSIX do.
           analytica.is_citext(vt.oid) AND NOT analytica.lowercases_ascii(a.attcollation) AS citext_locale
      FROM pg_attribute a JOIN pg_type vt ON vt.oid = analytica.value_type(a.atttypid)
     WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum
  LOOP
    IF col.is_array THEN
      IF NOT analytica.is_supported_type(col.typelem)
         OR (col.attndims > 1 AND analytica.value_type(col.typelem) = 'interval'::regtype)
         OR analytica.is_citext(analytica.value_type(col.typelem))
         OR (SELECT e.typtype = 'r' FROM pg_type e WHERE e.oid = analytica.value_type(col.typelem)) THEN
        RAISE EXCEPTION 'column % of table % has unsupported type %', quote_ident(col.attname), source, col.type_name
          USING ERRCODE = 'feature_not_supported',
                HINT = 'supported: arrays of supported element types (not of citext or ranges; of intervals with one dimension)';
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
                     'cidr, macaddr, macaddr8, int4range, int8range, daterange, enums, citext, domains over these and arrays of these';
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

-- ===== schema catch-up =====

-- ===== query latency =====

UPDATE analytica.schema_info SET version = '0.9';
