/** Flags of `npm run bench:wire` (bench/wire.ts). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../../src/config.js';

export interface WireOptions {
  /** Rows of `events`, the table of the aggregate (c). */
  rows: number;
  /** Rows of `events_fetch`, the table read whole through postgres_fdw (b). */
  fetchRows: number;
  /** Timed `SELECT 1` per server and protocol mode (a). */
  queries: number;
  /** Timed runs of each read (b, c) per target, after one warm-up. */
  repetitions: number;
  threads: number;
  quick: boolean;
  outDir: string;
  keep: boolean;
}

export const wireUsage = `usage: npm run bench:wire -- [--rows 10000000] [--fetch-rows 1000000] [--queries 5000]
                            [--repetitions 5] [--threads 2] [--out bench/results] [--keep]
       npm run bench:wire -- --quick      # 200,000 / 100,000 rows, 1,000 queries, 3 repetitions: a check`;

const defaultOutDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bench/results');

function whole(flags: Map<string, string>, name: string, fallback: number, min = 1): number {
  const raw = flags.get(name);
  const value = raw === undefined ? fallback : Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be a whole number of at least ${min}, not ${raw}\n${wireUsage}`);
  return value;
}

export function parseWireOptions(argv: readonly string[]): WireOptions {
  const { flags, positional } = parseFlags(argv);
  const known = ['rows', 'fetch-rows', 'queries', 'repetitions', 'threads', 'quick', 'out', 'keep'];
  const unknown = [...flags.keys()].filter((f) => !known.includes(f)).map((f) => `--${f}`);
  if (unknown.length > 0 || positional.length > 0)
    throw new Error(`unknown argument ${unknown.concat(positional).join(', ')}\n${wireUsage}`);
  const quick = flags.has('quick');
  return {
    rows: whole(flags, 'rows', quick ? 200_000 : 10_000_000, 1000),
    fetchRows: whole(flags, 'fetch-rows', quick ? 100_000 : 1_000_000, 1000),
    queries: whole(flags, 'queries', quick ? 1000 : 5000, 100),
    repetitions: whole(flags, 'repetitions', quick ? 3 : 5),
    threads: whole(flags, 'threads', 2),
    quick,
    outDir: path.resolve(flags.get('out') ?? defaultOutDir),
    keep: flags.has('keep'),
  };
}
