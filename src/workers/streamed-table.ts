/**
 * One streamed table inside the stream worker: turns its decoded changes into
 * lines of COPY text (rows: the columns, `_pga_seq`, `_pga_commit`; deletes:
 * the key columns, `_pga_seq`, `_pga_commit`), spills them to chunk files that
 * the delta loads and that the next flush turns into segments, and keeps what
 * belongs to the source transaction in progress apart from what is committed,
 * so a transaction cut off by a lost connection can be dropped whole.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TableEntry } from '../catalog/catalog.js';
import { PgError, SqlState } from '../errors.js';
import {
  type ColumnSpec,
  columnSpec,
  type IngestColumn,
  quoteIdent,
  sequenceColumn,
} from '../source/column-types.js';
import { copyField } from '../source/output-text.js';
import { type RelationMessage, type TupleData, unchangedToast } from '../source/pgoutput/index.js';

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

interface Chunks {
  rows: string[];
  deletes: string[];
}

export class StreamedTable {
  readonly relid: number;
  readonly name: string;
  readonly orderBy: readonly string[];
  readonly keyColumns: readonly string[];
  readonly columns: readonly IngestColumn[];
  readonly keyIndexes: readonly number[];
  /** The generation changes are applied to. */
  generation: number;
  /** Transactions whose commit record starts below this are in the segments (or the copy): skip them. */
  watermark: bigint;
  phase: StreamPhase;
  /** Resolved once an establishing copy knows its consistent point. */
  established: Promise<void> | undefined;

  #checkedRelation: RelationMessage | undefined;
  #rowLines: string[] = [];
  #deleteLines: string[] = [];
  #bufferedBytes = 0;
  /** Chunk files of the transaction in progress, and of committed transactions not yet flushed. */
  #open: Chunks = { rows: [], deletes: [] };
  #committed: Chunks = { rows: [], deletes: [] };
  #openTruncate: bigint | undefined;
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
  ) {
    this.relid = entry.relid;
    this.name = `${quoteIdent(entry.schemaName)}.${quoteIdent(entry.tableName)}`;
    this.orderBy = entry.orderBy;
    this.keyColumns = entry.keyColumns ?? [];
    this.columns = columns;
    this.keyIndexes = this.keyColumns.map((k) => columns.findIndex((c) => c.name === k));
    if (this.keyIndexes.some((i) => i < 0)) {
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

  get specs(): ColumnSpec[] {
    return this.columns.map(columnSpec);
  }

  /** Columns of a row chunk and of a delete chunk, as the delta and the segment writer read them. */
  get rowColumns(): IngestColumn[] {
    return [...this.columns, ...sequence];
  }

  get deleteColumns(): IngestColumn[] {
    return [...this.keyIndexes.map((i) => this.columns[i]!), ...sequence];
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Committed changes wait for a flush. */
  get hasPending(): boolean {
    return (
      this.#committed.rows.length > 0 ||
      this.#committed.deletes.length > 0 ||
      this.#committedTruncate !== undefined
    );
  }

  get committedChunks(): Readonly<Chunks> {
    return this.#committed;
  }

  get committedTruncate(): bigint | undefined {
    return this.#committedTruncate;
  }

  get committedRowsDelta(): number {
    return this.#committedRowsDelta;
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

  /** An update: the old version is deleted by key, the new one added, both at the change's sequence. */
  update(
    oldTuple: TupleData | undefined,
    fullOld: boolean,
    newTuple: TupleData,
    seq: bigint,
    commit: bigint,
  ): void {
    const row = this.#withUnchanged(newTuple, fullOld ? oldTuple : undefined);
    this.#addDelete(oldTuple ?? newTuple, seq, commit);
    this.#addRow(row, seq, commit);
  }

  delete(oldTuple: TupleData, seq: bigint, commit: bigint): void {
    this.#addDelete(oldTuple, seq, commit);
    this.#openRowsDelta--;
  }

  truncate(seq: bigint): void {
    this.#openTruncate = seq;
    this.#openRowsDelta = 0;
  }

  /** Unchanged TOASTed values of an update are taken from the old row when the stream sent it. */
  #withUnchanged(tuple: TupleData, oldTuple: TupleData | undefined): TupleData {
    if (!tuple.includes(unchangedToast)) return tuple;
    return tuple.map((value, i) => {
      if (value !== unchangedToast) return value;
      const old = oldTuple?.[i];
      if (old === undefined || old === unchangedToast) {
        throw new PgError(
          SqlState.featureNotSupported,
          `an update of ${this.name} left the large value of column ${quoteIdent(this.columns[i]!.name)} unchanged, and the stream did not send it`,
          {
            hint: `ALTER TABLE ${this.name} REPLICA IDENTITY FULL makes PostgreSQL send it; then call analytica.resync('${this.name.replaceAll("'", "''")}')`,
          },
        );
      }
      return old;
    });
  }

  #addRow(tuple: TupleData, seq: bigint, commit: bigint): void {
    const fields = this.columns.map((column, i) => copyField(column, textOf(tuple[i])));
    const line = `${fields.join('\t')}\t${seq}\t${commit}\n`;
    this.#rowLines.push(line);
    this.#bufferedBytes += line.length;
  }

  #addDelete(tuple: TupleData, seq: bigint, commit: bigint): void {
    const fields = this.keyIndexes.map((i) => copyField(this.columns[i]!, textOf(tuple[i])));
    const line = `${fields.join('\t')}\t${seq}\t${commit}\n`;
    this.#deleteLines.push(line);
    this.#bufferedBytes += line.length;
  }

  /** Writes buffered lines to chunk files of the open transaction; returns the new files. */
  async spill(directory: string): Promise<{ rows?: string; deletes?: string }> {
    const written: { rows?: string; deletes?: string } = {};
    for (const kind of ['rows', 'deletes'] as const) {
      const lines = kind === 'rows' ? this.#rowLines : this.#deleteLines;
      if (lines.length === 0) continue;
      const file = path.join(directory, `${this.relid}-${kind}-${++this.#chunkNumber}.tsv`);
      await writeFile(file, lines.join(''));
      this.#open[kind].push(file);
      written[kind] = file;
    }
    this.#rowLines = [];
    this.#deleteLines = [];
    this.#bufferedBytes = 0;
    return written;
  }

  get openTruncate(): bigint | undefined {
    return this.#openTruncate;
  }

  /** The source transaction committed: its chunks join the committed ones. */
  commitOpen(): void {
    this.#committed.rows.push(...this.#open.rows);
    this.#committed.deletes.push(...this.#open.deletes);
    if (this.#openTruncate !== undefined) {
      this.#committedTruncate = this.#openTruncate;
      this.#committedRowsDelta = this.#openRowsDelta;
    } else {
      this.#committedRowsDelta += this.#openRowsDelta;
    }
    this.#open = { rows: [], deletes: [] };
    this.#openTruncate = undefined;
    this.#openRowsDelta = 0;
  }

  /** The source transaction was cut off: forget its changes. */
  async abortOpen(): Promise<void> {
    const files = [...this.#open.rows, ...this.#open.deletes];
    this.#open = { rows: [], deletes: [] };
    this.#rowLines = [];
    this.#deleteLines = [];
    this.#bufferedBytes = 0;
    this.#openTruncate = undefined;
    this.#openRowsDelta = 0;
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }

  /** After a flush (or when the pending changes are thrown away): delete the committed chunks. */
  async clearCommitted(): Promise<void> {
    const files = [...this.#committed.rows, ...this.#committed.deletes];
    this.#committed = { rows: [], deletes: [] };
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
