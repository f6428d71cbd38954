/**
 * Takes the values streamed updates left unchanged (TOASTed, not sent) from the copy, for a
 * whole chunk at once: one DuckDB join of the chunk's pending lines, on their old key, with the
 * versions of those keys in the table's data segments and in the chunks of this flush window,
 * keeping per line the version with the highest sequence below its bound (see
 * unchanged-values.ts for why that is the row as the update found it). The chunk is written
 * again as Parquet, with the values in their storage types (chunk-files.ts).
 *
 * Deletes need no reading: for one key, the newest version below an update is the live one in
 * a consistent stream (a delete in between would need an insert after it, which is newer).
 * After a crash the changes are streamed again from the watermark and find the same versions
 * in the segments. A copy in progress holds the rows its snapshot saw, so the lookup waits
 * until it is published.
 */
import { rm, writeFile } from 'node:fs/promises';
import * as catalog from '../catalog/catalog.js';
import {
  type IngestColumn,
  quoteIdent,
  quoteLiteral,
  readCopyTextSql,
  sequenceColumn,
} from '../source/column-types.js';
import { longestLineBound, readChunkSql, resolvedChunkSuffix } from '../storage/chunk-files.js';
import { absoluteSegmentPath } from '../storage/segment-paths.js';
import type { StreamState } from './stream-state.js';
import type { ResolveUnchanged, RowChunk, StreamedTable } from './streamed-table.js';
import type { PendingValues } from './unchanged-values.js';

/** Attempts of a lookup whose segment files compaction retired meanwhile (the catalog is read again). */
const attempts = 3;

export function unchangedResolver(state: StreamState): ResolveUnchanged {
  let patches = 0;
  return async (table, file, pending, earlier) => {
    if (table.phase === 'copying' || table.phase === 'establishing') {
      state.log.info('an update left a large value unchanged during a copy: the stream waits for the copy', {
        table: table.name,
      });
      await table.copied;
    }
    if (table.phase === 'stopped' || state.tables.get(table.relid) !== table) return file;
    const lookup = new Lookup(table, pending, `_pga_patch_${table.relid}_${++patches}`);
    const refs = `${file}.refs`;
    const output = file.replace(/\.tsv$/, '') + resolvedChunkSuffix;
    await writeFile(refs, lookup.refLines());
    try {
      for (let attempt = 1; ; attempt++) {
        const segments = await catalog.dataSegmentPaths(state.catalog, table.relid, table.generation);
        try {
          const missing = await lookup.run(state, refs, segments, earlier, file, output);
          if (missing === undefined) return output;
          await rm(output, { force: true });
          await state.stop(table, missing);
          return file;
        } catch (error) {
          if (attempt >= attempts) throw error;
          state.log.warn('reading unchanged values from the copy failed; trying again', {
            table: table.name,
            error: String(error),
          });
        }
      }
    } finally {
      await rm(refs, { force: true });
    }
  };
}

/** The SQL of one chunk's lookup. */
class Lookup {
  readonly #table: StreamedTable;
  readonly #pending: readonly PendingValues[];
  readonly #patch: string;
  /** Live column positions some line takes from the copy. */
  readonly #needed: number[];
  readonly #keys: IngestColumn[];

  constructor(table: StreamedTable, pending: readonly PendingValues[], patch: string) {
    this.#table = table;
    this.#pending = pending;
    this.#patch = quoteIdent(patch);
    this.#needed = [...new Set(pending.flatMap((p) => p.columns))].sort((a, b) => a - b);
    this.#keys = table.keyIndexes.map((i, j) => ({ ...table.columns[i]!, name: `_pga_k${j}` }));
  }

  /** The refs file: per pending line its old key, sequence, bound and columns (",2,5,"). */
  refLines(): string {
    return this.#pending
      .map((p) => `${p.originKey.join('\t')}\t${p.seq}\t${p.below}\t,${p.columns.join(',')},\n`)
      .join('');
  }

  get #refColumns(): IngestColumn[] {
    const bigint = (name: string) => ({ ...sequenceColumn('_pga_seq'), name });
    const mask = {
      ...bigint('_pga_mask'),
      pgType: 'text',
      storageType: 'VARCHAR',
      queryType: 'VARCHAR',
      csvType: 'VARCHAR',
    };
    return [...this.#keys, bigint('_pga_row'), bigint('_pga_below'), mask];
  }

