/**
 * Standby status updates of a logical receiver. The walsender moves the
 * slot's confirmed_flush_lsn to our `flush` position and may then recycle WAL
 * and forget transactions before it, so `flush` only ever comes from the
 * caller (confirmFlush), never from what was merely received. `write` is what
 * was received (data or keepalive), as PostgreSQL's own apply worker reports.
 * https://www.postgresql.org/docs/current/protocol-replication.html#PROTOCOL-REPLICATION-STANDBY-STATUS-UPDATE
 *
 * Updates go out (1) at once when a keepalive asks for a reply, (2) every
 * `intervalMs` whatever the consumer does — this is what keeps a paused
 * stream inside wal_sender_timeout — and (3) soon after confirmFlush, coalesced
 * so that confirming every commit of a burst sends one message.
 */
import { serialize } from 'pg-protocol';
import { encodeStandbyStatus } from './copy-both-messages.js';
import { invalidLsn, laterLsn } from './lsn.js';

export class StandbyFeedback {
  readonly #send: (copyData: Buffer) => void;
  readonly #timer: NodeJS.Timeout;
  #received = invalidLsn;
  #flushed = invalidLsn;
  #confirmPending = false;
  #stopped = false;
  #sentCount = 0;

  constructor(send: (copyData: Buffer) => void, intervalMs: number) {
    this.#send = send;
    this.#timer = setInterval(() => this.sendNow(false), intervalMs);
    this.#timer.unref();
  }

  get receivedLsn(): bigint {
    return this.#received;
  }

  get flushedLsn(): bigint {
    return this.#flushed;
  }

  /** Status updates sent so far (for tests and metrics). */
  get sentCount(): number {
    return this.#sentCount;
  }

  noteReceived(lsn: bigint): void {
    if (lsn > this.#received) this.#received = lsn;
  }

  /** Moves the flush position forward (never back); the update follows within this turn of the event loop. */
  confirmFlush(lsn: bigint): void {
    if (lsn <= this.#flushed) return;
    this.#flushed = lsn;
    if (this.#confirmPending) return;
    this.#confirmPending = true;
    setImmediate(() => {
      this.#confirmPending = false;
      this.sendNow(false);
    });
  }

  sendNow(replyRequested: boolean): void {
    if (this.#stopped) return;
    const write = laterLsn(this.#received, this.#flushed);
    // apply = flush: what the caller confirms is applied and durable.
    const status = { write, flush: this.#flushed, apply: this.#flushed, replyRequested };
    this.#send(serialize.copyData(encodeStandbyStatus(status)));
    this.#sentCount += 1;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }
}
