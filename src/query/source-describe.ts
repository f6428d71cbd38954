/**
 * PostgreSQL's own Describe of a client's statement: the source database
 * parses it (Parse + Describe of the unnamed statement, never Bind or
 * Execute) as the client's role under the client's search_path, and its
 * ParameterDescription and RowDescription are what the daemon sends. So every
 * type OID, typmod, table OID and column number a client sees is the one
 * PostgreSQL gives for the same text, without the daemon re-deriving
 * PostgreSQL's typing rules (parse_coerce.c, typmod propagation through
 * CASE, UNION, subqueries …).
 *
 * On a connection of the clients' pool:
 *
 *   BEGIN READ ONLY
 *   SELECT set_config('role', <client role>, true), set_config('search_path', …, true) …
 *   Parse (unnamed) + Describe 'S' + Sync
 *   ROLLBACK
 *
 * Parse analysis runs no user code: it resolves names and types and takes
 * AccessShareLocks, which ROLLBACK gives back. Answers are cached by
 * (database, statement text, parameter types, role, search_path, version of
 * the tables read), so a repeated statement costs a map lookup; the version
 * is the tables' OIDs and column types, which every query reads anyway.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 */
import type pg from 'pg';
import { PgError, SqlState, type SqlStateCode } from '../errors.js';
import { BoundedCache } from './bounded-cache.js';
import type { ResultColumn, SessionContext } from './engine-types.js';
import { sessionRoleDropped } from './session-role.js';
import { quoteIdent } from './sql/sql-text.js';

/** What PostgreSQL's Describe of a statement says. */
export interface SourceDescription {
  /** ParameterDescription: the type PostgreSQL resolved for each $n (unspecified ones inferred). */
  readonly parameterTypes: readonly number[];
  /** RowDescription (format codes aside); undefined for NoData. */
  readonly columns: readonly ResultColumn[] | undefined;
}

export interface SourceDescribeRequest {
  /** The statement text as the client wrote it ($n placeholders kept). */
  readonly sql: string;
  /** Parse's parameter types (0: unspecified, PostgreSQL infers it). */
  readonly parameterTypes: readonly number[];
  /** What the answer depends on besides text, role and search_path: the tables' OIDs and column types. */
  readonly version: string;
}

export interface SourceDescriberOptions {
  /** Connections for clients' statements per served database, logged in as the daemon's role. */
  readonly pools: ReadonlyMap<string, pg.Pool>;
  /** Cached descriptions kept (least recently used go first); default 2000. */
  readonly cacheEntries?: number;
  /** Bound on one Describe on the source; default 30 s. */
  readonly statementTimeoutMs?: number;
}

/** Statements longer than this are described every time rather than held in the cache. */
const maxCachedSqlChars = 64 * 1024;

export class SourceDescriber {
  readonly #options: SourceDescriberOptions;
  readonly #cache: BoundedCache<string, SourceDescription>;
  /** Describes that went to the source (cache misses), for tests and the benchmark. */
  misses = 0;

  constructor(options: SourceDescriberOptions) {
    this.#options = options;
    this.#cache = new BoundedCache(options.cacheEntries ?? 2000);
  }

  async describe(request: SourceDescribeRequest, context: SessionContext): Promise<SourceDescription> {
    refuseTooManyParameters(request);
    const key = JSON.stringify([
      context.database,
      context.roleOid,
      context.searchPath,
      request.parameterTypes,
      request.version,
      request.sql,
    ]);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    this.misses++;
    const description = await this.#describeOnSource(request, context);
    if (request.sql.length <= maxCachedSqlChars) this.#cache.set(key, description);
    return description;
  }

  async #describeOnSource(
    request: SourceDescribeRequest,
    context: SessionContext,
  ): Promise<SourceDescription> {
    const pool = this.#options.pools.get(context.database);
    if (!pool) {
      throw new PgError(
        SqlState.invalidCatalogName,
        `database "${context.database}" is not served by pg_analytica`,
      );
    }
    const client = await pool.connect().catch((error: unknown) => {
      throw new PgError(
        SqlState.connectionFailure,
        `cannot reach the source database "${context.database}" to describe the statement`,
        { cause: error, detail: error instanceof Error ? error.message : String(error) },
      );
    });
    let failure: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await this.#becomeClient(client, context);
      const statement = new DescribeStatement(request.sql, request.parameterTypes);
      client.query(statement);
      return await statement.done;
    } catch (error) {
      throw sourceError(error);
    } finally {
      // ROLLBACK always; a connection that fails it is dropped.
      failure = await client.query('ROLLBACK').then(
        () => undefined,
        (error: Error) => error,
      );
      client.release(failure);
    }
  }

  /** The client's role and search_path for the rest of the transaction; FATAL if the role was dropped. */
  async #becomeClient(client: pg.PoolClient, context: SessionContext): Promise<void> {
    const { rowCount } = await client.query({
      text: `SELECT pg_catalog.set_config('role', r.rolname, true),
                    pg_catalog.set_config('search_path', $2, true),
                    pg_catalog.set_config('statement_timeout', $3, true)
               FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid`,
      values: [
        context.roleOid,
        context.searchPath.map(quoteIdent).join(', '),
        String(this.#options.statementTimeoutMs ?? 30_000),
      ],
    });
    if (rowCount === 0) throw sessionRoleDropped(context.roleOid);
  }
}

