/**
 * PgoutputDecoder: decodePgoutput() plus the one piece of state the protocol
 * needs — whether we are between Stream Start and Stream Stop — tracked from
 * the messages themselves, as PostgreSQL's apply worker does
 * (in_streamed_transaction in src/backend/replication/logical/worker.c).
 */
import { PgError, SqlState } from '../../errors.js';
import { decodePgoutput } from './decode-pgoutput.js';
import type { PgoutputMessage } from './pgoutput-messages.js';

export interface PgoutputDecoderOptions {
  /** The slot was started with proto_version ≥ 4 and streaming = parallel. */
  parallelStreaming?: boolean;
}

export class PgoutputDecoder {
  readonly #parallelStreaming: boolean;
  /** xid of the open stream block, or undefined outside one. */
  #streamXid: number | undefined;

  constructor(options: PgoutputDecoderOptions = {}) {
    this.#parallelStreaming = options.parallelStreaming ?? false;
  }

  get inStream(): boolean {
    return this.#streamXid !== undefined;
  }

  /** Decodes one message; Stream Start/Stop nest exactly once or PgError 08P01 is thrown. */
  decode(payload: Buffer): PgoutputMessage {
    const message = decodePgoutput(payload, {
      inStream: this.#streamXid !== undefined,
      parallelStreaming: this.#parallelStreaming,
    });
    if (message.type === 'streamStart') {
      if (this.#streamXid !== undefined)
        throw outOfOrder(`Stream Start inside the stream of xid ${this.#streamXid}`);
      this.#streamXid = message.xid;
    } else if (message.type === 'streamStop') {
      if (this.#streamXid === undefined) throw outOfOrder('Stream Stop outside a stream');
      this.#streamXid = undefined;
    }
    return message;
  }
}

function outOfOrder(what: string): PgError {
  return new PgError(SqlState.protocolViolation, `invalid pgoutput message order: ${what}`);
}
