/**
 * Tells catalog queries (psql's \d, drivers' metadata, postgres_fdw's IMPORT
 * FOREIGN SCHEMA and ANALYZE) from queries of registered tables. A SELECT is a
 * catalog query when every relation it names is in pg_catalog or
 * information_schema, or when it names none but calls something only
 * PostgreSQL has (format_type, pg_*, has_*_privilege, ::regclass …). Catalog
 * queries run on the source PostgreSQL (catalog-query-runner.ts); mixing
 * catalog relations with registered tables is refused, as no engine holds both.
 *
 * The walk also lists every function, operator and type name the statement
 * uses: the runner checks on the source that each resolves into a system
 * schema (see CatalogGuard), because the statement runs in a session whose
 * login role is the daemon's. Every function a catalog query calls, anywhere
 * in it (subqueries, CTEs, LATERAL, FILTER, ORDER BY, windows, CASE), must
 * also be on the allow-list of catalog-functions.ts: the source is not a
 * gateway to pg_terminate_backend, pg_read_file and the like.
 */
import type { Node } from 'libpg-query';
import { PgError, SqlState } from '../errors.js';
import { isAllowedCatalogFunction, isAllowedCatalogSetting } from './catalog-functions.js';
import type { ParsedStatement } from './engine-types.js';
import { charPosition } from './sql/sql-text.js';

/** A catalog relation named in FROM; `location` is the RangeVar's byte offset in the statement. */
export interface CatalogRelation {
  readonly schema: 'pg_catalog' | 'information_schema';
  readonly name: string;
  /** Written without a schema: the rewrite qualifies it, so a same-named user relation is never read. */
  readonly unqualified: boolean;
  readonly location: number;
  readonly alias: string | undefined;
}

export interface QualifiedName {
  readonly schema: string | undefined;
  readonly name: string;
}

export interface CatalogStatement {
  readonly relations: readonly CatalogRelation[];
  /**
   * Unqualified function, operator and type names, to check on the source (see CatalogGuard).
   * Function names include the last name of every `x.name` and `(expr).name`: PostgreSQL calls
   * name(x) when x has no such column (functional notation), so a user's function could hide there.
   */
  readonly functionNames: readonly string[];
  readonly operatorNames: readonly string[];
  readonly typeNames: readonly string[];
  /** Byte offsets of the keyword SESSION_USER, which the rewrite replaces by the client's role. */
  readonly sessionUserLocations: readonly number[];
}

type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;

/** Schemas whose objects are PostgreSQL's own; a user cannot create objects in them. */
export const systemSchemas: ReadonlySet<string> = new Set(['pg_catalog', 'information_schema']);

/**
 * Relations and views of pg_catalog (PostgreSQL 13 to 18), which an
 * unqualified name finds before any user schema unless search_path lists
 * pg_catalog later. Every one starts with "pg_".
 */
