/**
 * One streamed table inside the stream worker: turns its decoded changes into
 * lines of COPY text (rows: the columns, `_pga_seq`, `_pga_commit`; deletes:
 * the key columns, `_pga_seq`, `_pga_commit`), spills them to chunk files that
 * the delta loads and that the next flush turns into segments, and keeps what
 * belongs to the source transaction in progress apart from what is committed,
 * so a transaction cut off by a lost connection can be dropped whole.
 */
import { rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TableEntry } from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
import {
  type ColumnSpec,
  columnSpec,
  type IngestColumn,
  quoteIdent,
  sequenceColumn,
  sequenceColumnNames,
  storedName,
} from '../source/column-types.js';
import { copyField } from '../source/output-text.js';
import { type RelationMessage, type TupleData, unchangedToast } from '../source/pgoutput/index.js';
import {
  fillUnchanged,
  LatestRows,
  lineSeq,
  type PendingValues,
  resolvedChunkBytes,
} from './unchanged-values.js';

export type StreamPhase =
  /** Changes are applied to the visible generation and flushed. */
  | 'streaming'
  /** A copy is creating its snapshot: changes must wait until its consistent point is known. */
  | 'establishing'
  /** A copy runs: changes from its consistent point on are applied to the coming generation, not flushed. */
  | 'copying'
  /** Not applied (schema changed, or an error): the table waits for a re-copy. */
  | 'stopped';

const sequence = [sequenceColumn('_pga_seq'), sequenceColumn('_pga_commit')];

/** A chunk of rows, with the columns it was written with (they change when the schema evolves). */
export interface RowChunk {
  file: string;
  columns: readonly IngestColumn[];
}

interface Chunks {
  rows: RowChunk[];
  deletes: string[];
}

/** Chunk files just written, their size, and a TRUNCATE to record with them. */
export interface SpilledChunks {
  rows?: string;
  deletes?: string;
  bytes: number;
  truncate?: { seq: bigint; commit: bigint };
}

interface Lines {
  rows: string[];
  deletes: string[];
  bytes: number;
  /** Row lines with unchanged TOASTed values still to take from the copy (see unchanged-values.ts). */
  pending: PendingValues[];
}

/**
 * Writes a chunk's row lines with their pending values taken from the copy (`earlier`: the
 * table's chunks before this one); returns the file that holds them, or the text file as it
 * is when the table stopped.
 */
export type ResolveUnchanged = (
  table: StreamedTable,
  file: string,
  pending: readonly PendingValues[],
  earlier: readonly RowChunk[],
) => Promise<string>;

const noLines = (): Lines => ({ rows: [], deletes: [], bytes: 0, pending: [] });

export class StreamedTable {
  readonly relid: number;
  readonly name: string;
  readonly orderBy: readonly string[];
  readonly keyColumns: readonly string[];
  /** The live columns, in the source's order, named as in the source. */
  #columns: readonly IngestColumn[];
  #keyIndexes: readonly number[];
  /** Source name → stored name, where they differ. */
  #storedAs = new Map<string, string>();
  /** Dropped columns (their stored names stay taken). */
  #retired: ColumnSpec[] = [];
  #rowColumns: readonly IngestColumn[] | undefined;
  #deleteColumns: readonly IngestColumn[] | undefined;
  /** Chunks of a table being copied that could not go into the delta yet (loaded after the next flush). */
  unloaded: SpilledChunks[] = [];
  /** Why the table stopped streaming, when it did. */
  stopReason: string | undefined;
  /** Dropped attributes of the source when its columns were last known (a drop and an add can look like a rename). */
  droppedAttributes = 0;
  /** The columns changed since the catalog's spec (a flush records the new one). */
  schemaChanged = false;
  /** The generation changes are applied to. */
  generation: number;
  /** Transactions whose commit record starts below this are in the segments (or the copy): skip them. */
  watermark: bigint;
  phase: StreamPhase;
  /** Resolved once an establishing copy knows its consistent point. */
  established: Promise<void> | undefined;
  /** Resolved once a copy in progress is published (or failed): its segments hold the old rows. */
  copied: Promise<void> | undefined;

