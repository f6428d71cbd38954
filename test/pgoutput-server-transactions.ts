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
  const subscriber = new Subscriber();
  for (const { message } of decoded) subscriber.apply(message);
  return subscriber.finish();
}

class Subscriber {
  readonly #cache = new RelationCache();
  readonly #applied: AppliedTransaction[] = [];
  readonly #streams = new Map<number, Open>();
  readonly #prepared = new Map<string, Open>();
  #current: Open | undefined;
  #streamXid: number | undefined;

  apply(m: PgoutputMessage): void {
    this.#cache.observe(m);
    checkTupleWidth(m, this.#cache);
    const line = describeChange(m, this.#cache);
    if (line !== undefined) this.#change(m, line);
    else this.#boundary(m);
  }

  finish(): AppliedTransaction[] {
    assert.equal(this.#streams.size + this.#prepared.size, 0, 'every stream and prepared transaction ended');
    assert.equal(this.#current, undefined);
    return this.#applied;
  }

  #change(m: PgoutputMessage, line: string): void {
    if (this.#streamXid !== undefined) {
      assert.ok(!('xid' in m) || m.xid === this.#streamXid, `streamed change carries xid ${this.#streamXid}`);
      this.#streams.get(this.#streamXid)!.lines.push(line);
    } else if (this.#current !== undefined) this.#current.lines.push(line);
    else if (m.type === 'message' && !m.transactional) this.#applied.push({ xid: 0, lines: [line], end: m });
    else assert.fail(`change outside a transaction: ${line}`);
  }

  #boundary(m: PgoutputMessage): void {
    switch (m.type) {
      case 'begin':
      case 'beginPrepare':
        assert.equal(this.#current, undefined);
        this.#current = { xid: m.xid, lines: [] };
        return;
      case 'commit':
        this.#applied.push({ ...this.#current!, end: m });
        this.#current = undefined;
        return;
      case 'prepare':
        assert.equal(this.#current?.xid, m.xid);
        this.#prepared.set(m.gid, this.#current!);
        this.#current = undefined;
        return;
      case 'commitPrepared':
        this.#applied.push({ ...this.#prepared.get(m.gid)!, end: m });
        this.#prepared.delete(m.gid);
        return;
      case 'rollbackPrepared':
        this.#prepared.delete(m.gid);
        return;
      default:
        this.#streamBoundary(m);
    }
  }

  #streamBoundary(m: PgoutputMessage): void {
    switch (m.type) {
      case 'streamStart':
        assert.equal(m.firstSegment, !this.#streams.has(m.xid), 'firstSegment on the first block only');
        if (m.firstSegment) this.#streams.set(m.xid, { xid: m.xid, lines: [] });
        this.#streamXid = m.xid;
        return;
      case 'streamStop':
        this.#streamXid = undefined;
        return;
      case 'streamCommit':
        this.#applied.push({ ...this.#streams.get(m.xid)!, end: m });
        this.#streams.delete(m.xid);
        return;
      case 'streamAbort':
        if (m.subXid === m.xid) this.#streams.delete(m.xid);
        return;
      case 'streamPrepare':
        this.#prepared.set(m.gid, this.#streams.get(m.xid)!);
        this.#streams.delete(m.xid);
        return;
      default:
        assert.fail(`unexpected ${m.type}`);
    }
  }
}

/** Relation and Type messages are re-sent per streamed transaction, so versions differ only there. */
export function withoutCatalog(transactions: AppliedTransaction[]): Array<{ xid: number; lines: string[] }> {
  return transactions.map((t) => ({
    xid: t.xid,
    lines: t.lines.filter((l) => !l.startsWith('RELATION') && !l.startsWith('TYPE')),
  }));
}
