/**
 * ReplicationConnection against a real PostgreSQL 17: authentication,
 * replication commands, slot name checks and quoting, and the exported
 * snapshot → stream handoff of a temporary slot.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { PgError } from '../src/errors.js';
import { formatLsn, parseLsn } from '../src/source/replication/lsn.js';
import { ReplicationConnection } from '../src/source/replication/replication-connection.js';
import { startTestCluster } from './helpers/cluster.js';
import { beginFinalLsn, commits, pullUntil, tag } from './replication-helpers.js';

let cluster: LocalCluster;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec('CREATE TABLE items (id int PRIMARY KEY, name text)');
});

after(async () => {
  await cluster?.close();
});

test('IDENTIFY_SYSTEM over a SCRAM-authenticated replication=database connection', async () => {
  await using connection = await ReplicationConnection.open(cluster.clientConfig());
  const system = await connection.identifySystem();
  const { rows } = await cluster.exec(
    'SELECT system_identifier::text AS id, pg_current_wal_flush_lsn()::text AS lsn FROM pg_control_system()',
  );
  assert.equal(system.systemId, rows[0].id);
  assert.equal(system.timeline, 1);
  assert.equal(system.dbName, 'postgres');
  assert.ok(system.xlogPos > 0n && system.xlogPos <= parseLsn(rows[0].lsn));
  assert.ok(connection.serverVersionNum >= 170000, `server_version_num ${connection.serverVersionNum}`);
});

test('wrong password fails with 28P01', async () => {
  await assert.rejects(
    ReplicationConnection.open({ ...cluster.clientConfig(), password: 'not the password' }),
    (error: unknown) => error instanceof PgError && error.code === '28P01',
  );
});

test('create and drop a permanent slot; errors keep their SQLSTATE', async () => {
  await using connection = await ReplicationConnection.open(cluster.clientConfig());
  const slot = await connection.createReplicationSlot('perm_slot');
  assert.equal(slot.slotName, 'perm_slot');
  assert.equal(slot.outputPlugin, 'pgoutput');
  assert.equal(slot.snapshotName, null);
  const { rows } = await cluster.exec(
    "SELECT plugin, temporary, confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 'perm_slot'",
  );
  assert.deepEqual(rows, [{ plugin: 'pgoutput', temporary: false, lsn: formatLsn(slot.consistentPoint) }]);
  await assert.rejects(connection.createReplicationSlot('perm_slot'), { code: '42710' });
  await connection.dropReplicationSlot('perm_slot');
  await assert.rejects(connection.dropReplicationSlot('perm_slot'), { code: '42704' });
  const left = await cluster.exec("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'perm_slot'");
  assert.equal(left.rowCount, 0);
});

test('invalid slot names are rejected before anything is sent', async () => {
  await using connection = await ReplicationConnection.open(cluster.clientConfig());
  for (const name of ['Upper', 'has space', 'semi;colon', '', 'x'.repeat(64), 'a"b']) {
    await assert.rejects(connection.createReplicationSlot(name), (error: unknown) => {
      assert.ok(error instanceof PgError);
      assert.equal(error.code, '22023');
      assert.match(error.message, /replication slot name .* is invalid/);
      return true;
    });
  }
  // The connection is still usable.
  assert.ok((await connection.identifySystem()).systemId);
});

test('temporary slot exports a snapshot; the stream continues exactly after it', async () => {
  await cluster.exec(`CREATE PUBLICATION "odd ""pub"", name" FOR TABLE items`);
  await cluster.exec("INSERT INTO items SELECT g, 'before' FROM generate_series(1, 100) g");
  await using connection = await ReplicationConnection.open(cluster.clientConfig());
  const slot = await connection.createReplicationSlot('handoff_slot', {
    temporary: true,
    snapshot: 'export',
  });
  assert.match(slot.snapshotName ?? '', /^[0-9A-F]+-[0-9A-F]+-\d+$/);
  await cluster.exec("INSERT INTO items SELECT g, 'after' FROM generate_series(101, 110) g");

  const reader = new pg.Client(cluster.clientConfig());
  await reader.connect();
  try {
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await reader.query(`SET TRANSACTION SNAPSHOT '${slot.snapshotName}'`);
    const { rows } = await reader.query('SELECT count(*)::int AS n, max(id) AS max FROM items');
    assert.deepEqual(rows, [{ n: 100, max: 100 }]);
    await reader.query('COMMIT');
  } finally {
    await reader.end();
  }
  const temporary = await cluster.exec(
    "SELECT temporary FROM pg_replication_slots WHERE slot_name = 'handoff_slot'",
  );
  assert.deepEqual(temporary.rows, [{ temporary: true }]);

  await using stream = await connection.startReplication({
    slot: 'handoff_slot',
    startLsn: slot.consistentPoint,
    protoVersion: 1,
    publicationNames: ['odd "pub", name'],
  });
  const received = await pullUntil(stream, (all) => commits(all) === 1);
  assert.deepEqual(
    received.map(tag),
    ['B', 'R', ...Array(10).fill('I'), 'C'],
    'one transaction: begin, relation, the 10 rows inserted after the snapshot, commit',
  );
  assert.ok(beginFinalLsn(received[0]!) > slot.consistentPoint);
  await stream.close();
  // Back in command mode after CopyDone; the temporary slot goes with the connection.
  assert.ok((await connection.identifySystem()).systemId);
  await connection.close();
  const gone = await cluster.exec("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'handoff_slot'");
  assert.equal(gone.rowCount, 0);
});

test('START_REPLICATION errors: missing slot 42704, option checks before sending', async () => {
  await using connection = await ReplicationConnection.open(cluster.clientConfig());
  await assert.rejects(
    connection.startReplication({ slot: 'no_such_slot', protoVersion: 1, publicationNames: ['p'] }),
    { code: '42704' },
  );
  await assert.rejects(
    connection.startReplication({
      slot: 'no_such_slot',
      protoVersion: 1,
      publicationNames: ['p'],
      streaming: 'on',
    }),
    /streaming 'on' needs proto_version 2/,
  );
  await assert.rejects(
    connection.startReplication({ slot: 'no_such_slot', protoVersion: 1, publicationNames: [] }),
    /at least one publication/,
  );
});
