/**
 * The CopyBoth phase of START_REPLICATION as an async iterator of XLogData and
 * keepalive messages, with bounded buffering and standby feedback.
 * https://www.postgresql.org/docs/current/protocol-replication.html
 *
 * Backpressure: messages the consumer has not pulled are buffered up to
 * `maxBufferedBytes`; then the socket is paused (the kernel's receive window
 * fills and the walsender blocks in its send), and resumed once the buffer is
 * half drained. A paused socket also hides keepalives, so keepalive replies
 * cannot be the only liveness signal: the periodic status update (every
 * `statusIntervalMs`, default 10 s, well inside the default 60 s
 * wal_sender_timeout) is written regardless of the pause, and the walsender
 * reads it even while blocked on sending. A consumer may therefore stall for
 * any time; only a status interval ≥ wal_sender_timeout gets it disconnected.
 */
import { serialize } from 'pg-protocol';
import { PgError, SqlState } from '../../errors.js';
import { ByteQueue } from './byte-queue.js';
import { parseCopyBothMessage, type ReplicationMessage } from './copy-both-messages.js';
import { connectionLost, serverError } from './server-error.js';
import { StandbyFeedback } from './standby-feedback.js';
import type { WireListener, WireMessage, WireSocket } from './wire-socket.js';

export interface ReplicationStreamOptions {
  /** Unsolicited standby status updates; default 10 000 ms. Keep it below wal_sender_timeout. */
  readonly statusIntervalMs?: number;
  /** Bytes of unpulled messages after which the socket stops being read; default 8 MiB. */
  readonly maxBufferedBytes?: number;
  /** Bound on waiting for the server to end CopyBoth in close(); default 5 000 ms. */
  readonly closeTimeoutMs?: number;
}

export const replicationStreamDefaults = {
  statusIntervalMs: 10_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  closeTimeoutMs: 5_000,
} as const;

type State = 'streaming' | 'closing' | 'closed' | 'failed';

interface Waiter {
  resolve(result: IteratorResult<ReplicationMessage>): void;
  reject(error: unknown): void;
}

export class ReplicationStream implements AsyncIterableIterator<ReplicationMessage>, AsyncDisposable {
  readonly #wire: WireSocket;
  readonly #onEnd: (reusable: boolean) => void;
  readonly #queue = new ByteQueue<ReplicationMessage>();
  readonly #feedback: StandbyFeedback;
  readonly #maxBufferedBytes: number;
  readonly #closeTimeoutMs: number;
  #waiters: Waiter[] = [];
  #state: State = 'streaming';
  #failure: PgError | undefined;
  #paused = false;
  #peakBufferedBytes = 0;
  #closing: Promise<void> | undefined;
  #closeSettled: (() => void) | undefined;

  /** Created by ReplicationConnection.startReplication once the server answered CopyBothResponse. */
  constructor(wire: WireSocket, options: ReplicationStreamOptions, onEnd: (reusable: boolean) => void) {
    this.#wire = wire;
    this.#onEnd = onEnd;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? replicationStreamDefaults.maxBufferedBytes;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? replicationStreamDefaults.closeTimeoutMs;
    const intervalMs = options.statusIntervalMs ?? replicationStreamDefaults.statusIntervalMs;
    this.#feedback = new StandbyFeedback((bytes) => wire.write(bytes), intervalMs);
    const listener: WireListener = {
      onMessage: (message) => this.#onMessage(message),
      onClose: (error) => this.#onSocketClose(error),
    };
    wire.setListener(listener);
  }

  /** Bytes of received messages the consumer has not pulled yet. */
  get bufferedBytes(): number {
    return this.#queue.bytes;
  }

  /** Highest bufferedBytes seen since the stream started. */
  get peakBufferedBytes(): number {
    return this.#peakBufferedBytes;
  }

  /** True while the socket is not read because the buffer is full. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Highest WAL position received (XLogData or keepalive); reported as `write`. */
  get receivedLsn(): bigint {
    return this.#feedback.receivedLsn;
  }

  /** Highest position passed to confirmFlush; reported as `flush`. */
  get confirmedFlushLsn(): bigint {
    return this.#feedback.flushedLsn;
  }

  get statusUpdatesSent(): number {
    return this.#feedback.sentCount;
  }

