/** A connection to the source database for one-shot commands (install, status, register). */
import pg from 'pg';
import { loadConfig } from '../config.js';
import type { Logger } from '../log.js';
import { connectSource } from '../main.js';
import { sourceConnectionConfig } from '../source/source-config.js';

export async function withSourceClient<T>(
  argv: readonly string[],
  log: Logger,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env, argv);
  const source = await connectSource(config, log);
  const client = new pg.Client(sourceConnectionConfig(source.config));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
    // A persistent embedded server keeps running for the daemon; we only disconnect.
  }
}

/**
 * Like withSourceClient, for a command on one table named by the user: `work` gets the table's
 * schema-qualified name. The commands' own connection has the daemon's hardened search_path
 * (pg_catalog, pg_temp), where `orders` would not resolve; the name is therefore resolved first,
 * on a connection with the user's own settings, as psql would resolve it. Only a regclass input
 * runs there, which calls no function a user could define.
 */
export async function withSourceTable<T>(
  argv: readonly string[],
  log: Logger,
  tableName: string,
  work: (client: pg.Client, table: string) => Promise<T>,
): Promise<T> {
  const config = loadConfig(process.env, argv);
  const source = await connectSource(config, log);
  const table = await qualifiedTableName(source.config, tableName);
  const client = new pg.Client(sourceConnectionConfig(source.config));
  await client.connect();
  try {
    return await work(client, table);
  } finally {
    await client.end();
  }
}

async function qualifiedTableName(config: pg.ClientConfig, tableName: string): Promise<string> {
  const client = new pg.Client({ ...config, application_name: 'pg_analytica cli' });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = $1::pg_catalog.regclass`,
      [tableName],
    );
    return rows[0]!.name;
  } finally {
    await client.end();
  }
}
