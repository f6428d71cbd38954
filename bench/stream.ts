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
 * Never fails on timing.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { resolvePostgresBinaries } from '../src/cluster/postgres-binaries.js';
import { parseFlags } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';

const { flags } = parseFlags(process.argv.slice(2));
const rows = Number(flags.get('rows') ?? 1_000_000);
const loadSeconds = Number(flags.get('seconds') ?? 20);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** pg_recvlogical from a fresh slot until `endLsn`; returns seconds from start to exit. */
async function recvlogical(
  cluster: LocalCluster,
  program: string,
  slot: string,
  endLsn: string,
): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      program,
      [
        '-d',
        cluster.connectionString(),
        '--slot',
        slot,
        '--start',
        '--endpos',
        endLsn,
        '-o',
        'proto_version=1',
        '-o',
        'publication_names=pg_analytica',
        '-f',
        '/dev/null',
        '--no-loop',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pg_recvlogical exited with ${code}`)),
    );
  });
  return (performance.now() - started) / 1000;
}

/** pg_recvlogical from --recvlogical, the PostgreSQL binaries in use, or the system's. */
async function findRecvlogical(): Promise<string | undefined> {
  const candidates = [
    flags.get('recvlogical'),
    path.join((await resolvePostgresBinaries(undefined, false)).binDir, 'pg_recvlogical'),
    ...['17', '16', '15'].map((v) => `/usr/lib/postgresql/${v}/bin/pg_recvlogical`),
  ];
  for (const candidate of candidates) {
    if (
      candidate &&
      (await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return candidate;
  }
  return undefined;
}

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
  const recvProgram = await findRecvlogical();
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  const daemon = await Daemon.start({
    env: { DATABASE_URL: cluster.connectionString() },
    argv: ['--port', '0', '--data-dir', path.join(dir, 'data'), '--naptime', '1s'],
    log: silentLogger,
  });
  const columnar = new pg.Client({ ...cluster.clientConfig(), port: daemon.port });
  await columnar.connect();
  const report: string[] = [];
  try {
    await heap.query(`CREATE TABLE events (id bigint PRIMARY KEY, ts timestamptz NOT NULL, kind text NOT NULL,
                                           amount numeric(12,2), payload text)`);
    await heap.query(`SELECT analytica.register_table('events')`);
    await heap.query(`SELECT analytica.wait_for_sync('events')`);

    for (const [label, sql] of [
      [
        'insert',
        `INSERT INTO events SELECT g, '2026-01-01'::timestamptz + g * interval '1 second', 'kind ' || (g % 17),
                                   g % 100000 / 100.0, md5(g::text) FROM generate_series(1, ${rows}) g`,
      ],
      ['update', `UPDATE events SET amount = amount + 1, kind = 'updated'`],
    ] as const) {
      // A slot of pg_recvlogical's own, positioned before the transaction.
      const slot = `bench_recv_${label}`;
      await heap.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
      const started = performance.now();
      await heap.query(sql);
      const committed = performance.now();
      const { rows: lsn } = await heap.query('SELECT pg_current_wal_insert_lsn()::text AS lsn');
      await columnar.query('SELECT count(*) FROM events');
      const visible = performance.now();
      const applySeconds = (visible - committed) / 1000;
      const recvSeconds = recvProgram
        ? await recvlogical(cluster, recvProgram, slot, lsn[0].lsn)
        : Number.NaN;
      await heap.query('SELECT pg_drop_replication_slot($1)', [slot]);
      report.push(
        `| ${label} ${rows.toLocaleString('en')} rows | statement ${((committed - started) / 1000).toFixed(2)} s | ` +
          `commit → visible ${applySeconds.toFixed(2)} s = ${Math.round(rows / applySeconds).toLocaleString('en')} rows/s | ` +
          (recvProgram
            ? `pg_recvlogical ${recvSeconds.toFixed(2)} s = ${Math.round(rows / recvSeconds).toLocaleString('en')} rows/s | ` +
              `ratio ${(applySeconds / recvSeconds).toFixed(2)}× |`
            : 'pg_recvlogical not found |'),
      );
      console.log(report.at(-1));
    }

    let nextId = rows + 1;
    for (const rate of [1000, 10_000]) {
      const writer = new pg.Client(cluster.clientConfig());
      await writer.connect();
      const probe = new pg.Client(cluster.clientConfig());
      await probe.connect();
      let stop = false;
      const rss: number[] = [];
      // 100 transactions per second, rate/100 rows each.
      const perTransaction = rate / 100;
      const writing = (async () => {
        const begin = performance.now();
        let sent = 0;
        while (!stop) {
          const first = nextId;
          nextId += perTransaction;
          await writer.query(
            `INSERT INTO events SELECT g, now(), 'load', 1, 'x' FROM generate_series($1::bigint, $2::bigint) g`,
            [first, first + perTransaction - 1],
          );
          sent++;
          const ahead = sent * 10 - (performance.now() - begin);
          if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
        }
      })();
      const latencies: number[] = [];
      const deadline = performance.now() + loadSeconds * 1000;
      while (performance.now() < deadline) {
        const id = nextId++;
        await probe.query(`INSERT INTO events VALUES ($1, now(), 'probe', 0, NULL)`, [id]);
        const committedAt = performance.now();
        const { rows: found } = await columnar.query('SELECT count(*) AS n FROM events WHERE id = $1', [id]);
        latencies.push(performance.now() - committedAt);
        if (found[0].n !== '1') throw new Error(`probe ${id} not visible after its commit`);
        rss.push(process.memoryUsage().rss);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      stop = true;
      await writing;
      await writer.end();
      await probe.end();
      report.push(
        `| load ${rate.toLocaleString('en')} rows/s for ${loadSeconds} s | commit → visible p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
          `p99 ${percentile(latencies, 99).toFixed(1)} ms (${latencies.length} probes) | RSS max ${Math.round(Math.max(...rss) / 1048576)} MiB |`,
      );
      console.log(report.at(-1));
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
