/**
 * Unchanged TOASTed values of streamed updates. When a row's old version is not logged
 * (no REPLICA IDENTITY FULL), pgoutput sends an out-of-line value the update did not change
 * as the 'u' marker, without the value. The value is the one the row had just before: it is in
 * the copy, in one of three places, newest first:
 * 1. the lines of this table still in memory (an earlier change in this flush window, maybe in
 *    the same transaction): copied here, at the update, as COPY text;
 * 2. the chunk files of this flush window, and
 * 3. the table's data segments: looked up when the lines go to a chunk file, in one DuckDB join
 *    for the whole chunk (unchanged-value-resolver.ts).
 * Lines are spilled in stream order (committed lines before the next transaction's), so the
 * lines in memory are always newer than every chunk file, and those newer than the segments.
 * For one key, versions are ordered by their sequence (the change's LSN: row locks keep two
 * transactions from changing one row at once), so "the version just before" is the version of
 * the key with the highest sequence below the update's, wherever it is. A version that itself
 * still waits for a value from the copy passes that wait on (same key, same bound), so each
 * line waits on at most one earlier version.
 */
import { copyNull } from '../source/output-text.js';

/**
 * Bytes of values taken from the copy per chunk of row lines: each chunk costs one lookup in the
 * segments (a read of the looked-up columns of every segment), so chunks are made as large as
 * memory allows: the values (megabytes each, maybe) are held by the lookup and then the delta.
 */
export const resolvedChunkBytes = 32 * 1024 * 1024;

/** Values of one row line that are taken from the copy when the line goes to a chunk file. */
export interface PendingValues {
  /** The row line's sequence (unique per line: the LSN of its change). */
  seq: bigint;
  /** COPY text of the key whose earlier version holds the values. */
  originKey: readonly string[];
  /** The values are that key's in its version with the highest sequence below this one. */
  below: bigint;
  /** Positions (in the table's live columns) of the values to take. */
  columns: readonly number[];
}

/** A row line in memory, and what it still waits for. */
interface LatestRow {
  line: string;
  pending: PendingValues | undefined;
}

/** The newest row line per key among the lines in memory; built only once an update needs it. */
export class LatestRows {
  readonly #keyIndexes: readonly number[];
  #byKey: Map<string, LatestRow> | undefined;

  constructor(keyIndexes: readonly number[]) {
    this.#keyIndexes = keyIndexes;
  }

  /**
   * The newest line of `key` in memory. `inMemory` lists the lines in memory, oldest first, with
   * their pending values (read once, when the first update with an unchanged value needs it).
   */
  find(key: string, inMemory: () => Iterable<LatestRow>): LatestRow | undefined {
    if (!this.#byKey) {
      this.#byKey = new Map();
      for (const row of inMemory()) this.#byKey.set(this.keyOf(row.line), row);
    }
    return this.#byKey.get(key);
  }

  /** A row line was added (kept only while the map exists: it is built from the lines otherwise). */
  added(line: string, pending: PendingValues | undefined): void {
    this.#byKey?.set(this.keyOf(line), { line, pending });
  }

  /** Lines left memory or were dropped: the map is built again when needed. */
  reset(): void {
    this.#byKey = undefined;
  }

  /** The key of a row line: its key fields (COPY text never has a raw tab inside a field). */
  keyOf(line: string): string {
    const last = Math.max(...this.#keyIndexes);
    const fields = line.split('\t', last + 1);
    return this.#keyIndexes.map((i) => fields[i]).join('\t');
  }
}

/**
 * The fields of an updated row whose unchanged values are taken from `previous` (the newest
 * version of its old key in memory) or, when there is none, left to the copy. Fields still
 * waiting hold NULL until the chunk is resolved.
 */
export function fillUnchanged(
  fields: string[],
  unchanged: readonly number[],
  originKey: readonly string[],
  seq: bigint,
  previous: LatestRow | undefined,
): PendingValues | undefined {
  if (!previous) {
    for (const i of unchanged) fields[i] = copyNull;
    return { seq, originKey, below: seq, columns: unchanged };
  }
  const earlier = previous.line.slice(0, -1).split('\t');
  const waiting: number[] = [];
  for (const i of unchanged) {
    if (previous.pending?.columns.includes(i)) {
      waiting.push(i);
      fields[i] = copyNull;
    } else {
      fields[i] = earlier[i]!;
    }
  }
  if (waiting.length === 0 || !previous.pending) return undefined;
  return { seq, originKey: previous.pending.originKey, below: previous.pending.below, columns: waiting };
}

/** The sequence of a row line (its next-to-last field). */
export function lineSeq(line: string): bigint {
  const end = line.lastIndexOf('\t');
  return BigInt(line.slice(line.lastIndexOf('\t', end - 1) + 1, end));
}
