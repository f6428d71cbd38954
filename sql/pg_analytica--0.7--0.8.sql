-- pg_analytica 0.7 → 0.8: every table an application has, and a status page.
--
-- Each part of the release adds its own section below.

-- ===== partitioned tables =====

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

UPDATE analytica.schema_info SET version = '0.8';
