/**
 * Schema changes of a streamed table, followed without a re-copy where the
 * copy can (relation messages of the stream announce them): added columns
 * (with no default, or a constant one), dropped and renamed columns, and type
 * changes whose stored values read the same in the new type. The foreign table
 * (columnar.*) is altered to match in the same step.
 */
import { PgError, SqlState } from '../errors.js';
import type { ColumnSpec, IngestColumn, SourceColumn } from '../source/column-types.js';
import { ingestColumn } from '../source/column-types.js';
import type { RelationMessage } from '../source/pgoutput/index.js';
import { readSourceTable } from '../source/table-schema.js';
import { missingValue, readAddedColumnRows } from './added-column-defaults.js';
import { columnAsStreamed } from './relation-column-type.js';
import type { StreamState } from './stream-state.js';
import type { StreamedTable } from './streamed-table.js';
import { followsInPlace } from './type-changes.js';

/** Where in the stream a schema change was found: the change (seq) of the transaction committing at `commit`. */
export interface ChangePosition {
  commit: bigint;
  seq: bigint;
}

/**
 * Follows a schema change without a re-copy where the copy can: ADD COLUMN (rows already there
 * read NULL, or the constant default PostgreSQL stored for them), DROP COLUMN, RENAME COLUMN
 * (the column keeps its stored name), and type changes the stored values follow (type-changes.ts):
 * later rows are written with the new columns, segments are read by stored name. Returns why not
 * for anything else (the caller has the table copied again).
 */
export async function evolveSchema(
  state: StreamState,
  table: StreamedTable,
  relation: RelationMessage,
  at: ChangePosition,
): Promise<string | null> {
  if (table.phase !== 'streaming') return 'a copy in progress cannot follow it';
  const change = new SchemaChange(state, table, relation.columns, at, await identities(state, table));
  let refused: string | null;
  try {
    refused =
      relation.columns.length === table.columns.length
        ? await change.inPlace()
        : await change.addedOrDropped();
  } catch (error) {
    // A column the copy cannot hold (an unsupported type): the copy made again says so.
    if (error instanceof PgError && error.code === SqlState.featureNotSupported) return error.message;
    throw error;
  }
  if (refused) return refused;
  await change.apply();
  // The relation is the copy's now: later changes with it need no check (one would compare the
  // catalog's dropped columns, which may already count a later DROP, with the copy's).
  table.schemaMismatch(relation);
  return null;
}

/**
 * The copy takes `columns` (the same names in the same order, other types or enum labels) as
 * they are; the stored values need no change.
 */
export async function replaceColumns(
  state: StreamState,
  table: StreamedTable,
  columns: readonly IngestColumn[],
): Promise<void> {
  const now = columns.map((c) => ({ name: c.name, typeOid: c.pgTypeOid, typeModifier: c.pgTypeModifier }));
  const change = new SchemaChange(
    state,
    table,
    now as RelationMessage['columns'],
    { commit: 0n, seq: 0n },
    await identities(state, table),
  );
  change.take(columns);
  await change.apply();
}

/** The columns a relation message leads to, worked out before anything is changed. */
class SchemaChange {
  readonly #state: StreamState;
  readonly #table: StreamedTable;
  /** The columns as the stream describes them now. */
  readonly #now: RelationMessage['columns'];
  /** The live columns of the copy. */
  readonly #live: readonly IngestColumn[];
  readonly #storedAs = new Map<string, string>();
  readonly #next: IngestColumn[] = [];
  readonly #dropped: ColumnSpec[] = [];
  readonly #widened: IngestColumn[] = [];
  /** Old name → new name of the columns renamed. */
  readonly #renames: Record<string, string> = {};
  readonly #at: ChangePosition;
  /** Which source column (attnum) each column of the copy is, and each column is now. */
  readonly #known: ReadonlyMap<string, number>;
  readonly #ids: Identities;
  readonly #current: ReadonlyMap<string, number>;
  /** Which source column each column is after the change. */
  readonly #identity = new Map<string, number>();
  #source: Awaited<ReturnType<typeof readSourceTable>> | undefined;

