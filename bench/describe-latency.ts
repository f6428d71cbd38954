/**
 * What asking PostgreSQL to describe each statement (src/query/source-describe.ts) adds to a
 * query: p50 of a small query through the daemon whose text repeats (the description is
 * cached) against one whose text is new every run (described on the source each time), and
 * the source Describe alone, cached and not.
 *
 *   npm run build && node dist/bench/describe-latency.js [--rows 10000] [--runs 200]
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { parseFlags } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';
import type { SessionContext } from '../src/query/engine-types.js';
import { SourceDescriber } from '../src/query/source-describe.js';

const { flags } = parseFlags(process.argv.slice(2));
const rows = Number(flags.get('rows') ?? 10_000);
const runs = Number(flags.get('runs') ?? 200);

function p50(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** p50 in ms of run(i) over `runs` runs, after one warm-up run. */
async function time(run: (i: number) => Promise<unknown>): Promise<number> {
  await run(-1);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run(i);
    times.push(performance.now() - started);
  }
  return p50(times);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pga-bench-describe-'));
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
  const pool = new pg.Pool({ ...cluster.clientConfig(), max: 2 });
  try {
    await heap.query('CREATE TABLE t (id bigint PRIMARY KEY, v bigint, n numeric(12,2), s text)');
    await heap.query(`INSERT INTO t SELECT g, g % 97, g / 7.0, 's' || g FROM generate_series(1, $1) g`, [
      rows,
    ]);
    await heap.query(`SELECT analytica.register_table('t')`);
    await heap.query(`SELECT analytica.wait_for_sync('t')`);
    const sql = (k: number) =>
      `SELECT v, count(*), sum(n) FROM t WHERE id > ${k} GROUP BY v ORDER BY v LIMIT 5`;
    const repeated = await time(() => columnar.query(sql(0)));
    const misses = daemon.queryEngine.sourceDescribes;
    const distinct = await time((i) => columnar.query(sql(i + 1)));
    const described = daemon.queryEngine.sourceDescribes - misses;

    const roleOid = Number(
      (await heap.query('SELECT oid FROM pg_roles WHERE rolname = current_user')).rows[0].oid,
    );
    const context: SessionContext = {
      role: cluster.user,
      roleOid,
      database: 'postgres',
      searchPath: [cluster.user, 'public'],
      timeZone: 'UTC',
    };
    const describer = new SourceDescriber({ pools: new Map([['postgres', pool]]) });
    const describeMiss = await time((i) =>
      describer.describe({ sql: sql(1_000_000 + i), parameterTypes: [], version: '' }, context),
    );
    const describeHit = await time(() =>
      describer.describe({ sql: sql(0), parameterTypes: [], version: '' }, context),
    );
    console.log(
      JSON.stringify(
        {
          rows,
          runs,
          p50_ms: {
            daemon_query_cached_description: +repeated.toFixed(3),
            daemon_query_new_text: +distinct.toFixed(3),
            source_describe_miss: +describeMiss.toFixed(3),
            source_describe_hit: +describeHit.toFixed(4),
          },
          source_describes_during_new_text_runs: described,
        },
        null,
        2,
      ),
    );
  } finally {
    await pool.end();
    await columnar.end();
    await heap.end();
    await daemon.close();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
