/**
 * Schema changes of a streamed table, followed without a re-copy where the
 * copy can (relation messages of the stream announce them): added columns
 * without a default, dropped and renamed columns, and widening type changes.
 */
import type { ColumnSpec, IngestColumn } from '../source/column-types.js';
import { ingestColumn } from '../source/column-types.js';
import type { RelationMessage } from '../source/pgoutput/index.js';
import { readSourceTable } from '../source/table-schema.js';
import type { StreamState } from './stream-state.js';
import type { StreamedTable } from './streamed-table.js';

/**
 * Follows a schema change without a re-copy where the copy can: ADD COLUMN without a default
 * (rows already there read NULL, as in PostgreSQL), DROP COLUMN, RENAME COLUMN (the column keeps
 * its stored name), and widening type changes (smallint → integer → bigint, real → double,
 * longer varchar or text, numeric with more digits): later rows are written with the new
 * columns, segments are read by stored name. Returns why not for anything else.
 */
export async function evolveSchema(
  state: StreamState,
  table: StreamedTable,
  relation: RelationMessage,
  columnsDropped: boolean,
): Promise<string | null> {
  if (table.phase !== 'streaming') return 'a copy in progress cannot follow it';
  const change = new SchemaChange(state, table, relation);
  const refused =
    relation.columns.length === table.columns.length
      ? await change.inPlace(columnsDropped)
      : await change.addedOrDropped();
  if (refused) return refused;
  await change.apply();
  return null;
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
  #source: Awaited<ReturnType<typeof readSourceTable>> | undefined;

  constructor(state: StreamState, table: StreamedTable, relation: RelationMessage) {
    this.#state = state;
    this.#table = table;
    this.#now = relation.columns;
    this.#live = table.columns;
    for (const c of this.#live)
      if (table.storedName(c.name) !== c.name) this.#storedAs.set(c.name, table.storedName(c.name));
  }

  /** The source's column of that name as it is now (read once, when first needed). */
  async #sourceColumn(name: string) {
    this.#source ??= await readSourceTable(this.#state.catalog, this.#table.relid);
    return this.#source.columns.find((c) => c.name === name);
  }

  /** Same number of columns: renames and type changes, position by position. */
  async inPlace(columnsDropped: boolean): Promise<string | null> {
    const table = this.#table;
    for (const [i, old] of this.#live.entries()) {
      const wanted = this.#now[i]!;
      const sameType = wanted.typeOid === old.pgTypeOid && wanted.typeModifier === old.pgTypeModifier;
      if (wanted.name === old.name && sameType) {
        this.#next.push(old);
        continue;
      }
      const current = await this.#sourceColumn(wanted.name);
      if (!current || current.typeOid !== wanted.typeOid || current.typeModifier !== wanted.typeModifier) {
        return `column ${wanted.name} changed again since`;
      }
      const column = ingestColumn(current);
      if (wanted.name !== old.name) {
        if (columnsDropped) return 'columns were dropped and added, which is not told apart from a rename';
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
      } else if (table.keyColumns.includes(old.name)) {
        return `key column ${old.name} changed type`;
      } else if (!widens(old, column)) {
        return `column ${old.name} changed type from ${old.pgType} to ${column.pgType}`;
      } else {
        this.#widened.push(column);
      }
      this.#next.push(column);
    }
    return null;
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
    for (const c of this.#live) {
      if (kept.includes(c)) continue;
      this.#dropped.push({ ...table.specOf(c), dropped: true, storedAs: table.storedName(c.name) });
      this.#storedAs.delete(c.name);
    }
    this.#next.push(...kept);
    return await this.#added(kept.length);
  }

  /** The columns after the first `keptCount`, all added: each without a default, under a free stored name. */
  async #added(keptCount: number): Promise<string | null> {
    const addedNames = this.#now.slice(keptCount).map((c) => c.name);
    if (addedNames.length === 0) return null;
    const { rows } = await this.#state.catalog.query<{ attname: string; valued: boolean }>(
      `SELECT attname, atthasdef OR atthasmissing AS valued FROM pg_attribute
        WHERE attrelid = $1 AND attname = ANY($2::text[])`,
      [this.#table.relid, addedNames],
    );
    const taken = new Set([...this.#table.storedNames, ...this.#dropped.map((d) => d.storedAs!)]);
    for (const [i, name] of addedNames.entries()) {
      const current = await this.#sourceColumn(name);
      const wanted = this.#now[keptCount + i]!;
      if (!current || current.typeOid !== wanted.typeOid || current.typeModifier !== wanted.typeModifier) {
        return `column ${name} changed again since`;
      }
      // A default gives the rows already there a value the stream never sends.
      if (rows.find((r) => r.attname === name)?.valued) return `column ${name} was added with a default`;
      // A name an older column was stored under is taken: its old values are in the segments.
      let stored = name;
      for (let n = 2; taken.has(stored); n++) stored = `${name}~${n}`;
      taken.add(stored);
      if (stored !== name) this.#storedAs.set(name, stored);
      this.#next.push(ingestColumn(current));
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
  }
}

/** A type change whose old values read the same in the new type (PostgreSQL's rewrite is not streamed). */
function widens(old: IngestColumn, next: IngestColumn): boolean {
  if (old.outputText !== 'plain' || next.outputText !== 'plain') return false;
  const order = ['SMALLINT', 'INTEGER', 'BIGINT'];
  if (order.includes(old.storageType) && order.includes(next.storageType)) {
    return order.indexOf(next.storageType) >= order.indexOf(old.storageType);
  }
  if (old.storageType === 'FLOAT' && next.storageType === 'DOUBLE') return true;
  const textual = (c: IngestColumn) => /^(character varying|text)/.test(c.pgType);
  if (textual(old) && textual(next)) return true;
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/;
  const a = decimal.exec(old.storageType);
  const b = decimal.exec(next.storageType);
  return !!a && !!b && a[2] === b[2] && Number(b[1]) >= Number(a[1]);
}

/** Column lists equal in what decides storage (jsonb does not keep the key order of a spec). */
export function sameColumns(a: readonly ColumnSpec[], b: readonly ColumnSpec[]): boolean {
  const fields = (c: ColumnSpec) =>
    [c.name, c.pgTypeOid, c.pgTypeModifier, c.storageType, c.queryType].join('\u0000');
  return a.length === b.length && a.every((c, i) => fields(c) === fields(b[i]!));
}
