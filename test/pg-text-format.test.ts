/**
 * Numbers, text, bytea, uuid, arrays and rows: PostgreSQL's own output vs
 * the formatter on DuckDB's values (see pg-text-format-harness.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Case, Differential, randomBigInt, seededRandom, sqlString } from './pg-text-format-harness.js';

let diff: Differential;
before(async () => {
  diff = await Differential.start();
});
after(async () => {
  await diff?.close();
});

const random = seededRandom(20240601);

function cases(values: readonly string[], pgType: string, duckType: string): Case[] {
  return values.map((v) => ({ pg: `${v}::${pgType}`, duck: `${v}::${duckType}` }));
}

function integers(min: bigint, max: bigint, count: number): string[] {
  const values = [min, max, 0n, 1n, -1n].filter((v) => v >= min && v <= max);
  for (let i = 0; i < count; i++) values.push(randomBigInt(random, min, max));
  return values.map((v) => `'${v}'`);
}

test('integers of every width, with NULL', async () => {
  const groups: [bigint, bigint, string, string][] = [
    [-128n, 127n, 'int2', 'TINYINT'],
    [0n, 255n, 'int2', 'UTINYINT'],
    [-32768n, 32767n, 'int2', 'SMALLINT'],
    [0n, 65535n, 'int4', 'USMALLINT'],
    [-(2n ** 31n), 2n ** 31n - 1n, 'int4', 'INTEGER'],
    [0n, 2n ** 32n - 1n, 'int8', 'UINTEGER'],
    [-(2n ** 63n), 2n ** 63n - 1n, 'int8', 'BIGINT'],
    [0n, 2n ** 64n - 1n, 'numeric', 'UBIGINT'],
    [-(2n ** 127n) + 1n, 2n ** 127n - 1n, 'numeric', 'HUGEINT'],
    [0n, 2n ** 128n - 1n, 'numeric', 'UHUGEINT'],
  ];
  for (const [min, max, pgType, duckType] of groups) {
    const values = [...integers(min, max, 30), 'NULL'];
    assert.deepEqual(await diff.compare(cases(values, pgType, duckType)), [], duckType);
  }
});

test('booleans', async () => {
  assert.deepEqual(await diff.compare(cases(['true', 'false', 'NULL'], 'bool', 'BOOLEAN')), []);
});

/** A double from 64 random bits, so every exponent and subnormals appear. */
function randomDouble(): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, Math.floor(random() * 2 ** 32));
  view.setUint32(4, Math.floor(random() * 2 ** 32));
  return view.getFloat64(0);
}

function floatLiteral(value: number): string {
  if (Number.isNaN(value)) return "'NaN'";
  if (Object.is(value, -0)) return "'-0'";
  return `'${value}'`;
}

const float8Edges = [
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e-5,
  1e-4,
  0.0001234,
  9.999e-5,
  1e15,
  1e16,
  1e14,
  999999999999999.9,
  123456789012345,
  1234567890123456,
  5e-324,
  2.2250738585072014e-308,
  // PostgreSQL never prints a decimal lying exactly on the half-way boundary to a neighbour.
  64147777551069024,
  -323946814645333600,
  2 ** 60,
  2 ** 53,
  2 ** 54 + 4,
  1.7976931348623157e308,
  0.1,
  0.2 + 0.1,
  1 / 3,
  -1.5,
  100,
  1e21,
  1e22,
  1e-7,
  123.456,
  -(2 ** 53),
  2 ** 53 + 2,
];

test('float8: shortest-exact digits, exponent thresholds, NaN, ±Infinity, -0', async () => {
  const values = [...float8Edges];
  for (let i = 0; i < 300; i++) values.push(randomDouble());
  for (let i = 0; i < 100; i++) {
    values.push(Math.round(random() * 1e6) * 10 ** Math.floor(random() * 40 - 20));
    values.push((random() - 0.5) * 2 ** (54 + Math.floor(random() * 20)));
  }
  const literals = values.map(floatLiteral);
  assert.deepEqual(await diff.compare(cases([...literals, 'NULL'], 'float8', 'DOUBLE')), []);
});

test('float4: shortest digits that round-trip through float32', async () => {
  const values = [
    0,
    -0,
    Number.NaN,
    Infinity,
    -Infinity,
    3.4028235e38,
    1e-45,
    1e6,
    123456,
    1234567,
    1e-5,
    1e-4,
    0.1,
  ];
  const bits = new Float32Array(1);
  const words = new Uint32Array(bits.buffer);
  for (let i = 0; i < 400; i++) {
    words[0] = Math.floor(random() * 2 ** 32);
    if (Number.isFinite(bits[0])) values.push(bits[0] as number);
  }
  for (let e = -45; e <= 38; e++) values.push(Math.fround(10 ** e), Math.fround(2 ** (e * 3)));
  values.push(108384256, 140817408, -121271664, 111700475904);
  for (let i = 0; i < 150; i++)
    values.push(Math.fround(Math.floor(random() * 1e6) * 2 ** Math.floor(random() * 60 - 30)));
  const literals = values.map((v) => floatLiteral(Math.fround(v)));
  assert.deepEqual(await diff.compare(cases([...literals, 'NULL'], 'float4', 'FLOAT')), []);
});

