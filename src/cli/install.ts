import type pg from 'pg';
import {
  createForeignServer,
  createUserMapping,
  foreignServerName,
  postgresFdwAvailable,
  reachableHost,
  readForeignServer,
} from '../catalog/foreign-server.js';
import { installSchema } from '../catalog/schema-installer.js';
import { loadConfig, settingSpecs } from '../config.js';
import type { Logger } from '../log.js';
import type { ParsedArgs } from './args.js';
import { type Command, connectionDetails, connectionOptions } from './flags.js';
import { withSourceClient } from './source-client.js';

/**
 * pg-analytica install: installs or upgrades the control schema (idempotent),
 * then creates the postgres_fdw server "pg_analytica" pointing at the query
 * server, a user mapping for the installing role when its password is known,
 * and the foreign tables (columnar.<table>) of registered tables.
 *
 * Without --port (or PG_ANALYTICA_PORT) install does not know where the daemon
 * will listen: an existing foreign server keeps its address, a new one gets the
 * default, and `start` points it at the address it actually listens on.
 */
export const install: Command = {
  spec: {
    name: 'install',
    summary: 'Install or upgrade the control schema and the postgres_fdw server for columnar.* tables.',
    options: {
      ...connectionOptions,
      host: { type: 'string', value: 'host', description: 'where the daemon listens (default 127.0.0.1)' },
      port: {
        type: 'string',
        value: 'port',
        description: 'where the daemon listens; without it an existing foreign server keeps its port',
      },
    },
    details: `${connectionDetails}\n\`pg-analytica start\` points the foreign server at the address it listens on when its role may.`,
  },
  run: runInstall,
};

async function runInstall(args: ParsedArgs, log: Logger): Promise<void> {
  await withSourceClient(args.argv, log, async (client) => {
    const result = await installSchema(client);
    if (result.applied.length === 0) console.log(`pg_analytica schema is already at version ${result.to}`);
    else
      console.log(
        `pg_analytica schema ${result.from ? `upgraded from ${result.from}` : 'installed'} to ${result.to} (${result.applied.join(', ')})`,
      );
    if (!(await postgresFdwAvailable(client))) {
      console.log(
        'postgres_fdw is not available on this server: no foreign tables (query the daemon directly)',
      );
      return;
    }
    if (await pointForeignServer(client, args)) await userMapping(client);
  });
}

/** Creates or re-points the foreign server; false when it could not. */
async function pointForeignServer(client: pg.Client, args: ParsedArgs): Promise<boolean> {
  const config = loadConfig(process.env, args.argv);
  const portGiven = args.flags.has('port') || process.env[settingSpecs.port.env] !== undefined;
  const existing = await readForeignServer(client);
  if (existing && !portGiven) {
    console.log(
      `foreign server ${foreignServerName} keeps its address ${existing.host}:${existing.port} ` +
        '(no --port given; pg-analytica start points it at the address it listens on)',
    );
    return true;
  }
  try {
    await createForeignServer(client, { host: config.host, port: config.port });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.log(
      `could not create the foreign server ${foreignServerName} (${reason}); as a superuser run: SELECT analytica.create_foreign_server('${reachableHost(config.host)}', ${config.port})`,
    );
    return false;
  }
  console.log(
    `foreign server ${foreignServerName} points at ${reachableHost(config.host)}:${config.port}` +
      (portGiven ? '' : ' (the default port; pg-analytica start points it at the address it listens on)'),
  );
  return true;
}

async function userMapping(client: pg.Client): Promise<void> {
  const role = client.user ?? '';
  if (client.password !== undefined && client.password !== null && role !== '') {
    await createUserMapping(client, role, String(client.password));
    console.log(`user mapping created for ${role}; registered tables appear as columnar.<table>`);
  } else {
    console.log(
      `no password known for ${role}: create user mappings with CREATE USER MAPPING FOR <role> SERVER ${foreignServerName} OPTIONS (user '<role>', password '…')`,
    );
  }
}
