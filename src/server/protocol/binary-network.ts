/**
 * inet/cidr (inet_send: family, bits, is_cidr, length, address), macaddr/macaddr8 (their 6
 * or 8 bytes) and int4range/int8range/daterange (range_send) in PostgreSQL's binary format; the
 * values are read by src/query/network/ and src/query/ranges/.
 */
import { canonicalMac, inetReceive, inetSend } from '../../query/network/inet-value.js';
import { type RangeKind, rangeReceive, rangeSend } from '../../query/ranges/range-value.js';
import { type BinaryCodec, expectLength } from './binary-codec.js';
import { numericCodec } from './binary-numeric.js';

function inetCodec(name: 'inet' | 'cidr'): BinaryCodec {
  const cidr = name === 'cidr';
  return { name, encode: (text) => inetSend(text, cidr), decode: (bytes) => inetReceive(bytes, cidr) };
}

function macCodec(name: 'macaddr' | 'macaddr8', size: 6 | 8): BinaryCodec {
  return {
    name,
    encode: (text) => Buffer.from(canonicalMac(text, size).replaceAll(':', ''), 'hex'),
    decode(bytes) {
      expectLength(name, bytes, size);
      return bytes.toString('hex').match(/../g)!.join(':');
    },
  };
}

function rangeCodec(kind: RangeKind, name = `${kind}range`): BinaryCodec {
  return {
    name,
    encode: (text) => rangeSend(kind, text, numericCodec),
    decode: (bytes) => rangeReceive(kind, bytes, numericCodec),
  };
}

/** By type OID (pg_type.dat). */
export const networkCodecs: ReadonlyArray<[number, BinaryCodec]> = [
  [3904, rangeCodec('int4')],
  [3926, rangeCodec('int8')],
  [3912, rangeCodec('date')],
  [3906, rangeCodec('num', 'numrange')],
  [3908, rangeCodec('ts', 'tsrange')],
  [3910, rangeCodec('tstz', 'tstzrange')],
  [869, inetCodec('inet')],
  [650, inetCodec('cidr')],
  [829, macCodec('macaddr', 6)],
  [774, macCodec('macaddr8', 8)],
];

/** Array type OID → element type OID. */
export const networkArrays: ReadonlyArray<[number, number]> = [
  [1041, 869],
  [651, 650],
  [1040, 829],
  [775, 774],
];
