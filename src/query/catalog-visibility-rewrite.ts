/**
 * Narrows a catalog query to what the daemon serves: each catalog relation
 * that lists user tables (pg_class, pg_attribute, information_schema.tables
 * …) is replaced by a subquery keeping system objects (OID below
 * FirstNormalObjectId, 16384) and the registered tables the role may read:
 *
 *   pg_catalog.pg_class c
 *   → (SELECT * FROM pg_catalog.pg_class WHERE oid < 16384 OR oid = ANY ('{16390}'::oid[])) c
 *
 * The replacement is spliced into the statement's own text at the RangeVar's
 * location (libpg-query 17 has no deparser), so everything else reaches
 * PostgreSQL exactly as the client wrote it, column names included. The text
 * put in is built from constants, quoted identifiers and numeric OIDs only.
 * Unqualified catalog names are qualified, so a user table named like one is
 * never read.
 */
import type { CatalogRelation } from './catalog-query-classifier.js';
import { quoteIdent } from './sql/sql-text.js';

/** What a role may see: registered tables it may SELECT, and their schemas. */
export interface VisibleRelations {
  readonly relids: readonly number[];
  readonly namespaces: readonly number[];
}

export interface RewrittenCatalogQuery {
  readonly sql: string;
  /** Maps a 1-based character position in `sql` (as PostgreSQL reports errors) to one in the original. */
  originalPosition(position: number): number;
}

const lt = 'OPERATOR(pg_catalog.<)';
const eq = 'OPERATOR(pg_catalog.=)';
const system = (column: string) => `${column} ${lt} 16384`;

type Filter = (relids: string, namespaces: string) => string;

/** A relation column: system objects, or the visible tables. */
const byRelid =
  (column: string): Filter =>
  (relids) =>
    `${system(column)} OR ${column} ${eq} ANY (${relids})`;
/** Objects that exist only for the heap (its indexes, triggers, policies): system ones only. */
const systemOnly =
  (column: string): Filter =>
  () =>
    system(column);
/** Views that name tables by schema and name: the relation is looked up by its qualified name. */
const byName = (schemaColumn: string, tableColumn: string, visible: boolean): Filter => {
  const relid = `pg_catalog.to_regclass(pg_catalog.format('%I.%I', ${schemaColumn}, ${tableColumn}))::pg_catalog.oid`;
  return visible ? byRelid(relid) : systemOnly(relid);
};
const nothing: Filter = () => 'false';

const pgCatalogFilters: Readonly<Record<string, Filter>> = {
  pg_class: byRelid('oid'),
  pg_attribute: byRelid('attrelid'),
  pg_attrdef: byRelid('adrelid'),
  pg_namespace: (_, namespaces) => `${system('oid')} OR oid ${eq} ANY (${namespaces})`,
  pg_type: byRelid('typrelid'),
  pg_description: (relids, namespaces) =>
    `${system('objoid')} OR objoid ${eq} ANY (${relids}) OR objoid ${eq} ANY (${namespaces})`,
  // Check and not-null constraints hold for the copy too; keys and foreign keys name heap indexes.
  pg_constraint: (relids) =>
    `${system('conrelid')} OR (conrelid ${eq} ANY (${relids}) AND contype ${eq} ANY ('{c,n}'::pg_catalog.char[]))`,
  pg_index: systemOnly('indrelid'),
  pg_trigger: systemOnly('tgrelid'),
  pg_policy: systemOnly('polrelid'),
  pg_statistic_ext: systemOnly('stxrelid'),
  pg_rewrite: systemOnly('ev_class'),
  pg_sequence: systemOnly('seqrelid'),
  pg_inherits: (relids) => `inhrelid ${eq} ANY (${relids}) AND inhparent ${eq} ANY (${relids})`,
  pg_partitioned_table: (relids) => `partrelid ${eq} ANY (${relids})`,
  // The copy is published nowhere.
  pg_publication: nothing,
  pg_publication_rel: nothing,
  pg_publication_namespace: nothing,
  pg_publication_tables: nothing,
  pg_tables: byName('schemaname', 'tablename', true),
  pg_stats: byName('schemaname', 'tablename', true),
  pg_indexes: byName('schemaname', 'tablename', false),
  pg_policies: byName('schemaname', 'tablename', false),
  pg_rules: byName('schemaname', 'tablename', false),
  pg_stats_ext: byName('schemaname', 'tablename', false),
  pg_views: byName('schemaname', 'viewname', false),
  pg_matviews: byName('schemaname', 'matviewname', false),
  pg_sequences: byName('schemaname', 'sequencename', false),
  pg_stat_all_tables: byRelid('relid'),
  pg_stat_user_tables: byRelid('relid'),
  pg_stat_xact_all_tables: byRelid('relid'),
  pg_stat_xact_user_tables: byRelid('relid'),
  pg_statio_all_tables: byRelid('relid'),
  pg_statio_user_tables: byRelid('relid'),
  pg_stat_all_indexes: systemOnly('relid'),
  pg_stat_user_indexes: systemOnly('relid'),
  pg_statio_all_indexes: systemOnly('relid'),
  pg_statio_user_indexes: systemOnly('relid'),
  pg_statio_all_sequences: systemOnly('relid'),
  pg_statio_user_sequences: systemOnly('relid'),
};

