/**
 * Which tables the change stream serves: the streamed tables of the catalog with a current copy
 * the worker does not know yet are taken over (adopted: when it starts), and those unregistered
 * or dropped are forgotten. A copy the worker makes itself joins through a handoff instead.
 */
import type { TableEntry } from '../catalog/catalog.js';
import { columnSpec, type IngestColumn, ingestColumn } from '../source/column-types.js';
import { parseLsn } from '../source/pgoutput/index.js';
import { readSourceTable } from '../source/table-schema.js';
import { sameColumns } from './schema-evolution.js';
import type { StreamState } from './stream-state.js';
import { StreamedTable } from './streamed-table.js';

/** Brings the set of streamed tables in line with the catalog (called on every launcher pass). */
export async function syncStreamedTables(state: StreamState, entries: readonly TableEntry[]): Promise<void> {
  const streamed = new Map(entries.filter((e) => e.mode === 'stream').map((e) => [e.relid, e]));
  for (const [relid, table] of state.tables) {
    const entry = streamed.get(relid);
    if (!entry?.sourceExists) await state.forget(table);
  }
  for (const entry of streamed.values()) {
    if (state.tables.has(entry.relid) || !entry.sourceExists) continue;
    if (entry.generation === 0 || entry.state !== 'synced' || !entry.columns) continue;
    await adopt(state, entry);
  }
}

/**
 * A table copied before this worker started: stream it from its watermark, with the columns of
 * the copy (a column added since shows up in the stream and is followed there).
 */
async function adopt(state: StreamState, entry: TableEntry): Promise<void> {
  const source = await readSourceTable(state.catalog, entry.relid);
  const specs = entry.columns ?? [];
  const live = specs.filter((c) => !c.dropped);
  const columns = live.map((spec) => {
    const column = source.columns.find(
      (c) => c.name === spec.name && c.typeOid === spec.pgTypeOid && c.typeModifier === spec.pgTypeModifier,
    );
    // Rows written before a column with a default was added still read the default.
    if (!column) return undefined;
    return spec.missing ? { ...ingestColumn(column), missing: spec.missing } : ingestColumn(column);
  });
  const found = columns.filter((c): c is IngestColumn => c !== undefined);
  const table = new StreamedTable(
    entry,
    found.length === live.length ? found : source.columns.map(ingestColumn),
    'streaming',
    entry.generation,
    parseLsn(entry.syncedLsn ?? '0/0'),
    specs,
  );
  table.droppedAttributes = await state.droppedAttributes(entry.relid);
  await state.baseline(table);
  state.tables.set(entry.relid, table);
  await state.leaveDeltaTransaction();
  await state.options.delta.ensure(state.deltaKey(table), table.specs, table.keyColumns);
  if (found.length !== live.length || !sameColumns(found.map(columnSpec), live)) {
    await state.recopy(table, `the columns of ${table.name} changed while the daemon was not running`);
  }
}
