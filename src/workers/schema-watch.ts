/**
 * Finds the streamed tables whose copy lacks the columns (names, types, typmods, order) or enum
 * labels the source's catalog gives them, for the stream worker to catch up without waiting for
 * a write (schema-catchup.ts). One catalog query for every table of the database, on each pass
 * of the launcher: polling, since event triggers need a superuser.
 */
import type pg from 'pg';

/**
 * A column as "name:type:typmod:labels" on both sides: the copy's spec (an enum column's query
 * type is ENUM('a', 'b'), its labels in sort order), and pg_attribute (the labels of an enum
 * type, or of a domain's base type, written the same way).
 */
const behindSql = `
SELECT t.relid::bigint AS relid
  FROM analytica.tables t
  JOIN pg_catalog.pg_class c ON c.oid = t.relid
 WHERE t.mode = 'stream' AND t.state = 'synced' AND t.generation > 0 AND t.columns IS NOT NULL
   AND ARRAY(SELECT pg_catalog.concat_ws(':', s.value->>'name', s.value->>'pgTypeOid', s.value->>'pgTypeModifier',
                      CASE WHEN s.value->>'queryType' LIKE 'ENUM(%)' THEN s.value->>'queryType' ELSE '' END)
               FROM pg_catalog.jsonb_array_elements(t.columns) WITH ORDINALITY s(value, n)
              WHERE NOT coalesce((s.value->>'dropped')::boolean, false) ORDER BY s.n)
       IS DISTINCT FROM
       ARRAY(SELECT pg_catalog.concat_ws(':', a.attname, a.atttypid::bigint, a.atttypmod,
                      coalesce((SELECT 'ENUM(' || pg_catalog.string_agg('''' || pg_catalog.replace(e.enumlabel::text, '''', '''''') || '''', ', ' ORDER BY e.enumsortorder) || ')'
                                  FROM pg_catalog.pg_enum e
                                 WHERE e.enumtypid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END), ''))
               FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
              WHERE a.attrelid = t.relid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)`;

/** The streamed tables with a current copy whose columns the source's catalog changed since. */
export async function schemaBehind(client: pg.ClientBase): Promise<number[]> {
  const { rows } = await client.query<{ relid: string }>(behindSql);
  return rows.map((r) => Number(r.relid));
}
