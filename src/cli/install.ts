import {
  createForeignServer,
  createUserMapping,
  foreignServerName,
  postgresFdwAvailable,
} from '../catalog/foreign-server.js';
import { installSchema } from '../catalog/schema-installer.js';
import { loadConfig } from '../config.js';
import type { Logger } from '../log.js';
import { withSourceClient } from './source-client.js';

/**
 * pg-analytica install: installs or upgrades the control schema (idempotent),
 * then creates the postgres_fdw server "pg_analytica" pointing at the query
 * server (--host/--port as the daemon uses them), a user mapping for the
 * installing role when its password is known, and the foreign tables
 * (columnar.<table>) of registered tables.
 */
export async function install(argv: readonly string[], log: Logger): Promise<void> {
  const config = loadConfig(process.env, argv);
  await withSourceClient(argv, log, async (client) => {
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
    try {
      await createForeignServer(client, { host: config.host, port: config.port });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.log(
        `could not create the foreign server ${foreignServerName} (${reason}); as a superuser run: SELECT analytica.create_foreign_server('${config.host}', ${config.port})`,
      );
      return;
    }
    console.log(`foreign server ${foreignServerName} points at ${config.host}:${config.port}`);
    const role = client.user ?? '';
    if (client.password !== undefined && client.password !== null && role !== '') {
      await createUserMapping(client, role, String(client.password));
      console.log(`user mapping created for ${role}; registered tables appear as columnar.<table>`);
    } else {
      console.log(
        `no password known for ${role}: create user mappings with CREATE USER MAPPING FOR <role> SERVER ${foreignServerName} OPTIONS (user '<role>', password '…')`,
      );
    }
  });
}
