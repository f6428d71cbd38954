/**
 * Which registered tables a role sees in catalog queries through the daemon:
 * those it may SELECT, or some columns of (as information_schema shows them),
 * in a schema it may use, without row-level security (the daemon does not
 * serve those, see table-resolver.ts), and their schemas.
 */
import type pg from 'pg';

export interface RoleVisibleRelations {
  /** pg_class OIDs of the tables, ascending. */
  readonly relids: number[];
  /** pg_namespace OIDs of their schemas, ascending. */
  readonly namespaces: number[];
}

export async function visibleRegisteredRelations(
  client: pg.ClientBase,
  role: string,
): Promise<RoleVisibleRelations> {
  const { rows } = await client.query<{ relids: string[]; namespaces: string[] }>({
    name: 'pg_analytica_visible_relations',
    text: `SELECT coalesce(array_agg(c.oid::bigint ORDER BY c.oid), '{}') AS relids,
                  coalesce(array_agg(DISTINCT c.relnamespace::bigint), '{}') AS namespaces
             FROM analytica.tables t
             JOIN pg_catalog.pg_class c ON c.oid = t.relid
            WHERE NOT c.relrowsecurity
              AND pg_catalog.has_schema_privilege($1::name, c.relnamespace, 'USAGE')
              AND pg_catalog.has_any_column_privilege($1::name, c.oid, 'SELECT')`,
    values: [role],
  });
  const row = rows[0];
  return {
    relids: (row?.relids ?? []).map(Number),
    namespaces: (row?.namespaces ?? []).map(Number),
  };
}
