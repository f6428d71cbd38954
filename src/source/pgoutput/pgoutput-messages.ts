/**
 * Typed messages of PostgreSQL's `pgoutput` logical replication protocol,
 * versions 1–4, as sent inside CopyData 'w' (XLogData) frames or returned by
 * pg_logical_slot_get_binary_changes().
 * Formats: https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 *
 * Conventions shared by every message:
 * - LSNs are unsigned 64-bit `bigint`s (format them with formatLsn()).
 * - Timestamps are `bigint` microseconds since the Unix epoch, exact: the wire
 *   carries microseconds since 2000-01-01 UTC, and we add 946684800000000n.
 *   Never a JS Date, which would drop the microseconds.
 * - Transaction ids and relation/type OIDs are unsigned 32-bit `number`s.
 * - `xid` on change messages is present only inside a Stream Start … Stream
 *   Stop block (protocol ≥ 2), else undefined. It is the id of the
 *   (sub)transaction that made the change (pgoutput_change sends
 *   change->txn->xid), so a Stream Abort of a subtransaction can discard it.
 */

/** Marks a column whose value is an unchanged TOASTed datum not sent again ('u'). */
export const unchangedToast: unique symbol = Symbol('pgoutput.unchangedToast');
export type UnchangedToast = typeof unchangedToast;

/**
 * One column of TupleData: null ('n'), unchanged TOAST ('u'), the value in
 * PostgreSQL text format ('t', decoded from UTF-8 — pgoutput sends text in the
 * database encoding, so the source database must be UTF8) or binary format
 * ('b', a view into the decoded payload — copy it to keep it beyond the payload).
 */
export type TupleValue = string | Buffer | null | UnchangedToast;

/** Column values in the order of the relation's (published) columns. */
export type TupleData = TupleValue[];

/** REPLICA IDENTITY: d = default (primary key), n = nothing, f = full, i = index. */
export type ReplicaIdentity = 'd' | 'n' | 'f' | 'i';

/** Old-tuple kind on Update/Delete: 'key' = replica identity columns only ('K'), 'full' = whole row ('O'). */
export type OldTupleKind = 'key' | 'full';

export interface RelationColumn {
  /** Raw flags; bit 1 marks a replica identity (key) column. */
  flags: number;
  isKey: boolean;
  name: string;
  typeOid: number;
  /** atttypmod; -1 when the type has none. */
  typeModifier: number;
}

export interface BeginMessage {
  type: 'begin';
  /** LSN of the commit record (equals the Commit message's commitLsn). */
  finalLsn: bigint;
  commitTimeMicros: bigint;
  xid: number;
}

export interface CommitMessage {
  type: 'commit';
  flags: number;
  commitLsn: bigint;
  /** End of the commit record: the position to confirm once the transaction is applied. */
  endLsn: bigint;
  commitTimeMicros: bigint;
}

export interface LogicalDecodingMessage {
  type: 'message';
  xid: number | undefined;
  flags: number;
  /** Flag bit 1: emitted by pg_logical_emit_message(true, …) inside a transaction. */
  transactional: boolean;
  lsn: bigint;
  prefix: string;
  /** A view into the decoded payload; copy it to keep it beyond the payload. */
  content: Buffer;
}

export interface OriginMessage {
  type: 'origin';
  /** Commit LSN on the origin server. */
  originLsn: bigint;
  name: string;
}

export interface RelationMessage {
  type: 'relation';
  xid: number | undefined;
  relationId: number;
  /** Empty string for pg_catalog, as pgoutput sends it. */
  namespace: string;
  name: string;
  replicaIdentity: ReplicaIdentity;
  columns: RelationColumn[];
}

export interface TypeMessage {
  type: 'type';
  xid: number | undefined;
  typeOid: number;
  namespace: string;
  name: string;
}

export interface InsertMessage {
  type: 'insert';
  xid: number | undefined;
  relationId: number;
  newTuple: TupleData;
}

export interface UpdateMessage {
  type: 'update';
  xid: number | undefined;
  relationId: number;
  /** Present when the key changed ('key') or under REPLICA IDENTITY FULL ('full'). */
  oldKind: OldTupleKind | undefined;
  oldTuple: TupleData | undefined;
  newTuple: TupleData;
}

export interface DeleteMessage {
  type: 'delete';
  xid: number | undefined;
  relationId: number;
  oldKind: OldTupleKind;
  oldTuple: TupleData;
}

export interface TruncateMessage {
  type: 'truncate';
  xid: number | undefined;
  flags: number;
  cascade: boolean;
  restartIdentity: boolean;
  relationIds: number[];
}

export interface StreamStartMessage {
  type: 'streamStart';
  xid: number;
  firstSegment: boolean;
}

export interface StreamStopMessage {
  type: 'streamStop';
}

export interface StreamCommitMessage {
  type: 'streamCommit';
  xid: number;
  flags: number;
  commitLsn: bigint;
  endLsn: bigint;
  commitTimeMicros: bigint;
}

export interface StreamAbortMessage {
  type: 'streamAbort';
  xid: number;
  /** Equals xid when the whole transaction aborted, else the aborted subtransaction. */
  subXid: number;
  /** Only with protocol 4 and streaming = parallel; undefined otherwise. */
  abortLsn: bigint | undefined;
  abortTimeMicros: bigint | undefined;
}

export interface BeginPrepareMessage {
  type: 'beginPrepare';
  prepareLsn: bigint;
  endLsn: bigint;
  prepareTimeMicros: bigint;
  xid: number;
  gid: string;
}

/** Prepare ('P') and Stream Prepare ('p') share one layout. */
export interface PrepareMessage {
  type: 'prepare' | 'streamPrepare';
  flags: number;
  prepareLsn: bigint;
  endLsn: bigint;
  prepareTimeMicros: bigint;
  xid: number;
  gid: string;
}

export interface CommitPreparedMessage {
  type: 'commitPrepared';
  flags: number;
  commitLsn: bigint;
  endLsn: bigint;
  commitTimeMicros: bigint;
  xid: number;
  gid: string;
}

export interface RollbackPreparedMessage {
  type: 'rollbackPrepared';
  flags: number;
  /** End LSN of the prepared transaction. */
  prepareEndLsn: bigint;
  /** End LSN of the ROLLBACK PREPARED record. */
  rollbackEndLsn: bigint;
  prepareTimeMicros: bigint;
  rollbackTimeMicros: bigint;
  xid: number;
  gid: string;
}

export type PgoutputMessage =
  | BeginMessage
  | CommitMessage
  | LogicalDecodingMessage
  | OriginMessage
  | RelationMessage
  | TypeMessage
  | InsertMessage
  | UpdateMessage
  | DeleteMessage
  | TruncateMessage
  | StreamStartMessage
  | StreamStopMessage
  | StreamCommitMessage
  | StreamAbortMessage
  | BeginPrepareMessage
  | PrepareMessage
  | CommitPreparedMessage
  | RollbackPreparedMessage;

/**
 * What the decoder must know besides the bytes, as PostgreSQL's own
 * logicalrep readers do (src/backend/replication/logical/proto.c).
 */
export interface PgoutputContext {
  /**
   * True between Stream Start and Stream Stop: Message, Relation, Type,
   * Insert, Update, Delete and Truncate then carry an xid after the type byte.
   */
  inStream: boolean;
  /**
   * True when the slot was started with proto_version ≥ 4 and
   * streaming = parallel: Stream Abort then carries the abort LSN and time.
   */
  parallelStreaming?: boolean;
}
