/**
 * Seeded random binary parameters for the decoder fuzz test: mostly random
 * bytes at the lengths a type expects (so values get past the length check),
 * structured numerics and arrays with random parts, and mutations of them.
 */

export interface FuzzCase {
  readonly oid: number;
  readonly type: string;
  readonly bytes: Buffer;
}

/** mulberry32: a small deterministic PRNG, so a failure replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scalars: readonly [number, string, number | undefined][] = [
  [16, 'bool', 1],
  [17, 'bytea', undefined],
  [18, '"char"', 1],
  [19, 'name', undefined],
  [20, 'int8', 8],
  [21, 'int2', 2],
  [23, 'int4', 4],
  [25, 'text', undefined],
  [26, 'oid', 4],
  [114, 'json', undefined],
  [700, 'float4', 4],
  [701, 'float8', 8],
  [1042, 'bpchar', undefined],
  [1043, 'varchar', undefined],
  [1082, 'date', 4],
  [1083, 'time', 8],
  [1114, 'timestamp', 8],
  [1184, 'timestamptz', 8],
  [1186, 'interval', 16],
  [1266, 'timetz', 12],
  [1700, 'numeric', undefined],
  [2950, 'uuid', 16],
  [3802, 'jsonb', undefined],
];

const arrays: readonly [number, number, string][] = [
  [1000, 16, 'bool[]'],
  [1001, 17, 'bytea[]'],
  [1002, 18, '"char"[]'],
  [1003, 19, 'name[]'],
  [1016, 20, 'int8[]'],
  [1005, 21, 'int2[]'],
  [1007, 23, 'int4[]'],
  [1009, 25, 'text[]'],
  [1028, 26, 'oid[]'],
  [199, 114, 'json[]'],
  [1021, 700, 'float4[]'],
  [1022, 701, 'float8[]'],
  [1014, 1042, 'bpchar[]'],
  [1015, 1043, 'varchar[]'],
  [1182, 1082, 'date[]'],
  [1183, 1083, 'time[]'],
  [1115, 1114, 'timestamp[]'],
  [1185, 1184, 'timestamptz[]'],
  [1187, 1186, 'interval[]'],
  [1270, 1266, 'timetz[]'],
  [1231, 1700, 'numeric[]'],
  [2951, 2950, 'uuid[]'],
  [3807, 3802, 'jsonb[]'],
];

const jsonSamples = ['{}', '[1,2]', '"x"', '1', 'null', '{"a":', 'tru', ' [] ', '{"a":1}'];

class Generator {
  readonly #random: () => number;

  constructor(seed: number) {
    this.#random = prng(seed);
  }

  int(below: number): number {
    return Math.floor(this.#random() * below);
  }

  chance(p: number): boolean {
    return this.#random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  bytes(length: number): Buffer {
    const ascii = this.chance(0.4);
    return Buffer.from(Array.from({ length }, () => (ascii ? 0x20 + this.int(95) : this.int(256))));
  }

  /** Values near a limit more often than uniform bytes would give. */
  fixed(length: number): Buffer {
    const out = this.bytes(length);
    if (this.chance(0.3)) out.fill(this.pick([0x00, 0xff, 0x7f, 0x80]), 0, 1 + this.int(length));
    if (this.chance(0.3)) out.fill(0, 0, this.int(length));
    return out;
  }

  numeric(): Buffer {
    const ndigits = this.chance(0.1) ? this.int(8) + 3 : this.int(4);
    const out = Buffer.alloc(8 + ndigits * 2);
    out.writeInt16BE(ndigits, 0);
    out.writeInt16BE(this.chance(0.1) ? this.int(65536) - 32768 : this.int(9) - 4, 2);
    out.writeUInt16BE(this.chance(0.1) ? this.int(65536) : this.pick([0, 0x4000, 0xc000, 0xd000, 0xf000]), 4);
    out.writeInt16BE(this.chance(0.1) ? this.int(65536) - 32768 : this.int(14), 6);
    for (let i = 0; i < ndigits; i++)
      out.writeInt16BE(this.chance(0.05) ? 10000 : this.int(10000), 8 + i * 2);
    return out;
  }

  scalar(oid: number, length: number | undefined): Buffer {
    if (oid === 1700) return this.numeric();
    if (oid === 114) return Buffer.from(this.pick(jsonSamples));
    if (oid === 3802)
      return Buffer.concat([Buffer.of(this.chance(0.9) ? 1 : 2), Buffer.from(this.pick(jsonSamples))]);
    if (length !== undefined && this.chance(0.9)) return this.fixed(length);
    return this.bytes(this.int(length === undefined ? 70 : 20));
  }

  array(elementOid: number): Buffer {
    const ndim = this.chance(0.05) ? this.pick([-1, 7, 3]) : this.int(3);
    const dims = Array.from({ length: Math.max(ndim, 0) }, () => this.int(3));
    const head = Buffer.alloc(12 + dims.length * 8);
    head.writeInt32BE(ndim, 0);
    head.writeInt32BE(this.chance(0.05) ? 2 : this.int(2), 4);
    head.writeUInt32BE(this.chance(0.05) ? 25 : elementOid, 8);
    dims.forEach((dim, i) => {
      head.writeInt32BE(dim, 12 + i * 8);
      head.writeInt32BE(this.chance(0.1) ? 2147483647 : this.int(5) - 2, 16 + i * 8);
    });
    const chunks: Buffer[] = [head];
    const count = dims.length === 0 ? 0 : dims.reduce((a, b) => a * b, 1);
    const element = scalars.find(([oid]) => oid === elementOid);
    for (let i = 0; i < count; i++) {
      const bytes = this.scalar(elementOid, element?.[2]);
      const length = Buffer.alloc(4);
      length.writeInt32BE(this.chance(0.15) ? -1 : this.chance(0.03) ? bytes.length + 1 : bytes.length);
      chunks.push(length);
      if (length.readInt32BE(0) !== -1) chunks.push(bytes);
    }
    return this.mutate(Buffer.concat(chunks));
  }

  /** Sometimes truncates, extends or flips a byte. */
  mutate(bytes: Buffer): Buffer {
    if (this.chance(0.85) || bytes.length === 0) return bytes;
    const choice = this.int(3);
    if (choice === 0) return bytes.subarray(0, this.int(bytes.length));
    if (choice === 1) return Buffer.concat([bytes, this.bytes(1 + this.int(4))]);
    const out = Buffer.from(bytes);
    out[this.int(out.length)] = this.int(256);
    return out;
  }
}

export function fuzzCases(seed: number, perType: number): FuzzCase[] {
  const g = new Generator(seed);
  const cases: FuzzCase[] = [];
  for (const [oid, type, length] of scalars) {
    for (let i = 0; i < perType; i++) cases.push({ oid, type, bytes: g.mutate(g.scalar(oid, length)) });
  }
  for (const [oid, elementOid, type] of arrays) {
    for (let i = 0; i < perType; i++) cases.push({ oid, type, bytes: g.array(elementOid) });
  }
  return cases;
}
