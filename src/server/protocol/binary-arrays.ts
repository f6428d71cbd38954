/**
 * Arrays: PostgreSQL's text form ('{1,NULL,"a b"}', '[0:1]={1,2}',
 * '{{1,2},{3,4}}') ⇄ the binary form of array_send / array_recv:
 *   int32 ndim, int32 hasnull (0/1), uint32 element type OID,
 *   ndim × (int32 length, int32 lower bound),
 *   per element in row-major order: int32 byte length (-1 = NULL), bytes.
 * An empty array is ndim 0 with no dimensions. Every supported element type
 * prints with the ',' delimiter (only box uses ';').
 * https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO
 */
import { PgError, SqlState } from '../../errors.js';
import { type BinaryCodec, badText, malformed } from './binary-codec.js';

/** MAXDIM in PostgreSQL. */
const MAX_DIMENSIONS = 6;
/** MaxArraySize: MaxAllocSize / sizeof(Datum). */
const MAX_ARRAY_ITEMS = Math.floor(0x3fffffff / 8);
const FIRST_GENBKI_OID = 10000;

interface ParsedArray {
  readonly dims: number[];
  readonly lowerBounds: number[];
  readonly items: (string | null)[];
}

/** Parses array_out's text; `typeName` names the array type in errors. */
function parseArrayText(text: string, typeName: string): ParsedArray {
  const fail = (): PgError => badText(typeName, text);
  let pos = 0;
  const lowerBounds: number[] = [];
  const declared: number[] = [];
  const decoration = /^((?:\[[+-]?\d+:[+-]?\d+\])+)=/.exec(text);
  if (decoration) {
    for (const m of (decoration[1] ?? '').matchAll(/\[([+-]?\d+):([+-]?\d+)\]/g)) {
      lowerBounds.push(Number(m[1]));
      declared.push(Number(m[2]) - Number(m[1]) + 1);
    }
    pos = decoration[0].length;
  }
  const dims: number[] = [];
  const items: (string | null)[] = [];
  const level = (depth: number): void => {
    if (text[pos] !== '{' || depth >= MAX_DIMENSIONS) throw fail();
    pos++;
    let count = 0;
    if (text[pos] === '}') pos++;
    else {
      for (;;) {
        if (text[pos] === '{') level(depth + 1);
        else items.push(element());
        count++;
        const next = text[pos++];
        if (next === '}') break;
        if (next !== ',') throw fail();
      }
    }
    if (count === 0 && depth === 0) return;
    if (dims[depth] === undefined) dims[depth] = count;
    else if (dims[depth] !== count) throw fail();
  };
  const element = (): string | null => {
    let value = '';
    if (text[pos] === '"') {
      for (pos++; text[pos] !== '"'; pos++) {
        if (pos >= text.length) throw fail();
        if (text[pos] === '\\') pos++;
        value += text[pos] ?? '';
      }
      pos++;
      return value;
    }
    for (; pos < text.length && text[pos] !== ',' && text[pos] !== '}'; pos++) {
      if (text[pos] === '{' || text[pos] === '"') throw fail();
      if (text[pos] === '\\') pos++;
      value += text[pos] ?? '';
    }
    value = value.trim();
    if (value === '') throw fail();
    return value.toUpperCase() === 'NULL' ? null : value;
  };
  level(0);
  if (pos !== text.length) throw fail();
  if (decoration && (declared.length !== dims.length || declared.some((n, i) => n !== dims[i]))) throw fail();
  return { dims, lowerBounds: decoration ? lowerBounds : dims.map(() => 1), items };
}

export function encodeArray(
  text: string,
  typeName: string,
  elementOid: number,
  element: BinaryCodec,
): Buffer {
  const { dims, lowerBounds, items } = parseArrayText(text, typeName);
  const ndim = items.length === 0 ? 0 : dims.length;
  const head = Buffer.alloc(12 + ndim * 8);
  head.writeInt32BE(ndim, 0);
  head.writeInt32BE(items.includes(null) ? 1 : 0, 4);
  head.writeUInt32BE(elementOid, 8);
  for (let i = 0; i < ndim; i++) {
    head.writeInt32BE(dims[i] ?? 0, 12 + i * 8);
    head.writeInt32BE(lowerBounds[i] ?? 1, 16 + i * 8);
  }
  const chunks: Buffer[] = [head];
  for (const item of items) {
    const length = Buffer.alloc(4);
    if (item === null) length.writeInt32BE(-1);
    else {
      const bytes = element.encode(item);
      length.writeInt32BE(bytes.length);
      chunks.push(length, bytes);
      continue;
    }
    chunks.push(length);
  }
  return Buffer.concat(chunks);
}

