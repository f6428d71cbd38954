/**
 * Turns decoded pgoutput messages back into the transactions a subscriber
 * would apply: Begin … Commit, streamed blocks joined at Stream Commit and
 * dropped at Stream Abort, prepared transactions applied at Commit Prepared
 * and dropped at Rollback Prepared. Each change becomes one line of text, so
 * tests compare whole transactions with plain deepEqual.
 */
import assert from 'node:assert/strict';
import {
  formatLsn,
  type PgoutputMessage,
  RelationCache,
  type TupleData,
  unchangedToast,
} from '../src/source/pgoutput/index.js';
import type { ChangeRow } from './pgoutput-server-workload.js';

export interface Decoded {
  row: ChangeRow;
  message: PgoutputMessage;
}

export interface AppliedTransaction {
  xid: number;
  lines: string[];
  /** Commit, Stream Commit or Commit Prepared; the message itself for a non-transactional Message. */
  end: PgoutputMessage;
}

export function formatTuple(tuple: TupleData): string {
  const values = tuple.map((v) => {
    if (v === null) return 'null';
    if (v === unchangedToast) return 'UNCHANGED';
    return typeof v === 'string' ? JSON.stringify(v) : `\\x${v.toString('hex')}`;
  });
  return `(${values.join(', ')})`;
}

/** One line per data message; undefined for transaction boundaries. */
export function describeChange(m: PgoutputMessage, cache: RelationCache): string | undefined {
  switch (m.type) {
    case 'relation': {
      const columns = m.columns.map((c) => `${c.name}:${c.typeOid}${c.isKey ? ':key' : ''}`);
      return `RELATION ${m.namespace}.${m.name} identity=${m.replicaIdentity} ${columns.join(' ')}`;
    }
    case 'type':
      return `TYPE ${m.namespace}.${m.name} ${m.typeOid}`;
    case 'insert':
      return `INSERT ${cache.qualifiedName(m.relationId)} ${formatTuple(m.newTuple)}`;
    case 'update': {
      const old = m.oldTuple === undefined ? '' : `${m.oldKind} ${formatTuple(m.oldTuple)} → `;
      return `UPDATE ${cache.qualifiedName(m.relationId)} ${old}${formatTuple(m.newTuple)}`;
    }
    case 'delete':
      return `DELETE ${cache.qualifiedName(m.relationId)} ${m.oldKind} ${formatTuple(m.oldTuple)}`;
    case 'truncate': {
      const names = m.relationIds.map((id) => cache.qualifiedName(id)).join(', ');
      return `TRUNCATE${m.cascade ? ' cascade' : ''}${m.restartIdentity ? ' restart' : ''} ${names}`;
    }
    case 'message':
      return `MESSAGE ${m.transactional ? 'transactional' : 'non-transactional'} ${m.prefix} ${m.content.toString('utf8')}`;
    case 'origin':
      return `ORIGIN ${m.name} ${formatLsn(m.originLsn)}`;
    default:
      return undefined;
  }
}

/** Every tuple must have exactly the columns of the latest Relation message for its table. */
function checkTupleWidth(m: PgoutputMessage, cache: RelationCache): void {
  if (m.type !== 'insert' && m.type !== 'update' && m.type !== 'delete') return;
  const width = cache.columns(m.relationId).length;
  if (m.type !== 'delete') assert.equal(m.newTuple.length, width);
  if (m.type !== 'insert' && m.oldTuple !== undefined) assert.equal(m.oldTuple.length, width);
}

interface Open {
  xid: number;
  lines: string[];
}

/** Applies decoded messages as a subscriber would; asserts the protocol's own invariants on the way. */
export function applyTransactions(decoded: Decoded[]): AppliedTransaction[] {
  const cache = new RelationCache();
  const applied: AppliedTransaction[] = [];
  const streams = new Map<number, Open>();
  const prepared = new Map<string, Open>();
  let current: Open | undefined;
  let streamXid: number | undefined;
  for (const { message: m } of decoded) {
    cache.observe(m);
    checkTupleWidth(m, cache);
    const line = describeChange(m, cache);
    if (line !== undefined) {
      if (streamXid !== undefined) {
        assert.ok(!('xid' in m) || m.xid === streamXid, `streamed change carries xid ${streamXid}`);
        streams.get(streamXid)!.lines.push(line);
      } else if (current !== undefined) current.lines.push(line);
      else if (m.type === 'message' && !m.transactional) applied.push({ xid: 0, lines: [line], end: m });
      else assert.fail(`change outside a transaction: ${line}`);
      continue;
    }
    switch (m.type) {
      case 'begin':
      case 'beginPrepare':
        assert.equal(current, undefined);
        current = { xid: m.xid, lines: [] };
        break;
      case 'commit':
        applied.push({ ...current!, end: m });
        current = undefined;
        break;
      case 'prepare':
        assert.equal(current?.xid, m.xid);
        prepared.set(m.gid, current!);
        current = undefined;
        break;
      case 'streamStart':
        assert.equal(m.firstSegment, !streams.has(m.xid), 'firstSegment on the first block only');
        if (m.firstSegment) streams.set(m.xid, { xid: m.xid, lines: [] });
        streamXid = m.xid;
        break;
      case 'streamStop':
        streamXid = undefined;
        break;
      case 'streamCommit':
        applied.push({ ...streams.get(m.xid)!, end: m });
        streams.delete(m.xid);
        break;
      case 'streamAbort':
        if (m.subXid === m.xid) streams.delete(m.xid);
        break;
      case 'streamPrepare':
        prepared.set(m.gid, streams.get(m.xid)!);
        streams.delete(m.xid);
        break;
      case 'commitPrepared':
        applied.push({ ...prepared.get(m.gid)!, end: m });
        prepared.delete(m.gid);
        break;
      case 'rollbackPrepared':
        prepared.delete(m.gid);
        break;
      default:
        assert.fail(`unexpected ${m.type}`);
    }
  }
  assert.equal(streams.size + prepared.size, 0, 'every stream and prepared transaction ended');
  return applied;
}

/** Relation and Type messages are re-sent per streamed transaction, so versions differ only there. */
export function withoutCatalog(transactions: AppliedTransaction[]): Array<{ xid: number; lines: string[] }> {
  return transactions.map((t) => ({
    xid: t.xid,
    lines: t.lines.filter((l) => !l.startsWith('RELATION') && !l.startsWith('TYPE')),
  }));
}
