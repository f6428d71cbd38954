/**
 * The pgoutput decoder against a real PostgreSQL (17 here): four logical
 * slots watch one workload with protocol versions 1–4, and every payload that
 * pg_logical_slot_get_binary_changes() returns is decoded and compared with
 * what the workload did.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import {
  type CommitMessage,
  formatLsn,
  PgoutputDecoder,
  type PgoutputMessage,
  parseLsn,
} from '../src/source/pgoutput/index.js';
import { startTestCluster } from './helpers/cluster.js';
import { expectedTransactions } from './pgoutput-server-expected.js';
import {
  type AppliedTransaction,
  applyTransactions,
  type Decoded,
  formatTuple,
  withoutCatalog,
} from './pgoutput-server-transactions.js';
import {
  type ChangeRow,
  originLsnText,
  originTimestampMicros,
  readChanges,
  runWorkload,
  setUpSchema,
  slots,
  type WorkloadXids,
} from './pgoutput-server-workload.js';

let cluster: LocalCluster;
let xids: WorkloadXids;
let moodOid: number;
let startedMicros: bigint;
let endedMicros: bigint;
const decoded: Record<keyof typeof slots | 'binary', Decoded[]> = {
  v1: [],
  v2: [],
  v3: [],
  v4: [],
  binary: [],
};

function decodeRows(rows: ChangeRow[], parallelStreaming = false): Decoded[] {
  const decoder = new PgoutputDecoder({ parallelStreaming });
  return rows.map((row) => ({ row, message: decoder.decode(row.data) }));
}

const nowMicros = () => BigInt(Date.now()) * 1000n;

before(async () => {
  cluster = await startTestCluster({
    logical_decoding_work_mem: '64kB',
    max_prepared_transactions: '4',
    track_commit_timestamp: 'on',
  });
  await setUpSchema(cluster);
  moodOid = (await cluster.exec("SELECT 'mood'::regtype::oid::int AS oid")).rows[0].oid;
  startedMicros = nowMicros();
  xids = await runWorkload(cluster);
  endedMicros = nowMicros();
  // Peek first (binary format), then consume each slot with its protocol version.
  decoded.binary = decodeRows(await readChanges(cluster, slots.v1, 'peek', ['binary', 'true']));
  decoded.v1 = decodeRows(await readChanges(cluster, slots.v1));
  decoded.v2 = decodeRows(await readChanges(cluster, slots.v2));
  decoded.v3 = decodeRows(await readChanges(cluster, slots.v3));
  decoded.v4 = decodeRows(await readChanges(cluster, slots.v4), true);
});

after(async () => {
  await cluster?.close();
});

function committedXids(transactions: AppliedTransaction[]): number[] {
  return transactions.map((t) => t.xid);
}

/** Commit LSN and time of every applied transaction (non-transactional messages left out). */
function commitLsns(transactions: AppliedTransaction[]): Array<[bigint, bigint]> {
  return transactions.flatMap(({ end }) =>
    end.type === 'commit' || end.type === 'streamCommit' || end.type === 'commitPrepared'
      ? [[end.commitLsn, end.commitTimeMicros] as [bigint, bigint]]
      : [],
  );
}

function messagesOf(version: keyof typeof decoded, xid: number): PgoutputMessage[] {
  return decoded[version].filter(({ row }) => row.xid === String(xid)).map(({ message }) => message);
}

