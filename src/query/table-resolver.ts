/**
 * Resolves the table names of a query the way PostgreSQL would, against the
 * source database's own catalog: a qualified name in its schema (42501 when
 * the role lacks USAGE on it), an unqualified one through the session's
 * search_path (pg_catalog first unless listed; schemas the role lacks USAGE
 * on are skipped, as PostgreSQL skips them), then checks that the client's
 * role may SELECT the source table, or some of its columns (which of them is
 * returned, for column-privileges.ts to check once the statement's column
 * references are known), and that it is registered with a copy to read. One statement answers all references and returns the visible
 * segments, so the query reads one consistent catalog snapshot. Its functions
 * are schema-qualified, and the connection's search_path is pg_catalog's
 * alone (source-config.ts): no user object can stand in for them.
 */
import type pg from 'pg';
import type { VisibleTable } from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
import type { ColumnSpec } from '../source/column-types.js';
import { parseLsn } from '../source/pgoutput/index.js';
import { sessionRoleDropped } from './session-role.js';
import { pgQuoteIdentifier } from './sql/set-statement.js';

export interface TableReference {
  schema: string | undefined;
  name: string;
  /** 1-based character position in the statement, for error cursors. */
  position?: number | undefined;
  /** Columns (query names) whose per-segment statistics the query can prune with. */
  statsColumns?: readonly string[] | undefined;
}

/** A data segment of a resolved table, with what pruning needs to know of it. */
export interface SegmentInfo {
  path: string;
  rowCount: number;
  byteSize: number;
  /**
   * Statistics (see segment-stats.ts) of the columns in the reference's statsColumns, by stored
   * name; undefined when it asked for none.
   */
  columnStats: Record<string, SegmentColumnStats | undefined> | undefined;
}

/** As kept in analytica.segments.column_stats; older segments lack `nulls`. */
export interface SegmentColumnStats {
  min?: string | null;
  max?: string | null;
  nulls?: number | null;
}

/** A table as a query reads it: the visible generation, and its data segments. */
export interface ResolvedTable extends VisibleTable {
  segments: SegmentInfo[];
  /** Columns whose collation orders text by locale, not by bytes (typing/collation.ts). */
  localeColumns?: string[];
  /** Columns whose own collation maps case by a ctype other than C/POSIX (typing/case-folding.ts). */
  caseLocaleColumns?: string[];
  /**
   * The columns the role may SELECT when it may not SELECT the whole table (column grants
   * only, GRANT SELECT (a, b) ON t); undefined when it may read every column.
   */
  selectableColumns?: ReadonlySet<string> | undefined;
}

interface ResolutionRow {
  ref_no: string;
  relid: string | null;
  nspname: string | null;
  relname: string | null;
  allowed: boolean | null;
  selectable_columns: string[] | null;
  role_dropped: boolean;
  schema_denied: boolean;
  registered: boolean;
  relkind: string | null;
  registered_ancestor: string | null;
  row_security: boolean | null;
  state: string | null;
  generation: number | null;
  columns: ColumnSpec[] | null;
  progress_rows: string | null;
  progress_total_rows: string | null;
  paths: string[] | null;
  row_counts: string[] | null;
  byte_sizes: string[] | null;
  column_stats: Record<string, SegmentColumnStats>[] | null;
  mode: string | null;
  last_error: string | null;
  key_columns: string[] | null;
  version: string | null;
  synced_lsn: string | null;
  truncated_seq: string | null;
  delete_paths: string[] | null;
  locale_columns: string[] | null;
  case_locale_columns: string[] | null;
  default_collation_bytewise: boolean;
  number_locale_is_c: boolean;
  partitions_current: boolean;
  columns_behind: boolean;
  wal_lsn: string;
}

