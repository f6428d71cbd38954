/** Starts the daemon in-process against a test cluster, with a data directory of its own. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { Logger, silentLogger } from '../../src/log.js';
import { Daemon } from '../../src/main.js';

export async function startDaemon(
  cluster: LocalCluster,
  extraArgs: string[] = [],
  database = 'postgres',
): Promise<Daemon> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pga-data-'));
  return await Daemon.start({
    env: { DATABASE_URL: cluster.connectionString(database) },
    argv: ['--port', '0', '--data-dir', dataDir, '--naptime', '200ms', ...extraArgs],
    // PG_ANALYTICA_TEST_LOG=debug shows the daemon's log while a test runs.
    log: process.env.PG_ANALYTICA_TEST_LOG
      ? new Logger({ level: process.env.PG_ANALYTICA_TEST_LOG as 'debug' })
      : silentLogger,
  });
}

/** Every value as PostgreSQL's text, exactly as sent on the wire. */
const rawText = { getTypeParser: () => (value: string) => value };

export async function rawClient(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...config, types: rawText });
  await client.connect();
  return client;
}

/** Rows as arrays of text (null for NULL). */
export async function textRows(client: pg.Client, sql: string): Promise<(string | null)[][]> {
  return (await client.query({ text: sql, rowMode: 'array' })).rows;
}
