/** Reads a source table's columns from the PostgreSQL catalog. */
import type pg from 'pg';
import { PgError, SqlState } from '../errors.js';
import type { SourceColumn } from './column-types.js';

export interface SourceTable {
  relid: number;
  schema: string;
  name: string;
  columns: SourceColumn[];
}

export async function readSourceTable(client: pg.ClientBase, relid: number): Promise<SourceTable> {
  const rel = await client.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1`,
    [relid],
  );
  const row = rel.rows[0];
  if (!row) throw new PgError(SqlState.undefinedTable, `source table with oid ${relid} no longer exists`);
  const { rows } = await client.query<{
    attname: string;
    type_name: string;
    atttypid: number;
    atttypmod: number;
    base_oid: number;
    base_name: string;
    is_array: boolean;
    enum_labels: string[] | null;
    supported: boolean;
  }>(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type_name, a.atttypid::int AS atttypid, a.atttypmod,
            b.oid::int AS base_oid, b.typname AS base_name, t.typcategory = 'A' AS is_array,
            -- Checked on every copy, not only at registration: a column's type can change since,
            -- and a type of the owner's own could carry casts that would run as the daemon.
            analytica.is_supported_type(b.oid) AND (t.typcategory <> 'A' OR (b.typarray = t.oid AND b.typtype <> 'e'))
              AS supported,
            CASE WHEN b.typtype = 'e' THEN
              (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = b.oid)
            END AS enum_labels
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type b ON b.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [relid],
  );
  const unsupported = rows.find((r) => !r.supported);
  if (unsupported) {
    throw new PgError(
      SqlState.featureNotSupported,
      `column "${unsupported.attname}" of ${row.nspname}.${row.relname} has type ${unsupported.type_name}, which pg_analytica cannot copy`,
      {
        hint: 'supported: the built-in types of docs/types.md, enums, and one-dimensional arrays of built-in types (not of enums)',
      },
    );
  }
  return {
    relid,
    schema: row.nspname,
    name: row.relname,
    columns: rows.map((r) => ({
      name: r.attname,
      typeName: r.type_name,
      typeOid: r.atttypid,
      typeModifier: r.atttypmod,
      baseTypeName: r.base_name,
      baseTypeOid: r.base_oid,
      isArray: r.is_array,
      enumLabels: r.enum_labels ?? undefined,
    })),
  };
}