const resolutionSql = `
WITH refs AS (
  SELECT * FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]), pg_catalog.unnest($5::text[]))
           WITH ORDINALITY AS r(schema_name, rel_name, stats_columns, ref_no)
), search AS (
  SELECT nsp, ord FROM pg_catalog.unnest($3::text[]) WITH ORDINALITY AS p(nsp, ord)
), db AS (
  -- Byte-wise: libc's C and POSIX, and C.UTF-8 (code point order, which is UTF-8's byte order).
  SELECT d.datcollate IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8')
         AND coalesce(pg_catalog.to_jsonb(d) ->> 'datlocprovider', 'c') = 'c' AS bytewise,
         -- to_char's D, G, L and S print these locales' symbols; the engine knows C's only.
         pg_catalog.current_setting('lc_numeric') IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8')
         AND pg_catalog.current_setting('lc_monetary') IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8') AS number_locale_is_c
    FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
), resolved AS (
  -- Per reference, by name (pg_class's name index: the generic plan must not scan pg_class),
  -- the first schema of the search path that holds it and the role may use.
  SELECT r.ref_no, x.relid, x.nspname, x.relname, x.relrowsecurity, x.relkind
    FROM refs r
    CROSS JOIN LATERAL (
      SELECT c.oid AS relid, n.nspname, c.relname, c.relrowsecurity, c.relkind
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN search s ON s.nsp = n.nspname
       WHERE c.relname = r.rel_name
         AND ((r.schema_name IS NOT NULL AND n.nspname = r.schema_name)
              OR (r.schema_name IS NULL AND s.nsp IS NOT NULL
                  AND pg_catalog.has_schema_privilege($4::oid, n.oid, 'USAGE')))
       ORDER BY s.ord
       LIMIT 1
    ) x
)
SELECT r.ref_no, res.relid::bigint AS relid, res.nspname, res.relname, res.relrowsecurity AS row_security,
       -- PostgreSQL's rule (ExecCheckOneRelPerms): SELECT on the table, or on every column the
       -- statement reads, and on at least one column when it reads none (count(*)).
       pg_catalog.has_any_column_privilege($4::oid, res.relid, 'SELECT') AS allowed,
       CASE WHEN NOT pg_catalog.has_table_privilege($4::oid, res.relid, 'SELECT') THEN
         (SELECT coalesce(pg_catalog.array_agg(a.attname::text), '{}') FROM pg_catalog.pg_attribute a
           WHERE a.attrelid = res.relid AND a.attnum > 0 AND NOT a.attisdropped
             AND pg_catalog.has_column_privilege($4::oid, res.relid, a.attnum, 'SELECT'))
       END AS selectable_columns,
       NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE oid = $4::oid) AS role_dropped,
       EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname = r.schema_name
                  AND NOT pg_catalog.has_schema_privilege($4::oid, n.oid, 'USAGE')) AS schema_denied,
       t.relid IS NOT NULL AS registered, res.relkind::text AS relkind,
       -- For the hint of an unregistered partition: the partitioned table whose copy holds its rows.
       CASE WHEN t.relid IS NULL AND res.relid IS NOT NULL THEN
         (SELECT pg_catalog.format('%I.%I', an.nspname, ac.relname)
            FROM pg_catalog.pg_partition_ancestors(res.relid::pg_catalog.regclass) a
            JOIN analytica.tables ta ON ta.relid = a.relid
            JOIN pg_catalog.pg_class ac ON ac.oid = a.relid JOIN pg_catalog.pg_namespace an ON an.oid = ac.relnamespace
           WHERE a.relid OPERATOR(pg_catalog.<>) res.relid LIMIT 1)
       END AS registered_ancestor,
       t.state, t.generation::int AS generation, t.columns,
       t.progress_rows, t.progress_total_rows,
       seg.paths, seg.row_counts, seg.byte_sizes, seg.column_stats,
       t.mode, t.last_error, t.key_columns, t.version::text AS version, t.synced_lsn::text AS synced_lsn,
       t.truncated_seq::text AS truncated_seq,
       (SELECT pg_catalog.array_agg(s.path ORDER BY s.segment_id) FROM analytica.segments s
         WHERE s.relid = t.relid AND s.generation = t.generation AND s.kind = 'delete') AS delete_paths,
       -- What "committed before the query" means: a streamed table is read once the stream got here.
       analytica.commit_horizon()::text AS wal_lsn,
       (SELECT pg_catalog.array_agg(a.attname::text) FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = res.relid AND a.attnum > 0 AND NOT a.attisdropped AND a.attcollation <> 0
           AND NOT CASE WHEN a.attcollation = 100 THEN db.bytewise
                   ELSE EXISTS (SELECT 1 FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation
                                  AND co.collprovider = 'c'
                                  AND co.collcollate IN ('C', 'POSIX', 'C.UTF-8', 'C.utf8')) END) AS locale_columns,
       (SELECT pg_catalog.array_agg(a.attname::text) FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = res.relid AND a.attnum > 0 AND NOT a.attisdropped AND a.attcollation NOT IN (0, 100)
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation
                             AND co.collprovider = 'c' AND co.collctype IN ('C', 'POSIX'))) AS case_locale_columns,
       db.bytewise AS default_collation_bytewise, db.number_locale_is_c,
       -- A partition attached, detached or dropped writes no row change: until the launcher has
       -- followed it (partition-watch.ts), the copy may hold other partitions than the table.
       (t.partitions IS NULL OR t.partitions = analytica.partition_tree(res.relid)) AS partitions_current,
       -- The live columns of a streamed copy against the source's, by name, type and typmod in
       -- order: after ALTER TABLE the stream catches up (schema-catchup.ts), which a query waits for.
       (t.mode = 'stream' AND t.columns IS NOT NULL AND
        ARRAY(SELECT pg_catalog.concat_ws(':', c.value->>'name', c.value->>'pgTypeOid', c.value->>'pgTypeModifier')
                FROM pg_catalog.jsonb_array_elements(t.columns) WITH ORDINALITY c(value, n)
               WHERE NOT coalesce((c.value->>'dropped')::boolean, false) ORDER BY c.n)
        IS DISTINCT FROM
        ARRAY(SELECT pg_catalog.concat_ws(':', a.attname, a.atttypid::bigint, a.atttypmod) FROM pg_catalog.pg_attribute a
               WHERE a.attrelid = res.relid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)) AS columns_behind
  FROM refs r CROSS JOIN db
  LEFT JOIN resolved res USING (ref_no)
  LEFT JOIN analytica.tables t ON t.relid = res.relid
  -- The stored names (a streamed column keeps its name in segments after a rename) of the columns
  -- the query can prune with, and only their statistics: all of them can be many per segment.
  LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg(coalesce(c->>'storedAs', c->>'name')) AS keys
      FROM pg_catalog.jsonb_array_elements(t.columns) c
     WHERE c->>'name' IN (SELECT pg_catalog.jsonb_array_elements_text(r.stats_columns::jsonb))
  ) w ON r.stats_columns IS NOT NULL
  LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg(s.path ORDER BY s.segment_id) AS paths,
           pg_catalog.array_agg(s.row_count ORDER BY s.segment_id) AS row_counts,
           pg_catalog.array_agg(s.byte_size ORDER BY s.segment_id) AS byte_sizes,
           pg_catalog.jsonb_agg((SELECT coalesce(pg_catalog.jsonb_object_agg(e.key, e.value), '{}') FROM pg_catalog.jsonb_each(s.column_stats) e
                       WHERE e.key = ANY (w.keys)) ORDER BY s.segment_id)
             FILTER (WHERE w.keys IS NOT NULL) AS column_stats
      FROM analytica.segments s
     WHERE s.relid = t.relid AND s.generation = t.generation AND s.kind = 'data'
  ) seg ON true
 ORDER BY r.ref_no`;

