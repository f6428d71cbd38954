/**
 * Shared bits of the replication client tests: pulling a stream until a
 * condition, and the few pgoutput fields the tests read (first byte = message
 * type; Begin's final LSN; Commit's end LSN) — no decoder.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import type { ReplicationMessage, XLogData } from '../src/source/replication/copy-both-messages.js';
import type { ReplicationStream } from '../src/source/replication/replication-stream.js';

export function tag(message: XLogData): string {
  return String.fromCharCode(message.payload[0] ?? 0);
}

/** Begin: Byte1('B') Int64 final LSN Int64 commit timestamp Int32 xid. */
export function beginFinalLsn(message: XLogData): bigint {
  return message.payload.readBigUInt64BE(1);
}

/** Commit: Byte1('C') Int8 flags Int64 commit LSN Int64 end LSN Int64 timestamp. */
export function commitEndLsn(message: XLogData): bigint {
  return message.payload.readBigUInt64BE(10);
}

/** Pulls XLogData until `done(all so far)` holds; keepalives are skipped. Fails after `timeoutMs`. */
export async function pullUntil(
  stream: ReplicationStream,
  done: (received: XLogData[]) => boolean,
  timeoutMs = 15_000,
): Promise<XLogData[]> {
  const received: XLogData[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(received)) {
    const result = await withTimeout(stream.next(), deadline - Date.now());
    if (result.done) throw new Error('the stream ended early');
    if (result.value.kind === 'xlogData') received.push(result.value);
  }
  return received;
}

/** Number of Commit messages. */
export function commits(received: XLogData[]): number {
  return received.filter((m) => tag(m) === 'C').length;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), Math.max(ms, 0));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function isXLogData(message: ReplicationMessage): message is XLogData {
  return message.kind === 'xlogData';
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
