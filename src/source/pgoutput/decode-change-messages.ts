/**
 * Data and catalog messages of pgoutput: Message, Origin, Relation, Type,
 * Insert, Update, Delete, Truncate. Each reader starts after the type byte
 * (and after the xid, which the caller reads inside a stream block).
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import type { PgoutputCursor } from './pgoutput-cursor.js';
import type {
  DeleteMessage,
  InsertMessage,
  LogicalDecodingMessage,
  OldTupleKind,
  OriginMessage,
  RelationColumn,
  RelationMessage,
  ReplicaIdentity,
  TruncateMessage,
  TypeMessage,
  UpdateMessage,
} from './pgoutput-messages.js';
import { readTupleData } from './tuple-data.js';

type Xid = number | undefined;

const tupleNew = 0x4e; // 'N'
const tupleKey = 0x4b; // 'K'
const tupleOld = 0x4f; // 'O'

/** 'M': Int8 flags (1 = transactional), Int64 LSN, String prefix, Int32 length, Byte(n) content. */
export function readMessage(c: PgoutputCursor, xid: Xid): LogicalDecodingMessage {
  const flags = c.uint8();
  const lsn = c.lsn();
  const prefix = c.cstring();
  const length = c.int32();
  if (length < 0) throw c.malformed(`negative content length ${length}`);
  const content = c.bytes(length);
  return { type: 'message', xid, flags, transactional: (flags & 1) !== 0, lsn, prefix, content };
}

/** 'O': Int64 commit LSN on the origin server, String origin name. */
export function readOrigin(c: PgoutputCursor): OriginMessage {
  return { type: 'origin', originLsn: c.lsn(), name: c.cstring() };
}

/**
 * 'R': Int32 relation OID, String namespace ('' for pg_catalog), String name,
 * Int8 replica identity, Int16 column count, then per column Int8 flags
 * (1 = key), String name, Int32 type OID, Int32 type modifier.
 */
export function readRelation(c: PgoutputCursor, xid: Xid): RelationMessage {
  const relationId = c.uint32();
  const namespace = c.cstring();
  const name = c.cstring();
  const identity = String.fromCharCode(c.uint8());
  if (identity !== 'd' && identity !== 'n' && identity !== 'f' && identity !== 'i') {
    throw c.malformed(`unknown replica identity '${identity}'`);
  }
  const count = c.int16();
  if (count < 0) throw c.malformed(`negative column count ${count}`);
  const columns: RelationColumn[] = [];
  for (let i = 0; i < count; i++) {
    const flags = c.uint8();
    columns.push({
      flags,
      isKey: (flags & 1) !== 0,
      name: c.cstring(),
      typeOid: c.uint32(),
      typeModifier: c.int32(),
    });
  }
  return {
    type: 'relation',
    xid,
    relationId,
    namespace,
    name,
    replicaIdentity: identity as ReplicaIdentity,
    columns,
  };
}

/** 'Y': Int32 type OID, String namespace ('' for pg_catalog), String type name. */
export function readType(c: PgoutputCursor, xid: Xid): TypeMessage {
  return { type: 'type', xid, typeOid: c.uint32(), namespace: c.cstring(), name: c.cstring() };
}

/** 'I': Int32 relation OID, Byte1 'N', TupleData. */
export function readInsert(c: PgoutputCursor, xid: Xid): InsertMessage {
  const relationId = c.uint32();
  expectTupleMarker(c, tupleNew, "'N'");
  return { type: 'insert', xid, relationId, newTuple: readTupleData(c) };
}

/** 'U': Int32 relation OID, optionally Byte1 'K' or 'O' + TupleData, then Byte1 'N' + TupleData. */
export function readUpdate(c: PgoutputCursor, xid: Xid): UpdateMessage {
  const relationId = c.uint32();
  let marker = c.uint8();
  let oldKind: OldTupleKind | undefined;
  let oldTuple: UpdateMessage['oldTuple'];
  if (marker === tupleKey || marker === tupleOld) {
    oldKind = marker === tupleKey ? 'key' : 'full';
    oldTuple = readTupleData(c);
    marker = c.uint8();
  }
  if (marker !== tupleNew) throw unexpectedMarker(c, marker, "'N'");
  return { type: 'update', xid, relationId, oldKind, oldTuple, newTuple: readTupleData(c) };
}

/** 'D': Int32 relation OID, Byte1 'K' or 'O', TupleData. */
export function readDelete(c: PgoutputCursor, xid: Xid): DeleteMessage {
  const relationId = c.uint32();
  const marker = c.uint8();
  if (marker !== tupleKey && marker !== tupleOld) throw unexpectedMarker(c, marker, "'K' or 'O'");
  const oldKind: OldTupleKind = marker === tupleKey ? 'key' : 'full';
  return { type: 'delete', xid, relationId, oldKind, oldTuple: readTupleData(c) };
}

/** 'T': Int32 relation count, Int8 options (1 = CASCADE, 2 = RESTART IDENTITY), Int32 OID per relation. */
export function readTruncate(c: PgoutputCursor, xid: Xid): TruncateMessage {
  const count = c.int32();
  if (count < 0) throw c.malformed(`negative relation count ${count}`);
  const flags = c.uint8();
  c.need(count * 4);
  const relationIds: number[] = [];
  for (let i = 0; i < count; i++) relationIds.push(c.uint32());
  return {
    type: 'truncate',
    xid,
    flags,
    cascade: (flags & 1) !== 0,
    restartIdentity: (flags & 2) !== 0,
    relationIds,
  };
}

function expectTupleMarker(c: PgoutputCursor, expected: number, name: string): void {
  const marker = c.uint8();
  if (marker !== expected) throw unexpectedMarker(c, marker, name);
}

function unexpectedMarker(c: PgoutputCursor, marker: number, expected: string): Error {
  return c.malformed(
    `expected tuple marker ${expected} at offset ${c.pos - 1}, got 0x${marker.toString(16)}`,
  );
}
