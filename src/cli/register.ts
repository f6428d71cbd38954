import { parseFlags } from '../config.js';
import type { Logger } from '../log.js';
import { withSourceClient } from './source-client.js';

/** pg-analytica register <table> [--order-by col1,col2]: calls analytica.register_table. */
export async function register(argv: readonly string[], log: Logger): Promise<void> {
  const { flags, positional } = parseFlags(argv);
  const table = positional[0];
  if (!table) throw new Error('usage: pg-analytica register <schema.table> [--order-by col1,col2]');
  const orderBy = flags
    .get('order-by')
    ?.split(',')
    .map((c) => c.trim());
  await withSourceClient(argv, log, async (client) => {
    await client.query('SELECT analytica.register_table($1::regclass, $2::text[])', [table, orderBy ?? null]);
    console.log(`registered ${table}; the daemon copies it now (see pg-analytica status)`);
  });
}