  #checkedRelation: RelationMessage | undefined;
  /** Lines of the transaction in progress, not yet in a file. */
  #openLines: Lines = noLines();
  /** Lines of committed transactions not yet in a file (nor in the delta). */
  #readyLines: Lines = noLines();
  /** The newest row line per key in memory (for updates leaving a TOASTed value unchanged). */
  #latest: LatestRows;
  /** Chunk files of the transaction in progress (already in the delta's DuckDB transaction). */
  #openFiles: Chunks = { rows: [], deletes: [] };
  /** Chunk files of committed transactions not yet flushed. */
  #committedFiles: Chunks = { rows: [], deletes: [] };
  #openTruncate: bigint | undefined;
  /** A committed TRUNCATE not yet in the delta. */
  #readyTruncate: { seq: bigint; commit: bigint } | undefined;
  #committedTruncate: bigint | undefined;
  #openRowsDelta = 0;
  #committedRowsDelta = 0;
  #chunkNumber = 0;

  constructor(
    entry: TableEntry,
    columns: readonly IngestColumn[],
    phase: StreamPhase,
    generation: number,
    watermark: bigint,
    /** The copy's column specs (stored names, dropped columns), for a table streamed before. */
    catalogSpecs: readonly ColumnSpec[] = [],
  ) {
    for (const spec of catalogSpecs) {
      if (spec.dropped) this.#retired.push(spec);
      else if (spec.storedAs) this.#storedAs.set(spec.name, spec.storedAs);
    }
    this.relid = entry.relid;
    this.name = `${quoteIdent(entry.schemaName)}.${quoteIdent(entry.tableName)}`;
    this.orderBy = entry.orderBy;
    this.keyColumns = entry.keyColumns ?? [];
    this.#columns = columns;
    this.#keyIndexes = this.keyColumns.map((k) => columns.findIndex((c) => c.name === k));
    this.#latest = new LatestRows(this.#keyIndexes);
    if (this.#keyIndexes.some((i) => i < 0)) {
      throw new PgError(
        SqlState.objectNotInPrerequisiteState,
        `the key of ${this.name} names a column it no longer has`,
        {
          hint: `call analytica.resync('${this.name.replaceAll("'", "''")}')`,
        },
      );
    }
    this.phase = phase;
    this.generation = generation;
    this.watermark = watermark;
  }

  get columns(): readonly IngestColumn[] {
    return this.#columns;
  }

  get keyIndexes(): readonly number[] {
    return this.#keyIndexes;
  }

  /** The name a live column has in segments and in the delta. */
  storedName(name: string): string {
    return this.#storedAs.get(name) ?? name;
  }

  /**
   * Every stored name in use, live or dropped, and the hidden sequence columns: a column added
   * later under one of those names is stored under another (register_table refuses them at first).
   */
  get storedNames(): Set<string> {
    return new Set([
      ...this.#columns.map((c) => this.storedName(c.name)),
      ...this.#retired.map(storedName),
      ...sequenceColumnNames,
    ]);
  }

  /**
   * New columns after a schema change: `columns` are the live ones (source names), `storedAs`
   * maps renamed or re-used names to their stored names, `dropped` are the columns gone now.
   * The lines written so far keep their own columns.
   */
  evolve(
    columns: readonly IngestColumn[],
    storedAs: ReadonlyMap<string, string>,
    dropped: readonly ColumnSpec[],
  ): void {
    if (this.#openLines.bytes > 0 || this.#readyLines.bytes > 0) {
      throw new Error('spill the lines written with the previous columns first');
    }
    this.#columns = columns;
    this.#storedAs = new Map(storedAs);
    this.#retired.push(...dropped);
    this.#rowColumns = undefined;
    this.#deleteColumns = undefined;
    this.#keyIndexes = this.keyColumns.map((k) => columns.findIndex((c) => c.name === k));
    this.#latest = new LatestRows(this.#keyIndexes);
    this.#checkedRelation = undefined;
    this.schemaChanged = true;
  }

  /** The spec of a live column, with its stored name. */
  specOf(column: IngestColumn): ColumnSpec {
    const spec = columnSpec(column);
    const stored = this.#storedAs.get(column.name);
    return stored ? { ...spec, storedAs: stored } : spec;
  }

