/**
 * PostgreSQL's binary value format, for result columns and Bind parameters
 * sent with format code 1. Results start as PostgreSQL's text output (what
 * the text formatter prints), so encoding converts that text into the bytes
 * of the type's send function; decoding turns a client's binary parameter
 * into a text literal the type's input function accepts, with the checks of
 * its receive function (22P03 for malformed bytes).
 * Formats: src/backend/utils/adt/*.c (typsend/typreceive) and
 * https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES
 */
import { PgError, SqlState } from '../../errors.js';
import { decodeArray, encodeArray } from './binary-arrays.js';
import { type BinaryCodec, badText, decodeUtf8, expectLength, malformed } from './binary-codec.js';
import { datetimeCodecs } from './binary-datetime.js';
import { networkArrays, networkCodecs } from './binary-network.js';
import { numericCodec } from './binary-numeric.js';

function textCodec(name: string): BinaryCodec {
  return { name, encode: (text) => Buffer.from(text, 'utf8'), decode: (bytes) => decodeUtf8(name, bytes) };
}

function integerCodec(name: string, bytes: 2 | 4 | 8, unsigned = false): BinaryCodec {
  const bits = BigInt(bytes * 8);
  const min = unsigned ? 0n : -(1n << (bits - 1n));
  const max = unsigned ? (1n << bits) - 1n : (1n << (bits - 1n)) - 1n;
  return {
    name,
    encode(text) {
      const value = /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
      if (value === undefined || value < min || value > max) throw badText(name, text);
      const out = Buffer.alloc(bytes);
      if (bytes === 8) out.writeBigInt64BE(value);
      else if (unsigned) out.writeUInt32BE(Number(value));
      else out.writeIntBE(Number(value), 0, bytes);
      return out;
    },
    decode(data) {
      expectLength(name, data, bytes);
      if (bytes === 8) return String(data.readBigInt64BE(0));
      return String(unsigned ? data.readUInt32BE(0) : data.readIntBE(0, bytes));
    },
  };
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseFloatText(name: string, text: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (!FLOAT.test(text)) throw badText(name, text);
  return Number(text);
}

/** Shortest text that reads back as the same value (float8out's round-trip digits). */
function formatFloat(value: number, single: boolean): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  if (single) {
    for (let precision = 1; precision < 9; precision++) {
      const shorter = Number(value.toPrecision(precision));
      if (Math.fround(shorter) === value) return String(shorter);
    }
  }
  return String(value);
}

const float4Codec: BinaryCodec = {
  name: 'real',
  encode(text) {
    const out = Buffer.alloc(4);
    out.writeFloatBE(parseFloatText('real', text));
    return out;
  },
  decode(bytes) {
    expectLength('real', bytes, 4);
    return formatFloat(bytes.readFloatBE(0), true);
  },
};

const float8Codec: BinaryCodec = {
  name: 'double precision',
  encode(text) {
    const out = Buffer.alloc(8);
    out.writeDoubleBE(parseFloatText('double precision', text));
    return out;
  },
  decode(bytes) {
    expectLength('double precision', bytes, 8);
    return formatFloat(bytes.readDoubleBE(0), false);
  },
};

const boolCodec: BinaryCodec = {
  name: 'boolean',
  encode(text) {
    if (text === 't' || text === 'true') return Buffer.of(1);
    if (text === 'f' || text === 'false') return Buffer.of(0);
    throw badText('boolean', text);
  },
  decode(bytes) {
    expectLength('boolean', bytes, 1);
    // boolrecv: any non-zero byte is true.
    return bytes[0] === 0 ? 'f' : 't';
  },
};

/** bytea text is hex ('\x0102') or, under bytea_output = escape, octal escapes ('a\001\\'). */
function encodeBytea(text: string): Buffer {
  if (text.startsWith('\\x')) {
    const hex = text.slice(2);
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw badText('bytea', text);
    return Buffer.from(hex, 'hex');
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '\\') {
      const end = text.indexOf('\\', i) < 0 ? text.length : text.indexOf('\\', i);
      chunks.push(Buffer.from(text.slice(i, end), 'utf8'));
      i = end;
    } else if (text[i + 1] === '\\') {
      chunks.push(Buffer.of(0x5c));
      i += 2;
    } else if (/^[0-3][0-7]{2}$/.test(text.slice(i + 1, i + 4))) {
      chunks.push(Buffer.of(Number.parseInt(text.slice(i + 1, i + 4), 8)));
      i += 4;
    } else throw badText('bytea', text);
  }
  return Buffer.concat(chunks);
}

const byteaCodec: BinaryCodec = {
  name: 'bytea',
  encode: encodeBytea,
  decode: (bytes) => `\\x${bytes.toString('hex')}`,
};

