/**
 * Runs catalog queries (see catalog-query-classifier.ts) on the source
 * PostgreSQL, whose own catalogs give exact answers, stable OIDs and every
 * catalog function. On a catalog connection (logged in as the daemon's role):
 *
 *   BEGIN READ ONLY
 *   read the registered tables the client's role may SELECT (as the daemon)
 *   check that the names the statement calls resolve only into system schemas
 *   SET LOCAL ROLE <client role>; SET LOCAL search_path, TimeZone, statement_timeout
 *   <the statement, narrowed by catalog-visibility-rewrite.ts>
 *   ROLLBACK   (always: even set_config(…, false) is undone)
 *
 * The client authenticated against the source with its role's password, so
 * running as that role grants it nothing new. What SET ROLE does not give is
 * the login: PostgreSQL checks a later SET ROLE or set_config('role', …) against
 * the session's login role, the daemon's. So nothing may run that could change
 * the role: the classifier lets a statement call only the catalog-reading and
 * value functions of catalog-functions.ts (not query_to_xml, pg_terminate_backend,
 * pg_read_file …) and set_config only harmless settings, and every function,
 * operator and type the statement names must resolve into pg_catalog or
 * information_schema, where only PostgreSQL defines objects (a user-defined
 * function could SET ROLE).
 */
import type pg from 'pg';
import { visibleRegisteredRelations } from '../catalog/visible-relations.js';
import { PgError, SqlState, type SqlStateCode } from '../errors.js';
import type { Logger } from '../log.js';
import { type CatalogStatement, classifyCatalogQuery } from './catalog-query-classifier.js';
import { CatalogRowStream } from './catalog-row-stream.js';
import { type RewrittenCatalogQuery, rewriteCatalogQuery } from './catalog-visibility-rewrite.js';
import type { ParsedStatement, RowStream, SessionContext } from './engine-types.js';
import { currentRoleName } from './session-role.js';
import { quoteIdent } from './sql/sql-text.js';

export interface CatalogQueryRunnerOptions {
  /** Connections for clients' catalog queries per served database, logged in as the daemon's role. */
  readonly pools: ReadonlyMap<string, pg.Pool>;
  /** The daemon's own connections, for pg_cancel_backend (default: `pools`). */
  readonly cancelPools?: ReadonlyMap<string, pg.Pool>;
  readonly log: Logger;
  /** Bound on one catalog query on the source (the session's statement_timeout also applies). */
  readonly statementTimeoutMs?: number;
}

type SelectStatement = Extract<ParsedStatement, { kind: 'select' }>;

/** Objects in the search path's user schemas that a statement's names could resolve to. */
const userObjectsSql = `
SELECT o.kind, o.nspname, o.name FROM (
  SELECT 'function' AS kind, n.nspname, p.proname::pg_catalog.text AS name
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
   WHERE p.proname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
  UNION ALL
  SELECT 'operator', n.nspname, o.oprname::pg_catalog.text
    FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) o.oprnamespace
   WHERE o.oprname OPERATOR(pg_catalog.=) ANY ($2::pg_catalog.text[])
  UNION ALL
  SELECT 'type', n.nspname, t.typname::pg_catalog.text
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) t.typnamespace
   WHERE t.typname OPERATOR(pg_catalog.=) ANY ($3::pg_catalog.text[])
) o
WHERE o.nspname OPERATOR(pg_catalog.=) ANY ($4::pg_catalog.text[])
  AND NOT o.nspname OPERATOR(pg_catalog.=) ANY ('{pg_catalog,information_schema}'::pg_catalog.text[])
LIMIT 1`;

/**
 * Source connections one client session may hold at once. A catalog result longer than a
 * batch holds its connection until closed (a cursor, a suspended portal); without this
 * bound a few sessions could take the whole pool, and one session could wait on itself.
 */
export const maxConnectionsPerSession = 1;

export class CatalogQueryRunner {
  readonly #options: CatalogQueryRunnerOptions;
  /** Connections each session holds. */
  readonly #held = new WeakMap<object, number>();

  constructor(options: CatalogQueryRunnerOptions) {
    this.#options = options;
  }

  /** Whether `statement` is a catalog query (run on the source); throws 0A000 as tryRun does. */
  handles(statement: SelectStatement, context: SessionContext): boolean {
    const path = context.searchPath;
    const pgCatalogFirst = !path.includes('pg_catalog') || path[0] === 'pg_catalog';
    return classifyCatalogQuery(statement, pgCatalogFirst) !== undefined;
  }

