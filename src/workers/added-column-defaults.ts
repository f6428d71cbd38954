/**
 * What the rows already in a table hold in a column just added (ALTER TABLE … ADD COLUMN), which
 * the change stream never says: PostgreSQL 11+ stores a non-volatile default once, in
 * pg_attribute.attmissingval, and rewrites nothing (every older row reads that value); a
 * volatile default (clock_timestamp(), gen_random_uuid()) rewrites the table, each row getting
 * its own value; no default leaves them NULL.
 * https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES
 */
import type pg from 'pg';
import type { IngestColumn, MissingValue } from '../source/column-types.js';
import { quoteLiteral } from '../source/column-types.js';
import { copyField, parseArrayElements, replicationOutputSettings } from '../source/output-text.js';

export type AddedColumnRows =
  /** The older rows read NULL. */
  | { kind: 'null' }
  /** The older rows read this value, in its type's text output as the stream sends values. */
  | { kind: 'constant'; text: string }
  /** The table was rewritten (or the default set after the column was added): values unknown here. */
  | { kind: 'unknown' };

/** What the older rows hold in each of the columns `names` of `relid`. */
export async function readAddedColumnRows(
  client: pg.ClientBase,
  relid: number,
  names: readonly string[],
): Promise<Map<string, AddedColumnRows>> {
  // attmissingval's text is written by the element type's output function: in the settings of
  // the replication session, so that it is the very text the stream would send for the value.
  const settings = Object.entries(replicationOutputSettings);
  await client.query('BEGIN');
  try {
    await client.query(
      `SELECT pg_catalog.set_config(s.name, s.value, true)
         FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS s(name, value)`,
      [settings.map(([name]) => name), settings.map(([, value]) => value)],
    );
    const { rows } = await client.query<{
      attname: string;
      atthasmissing: boolean;
      atthasdef: boolean;
      missing: string | null;
    }>(
      `SELECT attname, atthasmissing, atthasdef, attmissingval::text AS missing FROM pg_catalog.pg_attribute
        WHERE attrelid = $1 AND attname = ANY($2::text[]) AND NOT attisdropped`,
      [relid, names],
    );
    await client.query('COMMIT');
    return new Map(rows.map((r) => [r.attname, addedColumnRows(r)]));
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

function addedColumnRows(row: {
  attname: string;
  atthasmissing: boolean;
  atthasdef: boolean;
  missing: string | null;
}): AddedColumnRows {
  if (row.atthasmissing && row.missing !== null) {
    // A one-element array of the column's type: its element is the value's text.
    const [text] = parseArrayElements({ name: row.attname } as IngestColumn, row.missing);
    return text === null || text === undefined ? { kind: 'null' } : { kind: 'constant', text };
  }
  return row.atthasdef ? { kind: 'unknown' } : { kind: 'null' };
}

/**
 * The value older rows read in `column`, as a DuckDB constant of its storage type: the text goes
 * through the conversions a streamed value goes through (copyField, then the column's load), so
 * it is stored exactly as the same value written by a later row. `commit`/`seq`: the change at
 * which the stream found the column (rows written before it lack the column).
 */
export function missingValue(column: IngestColumn, text: string, commit: bigint, seq: bigint): MissingValue {
  const field = `CAST(${quoteLiteral(copyField(column, text))} AS ${column.csvType})`;
  return {
    commit: String(commit),
    seq: String(seq),
    sql: `CAST(${column.load(field)} AS ${column.storageType})`,
  };
}
