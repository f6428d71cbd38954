import { installSchema } from '../catalog/schema-installer.js';
import type { Logger } from '../log.js';
import { withSourceClient } from './source-client.js';

/** pg-analytica install: installs or upgrades the control schema (idempotent). */
export async function install(argv: readonly string[], log: Logger): Promise<void> {
  await withSourceClient(argv, log, async (client) => {
    const result = await installSchema(client);
    if (result.applied.length === 0) console.log(`pg_analytica schema is already at version ${result.to}`);
    else
      console.log(
        `pg_analytica schema ${result.from ? `upgraded from ${result.from}` : 'installed'} to ${result.to} (${result.applied.join(', ')})`,
      );
  });
}
