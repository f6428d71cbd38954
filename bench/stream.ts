/**
 * Change-stream benchmark, in one run on one cluster:
 * - apply rate of a large INSERT and of a large UPDATE, from commit to visible
 *   through the query server, against pg_recvlogical receiving the same
 *   transaction from a slot of its own into /dev/null (the ceiling: decoding
 *   and sending, nothing applied);
 * - commit-to-visible latency (p50/p99) under a steady write load of 1k and
 *   10k rows/s: a probe commits a row and queries it through the query server,
 *   which waits for the stream to reach the moment the query started;
 * - the daemon's RSS during the load (it runs in this process).
 *
 *   npm run build && node dist/bench/stream.js [--rows 1000000] [--seconds 20]
 *
 * The measurements live in measure/stream-workload.ts, shared with bench/run.ts.
 * Never fails on timing.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { parseFlags } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';
import {
  applyStatements,
  findRecvlogical,
  measureApply,
  measureVisibilityLatency,
  streamTableSql,
} from './measure/stream-workload.js';

const { flags } = parseFlags(process.argv.slice(2));
const rows = Number(flags.get('rows') ?? 1_000_000);
const loadSeconds = Number(flags.get('seconds') ?? 20);

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pga-bench-stream-'));
  await chmod(dir, 0o711);
  const cluster = await LocalCluster.start({
    dir: path.join(dir, 'pg'),
    // Commits as a production server makes them: durable, so WAL reaches the walsender at once.
    settings: {
      shared_buffers: '1GB',
      max_wal_size: '16GB',
      checkpoint_timeout: '30min',
      fsync: 'on',
      synchronous_commit: 'on',
    },
  });
  const recvlogicalProgram = await findRecvlogical(flags.get('recvlogical'));
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  const daemon = await Daemon.start({
    env: { DATABASE_URL: cluster.connectionString() },
    argv: ['--port', '0', '--data-dir', path.join(dir, 'data'), '--naptime', '1s'],
    log: silentLogger,
  });
  const columnar = new pg.Client({ ...cluster.clientConfig(), port: daemon.port });
  await columnar.connect();
  try {
    await heap.query(streamTableSql('events'));
    await heap.query(`SELECT analytica.register_table('events')`);
    await heap.query(`SELECT analytica.wait_for_sync('events')`);

    for (const { label, sql } of applyStatements('events', rows)) {
      const r = await measureApply({
        cluster,
        heap,
        columnar,
        table: 'events',
        label,
        sql,
        rows,
        recvlogicalProgram,
      });
      console.log(
        `| ${label} ${rows.toLocaleString('en')} rows | statement ${r.statementSeconds.toFixed(2)} s | ` +
          `commit → visible ${r.applySeconds.toFixed(2)} s = ${Math.round(rows / r.applySeconds).toLocaleString('en')} rows/s | ` +
          (recvlogicalProgram
            ? `pg_recvlogical ${r.recvlogicalSeconds.toFixed(2)} s = ${Math.round(rows / r.recvlogicalSeconds).toLocaleString('en')} rows/s | ` +
              `ratio ${(r.applySeconds / r.recvlogicalSeconds).toFixed(2)}× |`
            : 'pg_recvlogical not found |'),
      );
    }

    let nextId = rows + 1;
    for (const rate of [1000, 10_000]) {
      const rss: number[] = [];
      const latency = await measureVisibilityLatency({
        cluster,
        columnar,
        table: 'events',
        firstId: nextId,
        rowsPerSecond: rate,
        seconds: loadSeconds,
        onProbe: () => rss.push(process.memoryUsage().rss),
      });
      nextId = latency.nextId;
      console.log(
        `| load ${rate.toLocaleString('en')} rows/s for ${loadSeconds} s | commit → visible p50 ${latency.p50Ms.toFixed(1)} ms, ` +
          `p99 ${latency.p99Ms.toFixed(1)} ms (${latency.probes} probes) | RSS max ${Math.round(Math.max(...rss) / 1048576)} MiB |`,
      );
    }
    const check = 'SELECT count(*), sum(id), sum(amount) FROM events';
    const [a, b] = [await heap.query(check), await columnar.query(check)];
    if (JSON.stringify(a.rows) !== JSON.stringify(b.rows)) throw new Error('the copy differs from the heap');
    console.log('\ncopy equals heap:', JSON.stringify(b.rows[0]));
  } finally {
    await columnar.end();
    await heap.end();
    await daemon.close();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