/** Quotes an element as array_out does: when empty, "NULL", or holding a delimiter, brace, quote, backslash or space. */
function quoteElement(value: string): string {
  if (value !== '' && value.toUpperCase() !== 'NULL' && !/[{}",\\ \t\n\r\v\f]/.test(value)) return value;
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

function formatArray(dims: number[], lowerBounds: number[], items: (string | null)[]): string {
  let next = 0;
  const level = (depth: number): string => {
    const parts: string[] = [];
    for (let i = 0; i < (dims[depth] ?? 0); i++) {
      if (depth + 1 < dims.length) parts.push(level(depth + 1));
      else {
        const item = items[next++];
        parts.push(item === null || item === undefined ? 'NULL' : quoteElement(item));
      }
    }
    return `{${parts.join(',')}}`;
  };
  const decorate = lowerBounds.some((lb) => lb !== 1);
  const prefix = decorate
    ? `${dims.map((n, i) => `[${lowerBounds[i]}:${(lowerBounds[i] ?? 1) + n - 1}]`).join('')}=`
    : '';
  return prefix + level(0);
}

function tooLarge(): PgError {
  return new PgError(
    SqlState.programLimitExceeded,
    `array size exceeds the maximum allowed (${MAX_ARRAY_ITEMS})`,
  );
}

/** array_recv's checks, then each element through its codec; returns array_out-style text. */
export function decodeArray(
  bytes: Buffer,
  typeName: string,
  elementOid: number,
  element: BinaryCodec,
): string {
  if (bytes.length < 12) throw malformed(typeName, `array header needs 12 bytes, got ${bytes.length}`);
  const ndim = bytes.readInt32BE(0);
  const flags = bytes.readInt32BE(4);
  const elementType = bytes.readUInt32BE(8);
  if (ndim < 0) throw malformed(typeName, `invalid number of dimensions: ${ndim}`);
  if (ndim > MAX_DIMENSIONS) {
    throw new PgError(
      SqlState.programLimitExceeded,
      `number of array dimensions (${ndim}) exceeds the maximum allowed (${MAX_DIMENSIONS})`,
    );
  }
  if (flags !== 0 && flags !== 1) throw malformed(typeName, `invalid array flags ${flags}`);
  // Like array_recv, only a mismatch between two built-in types (OID below
  // FirstGenbkiObjectId) is an error; other OIDs are not stable enough to judge.
  if (elementType !== elementOid && elementType < FIRST_GENBKI_OID) {
    throw new PgError(
      SqlState.datatypeMismatch,
      `binary data has array element type ${elementType} instead of expected ${elementOid} (${element.name})`,
    );
  }
  let offset = 12;
  if (bytes.length < offset + ndim * 8) throw malformed(typeName, 'array dimensions are truncated');
  const dims: number[] = [];
  const lowerBounds: number[] = [];
  let nitems = ndim === 0 ? 0 : 1;
  for (let i = 0; i < ndim; i++) {
    const dim = bytes.readInt32BE(offset);
    const lowerBound = bytes.readInt32BE(offset + 4);
    offset += 8;
    nitems *= dim;
    // ArrayGetNItems: the running product must fit an int32; the limit applies to the total.
    if (dim < 0 || nitems > 2147483647) throw tooLarge();
    if (lowerBound + dim > 2147483647) {
      throw new PgError(SqlState.programLimitExceeded, 'array upper bound is too large');
    }
    dims.push(dim);
    lowerBounds.push(lowerBound);
  }
  if (nitems > MAX_ARRAY_ITEMS) throw tooLarge();
  if (nitems === 0) {
    if (offset !== bytes.length) throw malformed(typeName, 'unexpected bytes after an empty array');
    return '{}';
  }
  // Every element takes at least its 4-byte length: refuse before allocating.
  if (nitems * 4 > bytes.length - offset) throw malformed(typeName, 'insufficient data left in message');
  const items: (string | null)[] = [];
  for (let i = 0; i < nitems; i++) {
    if (offset + 4 > bytes.length) throw malformed(typeName, 'insufficient data left in message');
    const length = bytes.readInt32BE(offset);
    offset += 4;
    if (length === -1) {
      items.push(null);
      continue;
    }
    if (length < -1 || length > bytes.length - offset) {
      throw malformed(typeName, `element ${i + 1} length ${length} exceeds the data left`);
    }
    items.push(element.decode(bytes.subarray(offset, offset + length)));
    offset += length;
  }
  if (offset !== bytes.length)
    throw malformed(typeName, `${bytes.length - offset} unexpected bytes after the array`);
  return formatArray(dims, lowerBounds, items);
}