  /**
   * The rows of `statement` when it is a catalog query (read from the source as the client
   * reads them); undefined when it is for DuckDB.
   */
  async tryOpen(
    statement: SelectStatement,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<RowStream | undefined> {
    const path = context.searchPath;
    const pgCatalogFirst = !path.includes('pg_catalog') || path[0] === 'pg_catalog';
    const catalog = classifyCatalogQuery(statement, pgCatalogFirst);
    if (catalog === undefined) return undefined;
    signal?.throwIfAborted();
    const pool = this.#options.pools.get(context.database);
    if (!pool) {
      throw new PgError(
        SqlState.invalidCatalogName,
        `database "${context.database}" is not served by pg_analytica`,
      );
    }
    const client = await this.#connect(pool, context);
    const pid = (client as unknown as { processID?: number }).processID;
    // Cancelling goes through the daemon's own pool, which clients' queries cannot fill.
    const cancelPool = this.#options.cancelPools?.get(context.database) ?? pool;
    const cancel = () => {
      if (pid !== undefined)
        cancelPool.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    // ROLLBACK always (even set_config(…, false) is undone); a connection that fails it is dropped.
    const release = async () => {
      const failure = await client.query('ROLLBACK').then(
        () => undefined,
        (error: Error) => error,
      );
      client.release(failure);
      this.#count(context, -1);
    };
    let rewritten: RewrittenCatalogQuery;
    try {
      signal?.addEventListener('abort', cancel, { once: true });
      await client.query('BEGIN READ ONLY');
      rewritten = await this.#prepare(client, statement.sql, catalog, context);
    } catch (error) {
      await release();
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    return await CatalogRowStream.open(
      {
        client,
        sql: rewritten.sql,
        translate: (error, shift) => sourceError(error, rewritten, shift),
        cancel,
        release,
      },
      signal,
    );
  }

  /** A connection from the pool, counted against the session's share. */
  async #connect(pool: pg.Pool, context: SessionContext): Promise<pg.PoolClient> {
    const session = context.session;
    if (session !== undefined && (this.#held.get(session) ?? 0) >= maxConnectionsPerSession) {
      throw new PgError(
        SqlState.programLimitExceeded,
        'this session is still reading another catalog query result, which holds its connection to the source database',
        { hint: 'CLOSE the cursor (or finish the portal) of the earlier catalog query first' },
      );
    }
    this.#count(context, 1);
    return await pool.connect().catch((error: unknown) => {
      this.#count(context, -1);
      throw new PgError(
        SqlState.connectionFailure,
        `cannot reach the source database "${context.database}"`,
        {
          cause: error,
          detail: error instanceof Error ? error.message : String(error),
        },
      );
    });
  }

  #count(context: SessionContext, delta: number): void {
    if (context.session === undefined) return;
    this.#held.set(context.session, (this.#held.get(context.session) ?? 0) + delta);
  }

  /** Checks the statement, becomes the client's role and returns the statement narrowed for it. */
  async #prepare(
    client: pg.PoolClient,
    sql: string,
    catalog: CatalogStatement,
    context: SessionContext,
  ): Promise<RewrittenCatalogQuery> {
    // The role pinned at login, by OID, under its current name (session-role.ts); FATAL if dropped.
    const role = await currentRoleName(client, context.roleOid);
    const visible = await visibleRegisteredRelations(client, role);
    await this.#checkNames(client, catalog, context);
    await this.#becomeRole(client, role);
    await client.query(
      `SELECT pg_catalog.set_config('search_path', $1, true), pg_catalog.set_config('TimeZone', $2, true),
              pg_catalog.set_config('statement_timeout', $3, true)`,
      [
        context.searchPath.map(quoteIdent).join(', '),
        context.timeZone,
        String(this.#options.statementTimeoutMs ?? 60_000),
      ],
    );
    return rewriteCatalogQuery(sql, catalog.relations, visible, {
      locations: catalog.sessionUserLocations,
      role,
    });
  }

  /** Refuses a statement whose names could resolve into a user schema of the search path. */
  async #checkNames(
    client: pg.PoolClient,
    catalog: CatalogStatement,
    context: SessionContext,
  ): Promise<void> {
    const { rows } = await client.query<{ kind: string; nspname: string; name: string }>({
      name: 'pg_analytica_catalog_user_objects',
      text: userObjectsSql,
      values: [catalog.functionNames, catalog.operatorNames, catalog.typeNames, context.searchPath],
    });
    const found = rows[0];
    if (found === undefined) return;
    throw new PgError(
      SqlState.featureNotSupported,
      `catalog queries through pg_analytica may use only PostgreSQL's own objects, and the ${found.kind} name ${found.name} could resolve to ${found.nspname}.${found.name}`,
      { hint: `take schema ${found.nspname} out of search_path, or run the query in PostgreSQL itself` },
    );
  }

  async #becomeRole(client: pg.PoolClient, role: string): Promise<void> {
    try {
      await client.query(`SET LOCAL ROLE ${quoteIdent(role)}`);
    } catch (error) {
      // The transaction failed; the daemon's role is read outside it, then a new one is open for ROLLBACK.
      await client.query('ROLLBACK');
      const daemonRole = (await client.query<{ name: string }>('SELECT current_user AS name')).rows[0]?.name;
      await client.query('BEGIN READ ONLY');
      throw new PgError(
        SqlState.insufficientPrivilege,
        `pg_analytica cannot run catalog queries as role ${role}: the daemon's role ${daemonRole} may not SET ROLE to it`,
        {
          cause: error,
          detail: error instanceof Error ? error.message : String(error),
          hint: `in PostgreSQL: GRANT ${quoteIdent(role)} TO ${quoteIdent(daemonRole ?? '')}`,
        },
      );
    }
  }
}

/** The source's own error, as PostgreSQL raised it, with the position mapped back to the client's text. */
function sourceError(error: unknown, rewritten: RewrittenCatalogQuery, positionShift = 0): PgError {
  if (error instanceof PgError) return error;
  const e = error as Partial<pg.DatabaseError>;
  if (typeof e.code !== 'string' || e.code.length !== 5) {
    return new PgError(SqlState.connectionFailure, 'the catalog query failed on the source database', {
      cause: error,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  // A position within the DECLARE … FOR prefix the runner added is the statement's start.
  const position =
    e.position === undefined
      ? undefined
      : rewritten.originalPosition(Math.max(1, Number(e.position) - positionShift));
  // PostgreSQL's own SQLSTATE is relayed as it is, whatever it is.
  return new PgError(e.code as SqlStateCode, e.message ?? 'error', {
    cause: error,
    ...(e.detail ? { detail: e.detail } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    ...(position === undefined ? {} : { position }),
  });
}
