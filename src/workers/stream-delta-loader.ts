/**
 * Loads streamed changes (chunk files of COPY text) into the delta's open
 * DuckDB transaction, which commits at a source commit so a query never sees
 * part of a transaction. If the delta grows past `maxDeltaBytes` inside one
 * transaction, the DuckDB transaction is rolled back and the changes reach
 * queries through the flush at its commit instead.
 */
import { errorMessage } from '../errors.js';
import type { StreamState } from './stream-state.js';
import type { SpilledChunks, StreamedTable } from './streamed-table.js';

export class DeltaLoader {
  readonly #state: StreamState;

  constructor(state: StreamState) {
    this.#state = state;
  }

  /** Loads chunk files into the delta's DuckDB transaction, unless only a flush can show them now. */
  async load(table: StreamedTable, files: SpilledChunks): Promise<void> {
    const state = this.#state;
    if (table.phase === 'stopped') return;
    if (state.flushRequired) {
      // Shown by the next flush; a table being copied is not flushed, so its delta gets them then.
      if (table.phase !== 'streaming') table.unloaded.push(files);
      return;
    }
    const delta = state.options.delta;
    await delta.begin();
    const key = state.deltaKey(table);
    try {
      if (files.rows) await delta.load(key, 'rows', files.rows, table.rowColumns);
      if (files.deletes) await delta.load(key, 'deletes', files.deletes, table.deleteColumns);
      if (files.truncate) await delta.insertTruncate(key, files.truncate.seq, files.truncate.commit);
    } catch (error) {
      // A value the engine cannot take (NaN in a numeric(p,s), say): this table stops, and the
      // aborted DuckDB transaction's other changes are shown by the next flush.
      await delta.rollback();
      state.flushRequired = true;
      await state.stop(table, `a change could not be stored: ${errorMessage(error)}`);
      return;
    }
    state.deltaBytes += files.bytes;
    if (state.deltaBytes > state.options.maxDeltaBytes) {
      // Too much for memory: drop the delta's uncommitted part; the flush at the next commit shows it.
      state.log.info('delta full inside a transaction; it becomes visible through a flush at its commit');
      await delta.rollback();
      state.flushRequired = true;
    }
  }

  /** One table's committed changes still in memory go to chunk files and into the delta. */
  async loadReady(table: StreamedTable): Promise<void> {
    await this.load(table, await table.spillReady(this.#state.scratch, this.#state.resolveUnchanged));
  }

  /** Committed changes still in memory go to chunk files and into the delta. */
  async materialize(): Promise<void> {
    for (const table of this.#state.tables.values()) {
      if (table.hasReady) await this.loadReady(table);
    }
  }
}