  /** The copy's columns as the catalog keeps them: live ones first, then dropped ones. */
  get specs(): ColumnSpec[] {
    return [...this.#columns.map((c) => this.specOf(c)), ...this.#retired];
  }

  /** A live column under its stored name (how segments and the delta name it). */
  #stored(column: IngestColumn): IngestColumn {
    const stored = this.#storedAs.get(column.name);
    return stored ? { ...column, name: stored } : column;
  }

  /**
   * Columns of a row chunk and of a delete chunk, as the delta and the segment writer read them.
   * One array per set of columns: chunks written with the same one are flushed as one segment.
   */
  get rowColumns(): readonly IngestColumn[] {
    this.#rowColumns ??= [...this.#columns.map((c) => this.#stored(c)), ...sequence];
    return this.#rowColumns;
  }

  get deleteColumns(): readonly IngestColumn[] {
    this.#deleteColumns ??= [...this.keyIndexes.map((i) => this.#stored(this.#columns[i]!)), ...sequence];
    return this.#deleteColumns;
  }

  /** Sort columns under their stored names. */
  get storedOrderBy(): string[] {
    return this.orderBy.map((name) => this.storedName(name));
  }

  /** Bytes of lines of the transaction in progress held in memory. */
  get openBytes(): number {
    return this.#openLines.bytes;
  }

  /** Bytes of committed lines held in memory. */
  get readyBytes(): number {
    return this.#readyLines.bytes;
  }

  /**
   * Row lines with values to take from the copy per chunk: learnt from the size of the values
   * the last chunk took, so that a chunk holds about resolvedChunkBytes of them.
   */
  pendingLimit = 256;

  /** Row lines of the transaction in progress with values still to take from the copy. */
  get openPending(): number {
    return this.#openLines.pending.length;
  }

  /** Committed row lines with values still to take from the copy. */
  get readyPending(): number {
    return this.#readyLines.pending.length;
  }

  /** Committed changes not yet in the delta. */
  get hasReady(): boolean {
    return this.#readyLines.bytes > 0 || this.#readyTruncate !== undefined;
  }

  /** Committed changes wait for a flush. */
  get hasPending(): boolean {
    return (
      this.hasReady ||
      this.#committedFiles.rows.length > 0 ||
      this.#committedFiles.deletes.length > 0 ||
      this.#committedTruncate !== undefined
    );
  }

  get committedChunks(): Readonly<Chunks> {
    return this.#committedFiles;
  }

  get committedTruncate(): bigint | undefined {
    return this.#committedTruncate;
  }

  get committedRowsDelta(): number {
    return this.#committedRowsDelta;
  }

  /** True once this relation message was found to match the copy's columns. */
  matches(relation: RelationMessage): boolean {
    return relation === this.#checkedRelation;
  }