const pgCatalogRelations: ReadonlySet<string> = new Set(
  (
    'aggregate aios am amop amproc attrdef attribute auth_members authid available_extension_versions ' +
    'available_extensions backend_memory_contexts cast class collation config constraint conversion ' +
    'cursors database db_role_setting default_acl depend description enum event_trigger extension ' +
    'file_settings foreign_data_wrapper foreign_server foreign_table group hba_file_rules ' +
    'ident_file_mappings index indexes inherits init_privs language largeobject largeobject_metadata ' +
    'locks matviews namespace opclass operator opfamily parameter_acl partitioned_table policies policy ' +
    'prepared_statements prepared_xacts proc publication publication_namespace publication_rel ' +
    'publication_tables range replication_origin replication_origin_status replication_slots rewrite ' +
    'roles rules seclabel seclabels sequence sequences settings shadow shdepend shdescription ' +
    'shmem_allocations shmem_allocations_numa shseclabel stat_activity stat_all_indexes stat_all_tables ' +
    'stat_archiver stat_bgwriter stat_checkpointer stat_database stat_database_conflicts stat_gssapi ' +
    'stat_io stat_progress_analyze stat_progress_basebackup stat_progress_cluster stat_progress_copy ' +
    'stat_progress_create_index stat_progress_vacuum stat_recovery_prefetch stat_replication ' +
    'stat_replication_slots stat_slru stat_ssl stat_subscription stat_subscription_stats ' +
    'stat_sys_indexes stat_sys_tables stat_user_functions stat_user_indexes stat_user_tables stat_wal ' +
    'stat_wal_receiver stat_xact_all_tables stat_xact_sys_tables stat_xact_user_functions ' +
    'stat_xact_user_tables statio_all_indexes statio_all_sequences statio_all_tables ' +
    'statio_sys_indexes statio_sys_sequences statio_sys_tables statio_user_indexes ' +
    'statio_user_sequences statio_user_tables statistic statistic_ext statistic_ext_data stats ' +
    'stats_ext stats_ext_exprs subscription subscription_rel tables tablespace timezone_abbrevs ' +
    'timezone_names transform trigger ts_config ts_config_map ts_dict ts_parser ts_template type user ' +
    'user_mapping user_mappings views wait_events'
  )
    .split(' ')
    .map((name) => `pg_${name}`),
);

/**
 * Functions that exist only in PostgreSQL (or mean something else in DuckDB):
 * a statement without relations that calls one runs on the source.
 */
const postgresOnlyFunctions: ReadonlySet<string> = new Set([
  'format_type',
  'current_schemas',
  'current_schema',
  'current_setting',
  'current_database',
  'set_config',
  'obj_description',
  'col_description',
  'shobj_description',
  'version',
  'array_to_string',
  'quote_ident',
  'quote_literal',
  'txid_current_if_assigned',
]);
/** lo_ and dblink: large objects and dblink exist only in PostgreSQL, and are refused there (catalog-functions.ts). */
const postgresOnlyPrefixes = ['pg_', 'has_', 'to_reg', 'lo_', 'dblink'];

/** reg* types: casts to them look objects up in the catalog. */
const catalogTypes =
  /^reg(class|type|proc|procedure|oper|operator|namespace|role|config|dictionary|collation)$/;

/** SQL value functions that read the catalog or the session (not current_date and friends). */
const catalogValueFunctions = new Set([
  'SVFOP_CURRENT_USER',
  'SVFOP_CURRENT_ROLE',
  'SVFOP_USER',
  'SVFOP_CURRENT_CATALOG',
  'SVFOP_CURRENT_SCHEMA',
  // The source would answer the daemon's login role; the rewrite puts the client's in.
  'SVFOP_SESSION_USER',
]);

/** Operators the parser looks up by name for CASE, IN, BETWEEN, IS DISTINCT FROM and row comparisons. */
const impliedOperators = ['=', '<>', '<', '>', '<=', '>='];

/** A function call: its name as written and the byte offset of the call in the statement. */
interface FunctionCall extends QualifiedName {
  readonly location: number;
}

interface Walk {
  readonly sql: string;
  readonly cteNames: Set<string>;
  readonly catalog: CatalogRelation[];
  readonly tables: { name: string; location: number }[];
  readonly functions: FunctionCall[];
  /** Last names of `x.name` and `(expr).name`, which may be functional-notation calls. */
  readonly fieldNames: string[];
  readonly operators: QualifiedName[];
  readonly types: QualifiedName[];
  readonly sessionUser: number[];
  postgresOnly: boolean;
}

/**
 * Undefined for a statement DuckDB answers (registered tables, or no relation
 * and only ordinary functions); the catalog statement otherwise. Throws 0A000
 * when catalog relations and tables are mixed, or for a refused function.
 * `pgCatalogFirst`: search_path does not list pg_catalog after another schema,
 * so an unqualified pg_class is pg_catalog's.
 */
