/**
 * The extraction ceiling a backfill is compared with: psql running
 * `COPY … TO STDOUT` into /dev/null, i.e. PostgreSQL producing the rows and a
 * C client receiving them, with nothing decoded or written.
 */
import { spawn } from 'node:child_process';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { seconds } from '../lib/stats.js';

export type CopyFormat = 'csv' | 'text' | 'binary';

/** Seconds psql takes to COPY `table` to /dev/null in `format`. */
export async function psqlCopySeconds(
  cluster: LocalCluster,
  table: string,
  format: CopyFormat,
): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'psql',
      ['-X', '-q', '-c', `COPY ${table} TO STDOUT (FORMAT ${format})`, cluster.connectionString()],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}`))));
  });
  return seconds(started);
}
