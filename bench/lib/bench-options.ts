/** The benchmark's flags, with defaults that finish in a few minutes on a 2-core machine. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../../src/config.js';

export interface BenchOptions {
  /** Rows of the events table. */
  rows: number;
  /** Rows of lineitem, about; the other TPC-H tables follow TPC-H's ratios. */
  lineitemRows: number;
  /** Timed runs per query and target, after one warm-up. */
  repetitions: number;
  /** Rows of the large INSERT and UPDATE whose apply rate is measured. */
  streamRows: number;
  /** Seconds of write load while commit-to-visible latency is probed. */
  loadSeconds: number;
  loadRowsPerSecond: number;
  /** DuckDB threads of the daemon and of the ceiling. */
  threads: number;
  outDir: string;
  /** Keep the temporary cluster and data directory (for inspection). */
  keep: boolean;
}

export const benchUsage = `usage: npm run bench -- [--rows 1000000] [--lineitem-rows rows/2] [--repetitions 5]
                       [--stream-rows min(1000000, rows/5)] [--load-seconds 15] [--load-rate 1000]
                       [--threads 2] [--out bench/results] [--keep]
headline: npm run bench -- --rows 10000000
a small query's time per phase: npm run bench -- --overhead [--rows 300000] [--runs 40] [--queries count,q6]`;

/** bench/results of the source tree (this file runs from dist/bench/lib). */
const defaultOutDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/results');

function wholeNumber(flags: Map<string, string>, name: string, fallback: number, min = 1): number {
  const raw = flags.get(name);
  const value = raw === undefined ? fallback : Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be a whole number of at least ${min}, not ${raw}\n${benchUsage}`);
  return value;
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const valued = [
    'rows',
    'lineitem-rows',
    'repetitions',
    'stream-rows',
    'load-seconds',
    'load-rate',
    'threads',
    'out',
  ];
  const options = Object.fromEntries([
    ...valued.map((name) => [name, { type: 'string' as const }]),
    ['keep', { type: 'boolean' as const }],
  ]);
  const { flags, positional, unknown } = parseFlags(argv, options);
  if (unknown.length > 0 || positional.length > 0)
    throw new Error(`unknown argument ${unknown.concat(positional).join(', ')}\n${benchUsage}`);
  const rows = wholeNumber(flags, 'rows', 1_000_000, 1000);
  return {
    rows,
    lineitemRows: wholeNumber(flags, 'lineitem-rows', Math.round(rows / 2), 1000),
    repetitions: wholeNumber(flags, 'repetitions', 5),
    streamRows: wholeNumber(
      flags,
      'stream-rows',
      Math.min(1_000_000, Math.max(10_000, Math.round(rows / 5))),
    ),
    loadSeconds: wholeNumber(flags, 'load-seconds', 15),
    loadRowsPerSecond: wholeNumber(flags, 'load-rate', 1000, 100),
    threads: wholeNumber(flags, 'threads', 2),
    outDir: path.resolve(flags.get('out') ?? defaultOutDir),
    keep: flags.has('keep'),
  };
}
