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
  const host =
    target.host === '0.0.0.0' || target.host === '::' || target.host === '' ? '127.0.0.1' : target.host;
  await client.query('SELECT analytica.create_foreign_server($1, $2)', [host, target.port]);
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