  /**
   * Null when the relation (as the stream describes it at this change) has the columns of the
   * copy, else why not: a schema change the copy cannot follow without a re-copy.
   */
  schemaMismatch(relation: RelationMessage): string | null {
    if (relation === this.#checkedRelation) return null;
    const differs =
      relation.columns.length !== this.columns.length ||
      relation.columns.some(
        (c, i) =>
          c.name !== this.columns[i]!.name ||
          c.typeOid !== this.columns[i]!.pgTypeOid ||
          c.typeModifier !== this.columns[i]!.pgTypeModifier,
      );
    if (differs) {
      const now = relation.columns.map((c) => c.name).join(', ');
      const before = this.columns.map((c) => c.name).join(', ');
      return `the columns of ${this.name} changed (copy: ${before}; now: ${now})`;
    }
    this.#checkedRelation = relation;
    return null;
  }

  insert(tuple: TupleData, seq: bigint, commit: bigint): void {
    this.#addRow(tuple, seq, commit);
    this.#openRowsDelta++;
  }

  /**
   * An update: the old version is deleted by key, the new one added, both at the change's
   * sequence. Unchanged TOASTed values come from the old row when the stream sent it (REPLICA
   * IDENTITY FULL), else from the copy (see unchanged-values.ts).
   */
  update(
    oldTuple: TupleData | undefined,
    fullOld: boolean,
    newTuple: TupleData,
    seq: bigint,
    commit: bigint,
  ): void {
    const row = fullOld && oldTuple ? withOldValues(newTuple, oldTuple) : newTuple;
    const oldKey = oldTuple ?? newTuple;
    if (this.keyIndexes.some((i) => oldKey[i] === unchangedToast)) {
      // A key value over 2 kB stored out of line: the update cannot be matched to its row.
      throw new PgError(
        SqlState.featureNotSupported,
        `an update of ${this.name} left a key value stored out of line unchanged, and the stream did not send it`,
        { hint: `ALTER TABLE ${this.name} REPLICA IDENTITY FULL makes PostgreSQL send it` },
      );
    }
    this.#addDelete(oldKey, seq, commit);
    if (row.includes(unchangedToast)) this.#addUpdatedRow(oldKey, row, seq, commit);
    else this.#addRow(row, seq, commit);
  }

  delete(oldTuple: TupleData, seq: bigint, commit: bigint): void {
    this.#addDelete(oldTuple, seq, commit);
    this.#openRowsDelta--;
  }

  truncate(seq: bigint): void {
    this.#openTruncate = seq;
    this.#openRowsDelta = 0;
  }

  #addRow(tuple: TupleData, seq: bigint, commit: bigint): void {
    const fields = this.columns.map((column, i) => copyField(column, textOf(tuple[i])));
    this.#pushRow(fields, seq, commit, undefined);
  }

