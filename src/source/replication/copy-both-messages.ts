/**
 * The messages exchanged inside CopyData once START_REPLICATION has switched
 * the connection to CopyBoth mode. Pure codec: bytes ⇄ objects, no I/O.
 * https://www.postgresql.org/docs/current/protocol-replication.html#PROTOCOL-REPLICATION-START-REPLICATION
 *
 * Clocks are microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch),
 * carried as bigint.
 */
import { PgError, SqlState } from '../../errors.js';

/** Unix milliseconds of 2000-01-01T00:00:00Z (Date.UTC(2000, 0, 1)). */
export const postgresEpochUnixMs = 946_684_800_000;

/** XLogData: WAL data, here one pgoutput message per CopyData. */
export interface XLogData {
  readonly kind: 'xlogData';
  /** Position of the WAL record this message comes from (a commit's end LSN for Commit). */
  readonly walStart: bigint;
  /** The server's current end of WAL (equals walStart for logical replication). */
  readonly walEnd: bigint;
  readonly serverClockMicros: bigint;
  /** The pgoutput message; a private copy, safe to keep. */
  readonly payload: Buffer;
}

/** Primary keepalive: sent when idle, and with replyRequested before wal_sender_timeout. */
export interface PrimaryKeepalive {
  readonly kind: 'keepalive';
  /** Everything before this position has been sent (or filtered out). */
  readonly walEnd: bigint;
  readonly serverClockMicros: bigint;
  readonly replyRequested: boolean;
}

export type ReplicationMessage = XLogData | PrimaryKeepalive;

/** Bytes before the payload of XLogData: Byte1('w') Int64 walStart Int64 walEnd Int64 sendTime. */
const xlogDataHeaderBytes = 25;
/** Byte1('k') Int64 walEnd Int64 sendTime Byte1 replyRequested. */
const keepaliveBytes = 18;

/** Parses one CopyData body. The payload is copied: `chunk` may be a view of a reused buffer. */
export function parseCopyBothMessage(chunk: Buffer): ReplicationMessage {
  const tag = chunk[0];
  if (tag === 0x77 /* 'w' */ && chunk.length >= xlogDataHeaderBytes) {
    return {
      kind: 'xlogData',
      walStart: chunk.readBigUInt64BE(1),
      walEnd: chunk.readBigUInt64BE(9),
      serverClockMicros: chunk.readBigInt64BE(17),
      payload: Buffer.from(chunk.subarray(xlogDataHeaderBytes)),
    };
  }
  if (tag === 0x6b /* 'k' */ && chunk.length >= keepaliveBytes) {
    return {
      kind: 'keepalive',
      walEnd: chunk.readBigUInt64BE(1),
      serverClockMicros: chunk.readBigInt64BE(9),
      replyRequested: chunk[17] === 1,
    };
  }
  throw new PgError(
    SqlState.protocolViolation,
    `unexpected replication message: tag ${tag === undefined ? 'none' : `0x${tag.toString(16)}`}, ${chunk.length} bytes`,
  );
}

export interface StandbyStatus {
  /** Last WAL position received (and, for a logical receiver, seen). */
  readonly write: bigint;
  /** Last position durably applied: the slot's confirmed_flush_lsn follows it. 0 = none. */
  readonly flush: bigint;
  readonly apply: bigint;
  readonly replyRequested: boolean;
}

/**
 * Standby status update, sent as the body of a CopyData:
 * Byte1('r') Int64 write Int64 flush Int64 apply Int64 clientTime Byte1 replyRequested.
 */
export function encodeStandbyStatus(status: StandbyStatus, nowUnixMs = Date.now()): Buffer {
  const body = Buffer.allocUnsafe(34);
  body[0] = 0x72; // 'r'
  body.writeBigUInt64BE(status.write, 1);
  body.writeBigUInt64BE(status.flush, 9);
  body.writeBigUInt64BE(status.apply, 17);
  body.writeBigInt64BE(postgresClockMicros(nowUnixMs), 25);
  body[33] = status.replyRequested ? 1 : 0;
  return body;
}

export function postgresClockMicros(unixMs: number): bigint {
  return BigInt(Math.round((unixMs - postgresEpochUnixMs) * 1000));
}

export function postgresClockToDate(micros: bigint): Date {
  return new Date(Number(micros / 1000n) + postgresEpochUnixMs);
}