export interface Resolution {
  tables: ResolvedTable[];
  /** The source's WAL position when the tables were resolved. */
  walLsn: bigint;
  /** The database's default collation does not order text by its bytes. */
  defaultCollationSortsByLocale?: boolean;
  /** lc_numeric and lc_monetary are C's (to_char's D, G, L and S print C's symbols). */
  numberLocaleIsC?: boolean;
}

function progressText(row: ResolutionRow): string {
  return row.progress_total_rows !== null && Number(row.progress_total_rows) > 0
    ? ` (${Math.floor((100 * Number(row.progress_rows ?? 0)) / Number(row.progress_total_rows))}% copied)`
    : '';
}

/**
 * The partitions of a table changed since its copy was made, and the daemon has not followed
 * yet: resolveTables waits for it, then answers 55000 with this error's message.
 */
export class PartitionsChangedError extends PgError {
  constructor(qualified: string, position: number | undefined) {
    super(
      SqlState.objectNotInPrerequisiteState,
      `the partitions of ${qualified} changed and its columnar copy does not follow them yet`,
      {
        position,
        hint: `wait for it with SELECT analytica.wait_for_sync('${qualified.replaceAll("'", "''")}')`,
      },
    );
  }
}

/** How long a query waits for the stream to follow a schema change before it answers 55000. */
export const schemaCatchUpWaitMs = 5_000;
/** How long a query waits for the daemon to follow a change of partitions before it answers 55000. */
const partitionsWaitMs = 30_000;
const partitionsPollMs = 100;

