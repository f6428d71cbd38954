/**
 * Fixed cost of a query through the query server: the same small aggregate on a streamed and
 * on a re-copied table of the same rows, p50 over many runs, against DuckDB alone on the files.
 *
 *   npm run build && node dist/bench/query-overhead.js [--rows 100000] [--runs 50]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { parseFlags } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';

const { flags } = parseFlags(process.argv.slice(2));
const rows = Number(flags.get('rows') ?? 100_000);
const runs = Number(flags.get('runs') ?? 50);

function p50(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return p50(times);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pga-bench-overhead-'));
  await chmod(dir, 0o711);
  const cluster = await LocalCluster.start({ dir: path.join(dir, 'pg') });
  const heap = new pg.Client(cluster.clientConfig());
  await heap.connect();
  const daemon = await Daemon.start({
    env: { DATABASE_URL: cluster.connectionString() },
    argv: ['--port', '0', '--data-dir', path.join(dir, 'data')],
    log: silentLogger,
  });
  const columnar = new pg.Client({ ...cluster.clientConfig(), port: daemon.port });
  await columnar.connect();
  const duck = await (await DuckDBInstance.create(':memory:', { threads: '2' })).connect();
  try {
    for (const [table, mode] of [
      ['streamed', 'stream'],
      ['recopied', 'refresh'],
    ] as const) {
      await heap.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, v bigint)`);
      await heap.query(`INSERT INTO ${table} SELECT g, g % 97 FROM generate_series(1, $1) g`, [rows]);
      await heap.query(`SELECT analytica.register_table($1, mode => $2)`, [table, mode]);
      await heap.query(`SELECT analytica.wait_for_sync($1)`, [table]);
    }
    const sql = (table: string) => `SELECT count(*), sum(v) FROM ${table}`;
    console.log(`| what | p50 ms (${rows} rows, ${runs} runs) |\n|---|--:|`);
    console.log(
      `| SELECT 1 through the query server | ${(await time(() => columnar.query('SELECT 1'))).toFixed(2)} |`,
    );
    console.log(`| heap | ${(await time(() => heap.query(sql('recopied')))).toFixed(2)} |`);
    console.log(
      `| query server, refresh table | ${(await time(() => columnar.query(sql('recopied')))).toFixed(2)} |`,
    );
    console.log(
      `| query server, streamed table | ${(await time(() => columnar.query(sql('streamed')))).toFixed(2)} |`,
    );
    // Read last: a re-copied table may have been copied again meanwhile.
    const { rows: files } = await heap.query(
      `SELECT s.path FROM analytica.segments s JOIN analytica.tables t USING (relid, generation)
        WHERE t.relid = 'recopied'::regclass AND s.kind = 'data'`,
    );
    const list = files.map((f) => `'${path.join(daemon.config.dataDir, f.path)}'`).join(', ');
    console.log(
      `| DuckDB alone on the same files | ${(await time(() => duck.runAndReadAll(`SELECT count(*), sum(v) FROM read_parquet([${list}])`))).toFixed(2)} |`,
    );
  } finally {
    duck.closeSync();
    await columnar.end();
    await daemon.close();
    await heap.end();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
