/**
 * TupleData: Int16 column count, then per column a kind byte —
 * 'n' null, 'u' unchanged TOASTed value (not sent), 't' text or 'b' binary,
 * the last two followed by Int32 length and that many bytes.
 * https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html#PROTOCOL-LOGICALREP-MESSAGE-FORMATS-TUPLEDATA
 *
 * This is the hot path (one call per changed row), so it reads the buffer
 * with local variables instead of going through cursor methods.
 */
import type { PgoutputCursor } from './pgoutput-cursor.js';
import { type TupleData, unchangedToast } from './pgoutput-messages.js';

const kindNull = 0x6e; // 'n'
const kindUnchanged = 0x75; // 'u'
const kindText = 0x74; // 't'
const kindBinary = 0x62; // 'b'

export function readTupleData(cursor: PgoutputCursor): TupleData {
  const count = cursor.int16();
  if (count < 0) throw cursor.malformed(`negative column count ${count}`);
  const buf = cursor.buf;
  const end = buf.length;
  let pos = cursor.pos;
  const values: TupleData = [];
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw truncated(cursor, pos, i, count);
    const kind = buf[pos++]!;
    if (kind === kindText || kind === kindBinary) {
      if (end - pos < 4) throw truncated(cursor, pos, i, count);
      const length = buf.readInt32BE(pos);
      pos += 4;
      if (length < 0 || end - pos < length) throw truncated(cursor, pos, i, count);
      values.push(
        kind === kindText ? buf.toString('utf8', pos, pos + length) : buf.subarray(pos, pos + length),
      );
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