function decimalLiteral(precision: number, scale: number): string {
  const digits = Math.floor(random() * (precision + 1));
  let text = '';
  for (let i = 0; i < digits; i++) text += Math.floor(random() * 10);
  text = text.padStart(precision, '0');
  const sign = random() < 0.5 ? '-' : '';
  return scale === 0
    ? `'${sign}${text}'`
    : `'${sign}${text.slice(0, precision - scale)}.${text.slice(precision - scale)}'`;
}

test('decimal(p,s): exact digits with exactly s fraction digits and numeric typmod', async () => {
  for (const [precision, scale] of [
    [4, 0],
    [4, 2],
    [9, 4],
    [12, 2],
    [18, 0],
    [18, 6],
    [18, 18],
    [38, 0],
    [38, 2],
    [38, 10],
    [38, 37],
  ] as const) {
    const values = ["'0'", "'-0'", 'NULL'];
    for (let i = 0; i < 30; i++) values.push(decimalLiteral(precision, scale));
    const type = `(${precision},${scale})`;
    assert.deepEqual(await diff.compare(cases(values, `numeric${type}`, `DECIMAL${type}`)), [], type);
  }
});

const alphabet = [
  'a',
  'Z',
  '0',
  ' ',
  '\t',
  '\n',
  '"',
  "'",
  '\\',
  ',',
  '{',
  '}',
  '(',
  ')',
  'é',
  '€',
  '𝄞',
  '日',
  'N',
  'U',
  'L',
];

function randomText(maxLength: number): string {
  let text = '';
  const length = Math.floor(random() * (maxLength + 1));
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

const textEdges = [
  '',
  ' ',
  'NULL',
  'null',
  'NuLl',
  'NULLx',
  'a b',
  'x"y',
  'b\\c',
  'a,b',
  '{x}',
  'é',
  '\u00a0',
  'tab\there',
];

test('text and json as is', async () => {
  const values = [...textEdges];
  for (let i = 0; i < 100; i++) values.push(randomText(12));
  assert.deepEqual(await diff.compare(cases([...values.map(sqlString), 'NULL'], 'text', 'VARCHAR')), []);
  const json = ['{"a":1}', '[1,2]', '"x"'].map(sqlString);
  assert.deepEqual(await diff.compare(cases(json, 'json', 'JSON')), []);
});

function randomHex(maxBytes: number): string {
  let hex = '';
  const length = Math.floor(random() * (maxBytes + 1));
  for (let i = 0; i < length; i++)
    hex += (random() < 0.2 ? 0 : Math.floor(random() * 256)).toString(16).padStart(2, '0');
  return hex;
}

test('bytea as \\x and lowercase hex', async () => {
  const hexes = ['', '00', '0000ff', 'DEADBEEF'];
  for (let i = 0; i < 60; i++) hexes.push(randomHex(20));
  const list = hexes.map((hex) => ({ pg: `'\\x${hex}'::bytea`, duck: `from_hex('${hex}')` }));
  assert.deepEqual(await diff.compare([...list, { pg: 'NULL::bytea', duck: 'NULL::BLOB' }]), []);
});

test('uuid lowercase with hyphens', async () => {
  const values = ["'00000000-0000-0000-0000-000000000000'", "'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF'"];
  for (let i = 0; i < 40; i++) {
    const hex = randomBigInt(random, 0n, 2n ** 128n - 1n)
      .toString(16)
      .padStart(32, '0');
    const text = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    values.push(`'${i % 2 ? text.toUpperCase() : text}'`);
  }
  assert.deepEqual(await diff.compare(cases([...values, 'NULL'], 'uuid', 'UUID')), []);
});

/** An array of `elements` (SQL expressions of one type) in both dialects; [] is empty. */
function arrayCase(elements: readonly Case[], pgType: string, duckType: string): Case {
  if (elements.length === 0) return { pg: `'{}'::${pgType}[]`, duck: `[]::${duckType}[]` };
  return {
    pg: `ARRAY[${elements.map((e) => e.pg).join(', ')}]::${pgType}[]`,
    duck: `[${elements.map((e) => e.duck).join(', ')}]::${duckType}[]`,
  };
}

function randomArrays(elements: readonly Case[], pgType: string, duckType: string, count: number): Case[] {
  const arrays = [arrayCase([], pgType, duckType), { pg: `NULL::${pgType}[]`, duck: `NULL::${duckType}[]` }];
  const withNull = [...elements, { pg: `NULL::${pgType}`, duck: `NULL::${duckType}` }];
  for (let i = 0; i < count; i++) {
    const length = 1 + Math.floor(random() * 5);
    arrays.push(
      arrayCase(
        Array.from({ length }, () => withNull[Math.floor(random() * withNull.length)] as Case),
        pgType,
        duckType,
      ),
    );
  }
  return arrays;
}

test('arrays: quoting of empty, NULL-like, special and space-containing elements', async () => {
  const text = [...textEdges, ...Array.from({ length: 20 }, () => randomText(6))].map((t) => ({
    pg: sqlString(t),
    duck: sqlString(t),
  }));
  assert.deepEqual(await diff.compare(randomArrays(text, 'text', 'VARCHAR', 60)), []);
  const ints = integers(-(2n ** 31n), 2n ** 31n - 1n, 10).map((v) => ({
    pg: `${v}::int4`,
    duck: `${v}::INTEGER`,
  }));
  assert.deepEqual(await diff.compare(randomArrays(ints, 'int4', 'INTEGER', 20)), []);
  const bigs = integers(-(2n ** 63n), 2n ** 63n - 1n, 10).map((v) => ({
    pg: `${v}::int8`,
    duck: `${v}::BIGINT`,
  }));
  assert.deepEqual(await diff.compare(randomArrays(bigs, 'int8', 'BIGINT', 10)), []);
  const smalls = integers(-32768n, 32767n, 10).map((v) => ({ pg: `${v}::int2`, duck: `${v}::SMALLINT` }));
  assert.deepEqual(await diff.compare(randomArrays(smalls, 'int2', 'SMALLINT', 10)), []);
  const floats = float8Edges.map((v) => ({
    pg: `${floatLiteral(v)}::float8`,
    duck: `${floatLiteral(v)}::DOUBLE`,
  }));
  assert.deepEqual(await diff.compare(randomArrays(floats, 'float8', 'DOUBLE', 20)), []);
  const reals = [1.5, -0, 1e-45, 1e6].map((v) => ({
    pg: `${floatLiteral(v)}::float4`,
    duck: `${floatLiteral(v)}::FLOAT`,
  }));
  assert.deepEqual(await diff.compare(randomArrays(reals, 'float4', 'FLOAT', 10)), []);
  const numerics = Array.from({ length: 10 }, () => decimalLiteral(10, 2)).map((v) => ({
    pg: `${v}::numeric(10,2)`,
    duck: `${v}::DECIMAL(10,2)`,
  }));
  assert.deepEqual(await diff.compare(randomArrays(numerics, 'numeric(10,2)', 'DECIMAL(10,2)', 10)), []);
  const bools = ['true', 'false'].map((v) => ({ pg: v, duck: v }));
  assert.deepEqual(await diff.compare(randomArrays(bools, 'bool', 'BOOLEAN', 10)), []);
  const blobs = ['', '00ff', '5c22'].map((hex) => ({ pg: `'\\x${hex}'::bytea`, duck: `from_hex('${hex}')` }));
  assert.deepEqual(await diff.compare(randomArrays(blobs, 'bytea', 'BLOB', 10)), []);
  const uuids = ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"].map((v) => ({
    pg: `${v}::uuid`,
    duck: `${v}::UUID`,
  }));
  assert.deepEqual(await diff.compare(randomArrays(uuids, 'uuid', 'UUID', 5)), []);
});