/** Resolves every reference or throws the error PostgreSQL (or pg_analytica) would raise for the first bad one. */
export async function resolveTables(
  client: pg.ClientBase,
  references: readonly TableReference[],
  searchPath: readonly string[],
  /** The session's role, by OID: privileges are those of the role that logged in, whatever its name now. */
  roleOid: number,
  /**
   * Asks the change stream to give these streamed tables the columns a schema change gave them
   * (schema-catchup.ts), waiting a bounded time: a copy still behind after it answers 55000.
   */
  followSchema?: (relids: number[]) => Promise<void>,
): Promise<Resolution> {
  if (references.length === 0) return { tables: [], walLsn: 0n };
  const deadline = Date.now() + partitionsWaitMs;
  for (;;) {
    try {
      const resolution = await resolveOnce(client, references, searchPath, roleOid);
      const behind = resolution.tables.filter((t) => t.columnsBehind).map((t) => t.relid);
      if (behind.length === 0 || !followSchema) return resolution;
      await followSchema(behind);
      return await resolveOnce(client, references, searchPath, roleOid);
    } catch (error) {
      if (!(error instanceof PartitionsChangedError) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, partitionsPollMs));
    }
  }
}

async function resolveOnce(
  client: pg.ClientBase,
  references: readonly TableReference[],
  searchPath: readonly string[],
  roleOid: number,
): Promise<Resolution> {
  const path = searchPath.includes('pg_catalog') ? [...searchPath] : ['pg_catalog', ...searchPath];
  await planGenerically(client);
  // Named: each catalog connection prepares it once instead of planning it for every query.
  const { rows } = await client.query<ResolutionRow>({
    name: 'pg_analytica_resolve_tables',
    text: resolutionSql,
    values: [
      references.map((r) => r.schema ?? null),
      references.map((r) => r.name),
      path,
      roleOid,
      references.map((r) => (r.statsColumns?.length ? JSON.stringify(r.statsColumns) : null)),
    ],
  });
  return {
    tables: rows.map((row, i) => {
      if (row.role_dropped) throw sessionRoleDropped(roleOid);
      return toVisibleTable(row, references[i]!);
    }),
    walLsn: parseLsn(rows[0]!.wal_lsn),
    defaultCollationSortsByLocale: rows[0]!.default_collation_bytewise === false,
    numberLocaleIsC: rows[0]!.number_locale_is_c === true,
  };
}

/** Connections whose sessions run the resolution statement on its generic plan. */
const genericPlanning = new WeakSet<pg.ClientBase>();

/**
 * PostgreSQL keeps planning the prepared resolution statement anew for each query's values
 * (a custom plan: 1.1 ms of its 1.8 ms on the benchmark's catalog), though the plan it makes
 * is the same for any names; its generic plan runs in 0.6 ms. The setting is the session's:
 * the other statements of the daemon's own connections are small catalog reads as well.
 */
async function planGenerically(client: pg.ClientBase): Promise<void> {
  if (genericPlanning.has(client)) return;
  await client.query(`SELECT pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', false)`);
  genericPlanning.add(client);
}

/** What works for a name that is not registered: only tables (partitioned or not) can be. */
function unregisteredHint(row: ResolutionRow, qualified: string): string {
  if (row.registered_ancestor) {
    return `it is a partition of ${row.registered_ancestor}, which is registered: query ${row.registered_ancestor} (with a condition on its partition key) instead`;
  }
  if (row.relkind !== 'r' && row.relkind !== 'p') {
    return `only tables can be registered (${qualified} is a ${relkindNames[row.relkind ?? ''] ?? 'relation of another kind'}); register the tables it reads, and query those`;
  }
  return `register it in PostgreSQL with SELECT analytica.register_table('${qualified.replaceAll("'", "''")}')`;
}

const relkindNames: Record<string, string> = {
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
  S: 'sequence',
  c: 'composite type',
};