/** "char": one byte; charout prints NUL as '' and bytes ≥ 0x80 as '\ooo'. */
const charCodec: BinaryCodec = {
  name: '"char"',
  encode(text) {
    if (/^\\[0-3][0-7]{2}$/.test(text)) return Buffer.of(Number.parseInt(text.slice(1), 8));
    return Buffer.of(Buffer.from(text, 'utf8')[0] ?? 0);
  },
  decode(bytes) {
    expectLength('"char"', bytes, 1);
    const byte = bytes[0] ?? 0;
    if (byte === 0) return '';
    if (byte >= 0x80) return `\\${byte.toString(8)}`;
    return String.fromCharCode(byte);
  },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const uuidCodec: BinaryCodec = {
  name: 'uuid',
  encode(text) {
    if (!UUID.test(text)) throw badText('uuid', text);
    return Buffer.from(text.replaceAll('-', ''), 'hex');
  },
  decode(bytes) {
    expectLength('uuid', bytes, 16);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  },
};

/** json_recv and jsonb_recv parse their text: refuse what is not JSON, as they do (22P02). */
function checkedJson(typeName: string, bytes: Buffer): string {
  const text = decodeUtf8(typeName, bytes);
  try {
    JSON.parse(text);
  } catch (error) {
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type ${typeName}`, {
      cause: error,
    });
  }
  return text;
}

const jsonCodec: BinaryCodec = {
  name: 'json',
  encode: (text) => Buffer.from(text, 'utf8'),
  decode: (bytes) => checkedJson('json', bytes),
};

/** jsonb_send: a version byte (1) then the canonical text jsonb_out prints. */
const jsonbCodec: BinaryCodec = {
  name: 'jsonb',
  encode: (text) => Buffer.concat([Buffer.of(1), Buffer.from(text, 'utf8')]),
  decode(bytes) {
    if (bytes.length === 0) throw malformed('jsonb', 'missing version byte');
    if (bytes[0] !== 1) throw malformed('jsonb', `unsupported jsonb version number ${bytes[0]}`);
    return checkedJson('jsonb', bytes.subarray(1));
  },
};

/** NAMEDATALEN - 1: namerecv refuses longer names rather than truncating. */
const NAME_MAX_BYTES = 63;

const nameCodec: BinaryCodec = {
  name: 'name',
  encode: (text) => Buffer.from(text, 'utf8'),
  decode(bytes) {
    const text = decodeUtf8('name', bytes);
    if (bytes.length > NAME_MAX_BYTES) {
      throw new PgError(
        SqlState.nameTooLong,
        `identifier too long: ${bytes.length} bytes, at most ${NAME_MAX_BYTES}`,
      );
    }
    return text;
  },
};

const scalarCodecs: ReadonlyMap<number, BinaryCodec> = new Map<number, BinaryCodec>([
  [16, boolCodec],
  [17, byteaCodec],
  [18, charCodec],
  [19, nameCodec],
  [20, integerCodec('bigint', 8)],
  [21, integerCodec('smallint', 2)],
  [23, integerCodec('integer', 4)],
  [25, textCodec('text')],
  [26, integerCodec('oid', 4, true)],
  [114, jsonCodec],
  [700, float4Codec],
  [701, float8Codec],
  [1042, textCodec('character')],
  [1043, textCodec('character varying')],
  [1700, numericCodec],
  [2950, uuidCodec],
  [3802, jsonbCodec],
  ...datetimeCodecs,
  ...networkCodecs,
]);

/** Array type OID → element type OID (pg_type.typelem) for the scalars above. */
const arrayElements: ReadonlyMap<number, number> = new Map([
  [1000, 16],
  [1001, 17],
  [1002, 18],
  [1003, 19],
  [1016, 20],
  [1005, 21],
  [1007, 23],
  [1009, 25],
  [1028, 26],
  [199, 114],
  [1021, 700],
  [1022, 701],
  [1014, 1042],
  [1015, 1043],
  [1231, 1700],
  [2951, 2950],
  [3807, 3802],
  [1182, 1082],
  [1183, 1083],
  [1270, 1266],
  [1115, 1114],
  [1185, 1184],
  [1187, 1186],
  ...networkArrays,
]);

function arrayCodec(elementOid: number, element: BinaryCodec): BinaryCodec {
  const name = `${element.name}[]`;
  return {
    name,
    encode: (text) => encodeArray(text, name, elementOid, element),
    decode: (bytes) => decodeArray(bytes, name, elementOid, element),
  };
}

const codecs: ReadonlyMap<number, BinaryCodec> = new Map<number, BinaryCodec>([
  ...scalarCodecs,
  ...[...arrayElements].map(([arrayOid, elementOid]): [number, BinaryCodec] => {
    const element = scalarCodecs.get(elementOid);
    if (element === undefined) throw new Error(`no binary codec for array element type ${elementOid}`);
    return [arrayOid, arrayCodec(elementOid, element)];
  }),
]);

function codecFor(typeOid: number, direction: string): BinaryCodec {
  const codec = codecs.get(typeOid);
  if (codec === undefined) {
    throw new PgError(
      SqlState.featureNotSupported,
      `binary ${direction} of type OID ${typeOid} is not supported; use text format`,
    );
  }
  return codec;
}

/** Whether values of this type can be sent as binary result columns. */
export function canSendBinary(typeOid: number): boolean {
  return codecs.has(typeOid);
}

/** Whether Bind parameters of this type can be received in binary. */
export function canReceiveBinary(typeOid: number): boolean {
  return codecs.has(typeOid);
}

/** PostgreSQL's text output of a value → the bytes its typsend would produce. 0A000 for other types. */
export function encodeBinaryValue(typeOid: number, text: string): Buffer {
  return codecFor(typeOid, 'output').encode(text);
}

/**
 * A binary Bind parameter → a text literal of the same value. Malformed bytes
 * raise 22P03 (or the SQLSTATE PostgreSQL's receive function uses), never
 * anything but a PgError: the bytes come from the client.
 */
export function decodeBinaryParameter(typeOid: number, bytes: Buffer): string {
  const codec = codecFor(typeOid, 'input');
  try {
    return codec.decode(bytes);
  } catch (error) {
    if (error instanceof PgError) throw error;
    throw new PgError(SqlState.invalidBinaryRepresentation, `invalid binary ${codec.name} value`, {
      cause: error,
    });
  }
}
