/**
 * pg-analytica uninstall: removes everything pg_analytica put into the
 * connection's database — the control schema (or the extension), logical
 * replication slots and publications named pg_analytica*, and the database's
 * directory of segment files under the data directory.
 *
 * Order: every check (no daemon serving the database, no active slot, a sane
 * data directory) runs before anything is removed; the catalog goes first, in
 * one transaction, then the slots (not transactional), then the files — files
 * are only visible through catalog rows, so an interrupted uninstall leaves
 * orphaned files that a second run removes.
 */
import { lstat, readdir, realpath, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type pg from 'pg';
import { readDatabaseSettings } from '../catalog/database-settings.js';
import { foreignServerName } from '../catalog/foreign-server.js';
import { installLockKey } from '../catalog/schema-installer.js';
import { loadConfig } from '../config.js';
import type { Logger } from '../log.js';
import { databaseDirectoryName } from '../storage/segment-paths.js';
import { launcherLockKey } from '../workers/launcher.js';
import type { ParsedArgs } from './args.js';
import { type Command, connectionDetails, connectionOptions } from './flags.js';
import { withSourceClient } from './source-client.js';

interface Plan {
  database: string;
  extension: string | undefined;
  schema: boolean;
  registeredTables: number;
  slots: string[];
  publications: string[];
  /** The postgres_fdw server pg_analytica (its foreign tables and user mappings go with it). */
  foreignServer: boolean;
  /** The database's directory under the data directory, when it exists. */
  directory: DirectoryContents | undefined;
}

interface DirectoryContents {
  path: string;
  segmentFiles: number;
  files: number;
  bytes: number;
}

export const uninstall: Command = {
  spec: {
    name: 'uninstall',
    summary:
      'Remove pg_analytica from a database (the daemon must be stopped; asks first unless --yes).\n' +
      'Removes the control schema, foreign server, replication slots, publications and segment files.',
    options: {
      ...connectionOptions,
      'data-dir': {
        type: 'string',
        value: 'dir',
        description: "the daemon's data directory (default .analytica/data)",
      },
      yes: { type: 'boolean', description: 'do not ask before removing' },
    },
    details: connectionDetails,
  },
  run: runUninstall,
};

async function runUninstall(args: ParsedArgs, log: Logger): Promise<void> {
  const argv = args.argv;
  const yes = args.flags.has('yes');
  await withSourceClient(argv, log, async (client) => {
    const database = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    // Held until the end (the session ends with the command): a daemon that
    // starts meanwhile cannot start its launcher on this database.
    const { rows: lock } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [launcherLockKey],
    );
    if (!lock[0]?.locked) {
      throw new Error(
        `a pg-analytica daemon is serving database ${database} (it holds advisory lock ${launcherLockKey}); stop the pg-analytica daemon first`,
      );
    }
    // The data directory as the daemon sees it: flags > environment > the database's analytica.data_dir.
    const config = loadConfig(process.env, argv, await readDatabaseSettings(client));
    const plan = await makePlan(client, database, config.dataDir);

    const nothing =
      !plan.foreignServer &&
      !plan.extension &&
      !plan.schema &&
      plan.slots.length === 0 &&
      plan.publications.length === 0 &&
      !plan.directory;
    if (nothing) {
      console.log(
        `pg_analytica is not installed in database ${database} and ${path.join(config.dataDir, databaseDirectoryName(database))} does not exist; nothing to remove`,
      );
      return;
    }
    const active = await activeSlots(client, plan.slots);
    if (active.length > 0) {
      throw new Error(
        `replication slot(s) ${active.join(', ')} are in use (active); stop their consumers first — nothing was removed`,
      );
    }

    const summary = describe(plan);
    if (!yes) {
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        throw new Error(
          `refusing to uninstall without confirmation (not a terminal); pass --yes to remove from database ${database}: ${summary.join('; ')}`,
        );
      }
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        console.log(`pg-analytica uninstall will remove from database ${database}:`);
        for (const line of summary) console.log(`  - ${line}`);
        const answer = await rl.question('Proceed? [y/N] ');
        if (!/^y(es)?$/i.test(answer.trim())) throw new Error('uninstall cancelled; nothing was removed');
      } finally {
        rl.close();
      }
    }

    await client.query('BEGIN');
    try {
      // Not interleaved with an install (the installer takes this lock per script).
      await client.query('SELECT pg_advisory_xact_lock($1)', [installLockKey]);
      if (plan.foreignServer) await client.query(`DROP SERVER ${quoteIdent(foreignServerName)} CASCADE`);
      if (plan.schema) await client.query(dropForeignSchemasSql);
      if (plan.extension) await client.query('DROP EXTENSION pg_analytica CASCADE');
      else if (plan.schema) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent('analytica')} CASCADE`);
      for (const publication of plan.publications)
        await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(publication)}`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    // Slot drops are not transactional; one that became active since the check fails here.
    for (const slot of plan.slots) {
      await client.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
    }
    if (plan.directory) await rm(plan.directory.path, { recursive: true });

    console.log(`pg_analytica uninstalled from database ${database}:`);
    for (const line of summary) console.log(`  removed ${line}`);
  });
}

/**
 * The schemas pg_analytica made for foreign tables (schema 0.7 records them), once empty: left
 * behind, a schema of that name would not count as pg_analytica's after a new install.
 */