  constructor(
    state: StreamState,
    table: StreamedTable,
    now: RelationMessage['columns'],
    at: ChangePosition,
    ids: Identities,
  ) {
    this.#ids = ids;
    this.#known = ids.known;
    this.#current = ids.current;
    this.#state = state;
    this.#table = table;
    this.#now = now;
    this.#at = at;
    this.#live = table.columns;
    for (const c of this.#live)
      if (table.storedName(c.name) !== c.name) this.#storedAs.set(c.name, table.storedName(c.name));
  }

  /**
   * The source's column as the stream describes it: as the catalog has it now (read once, when
   * first needed), or at the stream's type when the table changed it again since.
   */
  async #sourceColumn(wanted: RelationMessage['columns'][number]): Promise<SourceColumn | undefined> {
    this.#source ??= await readSourceTable(this.#state.catalog, this.#table.relid);
    const now = this.#source.columns.find((c) => c.name === wanted.name);
    if (now && now.typeOid === wanted.typeOid && now.typeModifier === wanted.typeModifier) return now;
    return await columnAsStreamed(this.#state.catalog, wanted.name, wanted.typeOid, wanted.typeModifier);
  }

  /** Same number of columns: renames and type changes, position by position. */
  async inPlace(): Promise<string | null> {
    const table = this.#table;
    for (const [i, old] of this.#live.entries()) {
      const wanted = this.#now[i]!;
      const sameType = wanted.typeOid === old.pgTypeOid && wanted.typeModifier === old.pgTypeModifier;
      if (wanted.name === old.name && readded(this.#known, this.#current, old.name)) {
        return `column ${old.name} was dropped and added again`;
      }
      if (wanted.name === old.name && sameType) {
        this.#keep(old.name);
        this.#next.push(old);
        continue;
      }
      const current = await this.#sourceColumn(wanted);
      if (!current) return `column ${wanted.name} has type ${wanted.typeOid}, which cannot be copied`;
      // Rows written before a column with a default was added read it still, renamed or widened.
      const column: IngestColumn = old.missing
        ? { ...ingestColumn(current), missing: old.missing }
        : ingestColumn(current);
      if (wanted.name !== old.name) {
        // A rename keeps the column (its attnum); a column dropped and another added do not.
        const attnum = this.#current.get(wanted.name);
        if (attnum === undefined || attnum !== this.#known.get(old.name)) {
          return `column ${old.name} was dropped and ${wanted.name} added (or changed again since)`;
        }
        this.#identity.set(wanted.name, attnum);
        if (
          !sameType ||
          this.#live.some((c) => c.name === wanted.name) ||
          this.#now.some((n) => n.name === old.name)
        ) {
          return 'columns were renamed and changed at once';
        }
        if (table.keyColumns.includes(old.name) || table.orderBy.includes(old.name)) {
          return `key or sort column ${old.name} was renamed`;
        }
        this.#storedAs.delete(old.name);
        this.#storedAs.set(wanted.name, table.storedName(old.name));
        this.#renames[old.name] = wanted.name;
      } else if (table.keyColumns.includes(old.name)) {
        return `key column ${old.name} changed type from ${old.pgType} to ${column.pgType}`;
      } else if (!followsInPlace(old, column)) {
        return `column ${old.name} changed type from ${old.pgType} to ${column.pgType}, which changes its values`;
      } else {
        this.#keep(old.name);
        this.#widened.push(column);
      }
      this.#next.push(column);
    }
    return null;
  }

  /** The columns are replaced as they are (replaceColumns). */
  take(columns: readonly IngestColumn[]): void {
    for (const c of columns) this.#keep(c.name);
    this.#next.push(...columns);
  }

  /** A column stays the source column it was. */
  #keep(name: string): void {
    const attnum = this.#known.get(name) ?? this.#current.get(name);
    if (attnum !== undefined) this.#identity.set(name, attnum);
  }

  /** Columns dropped, and columns added at the end; the others unchanged and in place. */
  async addedOrDropped(): Promise<string | null> {
    const table = this.#table;
    const now = this.#now;
    const kept = this.#live.filter((c) => now.some((n) => n.name === c.name));
    const same = (c: IngestColumn, i: number) =>
      now[i]!.name === c.name && now[i]!.typeOid === c.pgTypeOid && now[i]!.typeModifier === c.pgTypeModifier;
    if (!kept.every(same))
      return 'columns were renamed, moved or changed type at once with others added or dropped';
    if (table.keyColumns.some((k) => !kept.some((c) => c.name === k))) return 'a key column was dropped';
    if (table.orderBy.some((k) => !kept.some((c) => c.name === k))) return 'a sort column was dropped';
    const again = kept.find((c) => readded(this.#known, this.#current, c.name));
    if (again) return `column ${again.name} was dropped and added again`;
    for (const c of kept) this.#keep(c.name);
    for (const c of this.#live) {
      if (kept.includes(c)) continue;
      this.#dropped.push({ ...table.specOf(c), dropped: true, storedAs: table.storedName(c.name) });
      this.#storedAs.delete(c.name);
    }
    this.#next.push(...kept);
    return await this.#added(kept.length);
  }

  /**
   * The columns after the first `keptCount`, all added, each under a free stored name: rows
   * already there read NULL, or the constant default PostgreSQL stored for them.
   */
  async #added(keptCount: number): Promise<string | null> {
    const addedNames = this.#now.slice(keptCount).map((c) => c.name);
    if (addedNames.length === 0) return null;
    const olderRows = await readAddedColumnRows(this.#state.catalog, this.#table.relid, addedNames);
    const taken = new Set([...this.#table.storedNames, ...this.#dropped.map((d) => d.storedAs!)]);
    for (const [i, name] of addedNames.entries()) {
      const wanted = this.#now[keptCount + i]!;
      const current = await this.#sourceColumn(wanted);
      if (!current) return `column ${name} has type ${wanted.typeOid}, which cannot be copied`;
      const rows = olderRows.get(name);
      if (!rows || rows.kind === 'unknown') {
        return `column ${name} was added with a volatile default, which gave every row already there a value of its own (PostgreSQL rewrote the table)`;
      }
      // A volatile default dropped again before the stream got here leaves no trace but the
      // rewrite: the rows may hold values the WAL never carried.
      if (rows.kind === 'null' && this.#ids.rewritten) {
        return `column ${name} was added while the table was rewritten (a volatile default dropped since, or another rewrite), so the rows already there may hold values the stream never sent`;
      }
      // A name an older column was stored under is taken: its old values are in the segments.
      let stored = name;
      for (let n = 2; taken.has(stored); n++) stored = `${name}~${n}`;
      taken.add(stored);
      if (stored !== name) this.#storedAs.set(name, stored);
      const attnum = this.#current.get(name);
      if (attnum !== undefined) this.#identity.set(name, attnum);
      const column = ingestColumn(current);
      this.#next.push(
        rows.kind === 'constant'
          ? { ...column, missing: missingValue(column, rows.text, this.#at.commit, this.#at.seq) }
          : column,
      );
    }
    return null;
  }

  /** The table and its delta take the new columns. */
  async apply(): Promise<void> {
    const { options, scratch } = this.#state;
    const table = this.#table;
    // The delta cannot be altered inside its open transaction: what it holds is shown by a flush.
    if (options.delta.inTransaction) await options.delta.rollback();
    this.#state.flushRequired = true;
    // Committed lines first: chunks keep the stream's order (unchanged-values.ts).
    await table.spillReady(scratch, this.#state.resolveUnchanged);
    await table.spillOpen(scratch, this.#state.resolveUnchanged);
    const storedBefore = new Set(this.#live.map((c) => table.storedName(c.name)));
    table.evolve(this.#next, this.#storedAs, this.#dropped);
    this.#state.attnums.set(table, this.#identity);
    if (this.#ids.filenode !== null) this.#state.filenodes.set(table, this.#ids.filenode);
    // The delta gets new stored columns (added ones) and wider types; renamed ones stay as stored.
    for (const column of this.#next) {
      if (!storedBefore.has(table.storedName(column.name)) || this.#widened.includes(column)) {
        await options.delta.addOrWidenColumn(this.#state.deltaKey(table), table.specOf(column));
      }
    }
    this.#state.log.info('followed a schema change', {
      table: table.name,
      columns: this.#now.map((c) => c.name),
    });
    await this.#state.followForeignTable(table.relid, this.#renames);
  }
}

interface Identities {
  /** Which source column (attnum) each column of the copy is, by name. */
  known: ReadonlyMap<string, number>;
  /** The source's live columns now (the catalog may be ahead of the stream). */
  current: ReadonlyMap<string, number>;
  /** The table's file now, and whether it changed since the copy last followed the table. */
  filenode: string | null;
  rewritten: boolean;
}

async function identities(state: StreamState, table: StreamedTable): Promise<Identities> {
  const current = await state.liveAttnums(table.relid);
  const filenode = await state.filenode(table.relid);
  const before = state.filenodes.get(table);
  const rewritten = filenode !== null && before !== undefined && before !== filenode;
  return { known: state.attnums.get(table) ?? current, current, filenode, rewritten };
}

/**
 * A column of the copy that is now another column of the same name: dropped and added again.
 * A column dropped since (which the catalog may show before the stream gets there) is not.
 */
function readded(
  known: ReadonlyMap<string, number>,
  current: ReadonlyMap<string, number>,
  name: string,
): boolean {
  const before = known.get(name);
  const now = current.get(name);
  return before !== undefined && now !== undefined && before !== now;
}

/**
 * For a relation message with the copy's columns: why the copy cannot go on (a column of the
 * same name and type dropped and added again: the rows already there read NULL or its default,
 * not the old values), or null.
 */
export async function readdedColumns(state: StreamState, table: StreamedTable): Promise<string | null> {
  const { known, current } = await identities(state, table);
  if (!state.attnums.has(table)) state.attnums.set(table, current);
  const again = table.columns.filter((c) => readded(known, current, c.name)).map((c) => c.name);
  return again.length > 0 ? `column ${again.join(', ')} was dropped and added again` : null;
}

/** Column lists equal in what decides storage (jsonb does not keep the key order of a spec). */
export function sameColumns(a: readonly ColumnSpec[], b: readonly ColumnSpec[]): boolean {
  const fields = (c: ColumnSpec) =>
    [c.name, c.pgTypeOid, c.pgTypeModifier, c.storageType, c.queryType].join('\u0000');
  return a.length === b.length && a.every((c, i) => fields(c) === fields(b[i]!));
}