  /** A new row version with unchanged values: from the newest version of its old key in memory, or the copy. */
  #addUpdatedRow(oldKey: TupleData, tuple: TupleData, seq: bigint, commit: bigint): void {
    const unchanged: number[] = [];
    const fields = this.columns.map((column, i) => {
      if (tuple[i] !== unchangedToast) return copyField(column, textOf(tuple[i]));
      unchanged.push(i);
      return '';
    });
    const originKey = this.keyIndexes.map((i) => copyField(this.columns[i]!, textOf(oldKey[i])));
    const previous = this.#latest.find(originKey.join('\t'), () => this.#inMemoryRows());
    this.#pushRow(fields, seq, commit, fillUnchanged(fields, unchanged, originKey, seq, previous));
  }

  #pushRow(fields: string[], seq: bigint, commit: bigint, pending: PendingValues | undefined): void {
    const line = `${fields.join('\t')}\t${seq}\t${commit}\n`;
    this.#openLines.rows.push(line);
    this.#openLines.bytes += line.length;
    if (pending) this.#openLines.pending.push(pending);
    this.#latest.added(line, pending);
  }

  /** The row lines in memory, oldest first (committed ones, then the open transaction's). */
  *#inMemoryRows(): Iterable<{ line: string; pending: PendingValues | undefined }> {
    for (const lines of [this.#readyLines, this.#openLines]) {
      const pending = new Map(lines.pending.map((p) => [p.seq, p]));
      for (const line of lines.rows) {
        yield { line, pending: pending.size > 0 ? pending.get(lineSeq(line)) : undefined };
      }
    }
  }

  #addDelete(tuple: TupleData, seq: bigint, commit: bigint): void {
    const fields = this.keyIndexes.map((i) => copyField(this.columns[i]!, textOf(tuple[i])));
    const line = `${fields.join('\t')}\t${seq}\t${commit}\n`;
    this.#openLines.deletes.push(line);
    this.#openLines.bytes += line.length;
  }

  async #write(
    directory: string,
    lines: Lines,
    into: Chunks,
    resolve: ResolveUnchanged,
  ): Promise<SpilledChunks> {
    const written: SpilledChunks = { bytes: lines.bytes };
    for (const kind of ['rows', 'deletes'] as const) {
      if (lines[kind].length === 0) continue;
      let file = path.join(directory, `${this.relid}-${kind}-${++this.#chunkNumber}.tsv`);
      await writeFile(file, lines[kind].join(''));
      if (kind === 'rows' && lines.pending.length > 0) {
        const earlier = [...this.#committedFiles.rows, ...this.#openFiles.rows];
        const resolved = await resolve(this, file, lines.pending, earlier);
        if (resolved !== file) {
          await rm(file, { force: true });
          file = resolved;
          // The values taken from the copy are in memory once the delta holds the chunk.
          const bytes = (await stat(file)).size;
          written.bytes += bytes;
          const perLine = Math.max(1, bytes / lines.pending.length);
          this.pendingLimit = Math.min(16_384, Math.max(4, Math.floor(resolvedChunkBytes / perLine)));
        }
      }
      if (kind === 'rows') into.rows.push({ file, columns: this.rowColumns });
      else into.deletes.push(file);
      written[kind] = file;
    }
    return written;
  }

  /** A large transaction in progress: its lines so far go to chunk files (to load into the delta). */
  async spillOpen(directory: string, resolve: ResolveUnchanged): Promise<SpilledChunks> {
    const lines = this.#openLines;
    this.#openLines = noLines();
    this.#latest.reset();
    return await this.#write(directory, lines, this.#openFiles, resolve);
  }

  /**
   * Committed lines go to chunk files (to load into the delta, then to flush); returns the
   * files and a TRUNCATE to record, if any.
   */
  async spillReady(directory: string, resolve: ResolveUnchanged): Promise<SpilledChunks> {
    const lines = this.#readyLines;
    this.#readyLines = noLines();
    this.#latest.reset();
    const truncate = this.#readyTruncate;
    this.#readyTruncate = undefined;
    return { ...(await this.#write(directory, lines, this.#committedFiles, resolve)), truncate };
  }

  /** The source transaction committed: its lines and chunks join the committed ones. */
  commitOpen(commitLsn: bigint): void {
    // Loops, not push(...lines): a large transaction has more lines than a call has arguments.
    for (const line of this.#openLines.rows) this.#readyLines.rows.push(line);
    for (const line of this.#openLines.deletes) this.#readyLines.deletes.push(line);
    for (const pending of this.#openLines.pending) this.#readyLines.pending.push(pending);
    this.#readyLines.bytes += this.#openLines.bytes;
    this.#openLines = noLines();
    for (const chunk of this.#openFiles.rows) this.#committedFiles.rows.push(chunk);
    for (const file of this.#openFiles.deletes) this.#committedFiles.deletes.push(file);
    this.#openFiles = { rows: [], deletes: [] };
    if (this.#openTruncate !== undefined) {
      this.#readyTruncate = { seq: this.#openTruncate, commit: commitLsn };
      this.#committedTruncate = this.#openTruncate;
      this.#committedRowsDelta = this.#openRowsDelta;
    } else {
      this.#committedRowsDelta += this.#openRowsDelta;
    }
    this.#openTruncate = undefined;
    this.#openRowsDelta = 0;
  }

  /** The source transaction was cut off: forget its changes. */
  async abortOpen(): Promise<void> {
    const files = [...this.#openFiles.rows.map((r) => r.file), ...this.#openFiles.deletes];
    this.#openFiles = { rows: [], deletes: [] };
    this.#openLines = noLines();
    this.#latest.reset();
    this.#openTruncate = undefined;
    this.#openRowsDelta = 0;
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }

  /** After a flush (or when the pending changes are thrown away): delete the committed chunks. */
  async clearCommitted(): Promise<void> {
    const files = [...this.#committedFiles.rows.map((r) => r.file), ...this.#committedFiles.deletes];
    this.#committedFiles = { rows: [], deletes: [] };
    this.schemaChanged = false;
    this.#readyLines = noLines();
    this.#latest.reset();
    this.#readyTruncate = undefined;
    this.#committedTruncate = undefined;
    this.#committedRowsDelta = 0;
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }
}

function textOf(value: TupleData[number] | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value === unchangedToast) throw new Error('unchanged TOAST value reached the encoder');
  return typeof value === 'string' ? value : value.toString('utf8');
}

/** The new tuple with its unchanged values taken from the full old row, where it has them. */
function withOldValues(tuple: TupleData, oldTuple: TupleData): TupleData {
  return tuple.map((value, i) => {
    const old = oldTuple[i];
    return value === unchangedToast && old !== undefined ? old : value;
  });
}