interface FieldMessage {
  readonly name: string;
  readonly tableID: number;
  readonly columnID: number;
  readonly dataTypeID: number;
  readonly dataTypeSize: number;
  readonly dataTypeModifier: number;
}

interface ProtocolConnection {
  parse(query: { text: string; types: readonly number[] }): void;
  describe(message: { type: 'S'; name: string }): void;
  sync(): void;
  on(event: 'parameterDescription', listener: (message: { dataTypeIDs: number[] }) => void): void;
  off(event: 'parameterDescription', listener: (message: { dataTypeIDs: number[] }) => void): void;
}

/**
 * A node-postgres "submittable": the client hands it the connection and routes the
 * backend's answers to its handle* methods until ReadyForQuery. ParameterDescription is
 * not routed by the client, so it is read off the connection directly.
 */
class DescribeStatement implements pg.Submittable {
  readonly #sql: string;
  readonly #types: readonly number[];
  #connection: ProtocolConnection | undefined;
  #parameterTypes: readonly number[] = [];
  #columns: ResultColumn[] | undefined;
  #settle: { resolve: (d: SourceDescription) => void; reject: (e: unknown) => void } | undefined;
  readonly #onParameters = (message: { dataTypeIDs: number[] }) => {
    this.#parameterTypes = [...message.dataTypeIDs];
  };
  readonly done: Promise<SourceDescription>;

  constructor(sql: string, types: readonly number[]) {
    this.#sql = sql;
    this.#types = types;
    this.done = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
  }

  submit(connection: pg.Connection): void {
    const protocol = connection as unknown as ProtocolConnection;
    this.#connection = protocol;
    protocol.on('parameterDescription', this.#onParameters);
    protocol.parse({ text: this.#sql, types: this.#types });
    protocol.describe({ type: 'S', name: '' });
    protocol.sync();
  }

  handleRowDescription(message: { fields: FieldMessage[] }): void {
    this.#columns = message.fields.map((field) => ({
      name: field.name,
      tableOid: field.tableID,
      columnNumber: field.columnID,
      typeOid: field.dataTypeID,
      typeSize: field.dataTypeSize,
      typeModifier: field.dataTypeModifier,
    }));
  }

  /** The client stops routing to this statement at an error (its ReadyForQuery still comes, for the next query). */
  handleError(error: unknown): void {
    this.#connection?.off('parameterDescription', this.#onParameters);
    this.#settle?.reject(error);
  }

  handleReadyForQuery(): void {
    this.#connection?.off('parameterDescription', this.#onParameters);
    this.#settle?.resolve({ parameterTypes: this.#parameterTypes, columns: this.#columns });
  }

  // Answers a Parse/Describe never gets; present because the client may call them.
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}
}

/** The source's error as PostgreSQL raised it (its SQLSTATE, message and position in the same text). */
/**
 * node-postgres reads a ParameterDescription's count as a signed 16-bit number, so PostgreSQL's
 * answer for more than 32,767 parameters (it takes 65,535) cannot be read: refused here, clearly.
 */
const maxDescribedParameters = 32_767;

function refuseTooManyParameters(request: SourceDescribeRequest): void {
  let count = request.parameterTypes.length;
  // Unspecified parameters count too: PostgreSQL describes up to the highest $n.
  for (const m of request.sql.matchAll(/\$(\d+)/g)) count = Math.max(count, Number(m[1]));
  if (count <= maxDescribedParameters) return;
  throw new PgError(
    SqlState.programLimitExceeded,
    `pg_analytica takes at most ${maxDescribedParameters} parameters in a statement; this one has ${count}`,
    { hint: 'pass the values as one array parameter, e.g. x = ANY($1)' },
  );
}

function sourceError(error: unknown): PgError {
  if (error instanceof PgError) return error;
  const e = error as Partial<pg.DatabaseError>;
  if (typeof e.code !== 'string' || e.code.length !== 5) {
    return new PgError(SqlState.connectionFailure, 'describing the statement on the source database failed', {
      cause: error,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  // A Parse naming a type OID that does not exist: PostgreSQL's parser fails with an internal
  // error (elog), which the daemon must not relay as one of its own.
  const missingType =
    e.code === SqlState.internalError ? /^cache lookup failed for type (\d+)$/.exec(e.message ?? '') : null;
  if (missingType)
    return new PgError(SqlState.undefinedObject, `type with OID ${missingType[1]} does not exist`, {
      cause: error,
    });
  return new PgError(e.code as SqlStateCode, e.message ?? 'error', {
    cause: error,
    ...(e.detail ? { detail: e.detail } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e.position === undefined ? {} : { position: Number(e.position) }),
  });
}
