/**
 * Transaction-boundary messages of pgoutput: Begin, Commit, the streaming
 * messages of protocol 2 (and 4's parallel Stream Abort) and the two-phase
 * messages of protocol 3. Each reader starts after the type byte and leaves
 * the cursor at the end of the message.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 * (writers: logicalrep_write_* in src/backend/replication/logical/proto.c)
 */
import type { PgoutputCursor } from './pgoutput-cursor.js';
import type {
  BeginMessage,
  BeginPrepareMessage,
  CommitMessage,
  CommitPreparedMessage,
  PrepareMessage,
  RollbackPreparedMessage,
  StreamAbortMessage,
  StreamCommitMessage,
  StreamStartMessage,
} from './pgoutput-messages.js';

/** 'B': Int64 final LSN, Int64 commit timestamp, Int32 xid. */
export function readBegin(c: PgoutputCursor): BeginMessage {
  return { type: 'begin', finalLsn: c.lsn(), commitTimeMicros: c.timestamp(), xid: c.uint32() };
}

/** 'C': Int8 flags (0), Int64 commit LSN, Int64 end LSN, Int64 commit timestamp. */
export function readCommit(c: PgoutputCursor): CommitMessage {
  return {
    type: 'commit',
    flags: c.uint8(),
    commitLsn: c.lsn(),
    endLsn: c.lsn(),
    commitTimeMicros: c.timestamp(),
  };
}

/** 'S': Int32 xid, Int8 1 on the transaction's first segment. */
export function readStreamStart(c: PgoutputCursor): StreamStartMessage {
  return { type: 'streamStart', xid: c.uint32(), firstSegment: c.uint8() === 1 };
}

/** 'c': Int32 xid, Int8 flags (0), Int64 commit LSN, Int64 end LSN, Int64 commit timestamp. */
export function readStreamCommit(c: PgoutputCursor): StreamCommitMessage {
  return {
    type: 'streamCommit',
    xid: c.uint32(),
    flags: c.uint8(),
    commitLsn: c.lsn(),
    endLsn: c.lsn(),
    commitTimeMicros: c.timestamp(),
  };
}

/**
 * 'A': Int32 xid, Int32 subtransaction xid; with protocol 4 and
 * streaming = parallel also Int64 abort LSN and Int64 abort timestamp
 * (pgoutput_stream_abort's write_abort_info).
 */
export function readStreamAbort(c: PgoutputCursor, parallel: boolean): StreamAbortMessage {
  const xid = c.uint32();
  const subXid = c.uint32();
  const abortLsn = parallel ? c.lsn() : undefined;
  const abortTimeMicros = parallel ? c.timestamp() : undefined;
  return { type: 'streamAbort', xid, subXid, abortLsn, abortTimeMicros };
}

/** 'b': Int64 prepare LSN, Int64 end LSN, Int64 prepare timestamp, Int32 xid, String gid. */
export function readBeginPrepare(c: PgoutputCursor): BeginPrepareMessage {
  return {
    type: 'beginPrepare',
    prepareLsn: c.lsn(),
    endLsn: c.lsn(),
    prepareTimeMicros: c.timestamp(),
    xid: c.uint32(),
    gid: c.cstring(),
  };
}

/** 'P' and 'p': Int8 flags (0), Int64 prepare LSN, Int64 end LSN, Int64 prepare timestamp, Int32 xid, String gid. */
export function readPrepare(c: PgoutputCursor, type: PrepareMessage['type']): PrepareMessage {
  return {
    type,
    flags: c.uint8(),
    prepareLsn: c.lsn(),
    endLsn: c.lsn(),
    prepareTimeMicros: c.timestamp(),
    xid: c.uint32(),
    gid: c.cstring(),
  };
}

/** 'K': Int8 flags (0), Int64 commit LSN, Int64 end LSN, Int64 commit timestamp, Int32 xid, String gid. */
export function readCommitPrepared(c: PgoutputCursor): CommitPreparedMessage {
  return {
    type: 'commitPrepared',
    flags: c.uint8(),
    commitLsn: c.lsn(),
    endLsn: c.lsn(),
    commitTimeMicros: c.timestamp(),
    xid: c.uint32(),
    gid: c.cstring(),
  };
}

/**
 * 'r': Int8 flags (0), Int64 end LSN of the prepared transaction, Int64 end
 * LSN of the rollback, Int64 prepare timestamp, Int64 rollback timestamp,
 * Int32 xid, String gid.
 */
export function readRollbackPrepared(c: PgoutputCursor): RollbackPreparedMessage {
  return {
    type: 'rollbackPrepared',
    flags: c.uint8(),
    prepareEndLsn: c.lsn(),
    rollbackEndLsn: c.lsn(),
    prepareTimeMicros: c.timestamp(),
    rollbackTimeMicros: c.timestamp(),
    xid: c.uint32(),
    gid: c.cstring(),
  };
}
