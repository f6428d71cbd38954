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

interface ColumnRow {
  attname: string;
  type_name: string;
  atttypid: number;
  atttypmod: number;
  value_oid: number;
  value_typmod: number;
  value_name: string;
  base_oid: number;
  base_name: string;
  is_array: boolean;
  ndims: number;
  enum_labels: string[] | null;
  supported: boolean;
  ascii_fold: boolean;
}

/**
 * A type through its domains, as getBaseTypeAndTypmod() resolves it: each domain gives the
 * typmod of the type below it (a domain over varchar(80) has typtypmod 84).
 */
const baseOfDomains = (type: string, typmod: string) => `(
  WITH RECURSIVE d(oid, typmod, depth) AS (
    SELECT ${type}, ${typmod}, 0
    UNION ALL
    SELECT dt.typbasetype, dt.typtypmod, d.depth + 1 FROM d JOIN pg_type dt ON dt.oid = d.oid AND dt.typtype = 'd'
  ) SELECT d.oid, d.typmod FROM d ORDER BY d.depth DESC LIMIT 1)`;

/**
 * Each column with the type its values have (v: domains resolved; for an array of a domain, the
 * array of the element's base) and its (element) base type b. citext counts as itself only when
 * it is the citext extension's type; a type of that name of any other origin is not supported.
 */
const columnsSql = `
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type_name, a.atttypid::int AS atttypid, a.atttypmod,
       CASE WHEN et.typtype = 'd' THEN b.typarray ELSE v.oid END::int AS value_oid,
       CASE WHEN et.typtype = 'd' THEN e.typmod ELSE v.typmod END AS value_typmod,
       format_type(CASE WHEN et.typtype = 'd' THEN b.typarray ELSE v.oid END,
                   CASE WHEN et.typtype = 'd' THEN e.typmod ELSE v.typmod END) AS value_name,
       b.oid::int AS base_oid,
       CASE WHEN b.typname = 'citext' AND NOT ${isCitext('b.oid')} THEN 'citext?' ELSE b.typname::text END AS base_name,
       is_array, ndims,
       -- Checked on every copy, not only at registration: a column's type can change since,
       -- and a type of the owner's own could carry casts that would run as the daemon.
       analytica.is_supported_type(b.oid) AND b.typcategory <> 'A'
         AND (NOT is_array OR (et.typarray = vt.oid AND b.typname <> 'citext' AND b.typtype <> 'r'
                               AND (ndims <= 1 OR b.typname <> 'interval'))) AS supported,
       -- citext lowercases under the column's ctype; the engine folds only as C and POSIX do.
       b.typname <> 'citext' OR analytica.lowercases_ascii(a.attcollation) AS ascii_fold,
       CASE WHEN b.typtype = 'e' THEN
         (SELECT array_agg(en.enumlabel::text ORDER BY en.enumsortorder) FROM pg_enum en WHERE en.enumtypid = b.oid)
       END AS enum_labels
  FROM pg_attribute a
 CROSS JOIN LATERAL ${baseOfDomains('a.atttypid', 'a.atttypmod')} AS v
  JOIN pg_type vt ON vt.oid = v.oid
 CROSS JOIN LATERAL (SELECT vt.typcategory = 'A' AND vt.typelem <> 0 AS is_array) AS arr
 -- Declared dimensions: the column's, or a domain's over an array (CREATE DOMAIN d AS int[][]).
 CROSS JOIN LATERAL (SELECT greatest(a.attndims, (SELECT t.typndims FROM pg_type t WHERE t.oid = a.atttypid))::int
                       AS ndims) AS dims
  JOIN pg_type et ON et.oid = CASE WHEN is_array THEN vt.typelem ELSE vt.oid END
 CROSS JOIN LATERAL ${baseOfDomains('et.oid', 'v.typmod')} AS e
  JOIN pg_type b ON b.oid = e.oid
 WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`;

/** The type is the one the citext extension made (not another type named citext). */
function isCitext(oid: string): string {
  return `EXISTS (SELECT FROM pg_depend dep JOIN pg_extension x ON x.oid = dep.refobjid
                   WHERE dep.classid = 'pg_type'::regclass AND dep.objid = ${oid}
                     AND dep.refclassid = 'pg_extension'::regclass AND dep.deptype = 'e' AND x.extname = 'citext')`;
}

export async function readSourceTable(client: pg.ClientBase, relid: number): Promise<SourceTable> {
  const rel = await client.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1`,
    [relid],
  );
  const row = rel.rows[0];
  if (!row) throw new PgError(SqlState.undefinedTable, `source table with oid ${relid} no longer exists`);
  const { rows } = await client.query<ColumnRow>(columnsSql, [relid]);
  const unsupported = rows.find((r) => !r.supported);
  if (unsupported) {
    throw new PgError(
      SqlState.featureNotSupported,
      `column "${unsupported.attname}" of ${row.nspname}.${row.relname} has type ${unsupported.type_name}, which pg_analytica cannot copy`,
      {
        hint: 'supported: the types of docs/types.md (built-in types, enums, citext, domains over these) and arrays of them (not of citext or ranges; of intervals with one dimension)',
      },
    );
  }
  const folded = rows.find((r) => !r.ascii_fold);
  if (folded) {
    throw new PgError(
      SqlState.featureNotSupported,
      `column "${folded.attname}" of ${row.nspname}.${row.relname} is citext under a locale's character classes, which pg_analytica cannot compare as citext does`,
      {
        detail:
          'citext lowercases by the LC_CTYPE of its collation; the columnar engine lowercases as the C locale does (ASCII letters only)',
        hint: 'give the column COLLATE "C" (ALTER TABLE … ALTER COLUMN … TYPE citext COLLATE "C") or leave it out of the registered table',
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
      ...(r.is_array && r.ndims > 1 ? { ndims: r.ndims } : {}),
      enumLabels: r.enum_labels ?? undefined,
      ...(r.value_oid === r.atttypid
        ? {}
        : { valueType: { oid: r.value_oid, typmod: r.value_typmod, name: r.value_name } }),
    })),
  };
}
