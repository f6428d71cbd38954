/** The compaction policy, as a pure function of the catalog: what is merged, in which pieces. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CatalogSegment } from '../src/catalog/compaction.js';
import { deletesWorthMeasuring, planCompaction } from '../src/workers/compaction-plan.js';

const MB = 1024 * 1024;
const policy = { targetBytes: 128 * MB, targetRows: 10_000_000, minSegments: 8, deleteRatio: 0.1 };
let nextId = 1;

function segment(byteSize: number, rowCount = 1000, kind: 'data' | 'delete' = 'data'): CatalogSegment {
  const segmentId = nextId++;
  return { segmentId, kind, path: `db/1/${segmentId}.parquet`, rowCount, byteSize };
}

const ids = (pieces: CatalogSegment[][]) => pieces.map((p) => p.map((s) => s.segmentId));

describe('compaction plan', () => {
  test('small segments wait until a size tier holds enough of them', () => {
    const data = Array.from({ length: 7 }, () => segment(100_000));
    const none = planCompaction({ data, deletes: [], deadRows: new Map(), forced: false }, policy);
    assert.deepEqual(none.pieces, []);
    data.push(segment(100_000));
    const merged = planCompaction({ data, deletes: [], deadRows: new Map(), forced: false }, policy);
    assert.deepEqual(ids(merged.pieces), [data.map((s) => s.segmentId)]);
  });

  test('tiers are merged apart, so a grown segment is not rewritten with every new small one', () => {
    const grown = segment(20 * MB);
    const tiny = Array.from({ length: 8 }, () => segment(200_000));
    const plan = planCompaction(
      { data: [grown, ...tiny], deletes: [], deadRows: new Map(), forced: false },
      policy,
    );
    assert.deepEqual(ids(plan.pieces), [tiny.map((s) => s.segmentId)]);
  });

  test('large segments are left alone; pieces stay within the target size', () => {
    const large = segment(100 * MB);
    const mid = Array.from({ length: 8 }, () => segment(40 * MB));
    const plan = planCompaction(
      { data: [large, ...mid], deletes: [], deadRows: new Map(), forced: false },
      policy,
    );
    for (const piece of plan.pieces) {
      assert.ok(!piece.includes(large));
      assert.ok(piece.reduce((n, s) => n + s.byteSize, 0) <= policy.targetBytes);
    }
    assert.equal(plan.pieces.flat().length, 8);
  });

  test('a segment losing enough rows to deletes is rewritten alone, and the deletes are consolidated', () => {
    const large = segment(100 * MB, 1_000_000);
    const clean = segment(100 * MB, 1_000_000);
    const deletes = [segment(1 * MB, 200_000, 'delete')];
    assert.ok(deletesWorthMeasuring([large, clean], deletes, policy, false));
    const deadRows = new Map([
      [large.path, 150_000],
      [clean.path, 10],
    ]);
    const plan = planCompaction({ data: [large, clean], deletes, deadRows, forced: false }, policy);
    assert.deepEqual(ids(plan.pieces), [[large.segmentId]]);
    assert.equal(plan.consolidateDeletes, true);
  });

  test('few deletes are not measured, and delete segments are merged once numerous', () => {
    const data = [segment(100 * MB, 1_000_000)];
    const deletes = Array.from({ length: 8 }, () => segment(10_000, 100, 'delete'));
    assert.equal(deletesWorthMeasuring(data, deletes, policy, false), false);
    const plan = planCompaction({ data, deletes, deadRows: new Map(), forced: false }, policy);
    assert.deepEqual(plan.pieces, []);
    assert.equal(plan.consolidateDeletes, true);
  });

  test('segments of a full chunk of rows are not small, and merged pieces stay within a chunk', () => {
    const copied = Array.from({ length: 10 }, () => segment(10 * MB, 1_000_000));
    const rowPolicy = { ...policy, targetRows: 1_000_000 };
    const none = planCompaction({ data: copied, deletes: [], deadRows: new Map(), forced: true }, rowPolicy);
    assert.deepEqual(none.pieces, []);
    const flushed = Array.from({ length: 8 }, () => segment(100_000, 300_000));
    const plan = planCompaction(
      { data: flushed, deletes: [], deadRows: new Map(), forced: false },
      rowPolicy,
    );
    for (const piece of plan.pieces) assert.ok(piece.reduce((n, s) => n + s.rowCount, 0) <= 1_000_000);
    assert.equal(plan.pieces.flat().length, 8);
  });

  test('compact_now merges every small segment and applies every delete', () => {
    const data = [segment(100 * MB, 1_000_000), segment(1 * MB), segment(2 * MB)];
    const deletes = [segment(10_000, 5, 'delete')];
    assert.ok(deletesWorthMeasuring(data, deletes, policy, true));
    const deadRows = new Map([[data[0]!.path, 5]]);
    const plan = planCompaction({ data, deletes, deadRows, forced: true }, policy);
    assert.deepEqual(ids(plan.pieces).flat().sort(), data.map((s) => s.segmentId).sort());
    assert.equal(plan.consolidateDeletes, true);
  });
});
