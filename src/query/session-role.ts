/**
 * A session acts for the role it logged in as, identified by OID: a rename
 * (and a new role taking the old name) does not change whom it acts for, and
 * a dropped role ends it. The OID is read at login (auth-relay.ts); every
 * privilege check goes by it, and SET ROLE uses its current name.
 */
import type pg from 'pg';
import { PgError, SqlState } from '../errors.js';

/** FATAL: the session's role no longer exists, so nothing may run on its behalf. */
export function sessionRoleDropped(roleOid: number): PgError {
  return new PgError(SqlState.invalidAuthorizationSpecification, `role with OID ${roleOid} does not exist`, {
    severity: 'FATAL',
    detail: 'The role this session logged in as was dropped.',
  });
}

/** The current name of the role with OID `roleOid`; throws sessionRoleDropped() if there is none. */
export async function currentRoleName(client: pg.ClientBase, roleOid: number): Promise<string> {
  const { rows } = await client.query<{ rolname: string }>({
    name: 'pg_analytica_role_name',
    text: 'SELECT rolname FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid',
    values: [roleOid],
  });
  const name = rows[0]?.rolname;
  if (name === undefined) throw sessionRoleDropped(roleOid);
  return name;
}
