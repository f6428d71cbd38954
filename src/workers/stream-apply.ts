/**
 * Applies decoded pgoutput messages: each source transaction's changes become
 * COPY-text lines per table (see StreamedTable), spilled to chunk files every
 * `chunkBytes` and loaded into the delta; at a commit the transaction joins
 * the committed changes, and a boundary (StreamFlusher.atBoundary) makes them
 * visible or flushes them. A transaction whose commit record starts below a
 * table's watermark is skipped for it (the segments or the copy hold it).
 */
import { PgError, SqlState } from '../errors.js';
import type { PgoutputMessage, TupleData } from '../source/pgoutput/index.js';
import { followRelation } from './follow-relation.js';
import type { SchemaCatchUp } from './schema-catchup.js';
import type { DeltaLoader } from './stream-delta-loader.js';
import type { StreamFlusher } from './stream-flush.js';
import { boundaryIntervalMs, chunkBytes, type StreamState } from './stream-state.js';
import type { StreamedTable } from './streamed-table.js';

export class StreamApplier {
  readonly #state: StreamState;
  readonly #loader: DeltaLoader;
  readonly #flusher: StreamFlusher;
  readonly #catchUp: SchemaCatchUp;

  constructor(state: StreamState, loader: DeltaLoader, flusher: StreamFlusher, catchUp: SchemaCatchUp) {
    this.#state = state;
    this.#loader = loader;
    this.#flusher = flusher;
    this.#catchUp = catchUp;
  }

  async onChange(lsn: bigint, message: PgoutputMessage): Promise<void> {
    const state = this.#state;
    if (state.relations.observe(message)) {
      // A schema catch-up must not apply older columns over the ones this brought (schema-catchup.ts).
      if (message.type === 'relation')
        state.relationSeenAt.set(message.relationId, state.tx?.finalLsn ?? state.received);
      return;
    }
    switch (message.type) {
      case 'begin':
        state.tx = {
          finalLsn: message.finalLsn,
          commitTimeMicros: message.commitTimeMicros,
          skip: message.finalLsn < state.received,
          touched: new Set(),
          changes: 0,
          changesByTable: new Map(),
        };
        return;
      case 'commit':
        await this.#onCommit(message.endLsn);
        return;
      case 'insert': {
        const table = await this.#target(message.relationId, lsn, message.newTuple);
        if (table) await this.#apply(table, () => table.insert(message.newTuple, lsn, state.tx!.finalLsn));
        return;
      }
      case 'update': {
        const table = await this.#target(message.relationId, lsn, message.newTuple);
        if (table) {
          await this.#apply(table, () =>
            table.update(
              message.oldTuple,
              message.oldKind === 'full',
              message.newTuple,
              lsn,
              state.tx!.finalLsn,
            ),
          );
        }
        return;
      }
      case 'delete': {
        const table = await this.#target(message.relationId, lsn);
        if (table) await this.#apply(table, () => table.delete(message.oldTuple, lsn, state.tx!.finalLsn));
        return;
      }
      case 'truncate':
        for (const relationId of message.relationIds) {
          const table = await this.#target(relationId, undefined);
          table?.truncate(lsn);
          if (table && state.tx) countChange(state.tx, table);
        }
        return;
      case 'message':
      case 'origin':
        return;
      default:
        throw new PgError(
          SqlState.protocolViolation,
          `unexpected pgoutput message "${message.type}" in protocol 1`,
        );
    }
  }

  /**
   * The table a change applies to, or undefined when it is skipped. `lsn`: the change's, when
   * the table's schema is to be checked (not for a TRUNCATE); `row`: the new row it writes.
   */
  async #target(
    relationId: number,
    lsn: bigint | undefined,
    row?: TupleData,
  ): Promise<StreamedTable | undefined> {
    const state = this.#state;
    const tx = state.tx;
    if (!tx) throw new PgError(SqlState.protocolViolation, 'a change arrived outside a transaction');
    if (tx.skip) return undefined;
    let table = state.tables.get(relationId);
    if (table?.phase === 'establishing') {
      await table.established;
      table = state.tables.get(relationId);
    }
    if (!table || table.phase === 'stopped' || tx.finalLsn < table.watermark) return undefined;
    if (lsn !== undefined && !(await this.#followSchema(table, relationId, lsn, row))) return undefined;
    tx.touched.add(table);
    return table;
  }

  /** False when the table's columns changed in a way the copy cannot follow in place (it is copied again). */
  async #followSchema(
    table: StreamedTable,
    relationId: number,
    lsn: bigint,
    row?: TupleData,
  ): Promise<boolean> {
    const state = this.#state;
    const relation = state.relations.require(relationId);
    return await followRelation(state, table, relation, { commit: state.tx!.finalLsn, seq: lsn }, row);
  }

  /**
   * Applies one change to a table. A value the copy cannot store (or an update without a value
   * it needs) stops that table's stream with the reason; the other tables go on.
   */
  async #apply(table: StreamedTable, change: () => void): Promise<void> {
    const state = this.#state;
    try {
      change();
    } catch (error) {
      if (!(error instanceof PgError)) throw error;
      state.tx?.touched.delete(table);
      await table.abortOpen();
      await state.stop(table, error.message + (error.hint ? ` (${error.hint})` : ''));
      return;
    }
    state.pendingChanges++;
    if (state.tx) countChange(state.tx, table);
    if (table.openBytes >= chunkBytes || table.openPending >= table.pendingLimit) {
      // A large transaction: its changes so far go to a chunk file and into the open DuckDB
      // transaction, after the committed ones still in memory (chunks keep the stream's order,
      // which unchanged TOASTed values rely on: unchanged-values.ts).
      if (table.hasReady) await this.#loader.loadReady(table);
      const files = await table.spillOpen(state.scratch, state.resolveUnchanged);
      await this.#loader.load(table, files);
    }
  }

  async #onCommit(endLsn: bigint): Promise<void> {
    const state = this.#state;
    const tx = state.tx;
    if (!tx) throw new PgError(SqlState.protocolViolation, 'Commit without Begin');
    let readyBytes = 0;
    let pendingFull = false;
    for (const table of tx.touched) {
      table.commitOpen(tx.finalLsn);
      readyBytes += table.readyBytes;
      pendingFull ||= table.readyPending >= table.pendingLimit;
    }
    state.tx = undefined;
    if (!tx.skip) {
      state.received = endLsn;
      state.lastCommit = { lsn: tx.finalLsn, atMicros: tx.commitTimeMicros };
      const activity = state.options.activity;
      if (activity) {
        activity.appliedChanges += tx.changes;
        for (const [table, n] of tx.changesByTable)
          activity.appliedChangesByTable.set(
            table.relid,
            (activity.appliedChangesByTable.get(table.relid) ?? 0) + n,
          );
      }
    }
    // A busy stream reaches a schema catch-up's position here rather than at a keepalive.
    await this.#catchUp.atBoundary();
    // Small transactions are batched: made visible when a query waits for them, when enough
    // piled up, or every few milliseconds (bounding the latency a new query sees).
    const due =
      state.position.wouldRelease(state.received) ||
      state.flushRequired ||
      readyBytes >= chunkBytes ||
      pendingFull ||
      state.pendingChanges >= state.options.chunkSize ||
      Date.now() - state.lastBoundaryAt >= boundaryIntervalMs;
    if (due) await this.#flusher.atBoundary(false);
  }
}

function countChange(tx: NonNullable<StreamState['tx']>, table: StreamedTable): void {
  tx.changes++;
  tx.changesByTable.set(table, (tx.changesByTable.get(table) ?? 0) + 1);
}