export function classifyCatalogQuery(
  statement: SelectStatement,
  pgCatalogFirst: boolean,
): CatalogStatement | undefined {
  const walk: Walk = {
    sql: statement.sql,
    cteNames: new Set(),
    catalog: [],
    tables: [],
    functions: [],
    fieldNames: [],
    operators: [],
    types: [],
    sessionUser: [],
    postgresOnly: false,
  };
  collectCteNames(statement.ast, walk.cteNames);
  visit(statement.ast, walk, pgCatalogFirst);
  if (walk.catalog.length > 0 && walk.tables.length > 0) {
    const table = walk.tables[0]!;
    const relation = walk.catalog[0]!;
    throw new PgError(
      SqlState.featureNotSupported,
      `a query cannot combine the catalog relation ${relation.schema}.${relation.name} with the table ${table.name}`,
      {
        position: charPosition(walk.sql, table.location),
        detail:
          'Catalog queries run on the source PostgreSQL and queries of registered tables on the columnar copy; no engine holds both.',
        hint: 'query the catalog and the table separately',
      },
    );
  }
  if (walk.tables.length > 0) return undefined;
  if (walk.catalog.length === 0 && !walk.postgresOnly) return undefined;
  checkNames(walk);
  return {
    relations: walk.catalog,
    functionNames: [...new Set([...unqualified(walk.functions), ...walk.fieldNames])],
    operatorNames: [...new Set([...unqualified(walk.operators), ...impliedOperators])],
    typeNames: unqualified(walk.types),
    sessionUserLocations: walk.sessionUser,
  };
}

function unqualified(names: readonly QualifiedName[]): string[] {
  return [...new Set(names.filter((n) => n.schema === undefined).map((n) => n.name))];
}

/** Names qualified with a user schema, and functions off the allow-list, are refused before anything runs. */
function checkNames(walk: Walk): void {
  for (const [what, names] of [
    ['function', walk.functions],
    ['operator', walk.operators],
    ['type', walk.types],
  ] as const) {
    for (const { schema, name } of names) {
      if (schema !== undefined && !systemSchemas.has(schema)) {
        throw new PgError(
          SqlState.featureNotSupported,
          `catalog queries through pg_analytica may use only PostgreSQL's own objects, not the ${what} ${schema}.${name}`,
          { hint: 'run the query in PostgreSQL itself' },
        );
      }
    }
  }
  for (const call of walk.functions) {
    if (!isAllowedCatalogFunction(call.schema, call.name)) throw refusedFunction(call, walk.sql);
  }
}

function refusedFunction({ schema, name, location }: FunctionCall, sql: string): PgError {
  const written = schema === undefined ? name : `${schema}.${name}`;
  return new PgError(
    SqlState.featureNotSupported,
    `function ${written} is not available through pg_analytica; connect to PostgreSQL directly`,
    {
      position: charPosition(sql, location),
      detail:
        'Catalog queries run on the source PostgreSQL, where pg_analytica calls only functions that read the catalogs or compute values.',
    },
  );
}

function collectCteNames(node: unknown, names: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectCteNames(item, names);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'CommonTableExpr') {
      const name = (value as { ctename?: string }).ctename;
      if (name !== undefined) names.add(name);
    }
    collectCteNames(value, names);
  }
}

/** Visits every node of the parse tree (a JSON tree of `{ NodeType: fields }` objects). */
function visit(node: unknown, walk: Walk, pgCatalogFirst: boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) visit(item, walk, pgCatalogFirst);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    noteNode(key, value, walk, pgCatalogFirst);
    visit(value, walk, pgCatalogFirst);
  }
}

type Fields = Record<string, unknown>;

