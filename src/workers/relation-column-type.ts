/**
 * A column as a relation message describes it, when the table changed it again since (the
 * catalog is read now, the stream is behind): ADD COLUMN qty int, then ALTER COLUMN qty TYPE
 * bigint before the stream got to the first. The copy follows the changes one by one, in the
 * stream's order, so it needs the column at the type the stream gives, described as
 * readSourceTable describes columns; undefined when that type cannot be copied.
 */
import type pg from 'pg';
import type { SourceColumn } from '../source/column-types.js';

export async function columnAsStreamed(
  client: pg.ClientBase,
  name: string,
  typeOid: number,
  typeModifier: number,
): Promise<SourceColumn | undefined> {
  const { rows } = await client.query<{
    type_name: string;
    base_oid: number;
    base_name: string;
    is_array: boolean;
    enum_labels: string[] | null;
    supported: boolean;
  }>(
    `SELECT format_type(t.oid, $2) AS type_name, b.oid::int AS base_oid, b.typname AS base_name,
            t.typcategory = 'A' AS is_array,
            analytica.is_supported_type(b.oid) AND (t.typcategory <> 'A' OR (b.typarray = t.oid AND b.typtype <> 'e'))
              AS supported,
            CASE WHEN b.typtype = 'e' THEN
              (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = b.oid)
            END AS enum_labels
       FROM pg_type t
       JOIN pg_type b ON b.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
      WHERE t.oid = $1`,
    [typeOid, typeModifier],
  );
  const row = rows[0];
  if (!row?.supported) return undefined;
  return {
    name,
    typeName: row.type_name,
    typeOid,
    typeModifier,
    baseTypeName: row.base_name,
    baseTypeOid: row.base_oid,
    isArray: row.is_array,
    enumLabels: row.enum_labels ?? undefined,
  };
}
