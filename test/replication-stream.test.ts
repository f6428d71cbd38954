/**
 * ReplicationStream against a real PostgreSQL 17: XLogData delivery, flush
 * confirmation (and its absence), redelivery after a restart, bounded
 * buffering with a stalled consumer, keepalive replies under a short
 * wal_sender_timeout, and the errors of a lost walsender.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { PgError } from '../src/errors.js';
import type { PrimaryKeepalive } from '../src/source/replication/copy-both-messages.js';
import { formatLsn, parseLsn } from '../src/source/replication/lsn.js';
import { ReplicationConnection } from '../src/source/replication/replication-connection.js';
import type { ReplicationStream } from '../src/source/replication/replication-stream.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import {
  beginFinalLsn,
  commitEndLsn,
  commits,
  pullUntil,
  sleep,
  tag,
  withTimeout,
} from './replication-helpers.js';

let cluster: LocalCluster;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec('CREATE TABLE t (id int PRIMARY KEY, pad text)');
  await cluster.exec('CREATE PUBLICATION pub_t FOR TABLE t');
});

after(async () => {
  await cluster?.close();
});

async function openStream(
  slot: string,
  options: { statusIntervalMs?: number; maxBufferedBytes?: number } = {},
) {
  const connection = await ReplicationConnection.open(cluster.clientConfig());
  const created = await connection.createReplicationSlot(slot);
  const stream = await connection.startReplication({
    slot,
    protoVersion: 1,
    publicationNames: ['pub_t'],
    ...options,
  });
  return { connection, stream, consistentPoint: created.consistentPoint };
}

async function slotConfirmedFlush(slot: string): Promise<bigint> {
  const { rows } = await cluster.exec(
    `SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = '${slot}'`,
  );
  return parseLsn(rows[0].lsn);
}

async function setWalSenderTimeout(value: string | undefined): Promise<void> {
  await cluster.exec(
    value ? `ALTER SYSTEM SET wal_sender_timeout = '${value}'` : 'ALTER SYSTEM RESET wal_sender_timeout',
  );
  await cluster.exec('SELECT pg_reload_conf()');
}

async function walsenderPid(slot: string): Promise<number | null> {
  const { rows } = await cluster.exec(
    `SELECT active_pid FROM pg_replication_slots WHERE slot_name = '${slot}'`,
  );
  return rows[0]?.active_pid ?? null;
}

test('XLogData of a transaction: Begin, Relation, Inserts, Commit at its end LSN', async () => {
  const { connection, stream } = await openStream('s_work');
  await using _ = connection;
  await cluster.exec("INSERT INTO t SELECT g, 'w' FROM generate_series(1, 3) g");
  const received = await pullUntil(stream, (all) => commits(all) === 1);
  assert.deepEqual(received.map(tag), ['B', 'R', 'I', 'I', 'I', 'C']);
  const commit = received.at(-1)!;
  assert.equal(commit.walStart, commitEndLsn(commit), 'a Commit arrives at its end LSN');
  assert.ok(beginFinalLsn(received[0]!) < commit.walStart, "Begin's final LSN is the commit record's start");
  assert.ok(stream.receivedLsn >= commit.walStart);
  assert.ok(received.every((m) => m.serverClockMicros > 0n));
});

test('flush is only what confirmFlush says; a restart redelivers the unconfirmed transaction', async () => {
  const slot = 's_confirm';
  const { connection, stream, consistentPoint } = await openStream(slot, { statusIntervalMs: 100 });
  await cluster.exec("INSERT INTO t VALUES (101, 'first')");
  await cluster.exec("INSERT INTO t VALUES (102, 'second')");
  const received = await pullUntil(stream, (all) => commits(all) === 2);
  const [firstCommit, secondCommit] = received.filter((m) => tag(m) === 'C');
  const secondBegin = received.filter((m) => tag(m) === 'B')[1]!;

  // Several status updates later the slot has not moved: receiving is not confirming.
  const sentBefore = stream.statusUpdatesSent;
  await waitFor(async () => stream.statusUpdatesSent >= sentBefore + 3, 'status updates');
  assert.equal(await slotConfirmedFlush(slot), consistentPoint);

  stream.confirmFlush(firstCommit!.walStart);
  await waitFor(
    async () => (await slotConfirmedFlush(slot)) === firstCommit!.walStart,
    'confirmed_flush_lsn',
  );
  assert.ok(secondCommit!.walStart > firstCommit!.walStart);
  await stream.close();

  await assert.rejects(
    connection.startReplication({ slot, protoVersion: 1, publicationNames: ['pub_t'] }),
    /already streamed; open a new connection/,
  );
  await connection.close();

  const confirmed = await slotConfirmedFlush(slot);
  await using reconnected = await ReplicationConnection.open(cluster.clientConfig());
  const again = await reconnected.startReplication({
    slot,
    startLsn: confirmed,
    protoVersion: 1,
    publicationNames: ['pub_t'],
  });
  const redelivered = await pullUntil(again, (all) => commits(all) === 1);
  assert.equal(beginFinalLsn(redelivered[0]!), beginFinalLsn(secondBegin), 'the second transaction again');
  assert.equal(redelivered.at(-1)!.walStart, secondCommit!.walStart);
  await again.close();
  await reconnected.dropReplicationSlot(slot);
});

test('keepalive replies keep an idle stream alive under wal_sender_timeout = 2s', async () => {
  await setWalSenderTimeout('2s');
  try {
    const { connection, stream } = await openStream('s_idle');
    await using _ = connection;
    const pid = await walsenderPid('s_idle');
    const keepalives: PrimaryKeepalive[] = [];
    const idleUntil = Date.now() + 5_000;
    while (Date.now() < idleUntil) {
      const result = await withTimeout(stream.next(), 5_000);
      if (!result.done && result.value.kind === 'keepalive') keepalives.push(result.value);
    }
    assert.ok(
      keepalives.some((k) => k.replyRequested),
      'the server asked for replies',
    );
    assert.ok(stream.statusUpdatesSent >= 2, `${stream.statusUpdatesSent} replies sent`);
    await cluster.exec("INSERT INTO t VALUES (201, 'after idle')");
    const received = await pullUntil(stream, (all) => commits(all) === 1);
    assert.equal(received.filter((m) => tag(m) === 'I').length, 1);
    assert.equal(await walsenderPid('s_idle'), pid, 'the same walsender served the whole time');
  } finally {
    await setWalSenderTimeout(undefined);
  }
});

test('backpressure: a stalled consumer keeps the buffer bounded while ~50 MB arrive; nothing is lost', async () => {
  const maxBufferedBytes = 1024 * 1024;
  await setWalSenderTimeout('2s');
  try {
    const { connection, stream } = await openStream('s_bp', { maxBufferedBytes, statusIntervalMs: 500 });
    await using _ = connection;
    const rows = 50_000;
    await cluster.exec(
      `INSERT INTO t SELECT g, repeat(md5(g::text), 32) FROM generate_series(1000, ${999 + rows}) g`,
    );
    const [first] = await pullUntil(stream, (all) => all.length === 1);
    assert.equal(tag(first!), 'B');

    // Stall for 5 s (beyond wal_sender_timeout): only the periodic status updates keep the walsender.
    const memoryBefore = process.memoryUsage().arrayBuffers;
    let peakSampled = 0;
    let wasPaused = false;
    for (let waited = 0; waited < 5_000; waited += 100) {
      await sleep(100);
      peakSampled = Math.max(peakSampled, stream.bufferedBytes);
      wasPaused ||= stream.paused;
    }
    const memoryGrowth = process.memoryUsage().arrayBuffers - memoryBefore;
    assert.ok(wasPaused, 'the socket was paused');
    const slack = 256 * 1024; // one socket read parsed after the limit was reached
    assert.ok(stream.peakBufferedBytes <= maxBufferedBytes + slack, `peak ${stream.peakBufferedBytes} bytes`);

    const { inserts, bytes } = await drainTransaction(stream);
    assert.equal(inserts, rows);
    console.log(
      `backpressure: ${(bytes / 1e6).toFixed(1)} MB received; buffer peak ${stream.peakBufferedBytes} bytes ` +
        `(limit ${maxBufferedBytes}), sampled ${peakSampled}; arrayBuffers grew ${(memoryGrowth / 1e6).toFixed(1)} MB while stalled`,
    );
  } finally {
    await setWalSenderTimeout(undefined);
  }
});

/** Pulls up to the next Commit; counts Inserts and payload bytes. */
async function drainTransaction(stream: ReplicationStream): Promise<{ inserts: number; bytes: number }> {
  let inserts = 0;
  let bytes = 0;
  for (;;) {
    const result = await withTimeout(stream.next(), 30_000);
    assert.equal(result.done, false, 'the stream ended early');
    const message = result.value;
    if (message?.kind !== 'xlogData') continue;
    bytes += message.payload.length;
    if (tag(message) === 'I') inserts += 1;
    if (tag(message) === 'C') return { inserts, bytes };
  }
}

