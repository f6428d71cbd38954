/**
 * The ceiling: DuckDB alone, on the very Parquet segments pg_analytica wrote
 * (views over `read_parquet`) and on native DuckDB tables loaded from them. No
 * wire protocol, no SQL translation, no snapshot binding, no freshness wait:
 * what is left of a query's time is DuckDB's.
 *
 * Segment paths come from the catalog in the source database: the data
 * segments of each table's visible generation, relative to the daemon's data
 * directory. Streamed segments carry the hidden `_pga_seq`/`_pga_commit`
 * columns, which the views leave out. The benchmark's tables are not changed
 * after their copy, so there are no delete segments to merge; a table that has
 * some is refused rather than read wrong.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type pg from 'pg';
import { openDuckDb } from '../../src/query/duckdb-instance.js';
import { absoluteSegmentPath } from '../../src/storage/segment-paths.js';
import type { QueryTarget, TargetId, TextRow } from './query-target.js';

export interface DuckDbCeilingOptions {
  catalog: pg.Client;
  dataDir: string;
  tables: readonly string[];
  threads: number;
  memoryLimit: string;
}

const quoteLiteral = (s: string) => `'${s.replaceAll("'", "''")}'`;
const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

class DuckDbTarget implements QueryTarget {
  readonly id: TargetId;
  readonly #connection: DuckDBConnection;

  constructor(id: TargetId, connection: DuckDBConnection) {
    this.id = id;
    this.#connection = connection;
  }

  async run(sql: string): Promise<TextRow[]> {
    const reader = await this.#connection.runAndReadAll(sql);
    // JSON values: bigints, decimals and timestamps arrive as strings, numbers as numbers.
    return reader
      .getRowsJson()
      .map((row) => row.map((v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v))));
  }

  async close(): Promise<void> {
    this.#connection.closeSync();
  }
}

/** The two ceiling targets on one DuckDB instance: one connection per schema (search_path is per connection). */
export class DuckDbCeiling {
  readonly native: QueryTarget;
  readonly parquet: QueryTarget;
  readonly #instance: DuckDBInstance;
  readonly #setup: DuckDBConnection;

  private constructor(
    instance: DuckDBInstance,
    setup: DuckDBConnection,
    native: QueryTarget,
    parquet: QueryTarget,
  ) {
    this.#instance = instance;
    this.#setup = setup;
    this.native = native;
    this.parquet = parquet;
  }

  static async open(options: DuckDbCeilingOptions): Promise<DuckDbCeiling> {
    const { instance, connection } = await openDuckDb({
      threads: options.threads,
      memoryLimit: options.memoryLimit,
    });
    await connection.run('CREATE SCHEMA parquet; CREATE SCHEMA native');
    for (const table of options.tables) {
      const files = await segmentFiles(options.catalog, options.dataDir, table);
      const source = `read_parquet([${files.map(quoteLiteral).join(', ')}])`;
      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
      const columns = described
        .getRowObjectsJson()
        .map((row) => String(row.column_name))
        .filter((name) => !name.startsWith('_pga_'));
      const select = `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${source}`;
      await connection.run(`CREATE VIEW parquet.${quoteIdent(table)} AS ${select}`);
      await connection.run(`CREATE TABLE native.${quoteIdent(table)} AS ${select}`);
    }
    const targets: QueryTarget[] = [];
    for (const [id, schema] of [
      ['duckdbNative', 'native'],
      ['duckdbParquet', 'parquet'],
    ] as const) {
      const session = await instance.connect();
      await session.run(`SET TimeZone = 'UTC'; SET search_path = '${schema}'`);
      targets.push(new DuckDbTarget(id, session));
    }
    return new DuckDbCeiling(instance, connection, targets[0]!, targets[1]!);
  }

  async close(): Promise<void> {
    await this.native.close();
    await this.parquet.close();
    this.#setup.closeSync();
    this.#instance.closeSync();
  }
}

/** Absolute paths of `table`'s visible data segments. */
async function segmentFiles(catalog: pg.Client, dataDir: string, table: string): Promise<string[]> {
  const { rows } = await catalog.query<{ path: string; kind: string }>(
    `SELECT s.path, s.kind FROM analytica.segments s
       JOIN analytica.tables t ON t.relid = s.relid AND t.generation = s.generation
      WHERE t.relid = $1::regclass ORDER BY s.segment_id`,
    [table],
  );
  if (rows.some((r) => r.kind !== 'data'))
    throw new Error(`table ${table} has delete segments; the ceiling reads data segments only`);
  if (rows.length === 0) throw new Error(`table ${table} has no segments to read`);
  return rows.map((r) => absoluteSegmentPath(dataDir, r.path));
}
