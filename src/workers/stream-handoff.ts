/**
 * Handoff from a copy to the stream. A table being copied is registered with
 * the stream first; changes for it wait until the copy's temporary slot gives
 * its consistent point, then transactions committing from that point on are
 * applied to the new generation (the copy holds everything before it), and
 * the slot is not confirmed past where the stream stood when the copy began,
 * so a crash in the middle loses nothing.
 */
import type { TableEntry } from '../catalog/catalog.js';
import type { IngestColumn } from '../source/column-types.js';
import type { StreamState } from './stream-state.js';
import { StreamedTable } from './streamed-table.js';

export interface Handoff {
  /** The copy's snapshot is taken: transactions committing at or after `lsn` are the stream's. */
  established(lsn: bigint): void;
  /** The copy is visible: the table streams into its new generation. */
  published(): Promise<void>;
  /** The copy failed: the table waits for the next one. */
  failed(): Promise<void>;
}

/** Registers a table about to be copied; see Handoff. */
export async function beginHandoff(
  state: StreamState,
  entry: TableEntry,
  columns: readonly IngestColumn[],
): Promise<Handoff> {
  const previous = state.tables.get(entry.relid);
  if (previous) await state.forget(previous);
  const table = new StreamedTable(entry, columns, 'establishing', entry.generation + 1, 0n);
  let establish: () => void = () => undefined;
  table.established = new Promise<void>((resolve) => {
    establish = resolve;
  });
  let copied: () => void = () => undefined;
  table.copied = new Promise<void>((resolve) => {
    copied = resolve;
  });
  table.droppedAttributes = await state.droppedAttributes(entry.relid);
  await state.baseline(table);
  state.tables.set(entry.relid, table);
  state.holds.set(entry.relid, state.received);
  await state.leaveDeltaTransaction();
  await state.options.delta.ensure(state.deltaKey(table), table.specs, table.keyColumns);
  return {
    established: (lsn) => {
      table.watermark = lsn;
      table.phase = 'copying';
      establish();
    },
    published: async () => {
      copied();
      if (state.tables.get(entry.relid) !== table) return;
      state.holds.delete(entry.relid);
      // columnar.* gets the columns of the copy (a re-copy follows changes the stream could not).
      await state.followForeignTable(entry.relid, {});
      // It stopped during the copy for a re-copy: the publication left the table 'pending'.
      if (table.phase === 'stopped' && state.recopying.has(table)) return;
      if (table.phase === 'stopped') {
        // It stopped during the copy: the publication cleared the error; say it again.
        await state.stop(table, table.stopReason ?? 'the stream could not follow it during the copy');
        return;
      }
      table.phase = 'streaming';
      await state.leaveDeltaTransaction();
      for (const key of state.options.delta.keysOf(state.options.database)) {
        if (key.relid === entry.relid && key.generation < table.generation)
          await state.options.delta.drop(key);
      }
    },
    failed: async () => {
      copied();
      if (state.tables.get(entry.relid) !== table) return;
      table.phase = 'stopped';
      establish();
      await state.forget(table);
    },
  };
}
