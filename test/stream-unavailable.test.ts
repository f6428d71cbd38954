/**
 * Without logical replication the daemon says why and falls back to re-copying:
 * - wal_level below logical: registration defaults to mode refresh with a
 *   NOTICE, and asking for stream is refused with a hint;
 * - a daemon role without the REPLICATION attribute: the daemon records the
 *   reason, a table registered for streaming goes to `error` naming it, and
 *   later registrations default to refresh.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

const clusters: LocalCluster[] = [];
const daemons: Daemon[] = [];

after(async () => {
  for (const daemon of daemons) await daemon.close();
  for (const cluster of clusters) await cluster.close();
});

describe('without logical replication', () => {
  test('wal_level replica: tables are re-copied, and streaming is refused with a hint', async () => {
    const cluster = await startTestCluster({ wal_level: 'replica' });
    clusters.push(cluster);
    await cluster.exec(
      `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b')`,
    );
    const daemon = await startDaemon(cluster);
    daemons.push(daemon);
    const heap = await rawClient(cluster.clientConfig());
    const columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    try {
      const notices: string[] = [];
      heap.on('notice', (n) => notices.push(n.message ?? ''));
      await assert.rejects(heap.query(`SELECT analytica.register_table('t', mode => 'stream')`), {
        code: '55000',
        message: /wal_level is replica/,
      });
      await heap.query(`SELECT analytica.register_table('t')`);
      assert.match(notices.join('\n'), /mode refresh.*wal_level is replica/);
      await heap.query(`SELECT analytica.wait_for_sync('t')`);
      await heap.query(`UPDATE t SET v = 'changed' WHERE id = 2`);
      await heap.query(`SELECT analytica.wait_for_sync('t')`);
      const sql = 'SELECT * FROM t ORDER BY id';
      assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
      const { rows } = await heap.query(`SELECT mode FROM analytica.status`);
      assert.deepEqual(rows, [{ mode: 'refresh' }]);
    } finally {
      await heap.end();
      await columnar.end();
    }
  });

  test('a daemon role without REPLICATION: the reason is recorded, and tables fall back to refresh', async () => {
    const cluster = await startTestCluster();
    clusters.push(cluster);
    await cluster.exec(`
      CREATE ROLE keeper LOGIN PASSWORD 'keeper-secret';
      GRANT CREATE ON DATABASE postgres TO keeper;
      CREATE TABLE kept (id int PRIMARY KEY, v text);
      ALTER TABLE kept OWNER TO keeper;
      INSERT INTO kept VALUES (1, 'a');
      CREATE TABLE later (id int PRIMARY KEY);
      ALTER TABLE later OWNER TO keeper;`);
    const url = `postgresql://keeper:keeper-secret@${cluster.host}:${cluster.port}/postgres`;
    const daemon = await Daemon.start({
      env: { DATABASE_URL: url },
      argv: [
        '--port',
        '0',
        '--data-dir',
        await mkdtemp(path.join(tmpdir(), 'pga-data-')),
        '--naptime',
        '200ms',
      ],
      log: silentLogger,
    });
    daemons.push(daemon);
    const keeper = new pg.Client({ ...cluster.clientConfig(), user: 'keeper', password: 'keeper-secret' });
    await keeper.connect();
    try {
      await keeper.query(`SELECT analytica.register_table('kept', mode => 'stream')`);
      const row = await waitFor(async () => {
        const { rows } = await keeper.query(
          `SELECT state, last_error FROM analytica.status WHERE table_name = 'public.kept'`,
        );
        return rows[0].state === 'error' ? rows[0] : undefined;
      }, 'the streamed table to report that it cannot stream');
      assert.match(row.last_error, /cannot stream changes: role keeper may not replicate/);
      assert.match(row.last_error, /mode => 'refresh'/);
      const notices: string[] = [];
      keeper.on('notice', (n) => notices.push(n.message ?? ''));
      await keeper.query(`SELECT analytica.register_table('later')`);
      assert.match(notices.join('\n'), /mode refresh.*may not replicate/);
      await keeper.query(`SELECT analytica.wait_for_sync('later')`);
    } finally {
      await keeper.end();
    }
  });
});
