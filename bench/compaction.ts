/**
 * Compaction benchmark: a streamed table under a steady load of updates, inserts and deletes,
 * run twice on one cluster, with compaction on (the defaults) and off (thresholds out of reach).
 * Every sampling interval it records the table's data and delete segments, its bytes, the
 * latency of two queries through the query server (median of 5), and the daemon's RSS.
 *
 *   npm run build && node dist/bench/compaction.js [--rows 1000000] [--seconds 300] [--rate 2000]
 *
 * Prints a Markdown table per run. Never fails on timing.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { parseFlags } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';

const { flags } = parseFlags(process.argv.slice(2));
const rows = Number(flags.get('rows') ?? 1_000_000);
const seconds = Number(flags.get('seconds') ?? 300);
const rate = Number(flags.get('rate') ?? 2000);
const sampleSeconds = Number(flags.get('sample-seconds') ?? Math.max(10, Math.round(seconds / 10)));

interface Sample {
  at: number;
  segments: number;
  deleteSegments: number;
  mib: number;
  countMs: number;
  groupMs: number;
  rssMib: number;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

async function timed(client: pg.Client, sql: string): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await client.query(sql);
    runs.push(performance.now() - started);
  }
  return median(runs);
}

/** Each transaction: update rate/200 random rows, insert as many, delete a tenth as many. */
async function writeLoad(config: pg.ClientConfig, table: string, until: () => boolean): Promise<number> {
  const client = new pg.Client(config);
  await client.connect();
  const perTransaction = Math.max(1, Math.round(rate / 200));
  let written = 0;
  let tick = 0;
  const begin = performance.now();
  while (!until()) {
    tick++;
    await client.query('BEGIN');
    await client.query(
      `UPDATE ${table} SET v = v + 1 WHERE id = ANY(SELECT (random() * $1)::bigint FROM generate_series(1, $2))`,
      [rows, perTransaction],
    );
    await client.query(`INSERT INTO ${table} (v, label) SELECT g, 'new' FROM generate_series(1, $1) g`, [
      perTransaction,
    ]);
    await client.query(
      `DELETE FROM ${table} WHERE id = ANY(SELECT (random() * $1)::bigint FROM generate_series(1, $2))`,
      [rows, Math.ceil(perTransaction / 10)],
    );
    await client.query('COMMIT');
    written += perTransaction * 2;
    // 100 transactions a second.
    const ahead = tick * 10 - (performance.now() - begin);
    if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
  }
  await client.end();
  return written;
}

async function run(
  cluster: LocalCluster,
  dir: string,
  label: string,
  extraArgs: string[],
): Promise<Sample[]> {
  const table = `load_${label}`;
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  await heap.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, v bigint, label text)`);
  await heap.query(`INSERT INTO ${table} (v, label) SELECT g, 'initial' FROM generate_series(1, $1) g`, [
    rows,
  ]);
  const daemon = await Daemon.start({
    env: { DATABASE_URL: cluster.connectionString() },
    argv: ['--port', '0', '--data-dir', path.join(dir, `data-${label}`), '--naptime', '1s', ...extraArgs],
    log: silentLogger,
  });
  const columnar = new pg.Client({ ...cluster.clientConfig(), port: daemon.port });
  await columnar.connect();
  const samples: Sample[] = [];
  try {
    await heap.query('SELECT analytica.register_table($1)', [table]);
    await heap.query(`SELECT analytica.wait_for_sync($1, interval '10 minutes')`, [table]);
    const deadline = Date.now() + seconds * 1000;
    const load = writeLoad(cluster.clientConfig(), table, () => Date.now() >= deadline);
    const started = Date.now();
    while (Date.now() < deadline) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(sampleSeconds * 1000, deadline - Date.now())),
      );
      const { rows: status } = await heap.query(
        'SELECT segments, delete_segments, bytes FROM analytica.status WHERE table_name = $1',
        [`public.${table}`],
      );
      samples.push({
        at: Math.round((Date.now() - started) / 1000),
        segments: Number(status[0].segments),
        deleteSegments: Number(status[0].delete_segments),
        mib: Number(status[0].bytes) / 1048576,
        countMs: await timed(columnar, `SELECT count(*) FROM ${table}`),
        groupMs: await timed(columnar, `SELECT label, count(*), sum(v) FROM ${table} GROUP BY label`),
        rssMib: process.memoryUsage().rss / 1048576,
      });
      const s = samples.at(-1)!;
      process.stderr.write(
        `${label} ${s.at}s: ${s.segments} segments, ${s.deleteSegments} delete segments\n`,
      );
    }
    const written = await load;
    const check = `SELECT count(*), sum(v) FROM ${table}`;
    const [a, b] = [(await heap.query(check)).rows[0], (await columnar.query(check)).rows[0]];
    if (a.count !== b.count || a.sum !== b.sum) throw new Error(`${label}: the copy differs from the heap`);
    process.stderr.write(`${label}: ${written} rows written; the copy equals the heap\n`);
  } finally {
    await columnar.end();
    await daemon.close();
    await heap.end();
  }
  return samples;
}

function report(label: string, samples: Sample[]): void {
  console.log(
    `\n### compaction ${label} (${rows.toLocaleString('en')} rows, ${rate} rows/s changed, ${seconds} s)\n`,
  );
  console.log('| after s | data segments | delete segments | MiB | count(*) ms | group by ms | RSS MiB |');
  console.log('|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of samples) {
    console.log(
      `| ${s.at} | ${s.segments} | ${s.deleteSegments} | ${s.mib.toFixed(1)} | ${s.countMs.toFixed(1)} | ${s.groupMs.toFixed(1)} | ${Math.round(s.rssMib)} |`,
    );
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pga-bench-compaction-'));
  await chmod(dir, 0o711);
  const cluster = await LocalCluster.start({
    dir: path.join(dir, 'pg'),
    settings: { shared_buffers: '1GB' },
  });
  try {
    report('on', await run(cluster, dir, 'on', []));
    const off = ['--compaction-min-segments', '1000000000', '--compaction-delete-ratio', '1'];
    report('off', await run(cluster, dir, 'off', off));
  } finally {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
