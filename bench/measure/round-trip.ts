/**
 * Round-trip latency of `SELECT 1` over one connection per server, with
 * node-postgres in its three ways of sending a query:
 * - simple: one Query message;
 * - extended: Parse/Bind/Describe/Execute/Sync of an unnamed statement, every time;
 * - prepared: a named statement parsed once, then Bind/Execute/Sync.
 * See https://www.postgresql.org/docs/current/protocol-flow.html.
 *
 * Servers and modes take turns in rounds, so a burst of load from other
 * processes on the machine falls on every series alike rather than on one.
 */
import pg from 'pg';
import { percentile } from '../lib/stats.js';

export const roundTripModes = ['simple', 'extended', 'prepared'] as const;
export type RoundTripMode = (typeof roundTripModes)[number];

export interface RoundTripServer {
  id: string;
  label: string;
  config: pg.ClientConfig;
}

export interface RoundTrip {
  server: string;
  mode: RoundTripMode;
  queries: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Sequential queries per second: queries over the total time of the timed queries. */
  queriesPerSecond: number;
}

export interface RoundTripOptions {
  /** Timed queries per server and mode. */
  queries: number;
  /** Untimed queries per server and mode before the first round. */
  warmup: number;
  rounds: number;
}

/** node-postgres sends `queryMode: 'extended'` as Parse/Bind/Execute even without parameters; @types/pg lacks it. */
function queryFor(mode: RoundTripMode): pg.QueryArrayConfig {
  const extended = { text: 'SELECT 1', rowMode: 'array', queryMode: 'extended' };
  if (mode === 'extended') return extended as pg.QueryArrayConfig;
  if (mode === 'prepared') return { text: 'SELECT 1', rowMode: 'array', name: 'pga_bench_select_1' };
  return { text: 'SELECT 1', rowMode: 'array' };
}

async function once(client: pg.Client, query: pg.QueryArrayConfig): Promise<void> {
  const { rows } = await client.query(query);
  const value = rows[0]?.[0];
  if (String(value) !== '1') throw new Error(`SELECT 1 returned ${JSON.stringify(rows)}`);
}

export async function measureRoundTrips(
  servers: readonly RoundTripServer[],
  options: RoundTripOptions,
): Promise<RoundTrip[]> {
  const clients = new Map<string, pg.Client>();
  try {
    for (const server of servers) {
      const client = new pg.Client({ ...server.config, application_name: 'pg_analytica bench wire' });
      await client.connect();
      clients.set(server.id, client);
    }
    const samples = new Map<string, number[]>();
    const key = (server: string, mode: RoundTripMode) => `${server}/${mode}`;
    for (const server of servers)
      for (const mode of roundTripModes) {
        const client = clients.get(server.id)!;
        for (let i = 0; i < options.warmup; i++) await once(client, queryFor(mode));
        samples.set(key(server.id, mode), []);
      }
    const perRound = Math.ceil(options.queries / options.rounds);
    for (let round = 0; round < options.rounds; round++)
      for (const server of servers)
        for (const mode of roundTripModes) {
          const client = clients.get(server.id)!;
          const times = samples.get(key(server.id, mode))!;
          const query = queryFor(mode);
          for (let i = 0; i < perRound && times.length < options.queries; i++) {
            const started = performance.now();
            await once(client, query);
            times.push(performance.now() - started);
          }
        }
    return servers.flatMap((server) =>
      roundTripModes.map((mode) => summarize(server.id, mode, samples.get(key(server.id, mode))!)),
    );
  } finally {
    for (const client of clients.values()) await client.end();
  }
}

function summarize(server: string, mode: RoundTripMode, times: readonly number[]): RoundTrip {
  const total = times.reduce((sum, t) => sum + t, 0);
  return {
    server,
    mode,
    queries: times.length,
    p50Ms: percentile(times, 50),
    p90Ms: percentile(times, 90),
    p99Ms: percentile(times, 99),
    maxMs: Math.max(...times),
    queriesPerSecond: times.length / (total / 1000),
  };
}
