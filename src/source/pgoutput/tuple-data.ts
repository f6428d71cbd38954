/**
 * TupleData: Int16 column count, then per column a kind byte —
 * 'n' null, 'u' unchanged TOASTed value (not sent), 't' text or 'b' binary,
 * the last two followed by Int32 length and that many bytes.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html#PROTOCOL-LOGICALREP-MESSAGE-FORMATS-TUPLEDATA
 *
 * This is the hot path (one call per changed row), so it reads the buffer
 * with local variables instead of going through cursor methods. Text values
 * are decoded without one Buffer.toString call per column (≈ 140 ns each on
 * Node 20, most of the decoding time): a tuple of at most `latin1TupleBytes`
 * is turned into one latin1 string, and a column whose bytes are all ASCII —
 * where latin1 and UTF-8 agree — is a substring of it; other columns are
 * decoded as UTF-8. Larger tuples decode per column, so that a small value
 * kept by a consumer does not pin a large tuple's string in memory.
 */
import type { PgoutputCursor } from './pgoutput-cursor.js';
import { type TupleData, unchangedToast } from './pgoutput-messages.js';

const kindNull = 0x6e; // 'n'
const kindUnchanged = 0x75; // 'u'
const kindText = 0x74; // 't'
const kindBinary = 0x62; // 'b'

const latin1TupleBytes = 4096;
/** Finds bytes ≥ 0x80 in a latin1 string, i.e. where UTF-8 and latin1 decoding differ. */
const nonAscii = /[\u0080-\u00ff]/g;

/**
 * Decodes the text columns of one tuple. The latin1 string covers the bytes
 * from `base` to the end of the payload and is built on the first text
 * column; `nextHigh` caches the offset of the next non-ASCII byte, so the
 * scan is linear in the tuple's length.
 */
class TupleTextReader {
  readonly #buf: Buffer;
  readonly #base: number;
  /** undefined until needed; null when the tuple is too large for one string. */
  #latin1: string | null | undefined;
  #nextHigh = -1;

  constructor(buf: Buffer, base: number) {
    this.#buf = buf;
    this.#base = base;
    if (buf.length - base > latin1TupleBytes) this.#latin1 = null;
  }

  text(start: number, end: number): string {
    if (this.#latin1 === null) return this.#buf.toString('utf8', start, end);
    this.#latin1 ??= this.#buf.toString('latin1', this.#base);
    if (this.#nextHigh < start) this.#nextHigh = this.#findHigh(start - this.#base, this.#latin1);
    if (this.#nextHigh >= end) return this.#latin1.substring(start - this.#base, end - this.#base);
    return this.#buf.toString('utf8', start, end);
  }

  #findHigh(from: number, latin1: string): number {
    nonAscii.lastIndex = from;
    const match = nonAscii.exec(latin1);
    return match === null ? Number.MAX_SAFE_INTEGER : match.index + this.#base;
  }
}

export function readTupleData(cursor: PgoutputCursor): TupleData {
  const count = cursor.int16();
  if (count < 0) throw cursor.malformed(`negative column count ${count}`);
  const buf = cursor.buf;
  const end = buf.length;
  let pos = cursor.pos;
  const values: TupleData = [];
  const text = count === 0 ? undefined : new TupleTextReader(buf, pos);
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw truncated(cursor, pos, i, count);
    const kind = buf[pos++]!;
    if (kind === kindText || kind === kindBinary) {
      if (end - pos < 4) throw truncated(cursor, pos, i, count);
      const length = buf.readInt32BE(pos);
      pos += 4;
      if (length < 0 || end - pos < length) throw truncated(cursor, pos, i, count);
      values.push(kind === kindText ? text!.text(pos, pos + length) : buf.subarray(pos, pos + length));
      pos += length;
    } else if (kind === kindNull) {
      values.push(null);
    } else if (kind === kindUnchanged) {
      values.push(unchangedToast);
    } else {
      cursor.pos = pos - 1;
      throw cursor.malformed(
        `unknown column kind 0x${kind.toString(16)} at offset ${pos - 1} (column ${i + 1})`,
      );
    }
  }
  cursor.pos = pos;
  return values;
}

function truncated(cursor: PgoutputCursor, pos: number, column: number, count: number): Error {
  cursor.pos = pos;
  return cursor.malformed(`truncated tuple data at offset ${pos} (column ${column + 1} of ${count})`);
}
