/**
 * Differential harness for the text formatter: the same logical values are
 * built by SQL in a real PostgreSQL and a real DuckDB; PostgreSQL's own text
 * (raw, no pg type parsers) and RowDescription type must equal what
 * columnFormatter() and resultColumn() produce from DuckDB's values.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { columnFormatter } from '../src/query/pg-text-format.js';
import { resultColumn } from '../src/query/pg-type-oids.js';
import { startTestCluster } from './helpers/cluster.js';

/** One value as a PostgreSQL and a DuckDB SQL expression. */
export interface Case {
  readonly pg: string;
  readonly duck: string;
}

export interface Mismatch {
  readonly pg: string;
  readonly expected: string | null;
  readonly actual: string | null;
}

export interface CompareOptions {
  readonly timeZone?: string;
  /** Also compare the RowDescription OID/size/typmod (false for enum, record…). */
  readonly checkType?: boolean;
}

export class Differential {
  readonly #cluster: LocalCluster;
  readonly #client: pg.Client;
  readonly #duck: DuckDBConnection;

  private constructor(cluster: LocalCluster, client: pg.Client, duck: DuckDBConnection) {
    this.#cluster = cluster;
    this.#client = client;
    this.#duck = duck;
  }

  static async start(): Promise<Differential> {
    const cluster = await startTestCluster();
    // Every type parser returns the raw text PostgreSQL sent.
    const client = new pg.Client({
      ...cluster.clientConfig(),
      types: { getTypeParser: () => (v: string) => v },
    });
    await client.connect();
    await client.query(
      "SET DateStyle = 'ISO, MDY'; SET IntervalStyle = postgres; SET extra_float_digits = 1",
    );
    await client.query('SET bytea_output = hex');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    // Only for casts of TIMESTAMP to TIMESTAMPTZ while building values.
    await duck.run("SET TimeZone = 'UTC'");
    return new Differential(cluster, client, duck);
  }

  /** Values of `cases` printed by PostgreSQL vs by the formatter; [] when all agree. */
  async compare(cases: readonly Case[], options: CompareOptions = {}): Promise<Mismatch[]> {
    const timeZone = options.timeZone ?? 'UTC';
    await this.#client.query(`SET TimeZone = ${pg.escapeLiteral(timeZone)}`);
    const pgResult = await this.#client.query({
      text: valuesQuery(cases.map((c) => c.pg)),
      rowMode: 'array',
    });
    const duckResult = await this.#duck.runAndReadAll(valuesQuery(cases.map((c) => c.duck)));
    const type = duckResult.columnTypes()[1];
    if (type === undefined) throw new Error('DuckDB returned no value column');
    const format = columnFormatter(type, { timeZone });
    const rows = duckResult.getRows();
    const mismatches: Mismatch[] = [];
    if (options.checkType ?? true) {
      const field = pgResult.fields[1];
      const column = resultColumn('v', type);
      const expected = `${field?.dataTypeID}/${field?.dataTypeSize}/${field?.dataTypeModifier}`;
      const actual = `${column.typeOid}/${column.typeSize}/${column.typeModifier}`;
      if (expected !== actual) mismatches.push({ pg: `type of ${cases[0]?.pg}`, expected, actual });
    }
    cases.forEach((c, i) => {
      const expected = (pgResult.rows[i] as unknown[] | undefined)?.[1] as string | null;
      const actual = format(rows[i]?.[1] ?? null);
      if (expected !== actual) mismatches.push({ pg: c.pg, expected, actual });
    });
    return mismatches;
  }

  async close(): Promise<void> {
    this.#duck.closeSync();
    await this.#client.end();
    await this.#cluster.close();
  }
}

function valuesQuery(expressions: readonly string[]): string {
  const rows = expressions.map((expression, i) => `(${i}, ${expression})`).join(',\n');
  return `SELECT i, v FROM (VALUES ${rows}) AS t(i, v) ORDER BY i`;
}

/** mulberry32: a small seeded generator so every run tests the same values. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniformly random integer in [min, max] (bigint, any size). */
export function randomBigInt(random: () => number, min: bigint, max: bigint): bigint {
  const span = max - min + 1n;
  let value = 0n;
  for (let bits = 0n; 1n << bits < span * 1024n; bits += 32n) {
    value = (value << 32n) | BigInt(Math.floor(random() * 4294967296));
  }
  return min + (value % span);
}

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