function toVisibleTable(row: ResolutionRow, ref: TableReference): ResolvedTable {
  const written = ref.schema === undefined ? ref.name : `${ref.schema}.${ref.name}`;
  const position = ref.position;
  if (row.schema_denied) {
    throw new PgError(SqlState.insufficientPrivilege, `permission denied for schema ${ref.schema}`, {
      position,
    });
  }
  if (row.relid === null) {
    throw new PgError(SqlState.undefinedTable, `relation "${written}" does not exist`, { position });
  }
  const qualified = `${pgQuoteIdentifier(row.nspname!)}.${pgQuoteIdentifier(row.relname!)}`;
  if (!row.allowed) {
    throw new PgError(SqlState.insufficientPrivilege, `permission denied for table ${row.relname}`, {
      position,
    });
  }
  if (row.row_security) {
    // The copy holds every row; the policies that would filter them cannot be applied to it.
    throw new PgError(SqlState.featureNotSupported, `table ${row.relname} has row-level security enabled`, {
      position,
      detail:
        'pg_analytica cannot apply row-level security policies to the columnar copy, so it does not serve the table.',
      hint: 'query it in PostgreSQL, or disable row-level security if every reader may see every row',
    });
  }
  if (!row.registered) {
    throw new PgError(SqlState.undefinedTable, `relation "${written}" is not registered with pg_analytica`, {
      position,
      hint: unregisteredHint(row, qualified),
    });
  }
  if (row.columns === null || row.generation === null || row.generation === 0) {
    const progress = progressText(row);
    throw new PgError(
      SqlState.objectNotInPrerequisiteState,
      `the columnar copy of ${qualified} is not ready yet${progress}`,
      {
        position,
        detail: `state: ${row.state}`,
        hint: `wait for it with SELECT analytica.wait_for_sync('${qualified.replaceAll("'", "''")}')`,
      },
    );
  }
  if (row.mode === 'stream' && (row.state === 'pending' || row.state === 'refreshing')) {
    // Re-copied (analytica.resync): the stream no longer keeps the previous copy current.
    throw new PgError(
      SqlState.objectNotInPrerequisiteState,
      `the columnar copy of ${qualified} is being made again${progressText(row)}`,
      {
        position,
        // Why, when the daemon asked for it itself (a missing or damaged segment file).
        detail: row.last_error ?? undefined,
        hint: `wait for it with SELECT analytica.wait_for_sync('${qualified.replaceAll("'", "''")}')`,
      },
    );
  }
  if (row.partitions_current === false) throw new PartitionsChangedError(qualified, position);
  if (row.mode === 'stream' && row.state === 'error') {
    // The stream stopped applying changes to this table: its copy is behind, so it is not served.
    throw new PgError(
      SqlState.objectNotInPrerequisiteState,
      `the columnar copy of ${qualified} is out of date`,
      {
        position,
        detail: row.last_error ?? undefined,
        hint: `copy it again with SELECT analytica.resync('${qualified.replaceAll("'", "''")}')`,
      },
    );
  }
  return {
    relid: Number(row.relid),
    schemaName: row.nspname!,
    tableName: row.relname!,
    generation: row.generation,
    // Dropped columns of a streamed table stay in its spec (their stored names stay taken), unseen.
    columns: row.columns.filter((c) => !c.dropped),
    paths: row.paths ?? [],
    segments: segmentInfos(row),
    localeColumns: row.locale_columns ?? [],
    caseLocaleColumns: row.case_locale_columns ?? [],
    ...(row.columns_behind ? { columnsBehind: true } : {}),
    selectableColumns: row.selectable_columns === null ? undefined : new Set(row.selectable_columns),
    stream:
      row.mode === 'stream'
        ? {
            version: Number(row.version),
            keyColumns: row.key_columns ?? [],
            watermark: row.synced_lsn ? parseLsn(row.synced_lsn) : 0n,
            truncatedSeq: row.truncated_seq ? parseLsn(row.truncated_seq) : 0n,
            deletePaths: row.delete_paths ?? [],
          }
        : undefined,
  };
}

function segmentInfos(row: ResolutionRow): SegmentInfo[] {
  return (row.paths ?? []).map((path, i) => ({
    path,
    rowCount: Number(row.row_counts?.[i] ?? 0),
    byteSize: Number(row.byte_sizes?.[i] ?? 0),
    columnStats: row.column_stats?.[i],
  }));
}
