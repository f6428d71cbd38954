/**
 * Reads one table from one consistent snapshot, in chunks of heap pages.
 *
 * The watermark LSN is read *before* the snapshot is taken, so every
 * transaction that committed at or before it is visible in the snapshot; the
 * chunks are TID ranges (`ctid >= '(a,0)' AND ctid < '(b,0)'`, a TID Range Scan
 * since PostgreSQL 14), never OFFSET. Pages added after the snapshot hold no
 * tuple it can see, so the page count read under the snapshot bounds the scan;
 * the last chunk is open-ended all the same.
 *
 * A partitioned table is read leaf by leaf (each leaf's pages in chunks, from the one snapshot):
 * its own relation holds no rows. The partitioned table is locked (ACCESS SHARE) for the copy,
 * so no partition is dropped or detached under it; the leaves read before the snapshot are kept
 * (SnapshotInfo.partitions) so that any change of them is noticed afterwards.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { PgError, SqlState } from '../errors.js';
import type { IngestColumn } from './column-types.js';
import { quoteIdent, quoteLiteral } from './column-types.js';
import { type PartitionTree, partitionTreeSql } from './partition-tree.js';
import { sourceClient } from './source-config.js';

export interface ChunkRange {
  index: number;
  /** The relation read (qualified, quoted): the table, or one leaf partition of it. */
  table: string;
  firstPage: number;
  /** Exclusive; undefined for the open-ended last chunk. */
  endPage: number | undefined;
}

export interface SnapshotInfo {
  /** pg_current_wal_lsn() read just before the snapshot. */
  lsn: string;
  pages: number;
  estimatedRows: number;
  /** Change detector (statistics counters + relfilenode) read before the snapshot. */
  fingerprint: string;
  /** The snapshot itself (pg_snapshot text): the copy holds exactly what it sees. */
  snapshot: string;
  /** A partitioned table's leaves, read before the snapshot; null for other tables. */
  partitions: PartitionTree | null;
  /** What holds the rows: the table itself, or the leaf partitions of a partitioned table. */
  relations: readonly { table: string; pages: number }[];
}

/** Session settings that make PostgreSQL's text output exact and unambiguous for DuckDB. */
const outputSettings = [
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, MDY'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 1',
  "SET bytea_output = 'hex'",
  // Scans must start at page 0 for TID ranges to mean what they say.
  'SET synchronize_seqscans = off',
  // Names in the copy expressions resolve to the built-ins only, never to a table owner's objects.
  'SET search_path = pg_catalog, pg_temp',
];

export interface ExportedSnapshot {
  snapshotName: string;
  /** The exporting slot's consistent point. */
  lsn: string;
}

/** Longest close() waits for the snapshot's transaction to commit before dropping the connection. */
const closeTimeoutMs = 5000;