  /**
   * Tells the server that everything up to `lsn` is durably applied, so the
   * slot may advance past it. Call it with a Commit's walStart (its end LSN)
   * once that transaction is committed downstream — or, when nothing is in
   * flight, with a keepalive's walEnd. Earlier positions, and calls after the stream ended, are ignored.
   */
  confirmFlush(lsn: bigint): void {
    if (this.#state === 'streaming') this.#feedback.confirmFlush(lsn);
  }

  /** Sends a standby status update now (optionally asking the server to reply with a keepalive). */
  sendStatusUpdate(replyRequested = false): void {
    if (this.#state === 'streaming') this.#feedback.sendNow(replyRequested);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<ReplicationMessage>> {
    const message = this.#queue.shift();
    if (message !== undefined) {
      if (this.#paused && this.#queue.bytes <= this.#maxBufferedBytes / 2) this.#resume();
      return { value: message, done: false };
    }
    if (this.#failure) throw this.#failure;
    if (this.#state !== 'streaming') return { value: undefined, done: true };
    return await new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** `break` out of for-await ends the stream, as with Node's readable streams. */
  async return(): Promise<IteratorResult<ReplicationMessage>> {
    await this.close();
    return { value: undefined, done: true };
  }

  /**
   * Ends streaming: a last status update (with the confirmed flush position),
   * CopyDone, and a bounded wait for the server's CopyDone/CommandComplete/
   * ReadyForQuery. The connection is then usable for commands again (or, if
   * the server did not answer in time, closed). Unpulled messages are dropped.
   */
  async close(): Promise<void> {
    this.#closing ??= this.#close();
    await this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    if (this.#state !== 'streaming') return;
    this.#state = 'closing';
    this.#feedback.sendNow(false);
    this.#feedback.stop();
    this.#queue.clear();
    this.#settleWaiters();
    const settled = new Promise<void>((resolve) => {
      this.#closeSettled = resolve;
    });
    this.#wire.write(serialize.copyDone());
    this.#resume();
    const timer = setTimeout(() => this.#finish(false), this.#closeTimeoutMs);
    await settled;
    clearTimeout(timer);
  }

  #onMessage(message: WireMessage): void {
    if (this.#state === 'closing') {
      this.#onClosingMessage(message);
      return;
    }
    if (this.#state !== 'streaming') return;
    try {
      if (message.name === 'copyData' && message.chunk) this.#onCopyData(message.chunk);
      else if (message.name === 'error') this.#fail(serverError(errorFields(message), 'replication failed'));
      else if (message.name === 'copyDone' || message.name === 'commandComplete') {
        this.#fail(connectionLost('because the server ended replication (is it shutting down?)', undefined));
      } else if (message.name !== 'notice' && message.name !== 'parameterStatus') {
        throw new PgError(
          SqlState.protocolViolation,
          `unexpected "${message.name}" message in CopyBoth mode`,
        );
      }
    } catch (error) {
      this.#fail(error instanceof PgError ? error : new PgError(SqlState.protocolViolation, String(error)));
    }
  }

  #onCopyData(chunk: Buffer): void {
    const message = parseCopyBothMessage(chunk);
    this.#feedback.noteReceived(message.kind === 'xlogData' ? message.walStart : message.walEnd);
    if (message.kind === 'keepalive' && message.replyRequested) this.#feedback.sendNow(false);
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve({ value: message, done: false });
      return;
    }
    this.#queue.push(message, chunk.length);
    if (this.#queue.bytes > this.#peakBufferedBytes) this.#peakBufferedBytes = this.#queue.bytes;
    if (!this.#paused && this.#queue.bytes >= this.#maxBufferedBytes) {
      this.#paused = true;
      this.#wire.pause();
    }
  }

  /** After our CopyDone the server may still send data; it ends with ReadyForQuery. */
  #onClosingMessage(message: WireMessage): void {
    if (message.name === 'readyForQuery') this.#finish(true);
    else if (message.name === 'error') this.#finish(false);
  }

  #onSocketClose(error: Error | undefined): void {
    if (this.#state === 'closing') this.#finish(false);
    else if (this.#state === 'streaming') this.#fail(connectionLost('while streaming', error));
  }

  #fail(error: PgError): void {
    if (this.#state !== 'streaming') return;
    this.#state = 'failed';
    this.#failure = error;
    this.#feedback.stop();
    this.#wire.destroy();
    this.#resume();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#onEnd(false);
  }

  #finish(reusable: boolean): void {
    if (this.#state !== 'closing') return;
    this.#state = 'closed';
    if (!reusable) this.#wire.destroy();
    this.#onEnd(reusable);
    this.#closeSettled?.();
  }

  #settleWaiters(): void {
    for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#wire.resume();
  }
}

function errorFields(message: WireMessage): { message: string } & WireMessage {
  return { ...message, message: message.message ?? 'unknown server error' };
}