const tableViews = [
  'tables',
  'columns',
  'table_privileges',
  'column_privileges',
  'role_table_grants',
  'role_column_grants',
  'column_udt_usage',
  'column_domain_usage',
  'column_options',
  'constraint_column_usage',
  'constraint_table_usage',
  'key_column_usage',
  'table_constraints',
  'view_table_usage',
  'view_column_usage',
];
const informationSchemaFilters: Readonly<Record<string, Filter>> = {
  ...Object.fromEntries(tableViews.map((view) => [view, byName('table_schema', 'table_name', true)])),
  views: byName('table_schema', 'table_name', false),
  triggers: byName('event_object_schema', 'event_object_table', false),
  schemata: (_, namespaces) => {
    const oid = 'pg_catalog.to_regnamespace(pg_catalog.quote_ident(schema_name))::pg_catalog.oid';
    return `${system(oid)} OR ${oid} ${eq} ANY (${namespaces})`;
  },
};

function filterFor(relation: CatalogRelation): Filter | undefined {
  return relation.schema === 'pg_catalog'
    ? pgCatalogFilters[relation.name]
    : informationSchemaFilters[relation.name];
}

function oidArray(oids: readonly number[]): string {
  if (!oids.every((oid) => Number.isInteger(oid) && oid >= 0)) throw new Error('an OID is not an integer');
  return `'{${oids.join(',')}}'::pg_catalog.oid[]`;
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The statement with its catalog relations narrowed to `visible` (see the file comment). */
export function rewriteCatalogQuery(
  sql: string,
  relations: readonly CatalogRelation[],
  visible: VisibleRelations,
  sessionUser?: { readonly locations: readonly number[]; readonly role: string },
): RewrittenCatalogQuery {
  const bytes = Buffer.from(sql, 'utf8');
  const relids = oidArray(visible.relids);
  const namespaces = oidArray(visible.namespaces);
  const splices: Splice[] = [];
  for (const relation of relations) {
    const filter = filterFor(relation);
    if (filter === undefined && !relation.unqualified) continue;
    const start = onlyKeywordStart(bytes, relation.location);
    const end = nameEnd(bytes, relation.location);
    const qualified = `${relation.schema}.${quoteIdent(relation.name)}`;
    const alias = relation.alias === undefined ? ` AS ${quoteIdent(relation.name)}` : '';
    const text =
      filter === undefined
        ? `${qualified}${alias}`
        : `(SELECT *${systemColumns(relation)} FROM ${qualified} WHERE ${filter(relids, namespaces)})${alias}`;
    splices.push({ start, end, text });
  }
  for (const location of sessionUser?.locations ?? []) {
    const end = location + sessionUserKeyword.length;
    if (bytes.subarray(location, end).toString('latin1').toLowerCase() !== sessionUserKeyword) continue;
    splices.push({ start: location, end, text: sessionUserValue(sessionUser!.role) });
  }
  splices.sort((a, b) => a.start - b.start);
  return splice(bytes, splices);
}

const sessionUserKeyword = 'session_user';

/**
 * SESSION_USER as the client sees it: the catalog query runs on the daemon's login, where it
 * would be the daemon's role. A scalar subquery, because PostgreSQL names a result column after
 * a subquery's own column: the client still gets a column named session_user.
 */
function sessionUserValue(role: string): string {
  // An E'' literal reads the same whatever the database's standard_conforming_strings.
  const literal = `E'${role.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  return `(SELECT "session_user" FROM (VALUES (${literal}::pg_catalog.name)) AS pg_analytica_session ("session_user"))`;
}

/** Catalog tables (not views) whose tableoid clients read, e.g. psql's \\dd (`c.tableoid`). */
const CATALOG_TABLES = new Set([
  'pg_class',
  'pg_attribute',
  'pg_attrdef',
  'pg_namespace',
  'pg_type',
  'pg_description',
  'pg_constraint',
  'pg_index',
  'pg_trigger',
  'pg_policy',
  'pg_statistic_ext',
  'pg_rewrite',
  'pg_sequence',
  'pg_inherits',
  'pg_partitioned_table',
  'pg_publication',
  'pg_publication_rel',
  'pg_publication_namespace',
]);

/** A narrowed catalog table keeps its tableoid, which `SELECT *` of a subquery leaves out. */
function systemColumns(relation: { schema: string; name: string }): string {
  return relation.schema === 'pg_catalog' && CATALOG_TABLES.has(relation.name) ? ', tableoid' : '';
}

function splice(bytes: Buffer, splices: readonly Splice[]): RewrittenCatalogQuery {
  const parts: string[] = [];
  /** Per splice, in characters: its start and end in the rewritten text, and its end in the original. */
  const map: { start: number; end: number; originalStart: number; originalEnd: number }[] = [];
  let last = 0;
  let length = 0;
  let originalLength = 0;
  for (const { start, end, text } of splices) {
    const before = bytes.subarray(last, start).toString('utf8');
    const replaced = bytes.subarray(start, end).toString('utf8');
    parts.push(before, text);
    length += before.length;
    originalLength += before.length;
    map.push({
      start: length,
      end: length + text.length,
      originalStart: originalLength,
      originalEnd: originalLength + replaced.length,
    });
    length += text.length;
    originalLength += replaced.length;
    last = end;
  }
  parts.push(bytes.subarray(last).toString('utf8'));
  return {
    sql: parts.join(''),
    originalPosition(position) {
      const offset = position - 1;
      let shift = 0;
      for (const entry of map) {
        if (offset < entry.start) break;
        if (offset < entry.end) return entry.originalStart + 1;
        shift = entry.originalEnd - entry.end;
      }
      return position + shift;
    },
  };
}

const isIdentByte = (b: number | undefined) =>
  b !== undefined &&
  ((b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x5f ||
    b === 0x24 ||
    b >= 0x80);
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c;

/** Where a qualified name starting at `at` ends: identifiers (plain or "quoted") joined by dots. */
function nameEnd(bytes: Buffer, at: number): number {
  let i = at;
  for (;;) {
    if (bytes[i] === 0x22) {
      i++;
      while (i < bytes.length && !(bytes[i] === 0x22 && bytes[i + 1] !== 0x22))
        i += bytes[i] === 0x22 ? 2 : 1;
      i++;
    } else {
      while (isIdentByte(bytes[i])) i++;
    }
    let j = i;
    while (isSpace(bytes[j])) j++;
    if (bytes[j] !== 0x2e) return i;
    j++;
    while (isSpace(bytes[j])) j++;
    i = j;
  }
}

/** `ONLY name`: the RangeVar starts at the name, but ONLY must go with it (it cannot precede a subquery). */
function onlyKeywordStart(bytes: Buffer, at: number): number {
  let i = at;
  while (i > 0 && isSpace(bytes[i - 1])) i--;
  if (i === at || i < 4) return at;
  const word = bytes
    .subarray(i - 4, i)
    .toString('latin1')
    .toLowerCase();
  return word === 'only' && !isIdentByte(bytes[i - 5]) ? i - 4 : at;
}
