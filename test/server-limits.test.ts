import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { PgError, SqlState } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';
import { QueryServer, type QueryServerOptions } from '../src/server/query-server.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';

/** A query server whose executor has no tables; these tests are about connections. */
async function noTables(): Promise<never> {
  throw new PgError(SqlState.featureNotSupported, 'no tables here');
}

async function startServer(
  cluster: LocalCluster,
  limits: Pick<QueryServerOptions, 'maxConnections' | 'authTimeoutMs'>,
): Promise<QueryServer> {
  await initSqlParser();
  return await QueryServer.start({
    port: 0,
    upstream: { host: cluster.host, port: cluster.port },
    parseStatements,
    executor: {
      openSelect: noTables,
      describeSelect: noTables,
      explainSelect: noTables,
    },
    log: silentLogger,
    ...limits,
  });
}

test('connections past maxConnections get FATAL 53300 before any login work, and slots free up', async () => {
  await using cluster = await startTestCluster();
  await using server = await startServer(cluster, { maxConnections: 2 });
  const idle: Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    idle.push(socket);
  }
  const refused = new pg.Client({ ...cluster.clientConfig(), port: server.port });
  await assert.rejects(refused.connect(), { code: '53300', message: 'sorry, too many clients already' });
  try {
    idle[0]!.destroy();
    const accepted = await waitFor(
      async () => {
        const client = new pg.Client({ ...cluster.clientConfig(), port: server.port });
        try {
          await client.connect();
          return client;
        } catch {
          return undefined;
        }
      },
      'a slot to free up',
      10_000,
    );
    await assert.rejects(accepted.query('SELECT 1 FROM t'), { code: '0A000' });
    await accepted.end();
  } finally {
    for (const socket of idle) socket.destroy();
  }
});

test('a connection that never finishes logging in is closed at the login deadline', async () => {
  await using cluster = await startTestCluster();
  await using server = await startServer(cluster, { maxConnections: 1, authTimeoutMs: 300 });
  const idle = connect(server.port, '127.0.0.1');
  const closed = new Promise((resolve) => idle.once('close', resolve));
  await new Promise((resolve) => idle.once('connect', resolve));
  await closed;
  const client = new pg.Client({ ...cluster.clientConfig(), port: server.port });
  await client.connect();
  await client.end();
});