export class SnapshotReader {
  readonly #client: pg.Client;
  #info: SnapshotInfo | undefined;
  /** A COPY was cut off on our side: the connection is dropped, which ends the transaction. */
  #abandoned = false;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  /**
   * Opens a snapshot of the table: a new one, or one exported by a replication slot (whose
   * consistent point is then the copy's LSN: the stream continues exactly where it ends).
   */
  static async open(
    config: pg.ClientConfig,
    relid: number,
    exported?: ExportedSnapshot,
  ): Promise<SnapshotReader> {
    const client = sourceClient(config, 'pg_analytica ingest');
    // Failures surface through the query that meets them (an abandoned COPY ends the connection).
    client.on('error', () => undefined);
    await client.connect();
    const reader = new SnapshotReader(client);
    try {
      await reader.#begin(relid, exported);
    } catch (error) {
      await client.end();
      throw error;
    }
    return reader;
  }

  get info(): SnapshotInfo {
    if (!this.#info) throw new Error('snapshot not taken');
    return this.#info;
  }

  async #begin(relid: number, exported: ExportedSnapshot | undefined): Promise<void> {
    for (const statement of outputSettings) await this.#client.query(statement);
    const before = await this.#client.query<{
      lsn: string;
      fingerprint: string;
      partitions: PartitionTree | null;
    }>(
      `SELECT pg_current_wal_lsn()::text AS lsn, ${fingerprintSql('$1')} AS fingerprint,
              ${partitionTreeSql('$1')} AS partitions`,
      [relid],
    );
    await this.#client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (exported) await this.#client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(exported.snapshotName)}`);
    // The first statement of the transaction takes the snapshot.
    const taken = await this.#client.query<{ snapshot: string; qualified: string | null }>(
      `SELECT pg_current_snapshot()::text AS snapshot,
              (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = $1 AND c.relkind = 'p') AS qualified`,
      [relid],
    );
    const partitioned = taken.rows[0]!.qualified;
    if (partitioned) await this.#client.query(`LOCK TABLE ${partitioned} IN ACCESS SHARE MODE`);
    const relations = await this.#relations(relid);
    if (relations.length === 0 && !partitioned) throw new Error(`table with oid ${relid} disappeared`);
    this.#info = {
      lsn: exported?.lsn ?? before.rows[0]!.lsn,
      fingerprint: before.rows[0]!.fingerprint,
      partitions: before.rows[0]!.partitions,
      snapshot: taken.rows[0]!.snapshot,
      pages: relations.reduce((sum, r) => sum + r.pages, 0),
      estimatedRows: relations.reduce((sum, r) => sum + r.estimatedRows, 0),
      relations,
    };
  }

  /** The relations holding the rows (the table, or its leaf partitions), with their size now. */
  async #relations(relid: number): Promise<{ table: string; pages: number; estimatedRows: number }[]> {
    const { rows } = await this.#client.query<{
      table: string;
      relkind: string;
      pages: string;
      reltuples: string;
      relpages: string;
    }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS table, c.relkind::text AS relkind,
              CASE WHEN c.relkind = 'r' THEN pg_relation_size(c.oid) / current_setting('block_size')::int END AS pages,
              c.reltuples, c.relpages
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind <> 'p'
          -- pg_partition_tree() has no row for a table that is neither partitioned nor a partition.
          AND (c.oid = $1 OR c.oid IN (SELECT p.relid FROM pg_partition_tree($1::oid::regclass) p WHERE p.isleaf))
        ORDER BY c.oid`,
      [relid],
    );
    // A foreign table attached as a partition since registration (which refuses them).
    const foreign = rows.find((row) => row.relkind !== 'r');
    if (foreign) {
      throw new PgError(
        SqlState.featureNotSupported,
        `partition ${foreign.table} is a foreign table, which pg_analytica cannot copy or stream`,
        { hint: 'detach it, or register the local partitions on their own instead' },
      );
    }
    return rows.map((row) => {
      const pages = Number(row.pages);
      const reltuples = Number(row.reltuples);
      const relpages = Number(row.relpages);
      const rowsPerPage = reltuples > 0 && relpages > 0 ? reltuples / relpages : 0;
      return { table: row.table, pages, estimatedRows: Math.round(rowsPerPage * pages) };
    });
  }

  /** Splits the table (each leaf of a partitioned one) into page ranges of about `chunkRows` rows each. */
  async planChunks(chunkRows: number): Promise<ChunkRange[]> {
    const chunks: ChunkRange[] = [];
    for (const { table, pages } of this.info.relations) {
      if (pages === 0) {
        chunks.push({ index: chunks.length, table, firstPage: 0, endPage: undefined });
        continue;
      }
      const sampledPages = Math.min(pages, 64);
      const sample = await this.#client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ONLY ${table} WHERE ctid < '(${sampledPages},0)'::tid`,
      );
      const rowsPerPage = Math.max(1, Number(sample.rows[0]!.n) / sampledPages);
      const pagesPerChunk = Math.max(1, Math.floor(chunkRows / rowsPerPage));
      for (let first = 0; first < pages; first += pagesPerChunk) {
        const end = first + pagesPerChunk;
        chunks.push({
          index: chunks.length,
          table,
          firstPage: first,
          endPage: end >= pages ? undefined : end,
        });
      }
    }
    return chunks;
  }

  /** Writes one chunk in COPY's text format (cheaper for PostgreSQL to produce than CSV) to `file`; resolves to the number of rows. */
  async copyChunk(columns: readonly IngestColumn[], range: ChunkRange, file: string): Promise<number> {
    const select = columns.map((c) => c.copyExpression).join(', ');
    const upper = range.endPage === undefined ? '' : ` AND ctid < '(${range.endPage},0)'::tid`;
    const sql = `COPY (SELECT ${select} FROM ONLY ${range.table} WHERE ctid >= '(${range.firstPage},0)'::tid${upper}) TO STDOUT (FORMAT text)`;
    return await this.#copyTo(sql, file);
  }

  /** Copies the rows whose integer key is in (after, upTo] (append mode reads past a watermark). */
  async copyKeyRange(
    table: string,
    columns: readonly IngestColumn[],
    key: string,
    after: bigint,
    upTo: bigint,
    file: string,
  ): Promise<number> {
    const select = columns.map((c) => c.copyExpression).join(', ');
    const column = quoteIdent(key);
    // Bounds are bigints (never text), so inlining them is safe.
    const sql = `COPY (SELECT ${select} FROM ONLY ${table} WHERE ${column} > ${after} AND ${column} <= ${upTo}) TO STDOUT (FORMAT text)`;
    return await this.#copyTo(sql, file);
  }

  async #copyTo(sql: string, file: string): Promise<number> {
    if (this.#abandoned) throw new Error('the snapshot connection was dropped after a failed copy');
    const stream = this.#client.query(copyStreams.to(sql));
    try {
      await pipeline(stream, createWriteStream(file));
    } catch (error) {
      // Cut off on our side (ENOSPC writing the file, say), the COPY keeps the connection busy for
      // good: nothing else could run on it, and its transaction would hold the snapshot (and
      // VACUUM) back. Dropping the connection ends the transaction.
      this.#abandon();
      throw error;
    }
    return stream.rowCount;
  }

  #abandon(): void {
    this.#abandoned = true;
    this.#client.connection.stream.destroy();
  }

  /** Ends the snapshot's transaction: a commit, or dropping the connection if that cannot be had soon. */
  async close(): Promise<void> {
    if (!this.#abandoned) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), closeTimeoutMs);
      });
      const commit = this.#client.query('COMMIT').then(
        () => 'done' as const,
        // The connection may already be broken; ending it releases the snapshot either way.
        () => 'failed' as const,
      );
      if ((await Promise.race([commit, timeout])) === 'timeout') this.#abandon();
      clearTimeout(timer);
    }
    await this.#client.end().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Statistics counters and relfilenode: changes when rows change or the table is truncated/rewritten.
 * Of each leaf of a partitioned table, so attaching or detaching a partition changes it too; a
 * table that is not partitioned is its own only leaf (the same text as before 0.8).
 */
export function fingerprintSql(relidParam: string): string {
  const leaf = (oid: string) =>
    `concat_ws(':', pg_relation_filenode(${oid}::regclass), pg_stat_get_tuples_inserted(${oid}::oid),
            pg_stat_get_tuples_updated(${oid}::oid), pg_stat_get_tuples_deleted(${oid}::oid))`;
  // pg_partition_tree() has no row for a table that is neither partitioned nor a partition.
  return `coalesce((SELECT string_agg(${leaf('p.relid')}, ',' ORDER BY p.relid::oid)
                      FROM pg_partition_tree(${relidParam}::oid::regclass) p WHERE p.isleaf), ${leaf(relidParam)})`;
}

export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}