describe('pgoutput from a real PostgreSQL', () => {
  test('protocol 1: every committed transaction in commit order, values as PostgreSQL text', () => {
    const applied = applyTransactions(decoded.v1);
    const expected = expectedTransactions(xids, moodOid);
    assert.deepEqual(
      applied.map(({ xid, lines }) => ({ xid, lines })),
      expected,
    );
    for (const absent of [xids.rolledBack, xids.bigRolledBack, xids.preparedRolledBack]) {
      assert.ok(!decoded.v1.some(({ row }) => row.xid === String(absent)), `xid ${absent} is absent`);
    }
  });

  test('protocol 1: Begin matches Commit, commit LSNs increase, row lsn/xid columns agree', () => {
    let begin: PgoutputMessage | undefined;
    let lastCommitLsn = 0n;
    for (const { row, message } of decoded.v1) {
      if (message.type === 'begin') begin = message;
      if (begin?.type === 'begin') assert.equal(row.xid, String(begin.xid));
      if (message.type !== 'commit') continue;
      assert.ok(begin?.type === 'begin');
      assert.equal(begin.finalLsn, message.commitLsn);
      assert.equal(begin.commitTimeMicros, message.commitTimeMicros);
      assert.ok(message.endLsn > message.commitLsn);
      assert.ok(message.commitLsn > lastCommitLsn, 'commit LSNs increase');
      // The SQL interface reports a Commit at the end of its record.
      assert.equal(row.lsn, formatLsn(message.endLsn));
      assert.equal(parseLsn(row.lsn), message.endLsn);
      lastCommitLsn = message.commitLsn;
      begin = undefined;
    }
  });

  test('commit timestamps are exact to the microsecond, including a pre-2000 origin timestamp', async () => {
    const commits = applyTransactions(decoded.v1).filter((t) => t.xid !== 0);
    const { rows } = await cluster.exec(
      `SELECT x AS xid, (extract(epoch FROM pg_xact_commit_timestamp(x::xid)) * 1000000)::bigint::text AS micros
       FROM unnest(ARRAY[${commits.map((t) => t.xid).join(',')}]::text[]) AS x`,
    );
    const serverMicros = new Map(
      rows.map((r: { xid: string; micros: string }) => [Number(r.xid), BigInt(r.micros)]),
    );
    for (const { xid, end } of commits) {
      const commit = end as CommitMessage;
      assert.equal(commit.commitTimeMicros, serverMicros.get(xid), `commit time of xid ${xid}`);
      if (xid === xids.fromOrigin) assert.equal(commit.commitTimeMicros, originTimestampMicros);
      else
        assert.ok(
          commit.commitTimeMicros >= startedMicros - 1_000_000n && commit.commitTimeMicros <= endedMicros,
        );
    }
    const origin = decoded.v1.find(({ message }) => message.type === 'origin')!.message;
    assert.ok(origin.type === 'origin' && formatLsn(origin.originLsn) === originLsnText);
  });

  test('protocols 2–4: the same transactions; large ones streamed in blocks, the aborted one dropped', () => {
    const v1 = applyTransactions(decoded.v1);
    for (const version of ['v2', 'v3', 'v4'] as const) {
      const applied = applyTransactions(decoded[version]);
      assert.deepEqual(withoutCatalog(applied), withoutCatalog(v1), version);
      assert.deepEqual(commitLsns(applied), commitLsns(v1), `${version}: same commit records`);
      const blocks = decoded[version].filter(({ message }) => message.type === 'streamStart');
      const streamedXids = new Set(
        blocks.map(({ message }) => message.type === 'streamStart' && message.xid),
      );
      assert.deepEqual([...streamedXids], [xids.bigStreamed, xids.bigRolledBack, xids.bigPrepared], version);
      assert.ok(blocks.length >= 6, `${version}: ${blocks.length} stream blocks`);
      const aborts = decoded[version].filter(({ message }) => message.type === 'streamAbort');
      assert.equal(aborts.length, 1);
      const abort = aborts[0]!.message;
      assert.ok(abort.type === 'streamAbort');
      assert.equal(abort.xid, xids.bigRolledBack);
      assert.equal(abort.subXid, xids.bigRolledBack);
      assert.equal(abort.abortLsn === undefined, version !== 'v4');
    }
    assert.ok(committedXids(v1).includes(xids.bigStreamed));
  });

  test('protocol 3: two-phase transactions, streamed prepare, rollback prepared', () => {
    const small = messagesOf('v3', xids.preparedCommitted);
    assert.deepEqual(
      small.map((m) => m.type),
      ['beginPrepare', 'insert', 'prepare', 'commitPrepared'],
    );
    const [beginPrepare, insert, prepare, commitPrepared] = small;
    assert.ok(beginPrepare?.type === 'beginPrepare' && prepare?.type === 'prepare');
    assert.ok(insert?.type === 'insert' && commitPrepared?.type === 'commitPrepared');
    assert.equal(beginPrepare.gid, 'gx');
    assert.deepEqual(
      [prepare.gid, prepare.xid, prepare.prepareLsn, prepare.endLsn, prepare.prepareTimeMicros],
      [
        beginPrepare.gid,
        beginPrepare.xid,
        beginPrepare.prepareLsn,
        beginPrepare.endLsn,
        beginPrepare.prepareTimeMicros,
      ],
    );
    assert.equal(formatTuple(insert.newTuple), '("7", "prepared", null, null, null)');
    assert.equal(commitPrepared.gid, 'gx');
    assert.ok(commitPrepared.commitLsn >= prepare.endLsn && commitPrepared.endLsn > commitPrepared.commitLsn);
    assert.ok(commitPrepared.commitTimeMicros >= prepare.prepareTimeMicros);

    const rolledBack = messagesOf('v3', xids.preparedRolledBack);
    assert.deepEqual(
      rolledBack.map((m) => m.type),
      ['beginPrepare', 'insert', 'prepare', 'rollbackPrepared'],
    );
    const [, , prepared, rollback] = rolledBack;
    assert.ok(prepared?.type === 'prepare' && rollback?.type === 'rollbackPrepared');
    assert.deepEqual([rollback.gid, rollback.xid], ['gy', xids.preparedRolledBack]);
    assert.equal(rollback.prepareEndLsn, prepared.endLsn);
    assert.equal(rollback.prepareTimeMicros, prepared.prepareTimeMicros);
    assert.ok(rollback.rollbackEndLsn > rollback.prepareEndLsn);
    assert.ok(rollback.rollbackTimeMicros >= rollback.prepareTimeMicros);

    const big = messagesOf('v3', xids.bigPrepared).filter(
      (m) => m.type !== 'insert' && m.type !== 'relation',
    );
    const tail = big.slice(-3).map((m) => m.type);
    assert.deepEqual(tail, ['streamStop', 'streamPrepare', 'commitPrepared']);
    const streamPrepare = big.at(-2)!;
    assert.ok(streamPrepare.type === 'streamPrepare' && streamPrepare.gid === 'gz');
    assert.equal(streamPrepare.xid, xids.bigPrepared);
  });

  test('protocol 4 with parallel streaming: Stream Abort carries the abort LSN and time', () => {
    const { row, message } = decoded.v4.find(({ message }) => message.type === 'streamAbort')!;
    assert.ok(message.type === 'streamAbort' && message.abortLsn !== undefined);
    assert.equal(formatLsn(message.abortLsn), row.lsn);
    const v1 = applyTransactions(decoded.v1);
    const before = v1.find((t) => t.xid === xids.bigStreamed)!.end as CommitMessage;
    assert.ok(message.abortLsn > before.endLsn);
    assert.ok(message.abortTimeMicros! >= before.commitTimeMicros && message.abortTimeMicros! <= endedMicros);
  });

  test("binary mode ('b' columns) and unchanged TOAST ('u') in the same stream", () => {
    const inserts = decoded.binary.flatMap(({ message }) => (message.type === 'insert' ? [message] : []));
    assert.deepEqual(inserts[0]!.newTuple, [
      Buffer.from([0, 0, 0, 1]),
      Buffer.from('Zoë'),
      Buffer.from('short'),
      Buffer.from('happy'),
    ]);
    const update = decoded.binary.find(
      ({ row, message }) => row.xid === String(xids.unchangedToast) && message.type === 'update',
    )!.message;
    assert.ok(update.type === 'update');
    assert.equal(formatTuple(update.newTuple), '(\\x00000004, \\x746f6173746564, UNCHANGED, \\x736164)');
  });
});