  /**
   * Writes `output` (the chunk with the values filled in) and returns undefined, or returns why
   * a value is not in the copy (nothing written then).
   */
  async run(
    state: StreamState,
    refs: string,
    segments: readonly string[],
    earlier: readonly RowChunk[],
    file: string,
    output: string,
  ): Promise<string | undefined> {
    const writer = state.options.writer;
    const maxLineBytes = await longestLineBound([file, ...earlier.map((c) => c.file)]);
    const versions = this.#versionSources(state.options.dataDir, segments, earlier, maxLineBytes);
    const keyMatch = this.#keys.map((k) => `v.${quoteIdent(k.name)} = r.${quoteIdent(k.name)}`).join(' AND ');
    const values = this.#needed.map((i) => `v._pga_v${i}`);
    await writer.query(
      `CREATE TEMP TABLE ${this.#patch} AS
       WITH refs AS (${readCopyTextSql(refs, this.#refColumns)}),
            versions AS (SELECT v.* FROM (${versions}) v SEMI JOIN refs r ON ${keyMatch})
       SELECT r.*, ${values.join(', ')}, v._pga_seq IS NOT NULL AS _pga_found
         FROM refs r LEFT JOIN versions v ON ${keyMatch} AND v._pga_seq < r._pga_below
       QUALIFY row_number() OVER (PARTITION BY r._pga_row ORDER BY v._pga_seq DESC NULLS LAST) = 1`,
    );
    try {
      const missing = await this.#missing(writer);
      if (missing) return missing;
      const columns = this.#table.rowColumns.map((c, j) => {
        const stored = `b.${quoteIdent(c.name)}`;
        if (!this.#needed.includes(j)) return stored;
        return `CASE WHEN contains(p._pga_mask, ',${j},') THEN p._pga_v${j} ELSE ${stored} END AS ${quoteIdent(c.name)}`;
      });
      await writer.query(
        `COPY (SELECT ${columns.join(', ')}
                 FROM (${readCopyTextSql(file, this.#table.rowColumns, maxLineBytes)}) b
                 LEFT JOIN ${this.#patch} p ON p._pga_row = b._pga_seq)
         TO ${quoteLiteral(output)} (FORMAT parquet)`,
      );
      return undefined;
    } finally {
      await writer.query(`DROP TABLE IF EXISTS ${this.#patch}`);
    }
  }

  /** Why a line's value is not in the copy (no earlier version, or one without the value), if so. */
  async #missing(writer: StreamState['options']['writer']): Promise<string | undefined> {
    const absent = this.#needed.map((i) => `(contains(_pga_mask, ',${i},') AND _pga_v${i} IS NULL)`);
    const keyText = this.#keys.map((k) => `CAST(${quoteIdent(k.name)} AS VARCHAR)`);
    const rows = await writer.query(
      `SELECT concat_ws(', ', ${keyText.join(', ')}), _pga_found, _pga_mask
         FROM ${this.#patch} WHERE NOT _pga_found OR ${absent.join(' OR ')} LIMIT 1`,
    );
    const row = rows[0];
    if (!row) return undefined;
    const table = this.#table;
    const columns = String(row[2])
      .split(',')
      .filter((c) => c !== '')
      .map((i) => quoteIdent(table.columns[Number(i)]!.name))
      .join(', ');
    const key = `(${table.keyColumns.map(quoteIdent).join(', ')}) = (${String(row[0])})`;
    return row[1]
      ? `an update of ${table.name} left the large value of ${columns} unchanged, and the copy's version of the row ${key} has no value there: the copy does not match the table`
      : `an update of ${table.name} left the large value of ${columns} unchanged, and the copy has no earlier version of the row ${key} to take it from: the copy does not match the table`;
  }

  /** Every version of every row: keys, the needed columns and the sequence (one SELECT per source). */
  #versionSources(
    dataDir: string,
    segments: readonly string[],
    earlier: readonly RowChunk[],
    maxLineBytes: number,
  ): string {
    const table = this.#table;
    const keyStored = table.keyIndexes.map((i) => table.storedName(table.columns[i]!.name));
    const neededStored = this.#needed.map((i) => table.storedName(table.columns[i]!.name));
    const pick = (have: (stored: string) => boolean, seq = '_pga_seq') =>
      [
        ...keyStored.map((name, j) => this.#cast(name, this.#keys[j]!, `_pga_k${j}`, have)),
        ...neededStored.map((name, n) =>
          this.#cast(name, table.columns[this.#needed[n]!]!, `_pga_v${this.#needed[n]}`, have),
        ),
        seq,
      ].join(', ');
    const sources: string[] = [];
    if (segments.length > 0) {
      const files = segments.map((p) => quoteLiteral(absoluteSegmentPath(dataDir, p))).join(', ');
      sources.push(`SELECT ${pick(() => true)} FROM read_parquet([${files}], union_by_name = true)`);
    }
    for (const group of groupChunks(earlier)) {
      const names = new Set(group.columns.map((c) => c.name));
      sources.push(
        `SELECT ${pick((n) => names.has(n))} FROM (${readChunkSql(group.files, group.columns, maxLineBytes)})`,
      );
    }
    if (sources.length === 0)
      sources.push(`SELECT ${pick(() => false, 'CAST(NULL AS BIGINT) AS _pga_seq')} WHERE false`);
    return sources.join(' UNION ALL ');
  }

  #cast(stored: string, column: IngestColumn, as: string, have: (stored: string) => boolean): string {
    const value = have(stored) ? quoteIdent(stored) : 'NULL';
    return `CAST(${value} AS ${column.storageType}) AS ${quoteIdent(as)}`;
  }
}

/** Chunks written with the same columns, as one file list each. */
function groupChunks(chunks: readonly RowChunk[]): { columns: readonly IngestColumn[]; files: string[] }[] {
  const groups = new Map<readonly IngestColumn[], string[]>();
  for (const chunk of chunks) {
    const files = groups.get(chunk.columns) ?? [];
    files.push(chunk.file);
    groups.set(chunk.columns, files);
  }
  return [...groups].map(([columns, files]) => ({ columns, files }));
}
