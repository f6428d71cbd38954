/**
 * analytica.status tells the truth about a streamed copy:
 * - lag is zero while the copy holds every committed change, however long nothing is written to
 *   the table and whatever else writes WAL meanwhile (keepalives advance what the view reads);
 * - the WAL the slot retains drops soon after a large transaction was applied and flushed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE events (id bigint PRIMARY KEY, payload text NOT NULL);
    INSERT INTO events SELECT g, 'event ' || g FROM generate_series(1, 1000) g;
    CREATE TABLE unrelated (id bigserial PRIMARY KEY, note text);`);
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('events')`);
  await heap.query(`SELECT analytica.wait_for_sync('events')`);
});

after(async () => {
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
});

interface Lag {
  lagBytes: number;
  lagSeconds: number;
}

async function lag(client: pg.Client): Promise<Lag> {
  const { rows } = await client.query<{ lag_bytes: string; lag_seconds: string }>(
    `SELECT lag_bytes, lag_seconds FROM analytica.status WHERE table_name = 'public.events'`,
  );
  return { lagBytes: Number(rows[0]!.lag_bytes), lagSeconds: Number(rows[0]!.lag_seconds) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('honest status', () => {
  test('an idle synced table shows lag 0 while other tables are written', async () => {
    // WAL keeps growing (another table is written, as on any live server); the copy of events
    // holds every committed change of events all along, so its lag must stay at zero.
    const writer = await rawClient(cluster.clientConfig());
    let writing = true;
    const writes = (async () => {
      while (writing) {
        await writer.query(`INSERT INTO unrelated (note) VALUES (repeat('x', 200))`);
        await sleep(300);
      }
    })();
    const samples: Lag[] = [];
    try {
      const end = Date.now() + 10_000;
      while (Date.now() < end) {
        samples.push(await lag(heap));
        await sleep(200);
      }
    } finally {
      writing = false;
      await writes;
      await writer.end();
    }
    // A sample may fall between a commit of the other table and the stream's confirmation of it
    // (a few milliseconds): then the view cannot know that commit changed nothing of events.
    const zero = samples.filter((s) => s.lagBytes === 0 && s.lagSeconds === 0).length;
    assert.ok(zero >= samples.length * 0.8, `lag was 0 in only ${zero} of ${samples.length} samples`);
    const worst = Math.max(...samples.map((s) => s.lagSeconds));
    assert.ok(worst < 6, `lag_seconds reached ${worst} s while the copy was current`);
    // Still current after the writes stopped.
    await waitFor(
      async () => {
        const now = await lag(heap);
        return now.lagBytes === 0 && now.lagSeconds === 0;
      },
      'lag 0 once the other writes stopped',
      5000,
    );
  });

  test('slot_retained_bytes drops soon after a large transaction is flushed', async () => {
    const retained = async () => {
      const { rows } = await heap.query<{ retained: string }>(
        `SELECT slot_retained_bytes AS retained FROM analytica.status WHERE table_name = 'public.events'`,
      );
      return Number(rows[0]!.retained);
    };
    const { rows } = await heap.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn');
    await heap.query(`INSERT INTO events SELECT g, repeat('p', 100) FROM generate_series(1001, 301000) g`);
    const { rows: size } = await heap.query<{ bytes: string }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS bytes',
      [rows[0]!.lsn],
    );
    const transactionBytes = Number(size[0]!.bytes);
    const held = await retained();
    assert.ok(
      held >= transactionBytes,
      `the slot retained ${held} bytes of a ${transactionBytes}-byte transaction not yet applied`,
    );
    await heap.query(`SELECT analytica.wait_for_sync('events')`);
    await waitFor(
      async () =>
        (
          await heap.query(
            `SELECT 1 FROM analytica.status WHERE table_name = 'public.events' AND rows = 301000`,
          )
        ).rowCount === 1,
      'the transaction flushed',
      60_000,
    );
    const flushedAt = Date.now();
    await waitFor(async () => (await retained()) < transactionBytes / 4, 'retained WAL to drop', 5000);
    const elapsedMs = Date.now() - flushedAt;
    assert.ok(elapsedMs < 5000, `retained WAL dropped after ${elapsedMs} ms`);
  });
});
