/**
 * Ingest benchmark: backfill throughput of a registered table against
 * PostgreSQL's own `COPY … TO STDOUT` into /dev/null, on the same cluster in
 * one run, plus Parquet bytes against heap bytes.
 *
 *   npm run build && node dist/bench/ingest.js [--rows 10000000] [--chunk-size 1000000] [--runs 3] [--threads 2]
 *
 * Reports medians; never fails on timing.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { installSchema } from '../src/catalog/schema-installer.js';
import { sampleTableSql } from '../src/cli/sample-data.js';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { parseFlags } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { SegmentWriter } from '../src/storage/segment-writer.js';
import { Launcher } from '../src/workers/launcher.js';
import { median } from './lib/stats.js';
import { psqlCopySeconds } from './measure/copy-rate.js';

const { flags } = parseFlags(process.argv.slice(2));
const rows = Number(flags.get('rows') ?? 10_000_000);
const chunkSize = Number(flags.get('chunk-size') ?? 1_000_000);
const runs = Number(flags.get('runs') ?? 3);
const writerThreads = Number(flags.get('threads') ?? 2);

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pga-bench-'));
  await chmod(dir, 0o711);
  const cluster = await LocalCluster.start({
    dir: path.join(dir, 'pg'),
    settings: { shared_buffers: '2GB', max_wal_size: '16GB', checkpoint_timeout: '30min' },
  });
  const writer = await SegmentWriter.create({ threads: writerThreads, memoryLimit: '4GB' });
  const client = new pg.Client(cluster.clientConfig());
  await client.connect();
  try {
    console.log(`creating events with ${rows.toLocaleString('en-US')} rows…`);
    let started = performance.now();
    await client.query(sampleTableSql(rows));
    await client.query('VACUUM ANALYZE events');
    await client.query('CHECKPOINT');
    console.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const heap = await client.query(
      `SELECT pg_table_size('events') AS heap, pg_total_relation_size('events') AS total`,
    );

    const copyCsv: number[] = [];
    const copyText: number[] = [];
    const copyBinary: number[] = [];
    for (let i = 0; i < runs; i++) {
      copyCsv.push(await psqlCopySeconds(cluster, 'events', 'csv'));
      copyText.push(await psqlCopySeconds(cluster, 'events', 'text'));
      copyBinary.push(await psqlCopySeconds(cluster, 'events', 'binary'));
    }

    await installSchema(client);
    await client.query(`SELECT analytica.register_table('events', order_by => '{ts}', mode => 'refresh')`);
    const launcher = await Launcher.start(
      {
        database: 'postgres',
        sourceConfig: cluster.clientConfig(),
        dataDir: path.join(dir, 'data'),
        naptimeMs: 1000,
        chunkSize,
        writer,
        pinnedPaths: () => new Set(),
        log: silentLogger,
      },
      false,
    );
    const backfill: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        if (i > 0) await client.query(`SELECT analytica.sync_now('events')`);
        started = performance.now();
        await launcher.runOnce();
        backfill.push((performance.now() - started) / 1000);
      }
    } finally {
      await launcher.close();
    }
    const status = await client.query(`SELECT rows, segments, bytes FROM analytica.status`);
    const s = status.rows[0];
    if (Number(s.rows) !== rows) throw new Error(`copy has ${s.rows} rows, expected ${rows}`);

    const rate = (seconds: number) => `${(rows / seconds / 1e6).toFixed(2)} M rows/s`;
    const b = median(backfill);
    console.log(
      `\nrows: ${rows.toLocaleString('en-US')}, chunk size ${chunkSize.toLocaleString('en-US')}, median of ${runs} runs`,
    );
    console.log(
      `psql COPY TO STDOUT (csv) > /dev/null     ${median(copyCsv).toFixed(2)} s   ${rate(median(copyCsv))}`,
    );
    console.log(
      `psql COPY TO STDOUT (text) > /dev/null    ${median(copyText).toFixed(2)} s   ${rate(median(copyText))}`,
    );
    console.log(
      `psql COPY TO STDOUT (binary) > /dev/null  ${median(copyBinary).toFixed(2)} s   ${rate(median(copyBinary))}`,
    );
    console.log(
      `pg_analytica backfill (sorted ZSTD Parquet) ${b.toFixed(2)} s   ${rate(b)}   (all runs: ${backfill.map((x) => x.toFixed(2)).join(', ')} s)`,
    );
    const ratio = (copy: number[]) => (median(copy) / b).toFixed(2);
    console.log(
      `backfill rate / COPY rate: csv ${ratio(copyCsv)}x, text ${ratio(copyText)}x, binary ${ratio(copyBinary)}x (DuckDB writer threads: ${writerThreads})`,
    );
    console.log(
      `segments: ${s.segments}, ${(Number(s.bytes) / 1e6).toFixed(1)} MB; heap ${(Number(heap.rows[0].heap) / 1e6).toFixed(1)} MB ` +
        `(${(Number(heap.rows[0].heap) / Number(s.bytes)).toFixed(1)}x smaller), heap+indexes ${(Number(heap.rows[0].total) / 1e6).toFixed(1)} MB`,
    );
  } finally {
    await client.end();
    writer.close();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
