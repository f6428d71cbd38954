/**
 * The postgres_fdw side of pg_analytica inside the source database: the
 * foreign server "pg_analytica" pointing at the daemon's query server, user
 * mappings, and (through the control schema) one foreign table per
 * registered table. See sql/pg_analytica--0.5--0.6.sql.
 */
import type pg from 'pg';

export const foreignServerName = 'pg_analytica';

export interface ForeignServerTarget {
  /** Where PostgreSQL reaches the daemon's query server. */
  readonly host: string;
  readonly port: number;
}

/** Whether this PostgreSQL can load postgres_fdw at all. */
export async function postgresFdwAvailable(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'postgres_fdw'`);
  return rows.length > 0;
}

/**
 * Creates (or points again) the foreign server at the daemon and creates the foreign tables of
 * the tables already registered. A listen address of "any" is reached on loopback.
 */
export async function createForeignServer(client: pg.ClientBase, target: ForeignServerTarget): Promise<void> {
  await client.query('SELECT analytica.create_foreign_server($1, $2)', [
    reachableHost(target.host),
    target.port,
  ]);
}

/** Where PostgreSQL on this machine reaches a server listening on `host`: "any" is reached on loopback. */
export function reachableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}

export interface ForeignServerState {
  readonly host: string | undefined;
  readonly port: number | undefined;
  /** Whether the current role may ALTER SERVER (it is, or is a member of, the owner). */
  readonly mayAlter: boolean;
}

/** The pg_analytica foreign server's address, or undefined when there is none. */
export async function readForeignServer(client: pg.ClientBase): Promise<ForeignServerState | undefined> {
  const { rows } = await client.query<{ options: string[] | null; may_alter: boolean }>(
    `SELECT srvoptions AS options, pg_has_role(current_user, srvowner, 'USAGE') AS may_alter
       FROM pg_foreign_server WHERE srvname = $1`,
    [foreignServerName],
  );
  const row = rows[0];
  if (!row) return undefined;
  const option = (name: string) =>
    row.options?.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1) ?? undefined;
  const port = option('port');
  return {
    host: option('host'),
    port: port === undefined ? undefined : Number(port),
    mayAlter: row.may_alter,
  };
}

/** The statement that points the foreign server at `target` (for its owner to run). */
export function alterForeignServerSql(client: pg.ClientBase, target: ForeignServerTarget): string {
  const host = client.escapeLiteral(reachableHost(target.host));
  const port = client.escapeLiteral(String(target.port));
  return `ALTER SERVER ${client.escapeIdentifier(foreignServerName)} OPTIONS (SET host ${host}, SET port ${port})`;
}

/**
 * A user mapping for `role` to the same role on the daemon, which checks the password against
 * PostgreSQL itself and shows that role only the tables it may read. Replaces an existing one.
 */
export async function createUserMapping(
  client: pg.ClientBase,
  role: string,
  password: string,
): Promise<void> {
  const server = client.escapeIdentifier(foreignServerName);
  const who = client.escapeIdentifier(role);
  const options = `user ${client.escapeLiteral(role)}, password ${client.escapeLiteral(password)}`;
  await client.query('BEGIN');
  try {
    await client.query(`DROP USER MAPPING IF EXISTS FOR ${who} SERVER ${server}`);
    await client.query(`CREATE USER MAPPING FOR ${who} SERVER ${server} OPTIONS (${options})`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** Old column name → new name, for columns renamed in the source. */
export type ColumnRenames = Readonly<Record<string, string>>;

/**
 * Alters the table's foreign table (columnar.<name>) to have the source's columns, in the
 * source's order, keeping renamed ones (analytica.align_foreign_table). It waits for a lock at
 * most `lockTimeoutMs`: a query reading the foreign table holds one, and may itself be waiting
 * for the change stream that calls this. Returns false when the lock was not granted in time
 * (try again later); true when aligned or when the table has no foreign table of ours.
 */
export async function alignForeignTable(
  client: pg.ClientBase,
  relid: number,
  renames: ColumnRenames,
  lockTimeoutMs = 200,
): Promise<boolean> {
  // One statement (its own transaction): the connection may be shared with other work.
  try {
    await client.query('SELECT analytica.align_foreign_table($1::oid::regclass, $2::jsonb, $3::interval)', [
      relid,
      JSON.stringify(renames),
      `${lockTimeoutMs} milliseconds`,
    ]);
    return true;
  } catch (error) {
    // lock_not_available: a query holds the foreign table; undefined_table: the source is gone.
    const code = (error as { code?: string }).code;
    if (code === '55P03') return false;
    if (code === '42P01') return true;
    throw error;
  }
}
