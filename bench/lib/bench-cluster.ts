/**
 * The benchmark's PostgreSQL, tuned as a user would tune it for analytics on
 * this machine, and the daemon running in this process against it.
 */
import path from 'node:path';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { Logger } from '../../src/log.js';
import { Daemon } from '../../src/main.js';
import type { BenchOptions } from './bench-options.js';

/**
 * shared_buffers holds every table (about 300 bytes a row of events or lineitem, plus the
 * other TPC-H tables; 4.3 GB at 10 M rows), so pg_prewarm makes the
 * cache warm: PostgreSQL scans tables larger than shared_buffers/4 through a
 * small ring buffer, and a warm-up query alone would not keep them cached.
 * Commits are durable (fsync, synchronous_commit) as on a production server,
 * which the commit-to-visible latency depends on. JIT stays at its default.
 */
export function tunedSettings(options: Pick<BenchOptions, 'rows' | 'lineitemRows'>): Record<string, string> {
  const sharedMb = Math.max(1024, Math.ceil(((options.rows + options.lineitemRows) * 300) / 1048576));
  return {
    shared_buffers: `${sharedMb}MB`,
    effective_cache_size: '16GB',
    work_mem: '256MB',
    maintenance_work_mem: '1GB',
    max_parallel_workers_per_gather: '2',
    max_wal_size: '16GB',
    checkpoint_timeout: '30min',
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
    timezone: 'UTC',
  };
}

export async function startBenchCluster(
  dir: string,
  options: Pick<BenchOptions, 'rows' | 'lineitemRows'>,
): Promise<LocalCluster> {
  return await LocalCluster.start({ dir: path.join(dir, 'pg'), settings: tunedSettings(options) });
}

/** The daemon in this process, on a free port, logging warnings and errors to stderr. */
export async function startBenchDaemon(
  cluster: LocalCluster,
  dir: string,
  options: BenchOptions,
): Promise<Daemon> {
  return await Daemon.start({
    env: { DATABASE_URL: cluster.connectionString() },
    argv: [
      '--port',
      '0',
      '--data-dir',
      path.join(dir, 'data'),
      '--naptime',
      '1s',
      '--threads',
      String(options.threads),
    ],
    log: new Logger({ level: 'warn' }),
  });
}
