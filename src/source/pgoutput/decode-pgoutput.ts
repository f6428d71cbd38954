/**
 * decodePgoutput(): one pgoutput message (the payload of an XLogData frame, or
 * the `data` column of pg_logical_slot_get_binary_changes) → a typed message.
 * Pure: no I/O, no state; the caller says whether it is inside a stream block.
 * Formats: https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 * Versions: 1 (PostgreSQL 10+), 2 adds streaming of in-progress transactions
 * (14+), 3 two-phase commit (15+), 4 parallel streaming (16+).
 */
import {
  readDelete,
  readInsert,
  readMessage,
  readOrigin,
  readRelation,
  readTruncate,
  readType,
  readUpdate,
} from './decode-change-messages.js';
import {
  readBegin,
  readBeginPrepare,
  readCommit,
  readCommitPrepared,
  readPrepare,
  readRollbackPrepared,
  readStreamAbort,
  readStreamCommit,
  readStreamStart,
} from './decode-transaction-messages.js';
import { PgoutputCursor } from './pgoutput-cursor.js';
import type { PgoutputContext, PgoutputMessage } from './pgoutput-messages.js';

/** Type bytes (LogicalRepMsgType in src/include/replication/logicalproto.h) → message name for errors. */
const messageNames: Readonly<Record<string, string>> = {
  B: 'Begin',
  M: 'Message',
  C: 'Commit',
  O: 'Origin',
  R: 'Relation',
  Y: 'Type',
  I: 'Insert',
  U: 'Update',
  D: 'Delete',
  T: 'Truncate',
  S: 'Stream Start',
  E: 'Stream Stop',
  c: 'Stream Commit',
  A: 'Stream Abort',
  b: 'Begin Prepare',
  P: 'Prepare',
  K: 'Commit Prepared',
  r: 'Rollback Prepared',
  p: 'Stream Prepare',
};

/** Throws PgError 08P01 on truncated input, trailing bytes or an unknown message type. */
export function decodePgoutput(payload: Buffer, context: PgoutputContext): PgoutputMessage {
  const cursor = new PgoutputCursor(payload);
  if (payload.length === 0) throw cursor.malformed('empty payload');
  const typeByte = payload[0]!;
  const typeChar = String.fromCharCode(typeByte);
  const name = messageNames[typeChar];
  if (name === undefined) {
    throw cursor.malformed(`unknown message type 0x${typeByte.toString(16).padStart(2, '0')}`);
  }
  cursor.what = name;
  cursor.pos = 1;
  const message = readBody(cursor, typeChar, context);
  cursor.end();
  return message;
}

function readBody(c: PgoutputCursor, typeChar: string, context: PgoutputContext): PgoutputMessage {
  switch (typeChar) {
    case 'B':
      return readBegin(c);
    case 'C':
      return readCommit(c);
    case 'O':
      return readOrigin(c);
    case 'S':
      return readStreamStart(c);
    case 'E':
      return { type: 'streamStop' };
    case 'c':
      return readStreamCommit(c);
    case 'A':
      return readStreamAbort(c, context.parallelStreaming === true);
    case 'b':
      return readBeginPrepare(c);
    case 'P':
      return readPrepare(c, 'prepare');
    case 'p':
      return readPrepare(c, 'streamPrepare');
    case 'K':
      return readCommitPrepared(c);
    case 'r':
      return readRollbackPrepared(c);
    default:
      return readChange(c, typeChar, context.inStream ? c.uint32() : undefined);
  }
}

/** Messages that carry the streamed transaction's xid right after the type byte. */
function readChange(c: PgoutputCursor, typeChar: string, xid: number | undefined): PgoutputMessage {
  switch (typeChar) {
    case 'I':
      return readInsert(c, xid);
    case 'U':
      return readUpdate(c, xid);
    case 'D':
      return readDelete(c, xid);
    case 'R':
      return readRelation(c, xid);
    case 'Y':
      return readType(c, xid);
    case 'T':
      return readTruncate(c, xid);
    default: // 'M', the only type byte left (messageNames is checked first)
      return readMessage(c, xid);
  }
}