test('a stalled consumer whose status interval exceeds wal_sender_timeout loses the walsender (08006)', async () => {
  await setWalSenderTimeout('1s');
  try {
    const { connection, stream } = await openStream('s_timeout', { maxBufferedBytes: 64 * 1024 });
    await using _ = connection;
    await cluster.exec(
      `INSERT INTO t SELECT g, repeat(md5(g::text), 32) FROM generate_series(100000, 109999) g`,
    );
    await waitFor(async () => stream.paused, 'the buffer to fill');
    await sleep(3_000); // paused: keepalives unseen, default 10 s status interval
    await expectRejection(stream, (error) => {
      assert.equal(error.code, '08006');
      assert.match(error.message, /replication connection lost while streaming/);
    });
  } finally {
    await setWalSenderTimeout(undefined);
  }
});

async function expectRejection(stream: ReplicationStream, check: (error: PgError) => void): Promise<void> {
  await assert.rejects(
    withTimeout(
      pullUntil(stream, () => false, 30_000),
      30_000,
    ),
    (error: unknown) => {
      assert.ok(error instanceof PgError, String(error));
      check(error);
      return true;
    },
  );
}

test('pg_terminate_backend of the walsender rejects the iterator with its SQLSTATE', async () => {
  const { connection, stream } = await openStream('s_kill');
  await using _ = connection;
  await cluster.exec(
    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 's_kill'",
  );
  await expectRejection(stream, (error) => {
    assert.equal(error.code, '57P01');
    assert.match(error.message, /replication failed: terminating connection due to administrator command/);
  });
  await assert.rejects(connection.identifySystem(), { code: '08006' });
});