test('nested lists print as multi-dimensional arrays of the element array type', async () => {
  const list = [
    { pg: 'ARRAY[[1,2],[3,4]]::int4[]', duck: '[[1,2],[3,4]]::INTEGER[][]' },
    { pg: 'ARRAY[[1,NULL]]::int4[]', duck: '[[1,NULL]]::INTEGER[][]' },
    { pg: `ARRAY[['a b','']]::text[]`, duck: `[['a b','']]::VARCHAR[][]` },
  ];
  for (const one of list) assert.deepEqual(await diff.compare([one]), []);
  const fixed = [{ pg: 'ARRAY[1,2,3]::int4[]', duck: '[1,2,3]::INTEGER[3]' }];
  assert.deepEqual(await diff.compare(fixed), []);
});

test('structs print as PostgreSQL row literals, enums as their label', async () => {
  const rows: Case[] = [
    { pg: `ROW(1, 'a b'::text, NULL::int4)`, duck: `struct_pack(a := 1, b := 'a b', c := NULL::INTEGER)` },
    {
      pg: `ROW(''::text, 'x"y\\z'::text, '(,)'::text)`,
      duck: `struct_pack(a := '', b := 'x"y\\z', c := '(,)')`,
    },
    { pg: `ROW(1.5::float8, ARRAY[1,2]::int4[])`, duck: `struct_pack(a := 1.5::DOUBLE, b := [1,2])` },
  ];
  for (const row of rows) assert.deepEqual(await diff.compare([row], { checkType: false }), []);
  const labels = ['a', 'b c', ''].map((l) => ({
    pg: `${sqlString(l)}::text`,
    duck: `${sqlString(l)}::ENUM('a', 'b c', '')`,
  }));
  assert.deepEqual(await diff.compare(labels), []);
});
