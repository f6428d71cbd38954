/**
 * Installs and upgrades the control schema from the versioned scripts in sql/,
 * the same files PostgreSQL uses for CREATE EXTENSION: pg_analytica--X.sql is a
 * base install, pg_analytica--X--Y.sql an upgrade. Over a plain connection we
 * follow the same chain ourselves, one transaction per script, under an
 * advisory lock so two installers cannot interleave.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { PgError, SqlState } from '../errors.js';

export const sqlDirectory = fileURLToPath(new URL('../../../sql/', import.meta.url));
export const installLockKey = 1885823074;

export interface InstallResult {
  /** Version before, undefined when the schema was absent. */
  from: string | undefined;
  to: string;
  /** Scripts run, in order; empty when already up to date. */
  applied: string[];
  /** True when the schema is managed by CREATE EXTENSION. */
  extension: boolean;
}

export async function defaultVersion(dir = sqlDirectory): Promise<string> {
  const control = await readFile(path.join(dir, 'pg_analytica.control'), 'utf8');
  const match = /^default_version\s*=\s*'([^']+)'/m.exec(control);
  if (!match?.[1]) throw new Error(`no default_version in ${path.join(dir, 'pg_analytica.control')}`);
  return match[1];
}

export async function installedVersion(client: pg.ClientBase): Promise<string | undefined> {
  const exists = await client.query(`SELECT to_regclass('analytica.schema_info') IS NOT NULL AS present`);
  if (!exists.rows[0]?.present) return undefined;
  const { rows } = await client.query<{ version: string }>('SELECT version FROM analytica.schema_info');
  return rows[0]?.version;
}

/** Brings the schema to `target` (default: the control file's version); a no-op when already there. */
export async function installSchema(
  client: pg.ClientBase,
  target?: string,
  dir = sqlDirectory,
): Promise<InstallResult> {
  const to = target ?? (await defaultVersion(dir));
  const extension = await client.query(`SELECT extversion FROM pg_extension WHERE extname = 'pg_analytica'`);
  if (extension.rows.length > 0) {
    const from = extension.rows[0].extversion as string;
    if (from !== to) await client.query(`ALTER EXTENSION pg_analytica UPDATE TO ${quoteLiteral(to)}`);
    return {
      from,
      to,
      applied: from === to ? [] : [`ALTER EXTENSION pg_analytica UPDATE TO '${to}'`],
      extension: true,
    };
  }
  const scripts = await readdir(dir);
  const applied: string[] = [];
  let from: string | undefined;
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [installLockKey]);
      await checkSchemaOwner(client);
      const current = await installedVersion(client);
      if (applied.length === 0) from = current;
      if (current === to) {
        await client.query('COMMIT');
        return { from, to, applied, extension: false };
      }
      const script = nextScript(scripts, current, to);
      await client.query(await readFile(path.join(dir, script), 'utf8'));
      await client.query('COMMIT');
      applied.push(script);
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  }
}

/**
 * The schema analytica must belong to the role that installs the control schema. The scripts
 * create it with IF NOT EXISTS, and a schema's owner may drop and replace any object in it: a role
 * that created an empty analytica first could swap in its own register_table, which runs as the
 * installer. (CREATE EXTENSION refuses such a schema by itself.)
 */
async function checkSchemaOwner(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ owner: string; installer: string | null; me: string }>(
    `SELECT pg_catalog.pg_get_userbyid(n.nspowner) AS owner, current_user AS me,
            (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
              WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('analytica.schema_info')) AS installer
       FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) 'analytica'`,
  );
  const row = rows[0];
  const expected = row?.installer ?? row?.me;
  if (row === undefined || row.owner === expected) return;
  throw new PgError(
    SqlState.insufficientPrivilege,
    `schema analytica belongs to role ${row.owner}, not to the role that installs pg_analytica (${expected})`,
    {
      detail:
        "a schema's owner can replace the functions in it, and the control schema's functions run with the installing role's privileges",
      hint: `check what schema analytica holds, then drop it (DROP SCHEMA analytica CASCADE) or give it to the installing role (ALTER SCHEMA analytica OWNER TO ${quoteIdentifier(expected ?? '')})`,
    },
  );
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The next script on the way from `current` to `target`: a base script, or the upgrade with the furthest reach. */
function nextScript(scripts: string[], current: string | undefined, target: string): string {
  if (current === undefined) {
    const base = scripts.filter((s) => /^pg_analytica--[^-]+\.sql$/.test(s)).sort(compareScripts);
    const exact = base.find((s) => s === `pg_analytica--${target}.sql`);
    const first = exact ?? base[0];
    if (!first) throw new Error('no base install script pg_analytica--<version>.sql in sql/');
    return first;
  }
  const upgrade = scripts.find((s) => s.startsWith(`pg_analytica--${current}--`) && s.endsWith('.sql'));
  if (!upgrade) {
    throw new PgError(
      SqlState.featureNotSupported,
      `no upgrade path from pg_analytica schema version ${current} to ${target}`,
      { hint: 'install a pg-analytica release that ships the upgrade scripts for this version' },
    );
  }
  return upgrade;
}

function compareScripts(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