test('throughput: a 1M-row transaction received with a confirm per commit (printed, not asserted)', async () => {
  await cluster.exec(`CREATE TABLE events (id bigint PRIMARY KEY, ts timestamptz, user_id int, region text,
    device text, amount numeric(12,2), duration_ms int, url text)`);
  await cluster.exec('CREATE PUBLICATION pub_events FOR TABLE events');
  const connection = await ReplicationConnection.open(cluster.clientConfig());
  await using _ = connection;
  await connection.createReplicationSlot('s_bench');
  const stream = await connection.startReplication({
    slot: 's_bench',
    protoVersion: 1,
    publicationNames: ['pub_events'],
  });
  const rows = 1_000_000;
  const insertStart = performance.now();
  await cluster.exec(`INSERT INTO events SELECT g, '2024-01-01'::timestamptz + g * interval '1 second', g % 100000,
    'region-' || g % 20, 'device-' || g % 5, (g % 100000) / 100.0, g % 5000,
    'https://example.com/' || md5(g::text) || '/page' FROM generate_series(1, ${rows}) g`);
  const committed = performance.now();
  let inserts = 0;
  let bytes = 0;
  for await (const message of stream) {
    if (message.kind !== 'xlogData') continue;
    bytes += message.payload.length + 25;
    const kind = message.payload[0];
    if (kind === 0x49) inserts += 1;
    else if (kind === 0x43) {
      stream.confirmFlush(message.walStart);
      break;
    }
  }
  const done = performance.now();
  assert.equal(inserts, rows);
  const seconds = (done - committed) / 1000;
  console.log(
    `throughput: INSERT ${((committed - insertStart) / 1000).toFixed(2)} s; received ${rows} rows ` +
      `(${(bytes / 1e6).toFixed(0)} MB, ${(bytes / rows).toFixed(0)} B/row) ${seconds.toFixed(2)} s after commit ` +
      `= ${Math.round(rows / seconds / 1000)} k rows/s; end to end ${Math.round(rows / ((done - insertStart) / 1000) / 1000)} k rows/s`,
  );
  const { rows: slotRows } = await cluster.exec(
    "SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = 's_bench'",
  );
  assert.equal(slotRows[0].lsn, formatLsn(stream.confirmedFlushLsn), 'the commit was confirmed on close');
});

test('server shutdown rejects the iterator with a clear error', async () => {
  const own = await startTestCluster();
  try {
    await own.exec('CREATE TABLE x (id int)');
    await own.exec('CREATE PUBLICATION p FOR TABLE x');
    const connection = await ReplicationConnection.open(own.clientConfig());
    await connection.createReplicationSlot('s_down');
    const stream = await connection.startReplication({
      slot: 's_down',
      protoVersion: 1,
      publicationNames: ['p'],
    });
    const closing = own.close();
    // A fast shutdown either sends its own FATAL 57P01 first or just ends the stream (08006),
    // depending on where the walsender is when the signal arrives; both must reject clearly.
    await expectRejection(stream, (error) => {
      if (error.code === '57P01')
        assert.match(error.message, /terminating connection due to administrator command/);
      else {
        assert.equal(error.code, '08006');
        assert.match(error.message, /replication connection lost because the server ended replication/);
      }
    });
    await connection.close();
    await closing;
  } finally {
    await own.close();
  }
});