const dropForeignSchemasSql = `
DO $$
DECLARE
  s text;
BEGIN
  IF pg_catalog.to_regclass('analytica.foreign_schemas') IS NULL THEN
    RETURN;
  END IF;
  FOR s IN
    SELECT n.nspname FROM analytica.foreign_schemas f JOIN pg_catalog.pg_namespace n ON n.oid = f.schema_oid
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_type t WHERE t.typnamespace = n.oid)
  LOOP
    EXECUTE pg_catalog.format('DROP SCHEMA %I', s);
  END LOOP;
END
$$`;

async function makePlan(client: pg.ClientBase, database: string, dataDir: string): Promise<Plan> {
  const extension = (
    await client.query<{ extversion: string }>(
      `SELECT extversion FROM pg_extension WHERE extname = 'pg_analytica'`,
    )
  ).rows[0]?.extversion;
  const schema = (
    await client.query<{ present: boolean }>(`SELECT to_regnamespace('analytica') IS NOT NULL AS present`)
  ).rows[0]!.present;
  let registeredTables = 0;
  const tables = await client.query<{ present: boolean }>(
    `SELECT to_regclass('analytica.tables') IS NOT NULL AS present`,
  );
  if (tables.rows[0]?.present) {
    registeredTables = Number(
      (await client.query<{ n: string }>('SELECT count(*) AS n FROM analytica.tables')).rows[0]!.n,
    );
  }
  const slots = (
    await client.query<{ slot_name: string }>(
      `SELECT slot_name FROM pg_replication_slots
        WHERE database = current_database() AND slot_name LIKE 'pg\\_analytica%' ORDER BY slot_name`,
    )
  ).rows.map((r) => r.slot_name);
  const publications = (
    await client.query<{ pubname: string }>(
      `SELECT pubname FROM pg_publication WHERE pubname LIKE 'pg\\_analytica%' ORDER BY pubname`,
    )
  ).rows.map((r) => r.pubname);
  const foreignServer =
    (await client.query(`SELECT 1 FROM pg_foreign_server WHERE srvname = $1`, [foreignServerName])).rows
      .length > 0;
  const directory = await databaseDirectory(dataDir, database);
  return { database, extension, schema, registeredTables, slots, publications, foreignServer, directory };
}

async function activeSlots(client: pg.ClientBase, slots: string[]): Promise<string[]> {
  if (slots.length === 0) return [];
  const { rows } = await client.query<{ slot_name: string; active_pid: number | null }>(
    'SELECT slot_name, active_pid FROM pg_replication_slots WHERE slot_name = ANY($1) AND active ORDER BY slot_name',
    [slots],
  );
  return rows.map((r) => `${r.slot_name} (pid ${r.active_pid ?? '?'})`);
}

/**
 * The database's directory under the data directory, checked before anything
 * is removed: the data directory must not be '/' or the home directory, and
 * the database's directory must be a real directory directly inside it (not a
 * symbolic link). Entries are counted without following links; rm removes links, not their targets.
 */
export async function databaseDirectory(
  dataDir: string,
  database: string,
): Promise<DirectoryContents | undefined> {
  const configured = path.resolve(dataDir);
  const home = await realpath(homedir()).catch(() => path.resolve(homedir()));
  const refuse = (why: string): never => {
    throw new Error(`refusing to remove files under data directory ${configured}: ${why}`);
  };
  const isRoot = (p: string) => path.parse(p).root === p;
  if (isRoot(configured) || configured === home) refuse('it is the root or the home directory');
  let root: string;
  try {
    root = await realpath(configured);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (isRoot(root) || root === home) refuse(`it resolves to ${root}, the root or the home directory`);
  const name = databaseDirectoryName(database);
  const directory = path.join(root, name);
  if (path.dirname(directory) !== root || name === '' || name === '.' || name === '..')
    refuse(`database directory name ${JSON.stringify(name)} is not a plain name`);
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (stat.isSymbolicLink()) refuse(`${directory} is a symbolic link; remove it by hand`);
  if (!stat.isDirectory()) refuse(`${directory} is not a directory`);
  const contents: DirectoryContents = { path: directory, segmentFiles: 0, files: 0, bytes: 0 };
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        contents.files++;
        if (entry.isFile()) {
          contents.bytes += (await lstat(full)).size;
          if (entry.name.endsWith('.parquet')) contents.segmentFiles++;
        }
      }
    }
  };
  await walk(directory);
  return contents;
}

function describe(plan: Plan): string[] {
  const lines: string[] = [];
  const tables = `${plan.registeredTables} registered table${plan.registeredTables === 1 ? '' : 's'}`;
  if (plan.extension)
    lines.push(`extension pg_analytica ${plan.extension} and its schema analytica (${tables})`);
  else if (plan.schema) lines.push(`schema analytica (${tables})`);
  for (const slot of plan.slots) lines.push(`replication slot ${slot}`);
  for (const publication of plan.publications) lines.push(`publication ${publication}`);
  if (plan.foreignServer)
    lines.push(`foreign server ${foreignServerName} with its foreign tables (columnar.*) and user mappings`);
  if (plan.directory) {
    const d = plan.directory;
    lines.push(
      `directory ${d.path}: ${d.segmentFiles} segment file${d.segmentFiles === 1 ? '' : 's'}, ${d.files} file${d.files === 1 ? '' : 's'} in all, ${d.bytes} bytes`,
    );
  }
  return lines;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
