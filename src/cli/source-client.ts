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