function noteNode(key: string, value: unknown, walk: Walk, pgCatalogFirst: boolean): void {
  const fields = value as Fields;
  switch (key) {
    case 'RangeVar':
      noteRelation(fields, walk, pgCatalogFirst);
      return;
    case 'FuncCall': {
      const name = qualifiedName(fields.funcname);
      walk.functions.push({ ...name, location: Number(fields.location ?? -1) });
      if (isPostgresOnlyFunction(name)) walk.postgresOnly = true;
      if (name.name === 'set_config') checkSetConfig(fields);
      return;
    }
    case 'RangeTableSample':
      // The sampling method is a function PostgreSQL looks up by name.
      walk.functions.push({ ...qualifiedName(fields.method), location: Number(fields.location ?? -1) });
      return;
    case 'ColumnRef': {
      const parts = (fields.fields as Node[] | undefined) ?? [];
      const last = parts.at(-1);
      if (parts.length > 1 && last !== undefined && 'String' in last)
        walk.fieldNames.push(last.String.sval ?? '');
      return;
    }
    case 'A_Indirection':
      for (const part of (fields.indirection as Node[] | undefined) ?? []) {
        if ('String' in part) walk.fieldNames.push(part.String.sval ?? '');
      }
      return;
    case 'A_Expr':
      walk.operators.push(qualifiedName(fields.name));
      return;
    case 'SubLink':
      if (fields.operName !== undefined) walk.operators.push(qualifiedName(fields.operName));
      return;
    case 'SortBy':
      if (fields.useOp !== undefined) walk.operators.push(qualifiedName(fields.useOp));
      return;
    case 'TypeName':
    case 'typeName': {
      const name = qualifiedName(fields.names);
      walk.types.push(name);
      if (catalogTypes.test(name.name)) walk.postgresOnly = true;
      return;
    }
    case 'SQLValueFunction':
      if (catalogValueFunctions.has(String(fields.op))) walk.postgresOnly = true;
      if (fields.op === 'SVFOP_SESSION_USER' && typeof fields.location === 'number')
        walk.sessionUser.push(fields.location);
      return;
    default:
      return;
  }
}

function noteRelation(fields: Fields, walk: Walk, pgCatalogFirst: boolean): void {
  const schema = fields.schemaname as string | undefined;
  const name = String(fields.relname ?? '');
  const location = Number(fields.location ?? 0);
  const alias = (fields.alias as { aliasname?: string } | undefined)?.aliasname;
  if (fields.catalogname !== undefined) {
    walk.tables.push({ name, location });
  } else if (schema === 'pg_catalog' || schema === 'information_schema') {
    walk.catalog.push({ schema, name, unqualified: false, location, alias });
  } else if (
    schema === undefined &&
    !walk.cteNames.has(name) &&
    pgCatalogFirst &&
    pgCatalogRelations.has(name)
  ) {
    walk.catalog.push({ schema: 'pg_catalog', name, unqualified: true, location, alias });
  } else if (schema !== undefined || !walk.cteNames.has(name)) {
    walk.tables.push({ name: schema === undefined ? name : `${schema}.${name}`, location });
  }
}

function isPostgresOnlyFunction({ schema, name }: QualifiedName): boolean {
  if (schema === 'pg_catalog' && name.startsWith('pg_')) return true;
  return postgresOnlyFunctions.has(name) || postgresOnlyPrefixes.some((prefix) => name.startsWith(prefix));
}

/** set_config() may set only a harmless parameter (catalog-functions.ts), named by a constant. */
function checkSetConfig(fields: Fields): void {
  const first = (fields.args as Node[] | undefined)?.[0];
  const constant = first !== undefined && 'A_Const' in first ? first.A_Const.sval?.sval : undefined;
  if (constant === undefined || !isAllowedCatalogSetting(constant)) {
    throw new PgError(
      SqlState.featureNotSupported,
      `set_config() through pg_analytica takes a constant name of a setting that changes how values are read or shown, not ${constant === undefined ? 'an expression' : constant}`,
      { hint: 'use SET for session settings, or connect to PostgreSQL directly' },
    );
  }
}

function qualifiedName(list: unknown): QualifiedName {
  const parts = ((list as Node[] | undefined) ?? []).map((part) =>
    'String' in part ? (part.String.sval ?? '') : '',
  );
  const name = parts.at(-1) ?? '';
  return { schema: parts.length > 1 ? parts.at(-2) : undefined, name };
}
