/**
 * Which segments of a table compaction rewrites, and in which pieces: a pure function of the
 * catalog, so the policy can be read and tested apart from the I/O.
 *
 * - Small data segments (below half the target size and half the rows of a copied chunk, so the
 *   copy's own segments are left as they are) are merged by size tier (under 4 MB,
 *   under 16 MB, under 64 MB, …): a tier is merged once it holds `minSegments` segments, or
 *   enough bytes for a full segment. Merging like with like keeps the rewriting per row
 *   logarithmic, where merging every small segment each time would rewrite the growing one
 *   again and again.
 * - Segments whose rows the deletes remove in a proportion of at least `deleteRatio` are
 *   rewritten without them (streamed tables); the proportion is measured only once the table's
 *   deletes reach that ratio of its rows.
 * - Pieces hold at most about `targetBytes` and `targetRows` of input, which bounds the memory and time of one
 *   merge and the size of the segments written; each piece is swapped in on its own.
 * - analytica.compact_now() merges every small segment and applies every delete.
 */
import type { CatalogSegment } from '../catalog/compaction.js';

export interface CompactionPolicy {
  targetBytes: number;
  /** Rows of a full segment (the copy's chunk size): merged segments hold at most this many. */
  targetRows: number;
  minSegments: number;
  deleteRatio: number;
}

export interface CompactionPlanInput {
  data: readonly CatalogSegment[];
  deletes: readonly CatalogSegment[];
  /** Row versions the deletes remove, per data segment path (measured only when worthwhile). */
  deadRows: ReadonlyMap<string, number>;
  forced: boolean;
}

export interface CompactionPlan {
  /** Groups of data segments, each merged into one. */
  pieces: CatalogSegment[][];
  /** Whether the delete segments are merged into one, dropping deletes nothing needs. */
  consolidateDeletes: boolean;
}

const tierBaseBytes = 1024 * 1024;

/** Whether the deletes are numerous enough to measure which segments they hit. */
export function deletesWorthMeasuring(
  data: readonly CatalogSegment[],
  deletes: readonly CatalogSegment[],
  policy: CompactionPolicy,
  forced: boolean,
): boolean {
  const deleteRows = sum(deletes, (s) => s.rowCount);
  if (deleteRows === 0 || data.length === 0) return false;
  return forced || deleteRows >= policy.deleteRatio * sum(data, (s) => s.rowCount);
}

export function planCompaction(input: CompactionPlanInput, policy: CompactionPolicy): CompactionPlan {
  const chosen = new Set<CatalogSegment>();
  const small = input.data.filter(
    (s) => s.byteSize < policy.targetBytes / 2 && s.rowCount < policy.targetRows / 2,
  );
  if (input.forced) {
    if (small.length >= 2) for (const s of small) chosen.add(s);
  } else {
    for (const tier of tiers(small)) {
      if (
        tier.length >= policy.minSegments ||
        (tier.length >= 2 && sum(tier, (s) => s.byteSize) >= policy.targetBytes)
      )
        for (const s of tier) chosen.add(s);
    }
  }
  const dead = (s: CatalogSegment) => input.deadRows.get(s.path) ?? 0;
  for (const s of input.data) {
    if (dead(s) > 0 && (input.forced || dead(s) >= policy.deleteRatio * s.rowCount)) chosen.add(s);
  }
  const ordered = input.data.filter((s) => chosen.has(s));
  // A piece of one segment is worth writing only to drop deleted rows.
  const pieces = pack(ordered, policy).filter((p) => p.length > 1 || dead(p[0]!) > 0);
  const appliedDeletes = pieces.some((p) => p.some((s) => dead(s) > 0));
  const consolidateDeletes =
    input.deletes.length > 0 &&
    (input.forced || appliedDeletes || input.deletes.length >= policy.minSegments);
  return { pieces, consolidateDeletes };
}

/** Small segments grouped by size: under 4 MB, under 16 MB, under 64 MB, … */
function tiers(segments: readonly CatalogSegment[]): CatalogSegment[][] {
  const byTier = new Map<number, CatalogSegment[]>();
  for (const s of segments) {
    const tier = Math.max(0, Math.floor(Math.log(Math.max(s.byteSize, 1) / tierBaseBytes) / Math.log(4)));
    byTier.set(tier, [...(byTier.get(tier) ?? []), s]);
  }
  return [...byTier.values()];
}

/** Consecutive groups (in segment order) of at most about the target bytes and rows. */
function pack(segments: readonly CatalogSegment[], policy: CompactionPolicy): CatalogSegment[][] {
  const pieces: CatalogSegment[][] = [];
  let current: CatalogSegment[] = [];
  let bytes = 0;
  let rows = 0;
  for (const s of segments) {
    if (
      current.length > 0 &&
      (bytes + s.byteSize > policy.targetBytes || rows + s.rowCount > policy.targetRows)
    ) {
      pieces.push(current);
      current = [];
      bytes = 0;
      rows = 0;
    }
    current.push(s);
    bytes += s.byteSize;
    rows += s.rowCount;
  }
  if (current.length > 0) pieces.push(current);
  return pieces;
}

function sum(segments: readonly CatalogSegment[], of: (s: CatalogSegment) => number): number {
  return segments.reduce((total, s) => total + of(s), 0);
}
