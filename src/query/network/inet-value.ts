/**
 * inet, cidr, macaddr and macaddr8 values, from and to PostgreSQL's text (the copy holds the
 * text inet_out/cidr_out/macaddr_out print, so a value read back is exactly PostgreSQL's).
 * Learned from src/backend/utils/adt/network.c, mac.c and mac8.c:
 * - network_cmp orders by family (IPv4 before IPv6), then the first min(bits) bits of the
 *   addresses, then the mask length, then the whole address. `inetSortKey` gives one string
 *   whose byte order is that order: family, the address masked to its own bits, the bits, the
 *   address (comparing the masked addresses first orders as comparing min(bits) bits first,
 *   since the masked one of the shorter prefix has zeros where the other may have ones).
 * - inet_send: family (2 = IPv4, 3 = IPv6), bits, is_cidr, address length, address bytes.
 * Literal input is read in the forms inet_in accepts for a whole address (dotted quad, IPv6
 * with :: and an embedded IPv4 tail, an optional /bits); the abbreviated cidr forms ('10/8')
 * are refused (0A000) rather than guessed.
 */
import { PgError, SqlState } from '../../errors.js';

export interface InetValue {
  /** 4 or 6. */
  readonly family: 4 | 6;
  readonly bits: number;
  /** 4 or 16 bytes. */
  readonly address: Uint8Array;
}

function invalid(typeName: string, text: string): PgError {
  return new PgError(
    SqlState.invalidTextRepresentation,
    `invalid input syntax for type ${typeName}: "${text}"`,
  );
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number);
}

function ipv6Bytes(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (const [i, group] of groups.entries()) {
      if (i === groups.length - 1 && group.includes('.')) {
        const v4 = ipv4Bytes(group);
        if (v4 === undefined) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) out.push(Number.parseInt(group, 16));
      else return undefined;
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return all.flatMap((w) => [w >> 8, w & 0xff]);
}

/** An inet or cidr text (cidr: host bits must be zero, as cidr_in requires). */
export function parseInet(text: string, cidr = false): InetValue {
  const typeName = cidr ? 'cidr' : 'inet';
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const v4 = ipv4Bytes(addressText);
  const bytes = v4 ?? (addressText.includes(':') ? ipv6Bytes(addressText) : undefined);
  if (bytes === undefined) {
    if (/^[\d.]+(\/\d+)?$/.test(trimmed) && cidr)
      throw new PgError(
        SqlState.featureNotSupported,
        `abbreviated cidr value "${text}" is not supported by pg_analytica`,
        { hint: "write the whole address, as in '10.0.0.0/8'" },
      );
    throw invalid(typeName, text);
  }
  const max = bytes.length * 8;
  const bitsText = slash < 0 ? undefined : trimmed.slice(slash + 1);
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) throw invalid(typeName, text);
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) throw invalid(typeName, text);
  const value: InetValue = { family: v4 ? 4 : 6, bits, address: Uint8Array.from(bytes) };
  if (cidr && !masked(value).every((b, i) => b === value.address[i])) {
    throw new PgError(SqlState.invalidTextRepresentation, `invalid cidr value: "${text}"`, {
      detail: 'Value has bits set to right of mask.',
    });
  }
  return value;
}

