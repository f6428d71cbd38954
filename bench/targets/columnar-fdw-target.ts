/**
 * The columnar.* foreign tables: the same queries from a PostgreSQL session,
 * answered by the query server through postgres_fdw.
 *
 * Opening the target points the foreign server "pg_analytica" at the daemon
 * (analytica.create_foreign_server, which also creates columnar.<table> for
 * the tables already registered) and maps the benchmark's superuser to itself.
 * The session runs with `search_path = columnar, public`, so the benchmark's
 * unqualified table names resolve to the foreign tables. The local session
 * plans each query: what postgres_fdw cannot ship to the daemon it computes
 * over the rows it fetches, and `plan()` tells which case a query is.
 */
import pg from 'pg';
import {
  createForeignServer,
  createUserMapping,
  postgresFdwAvailable,
} from '../../src/catalog/foreign-server.js';
import { PgWireTarget } from './pg-wire-target.js';
import type { QueryTarget, UnavailableTarget } from './query-target.js';

export interface ColumnarFdwOptions {
  /** The source PostgreSQL, as its superuser (the user mapping reuses this role and password). */
  config: pg.ClientConfig;
  /** Where PostgreSQL reaches the daemon's query server. */
  daemon: { host: string; port: number };
  session: readonly string[];
}

/** How the local PostgreSQL runs a query on the foreign tables. */
export interface FdwPlan {
  /** The plan's top node is the Foreign Scan: the whole query runs in the daemon. */
  pushedDown: boolean;
  /** The plan's top node ("Foreign Scan", "Sort", "HashAggregate" …). */
  topNode: string;
  /** Every `Remote SQL:` line: what the daemon was sent. */
  remoteSql: string[];
  /** Every `Relations:` line, e.g. "Aggregate on (columnar.events)" when the aggregate runs remotely. */
  relations: string[];
  /** "Workers Planned" of a Gather in the plan, if any: the local side's parallelism. */
  workersPlanned?: number;
  /** Planning time; with use_remote_estimate, postgres_fdw asks the daemon for an EXPLAIN of every path it costs. */
  planningMs: number;
}

export class ColumnarFdwTarget implements QueryTarget {
  readonly id = 'columnarFdw' as const;
  readonly #target: PgWireTarget;
  readonly #explain: pg.Client;

  private constructor(target: PgWireTarget, explain: pg.Client) {
    this.#target = target;
    this.#explain = explain;
  }

  static async open(options: ColumnarFdwOptions): Promise<ColumnarFdwTarget | UnavailableTarget> {
    const setup = new pg.Client(options.config);
    await setup.connect();
    try {
      if (!(await postgresFdwAvailable(setup)))
        return {
          id: 'columnarFdw',
          unavailable: 'postgres_fdw is not available on the benchmark PostgreSQL',
        };
      await createForeignServer(setup, options.daemon);
      await createUserMapping(setup, String(options.config.user), String(options.config.password));
      const { rows } = await setup.query<{ missing: string[] | null }>(
        `SELECT array_agg(relid::regclass::text) AS missing FROM analytica.tables
          WHERE foreign_table IS NULL OR to_regclass(foreign_table) IS NULL`,
      );
      if (rows[0]?.missing)
        throw new Error(`register_table made no foreign table for ${rows[0].missing.join(', ')}`);
    } finally {
      await setup.end();
    }
    const setting = ['SET search_path = columnar, public', ...options.session];
    const target = await PgWireTarget.connect('columnarFdw', options.config, setting);
    const explain = new pg.Client(options.config);
    await explain.connect();
    for (const sql of setting) await explain.query(sql);
    return new ColumnarFdwTarget(target, explain);
  }

  run(sql: string): ReturnType<QueryTarget['run']> {
    return this.#target.run(sql);
  }

  async plan(sql: string): Promise<FdwPlan> {
    const { rows } = await this.#explain.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (VERBOSE, COSTS off, SUMMARY) ${sql}`,
    );
    return parsePlan(rows.map((r) => r['QUERY PLAN']));
  }

  async close(): Promise<void> {
    await this.#explain.end();
    await this.#target.close();
  }
}

export async function openColumnarFdwTarget(
  options: ColumnarFdwOptions,
): Promise<ColumnarFdwTarget | UnavailableTarget> {
  return await ColumnarFdwTarget.open(options);
}

/** Reads the top node, the Remote SQL lines and the planning time from `EXPLAIN (VERBOSE, SUMMARY)` lines. */
export function parsePlan(lines: readonly string[]): FdwPlan {
  const topNode = (lines[0] ?? '').trim().replace(/^->\s*/, '');
  const trimmed = lines.map((l) => l.trim());
  return {
    pushedDown: /^Foreign Scan\b/.test(topNode),
    topNode,
    remoteSql: trimmed.flatMap((l) => (l.startsWith('Remote SQL: ') ? [l.slice(12)] : [])),
    relations: trimmed.flatMap((l) => (l.startsWith('Relations: ') ? [l.slice(11)] : [])),
    ...workers(trimmed),
    planningMs: Number(
      trimmed.find((l) => l.startsWith('Planning Time: '))?.match(/[\d.]+/)?.[0] ?? Number.NaN,
    ),
  };
}

function workers(lines: readonly string[]): { workersPlanned?: number } {
  const line = lines.find((l) => l.startsWith('Workers Planned: '));
  return line ? { workersPlanned: Number(line.slice(17)) } : {};
}
