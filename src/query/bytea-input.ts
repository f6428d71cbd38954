/**
 * byteain: text read as bytea, in the hex format (`\x` then digit pairs, blanks between pairs
 * allowed) or the escape format (`\\` a backslash, `\ooo` an octal byte, any other character its
 * UTF-8 bytes), with PostgreSQL's errors. For untyped literals (sql/typing/bytea-values.ts) and for
 * casts of text values, through pga_bytea_in (query/text/duckdb-text-functions.ts).
 */
import { PgError, SqlState, type SqlStateCode } from '../errors.js';

export type Fail = (code: SqlStateCode, message: string) => never;

/** byteain: the bytes of `text` in the hex or the escape format; `fail` raises its errors. */
export function byteaInput(
  text: string,
  fail: Fail = (code, message) => {
    throw new PgError(code, message);
  },
): Buffer {
  return text.startsWith('\\x') ? hexBytes(text.slice(2), fail) : escapeBytes(text, fail);
}

const BLANK = /[ \n\r\t]/;
const HEX = /^[0-9a-fA-F]$/;

function hexBytes(digits: string, fail: Fail): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < digits.length) {
    if (BLANK.test(digits[i]!)) {
      i++;
      continue;
    }
    const high = digits[i]!;
    const low = digits[i + 1];
    if (!HEX.test(high)) fail(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${high}"`);
    if (low === undefined)
      fail(SqlState.invalidParameterValue, 'invalid hexadecimal data: odd number of digits');
    if (!HEX.test(low)) fail(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${low}"`);
    out.push(Number.parseInt(high + low, 16));
    i += 2;
  }
  return Buffer.from(out);
}

function escapeBytes(text: string, fail: Fail): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '\\') {
      const next = text.indexOf('\\', i);
      const end = next < 0 ? text.length : next;
      parts.push(Buffer.from(text.slice(i, end), 'utf8'));
      i = end;
    } else if (text[i + 1] === '\\') {
      parts.push(Buffer.from('\\'));
      i += 2;
    } else if (/^[0-3][0-7][0-7]$/.test(text.slice(i + 1, i + 4))) {
      parts.push(Buffer.from([Number.parseInt(text.slice(i + 1, i + 4), 8)]));
      i += 4;
    } else {
      fail(SqlState.invalidTextRepresentation, 'invalid input syntax for type bytea');
    }
  }
  return Buffer.concat(parts);
}
