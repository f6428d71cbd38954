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
  const now = relation.columns;
  const live = table.columns;
  const storedAs = new Map<string, string>();
  for (const c of live)
    if (table.storedName(c.name) !== c.name) storedAs.set(c.name, table.storedName(c.name));
  let source: Awaited<ReturnType<typeof readSourceTable>> | undefined;
  const sourceColumn = async (name: string) => {
    source ??= await readSourceTable(state.catalog, table.relid);
    return source.columns.find((c) => c.name === name);
  };
  const next: IngestColumn[] = [];
  const dropped: ColumnSpec[] = [];
  const widened: IngestColumn[] = [];
  if (now.length === live.length) {
    // Same columns in place: renames and type changes, position by position.
    for (const [i, old] of live.entries()) {
      const wanted = now[i]!;
      const sameType = wanted.typeOid === old.pgTypeOid && wanted.typeModifier === old.pgTypeModifier;
      if (wanted.name === old.name && sameType) {
        next.push(old);
        continue;
      }
      const current = await sourceColumn(wanted.name);
      if (!current || current.typeOid !== wanted.typeOid || current.typeModifier !== wanted.typeModifier) {
        return `column ${wanted.name} changed again since`;
      }
      const column = ingestColumn(current);
      if (wanted.name !== old.name) {
        if (columnsDropped) return 'columns were dropped and added, which is not told apart from a rename';
        if (!sameType || live.some((c) => c.name === wanted.name) || now.some((n) => n.name === old.name)) {
          return 'columns were renamed and changed at once';
        }
        if (table.keyColumns.includes(old.name) || table.orderBy.includes(old.name)) {
          return `key or sort column ${old.name} was renamed`;
        }
        storedAs.delete(old.name);
        storedAs.set(wanted.name, table.storedName(old.name));
      } else if (table.keyColumns.includes(old.name)) {
        return `key column ${old.name} changed type`;
      } else if (!widens(old, column)) {
        return `column ${old.name} changed type from ${old.pgType} to ${column.pgType}`;
      } else {
        widened.push(column);
      }
      next.push(column);
    }
  } else {
    const kept = live.filter((c) => now.some((n) => n.name === c.name));
    const same = (c: IngestColumn, i: number) =>
      now[i]!.name === c.name && now[i]!.typeOid === c.pgTypeOid && now[i]!.typeModifier === c.pgTypeModifier;
    if (!kept.every(same))
      return 'columns were renamed, moved or changed type at once with others added or dropped';
    if (table.keyColumns.some((k) => !kept.some((c) => c.name === k))) return 'a key column was dropped';
    if (table.orderBy.some((k) => !kept.some((c) => c.name === k))) return 'a sort column was dropped';
    for (const c of live) {
      if (kept.includes(c)) continue;
      dropped.push({ ...table.specOf(c), dropped: true, storedAs: table.storedName(c.name) });
      storedAs.delete(c.name);
    }
    next.push(...kept);
    const addedNames = now.slice(kept.length).map((c) => c.name);
    if (addedNames.length > 0) {
      const { rows } = await state.catalog.query<{ attname: string; valued: boolean }>(
        `SELECT attname, atthasdef OR atthasmissing AS valued FROM pg_attribute
          WHERE attrelid = $1 AND attname = ANY($2::text[])`,
        [table.relid, addedNames],
      );
      const taken = new Set([...table.storedNames, ...dropped.map((d) => d.storedAs!)]);
      for (const [i, name] of addedNames.entries()) {
        const current = await sourceColumn(name);
        const wanted = now[kept.length + i]!;
        if (!current || current.typeOid !== wanted.typeOid || current.typeModifier !== wanted.typeModifier) {
          return `column ${name} changed again since`;
        }
        // A default gives the rows already there a value the stream never sends.
        if (rows.find((r) => r.attname === name)?.valued) return `column ${name} was added with a default`;
        // A name an older column was stored under is taken: its old values are in the segments.
        let stored = name;
        for (let n = 2; taken.has(stored); n++) stored = `${name}~${n}`;
        taken.add(stored);
        if (stored !== name) storedAs.set(name, stored);
        next.push(ingestColumn(current));
      }
    }
  }
  // The delta cannot be altered inside its open transaction: what it holds is shown by a flush.
  if (state.options.delta.inTransaction) await state.options.delta.rollback();
  state.flushRequired = true;
  await table.spillOpen(state.scratch);
  await table.spillReady(state.scratch);
  const storedBefore = new Set(live.map((c) => table.storedName(c.name)));
  table.evolve(next, storedAs, dropped);
  // The delta gets new stored columns (added ones) and wider types; renamed ones stay as stored.
  for (const column of next) {
    if (!storedBefore.has(table.storedName(column.name)) || widened.includes(column)) {
      await state.options.delta.addOrWidenColumn(state.deltaKey(table), table.specOf(column));
    }
  }
  state.log.info('followed a schema change', { table: table.name, columns: now.map((c) => c.name) });
  return null;
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