/** The address with the bits after the mask cleared. */
function masked(value: InetValue): Uint8Array {
  return value.address.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, value.bits - i * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A string whose byte order is network_cmp's order (see the file comment). */
export function inetSortKey(value: InetValue): string {
  const bits = value.bits.toString(16).padStart(2, '0');
  return `${value.family}${hex(masked(value))}${bits}${hex(value.address)}`;
}

/** The relation operators of network.c: <<, <<=, >>, >>=, && (one family only, else false). */
export function inetRelation(a: InetValue, b: InetValue, operator: string): boolean {
  if (a.family !== b.family) return false;
  const samePrefix = (bits: number) =>
    hex(masked({ ...a, bits })) === hex(masked({ ...b, bits })) && bits <= a.bits && bits <= b.bits;
  switch (operator) {
    case '<<':
      return a.bits > b.bits && samePrefix(b.bits);
    case '<<=':
      return a.bits >= b.bits && samePrefix(b.bits);
    case '>>':
      return b.bits > a.bits && samePrefix(a.bits);
    case '>>=':
      return b.bits >= a.bits && samePrefix(a.bits);
    case '&&':
      return samePrefix(Math.min(a.bits, b.bits));
    default:
      throw new PgError(SqlState.featureNotSupported, `operator ${operator} on inet is not supported`);
  }
}

/** inet_send/cidr_send. */
export function inetSend(text: string, cidr: boolean): Buffer {
  const value = parseInet(text);
  return Buffer.concat([
    Buffer.of(value.family === 4 ? 2 : 3, value.bits, cidr ? 1 : 0, value.address.length),
    Buffer.from(value.address),
  ]);
}

/** inet_recv/cidr_recv → a text inet_in reads as the same value (IPv6 written out in full). */
export function inetReceive(bytes: Buffer, cidr: boolean): string {
  const typeName = cidr ? 'cidr' : 'inet';
  const family = bytes[0];
  const length = family === 2 ? 4 : family === 3 ? 16 : -1;
  if (bytes.length !== 4 + length || bytes[3] !== length || bytes[1]! > length * 8)
    throw new PgError(SqlState.invalidBinaryRepresentation, `invalid external "${typeName}" value`);
  const address = bytes.subarray(4);
  const text =
    family === 2
      ? [...address].join('.')
      : Array.from({ length: 8 }, (_, i) => address.readUInt16BE(i * 2).toString(16)).join(':');
  const result = `${text}/${bytes[1]}`;
  parseInet(result, cidr);
  return result;
}

/** macaddr (6 bytes) or macaddr8 (8) in the forms macaddr_in/macaddr8_in accept → its output text. */
export function canonicalMac(text: string, size: 6 | 8): string {
  const typeName = size === 6 ? 'macaddr' : 'macaddr8';
  const trimmed = text.trim();
  const digits = trimmed.replace(/[:.-]/g, '');
  const separated = /^[0-9a-fA-F]{2}([:-])([0-9a-fA-F]{2}\1)*[0-9a-fA-F]{2}$/.test(trimmed);
  const grouped = /^[0-9a-fA-F]{4}([.-])[0-9a-fA-F]{4}\1[0-9a-fA-F]{4}$/.test(trimmed);
  const halves = /^[0-9a-fA-F]{6}[:-][0-9a-fA-F]{6}$/.test(trimmed);
  const plain = /^[0-9a-fA-F]+$/.test(trimmed);
  if (!(separated || grouped || halves || plain) || !/^[0-9a-fA-F]*$/.test(digits))
    throw invalid(typeName, text);
  let hexDigits = digits.toLowerCase();
  // macaddr8_in turns a 6-byte EUI-48 into EUI-64 by inserting FF:FE in the middle.
  if (size === 8 && hexDigits.length === 12) hexDigits = `${hexDigits.slice(0, 6)}fffe${hexDigits.slice(6)}`;
  if (hexDigits.length !== size * 2) throw invalid(typeName, text);
  return hexDigits.match(/../g)!.join(':');
}

/**
 * inet_out/cidr_out's text (pg_inet_net_ntop): an IPv4 address in full, an IPv6 one with its
 * first longest run of two or more zero words as `::` and an embedded IPv4 tail after `::` or
 * `::ffff:`; `/bits` when not the whole address (inet) or always (cidr).
 */
export function formatInet(value: InetValue, cidr: boolean): string {
  const max = value.address.length * 8;
  const suffix = cidr || value.bits !== max ? `/${value.bits}` : '';
  if (value.family === 4) return `${[...value.address].join('.')}${suffix}`;
  const words = Array.from({ length: 8 }, (_, i) => (value.address[i * 2]! << 8) | value.address[i * 2 + 1]!);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (const [i, word] of words.entries()) {
    if (word === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (best.base === -1 || cur.len > best.len) best = cur;
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      text += [...value.address.subarray(12)].join('.');
      return text + suffix;
    }
    text += words[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) text += ':';
  return text + suffix;
}
