import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import pg from 'pg';
import { startTestCluster } from './helpers/cluster.js';

test('a throw-away cluster runs with logical WAL, requires a password, and is removed on close', async () => {
  const cluster = await startTestCluster();
  const { rows } = await cluster.exec(
    "SELECT current_setting('wal_level') AS wal, current_setting('listen_addresses') AS listen",
  );
  assert.deepEqual(rows[0], { wal: 'logical', listen: '127.0.0.1' });
  const wrong = new pg.Client({ ...cluster.clientConfig(), password: 'not-the-password' });
  await assert.rejects(wrong.connect(), /password authentication failed/);
  await cluster.close();
  assert.equal(existsSync(cluster.dir), false);
});
