/**
 * Random SQL expressions over every column type the copy supports, from a fixed
 * seed: the same seed gives the same expressions on every run and machine. Each
 * generator returns an expression of one PostgreSQL type, built from that type's
 * columns, literals (typed and untyped), operators, functions, CASE and COALESCE.
 */

export const fuzzTableSql = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE fz (
    id int PRIMARY KEY, i2 smallint, i4 int, i8 bigint, n numeric(10,3), nn numeric, f8 float8, f4 real,
    t text, vc varchar(10), c char(4), b boolean, d date, ts timestamp, tz timestamptz, iv interval,
    u uuid, jb jsonb, ta text[], ia int4[], m mood
  );
  INSERT INTO fz SELECT i,
    CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37) % 200 - 90 END,
    CASE WHEN i % 6 = 0 THEN NULL ELSE (i * 7919) % 100000 - 40000 END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE (i::bigint * 982451653) % 100000000000 - 3000000000 END,
    CASE WHEN i % 4 = 0 THEN NULL ELSE round(((i * 613) % 20000 - 9000) / 7.0, 3) END,
    CASE WHEN i % 8 = 0 THEN NULL ELSE round(((i * 811) % 5000 - 2000) / 13.0, i % 5) END,
    CASE WHEN i % 9 = 0 THEN NULL ELSE ((i * 271) % 1000 - 500) / 8.0 END,
    CASE WHEN i % 10 = 0 THEN NULL ELSE ((i * 31) % 300 - 100) / 4.0 END,
    CASE WHEN i % 6 = 1 THEN NULL WHEN i % 5 = 0 THEN '' ELSE (ARRAY['alpha', 'Beta', 'gamma x', 'δelta', 'EPS'])[1 + i % 5] || i END,
    CASE WHEN i % 7 = 2 THEN NULL ELSE 'v' || (i % 9) END,
    CASE WHEN i % 8 = 3 THEN NULL ELSE (ARRAY['ab', 'abc', 'a', 'wxyz'])[1 + i % 4] END,
    CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END,
    CASE WHEN i % 11 = 0 THEN NULL ELSE date '2024-02-27' + (i * 5) % 40 - 20 END,
    CASE WHEN i % 12 = 0 THEN NULL ELSE timestamp '2024-02-28 22:30:00' + i * interval '5 hours 17 minutes 3.25 seconds' END,
    CASE WHEN i % 13 = 0 THEN NULL ELSE timestamptz '2024-03-30 23:00:00+00' + i * interval '3 hours 41 minutes' END,
    CASE WHEN i % 5 = 1 THEN NULL ELSE make_interval(0, 0, 0, i % 4, i % 30, i % 60, (i % 7) / 4.0) END,
    CASE WHEN i % 9 = 2 THEN NULL ELSE md5(i::text)::uuid END,
    CASE WHEN i % 6 = 2 THEN NULL WHEN i % 4 = 0 THEN jsonb_build_object('k', i, 's', 'x' || i) ELSE jsonb_build_array(i, 'y') END,
    CASE WHEN i % 7 = 3 THEN NULL ELSE ARRAY['x' || (i % 3), 'y'] END,
    CASE WHEN i % 8 = 4 THEN NULL ELSE ARRAY[i % 5, -i] END,
    CASE WHEN i % 4 = 1 THEN NULL ELSE (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::mood END
  FROM generate_series(1, 24) i;`;

export type FuzzType =
  | 'int'
  | 'num'
  | 'float'
  | 'text'
  | 'bool'
  | 'date'
  | 'ts'
  | 'tz'
  | 'interval'
  | 'uuid'
  | 'jsonb'
  | 'array'
  | 'enum';

/** mulberry32: a small, well-mixed PRNG whose sequence depends only on the seed. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

type Gen = (r: Random, depth: number) => string;

const columns: Record<FuzzType, readonly string[]> = {
  int: ['i2', 'i4', 'i8', 'id'],
  num: ['n', 'nn'],
  float: ['f8', 'f4'],
  text: ['t', 'vc', 'c'],
  bool: ['b'],
  date: ['d'],
  ts: ['ts'],
  tz: ['tz'],
  interval: ['iv'],
  uuid: ['u'],
  jsonb: ['jb'],
  array: ['ta', 'ia'],
  enum: ['m'],
};

const literals: Record<FuzzType, readonly string[]> = {
  int: ['0', '1', '-3', '7', '100', '32767', "'12'"],
  num: ['1.5', '-0.25', '100.000', "'2.50'", '0.001', '1e3'],
  float: ['1.5::float8', "'-2.25'::float8", '0.1::float8', "'3'::real"],
  text: ["'alpha1'", "''", "'ab  '", "'Beta'", "'x'::text", "'δ'"],
  bool: ['true', 'false', "'t'::boolean"],
  date: ["date '2024-02-29'", "'2024-03-01'::date", "date '2023-12-31'"],
  ts: ["timestamp '2024-02-29 12:00:00'", "'2024-03-10 02:30:00'::timestamp"],
  tz: ["timestamptz '2024-03-31 01:30:00+00'", "'2024-10-27 00:59:59.5+00'::timestamptz"],
  interval: [
    "interval '1 day'",
    "interval '2 hours 30 minutes'",
    "'1 mon -3 days'::interval",
    "interval '90 minutes'",
  ],
  uuid: ["'c4ca4238-a0b9-3382-8dcc-509a6f75849b'::uuid"],
  jsonb: [`'{"k": 4}'::jsonb`, `'["y"]'::jsonb`],
  array: ["ARRAY['x1', 'y']", 'ARRAY[1, -2]'],
  enum: ["'ok'::mood"],
};

function leaf(type: FuzzType): Gen {
  return (r) => (r.next() < 0.7 ? r.pick(columns[type]) : r.pick(literals[type]));
}

/** Generators per type: each `(r, depth)` returns SQL of that type; depth bounds nesting. */
const generators: Record<FuzzType, readonly Gen[]> = {
  int: [
    (r, d) => `(${expr(r, 'int', d)} ${r.pick(['+', '-', '*'])} ${expr(r, 'int', d)})`,
    (r, d) => `(${expr(r, 'int', d)} ${r.pick(['/', '%'])} ${expr(r, 'int', d)})`,
    (r, d) => `abs(${expr(r, 'int', d)})`,
    (r, d) => `-${expr(r, 'int', d)}`,
    (r, d) => `length(${expr(r, 'text', d)})`,
    (r, d) => `position(${r.pick(["'a'", "'x'"])} in ${expr(r, 'text', d)})`,
    (r, d) => `(${expr(r, 'date', d)} - ${expr(r, 'date', d)})`,
    (r, d) => `${r.pick(['greatest', 'least'])}(${expr(r, 'int', d)}, ${expr(r, 'int', d)})`,
    (r, d) => `(${expr(r, 'num', d)})::int`,
    (r, d) => `(${expr(r, 'float', d)})::int8`,
    (r, d) => `array_length(ia, 1) + ${expr(r, 'int', d)}`,
    (r, _d) => `ia[${r.pick(['1', '2', '3'])}]`,
    (r, _d) => `cardinality(${r.pick(['ia', 'ta'])})`,
    (r, d) =>
      `extract(${r.pick(['year', 'month', 'day', 'dow', 'hour'])} from ${expr(r, r.pick(['date', 'ts'] as const), d)})::int`,
    (r, d) => `${expr(r, 'int', d)} # ${expr(r, 'int', d)}`,
  ],
  num: [
    (r, d) =>
      `(${expr(r, 'num', d)} ${r.pick(['+', '-', '*'])} ${expr(r, r.pick(['num', 'int'] as const), d)})`,
    (r, d) => `(${expr(r, 'num', d)} / ${expr(r, r.pick(['num', 'int'] as const), d)})`,
    (r, d) => `round(${expr(r, 'num', d)}, ${r.pick(['0', '1', '2', '-1'])})`,
    (r, d) => `trunc(${expr(r, 'num', d)}, ${r.pick(['0', '1'])})`,
    (r, d) => `abs(${expr(r, 'num', d)})`,
    (r, d) => `(${expr(r, 'int', d)})::numeric`,
    (r, d) => `(${expr(r, 'num', d)})::numeric(8,1)`,
    (r, d) => `mod(${expr(r, 'num', d)}, ${r.pick(['3', '0.7'])})`,
    (r, d) => `${r.pick(['ceil', 'floor', 'sign'])}(${expr(r, 'num', d)})`,
  ],
  float: [
    (r, d) =>
      `(${expr(r, 'float', d)} ${r.pick(['+', '-', '*', '/'])} ${expr(r, r.pick(['float', 'int'] as const), d)})`,
    (r, d) => `sqrt(abs(${expr(r, 'float', d)}))`,
    (r, d) => `${r.pick(['floor', 'ceil', 'round', 'abs'])}(${expr(r, 'float', d)})`,
    (r, d) => `(${expr(r, 'int', d)})::float8`,
    (r, d) => `(${expr(r, 'num', d)})::float8`,
    (r, d) => `power(${expr(r, 'float', d)}, 2)`,
  ],
  text: [
    (r, d) => `(${expr(r, 'text', d)} || ${expr(r, r.pick(['text', 'int'] as const), d)})`,
    (r, d) => `${r.pick(['upper', 'lower', 'btrim', 'initcap', 'reverse', 'md5'])}(${expr(r, 'text', d)})`,
    (r, d) => `substr(${expr(r, 'text', d)}, ${r.pick(['1', '2', '0'])}, ${r.pick(['2', '3'])})`,
    (r, d) => `${r.pick(['left', 'right'])}(${expr(r, 'text', d)}, ${r.pick(['2', '-1'])})`,
    (r, d) => `replace(${expr(r, 'text', d)}, 'a', 'A')`,
    (r, d) => `lpad(${expr(r, 'text', d)}, 6, '*')`,
    (r, d) => `concat(${expr(r, 'text', d)}, ${expr(r, r.pick(['int', 'date', 'bool'] as const), d)})`,
    (r, d) =>
      `(${expr(r, r.pick(['int', 'num', 'date', 'float', 'bool', 'uuid', 'enum'] as const), d)})::text`,
    (r, d) => `split_part(${expr(r, 'text', d)}, ' ', 1)`,
    (_r, _d) => `array_to_string(ta, ',')`,
    (r, d) => `repeat(${expr(r, 'text', d)}, 2)`,
    (r, d) => `(${expr(r, 'jsonb', d)})::text`,
    (r, d) =>
      `to_char(${expr(r, r.pick(['ts', 'int'] as const), d)}, ${r.pick(["'YYYY-MM-DD'", "'FM999'", "'HH24:MI'"])})`,
  ],
  bool: [
    (r, d) => {
      const type = r.pick([
        'int',
        'num',
        'text',
        'date',
        'ts',
        'tz',
        'float',
        'interval',
        'uuid',
        'enum',
        'bool',
      ] as const);
      return `(${expr(r, type, d)} ${r.pick(['=', '<>', '<', '>', '<=', '>='])} ${expr(r, type, d)})`;
    },
    (r, d) =>
      `(${expr(r, r.pick(['int', 'text', 'date', 'num'] as const), d)} IS ${r.pick(['NULL', 'NOT NULL'])})`,
    (r, d) => `(${expr(r, 'bool', d)} ${r.pick(['AND', 'OR'])} ${expr(r, 'bool', d)})`,
    (r, d) => `(NOT ${expr(r, 'bool', d)})`,
    (r, d) =>
      `(${expr(r, 'text', d)} ${r.pick(['LIKE', 'ILIKE', 'NOT LIKE'])} ${r.pick(["'a%'", "'%a%'", "'_b%'", "''"])})`,
    (r, d) => `(${expr(r, 'int', d)} BETWEEN ${expr(r, 'int', d)} AND ${expr(r, 'int', d)})`,
    (r, d) => `(${expr(r, 'text', d)} IN ('ab', 'v3', 'alpha1', ''))`,
    (r) => `(m ${r.pick(['>', '<', '='])} '${r.pick(['sad', 'ok', 'happy'])}')`,
    (r) => `(c = '${r.pick(['ab', 'ab  ', 'a', 'wxyz'])}')`,
    (_r) => `(ta @> ARRAY['y'])`,
    (r, d) => `(${expr(r, 'int', d)} = ANY (ia))`,
    (r, d) => `(${expr(r, 'bool', d)} IS DISTINCT FROM ${expr(r, 'bool', d)})`,
    (r) => `(jb = '${r.pick(['["y"]', '{"k": 4, "s": "x4"}', '[4, "y"]'])}')`,
    (r) => `(tz > '${r.pick(['2024-04-01', '2024-04-02 12:00:00+02'])}')`,
  ],
  date: [
    (r, d) => `(${expr(r, 'date', d)} ${r.pick(['+', '-'])} ${expr(r, 'int', d)})`,
    (r, d) => `(${expr(r, 'ts', d)})::date`,
    (r, d) => `(${expr(r, 'tz', d)})::date`,
  ],
  ts: [
    (r, d) => `(${expr(r, 'ts', d)} ${r.pick(['+', '-'])} ${expr(r, 'interval', d)})`,
    (r, d) => `date_trunc('${r.pick(['day', 'month', 'hour', 'week', 'year'])}', ${expr(r, 'ts', d)})`,
    (r, d) => `(${expr(r, 'date', d)} + ${expr(r, 'interval', d)})`,
    (r, d) => `(${expr(r, 'date', d)})::timestamp`,
    (r, d) => `(${expr(r, 'tz', d)} AT TIME ZONE 'UTC')`,
  ],
  tz: [
    (r, d) => `(${expr(r, 'tz', d)} ${r.pick(['+', '-'])} ${expr(r, 'interval', d)})`,
    (r, d) => `date_trunc('${r.pick(['day', 'hour', 'month'])}', ${expr(r, 'tz', d)})`,
    (r, d) => `(${expr(r, 'ts', d)})::timestamptz`,
  ],
  interval: [
    (r, d) => `(${expr(r, 'interval', d)} ${r.pick(['+', '-'])} ${expr(r, 'interval', d)})`,
    (r, d) => `(${expr(r, 'interval', d)} * ${r.pick(['2', '0.5', '-1'])})`,
    (r, d) => `(${expr(r, 'ts', d)} - ${expr(r, 'ts', d)})`,
    (r, d) => `justify_hours(${expr(r, 'interval', d)})`,
  ],
  uuid: [],
  jsonb: [(r) => `(jb -> ${r.pick(["'k'", '0', "'s'"])})`, (_r) => `jsonb_typeof(jb)::text::jsonb`],
  array: [(r) => `array_append(ia, ${r.pick(['1', 'NULL'])})`, () => `(ta || 'z'::text)`],
  enum: [],
};

const generic: readonly ((type: FuzzType) => Gen)[] = [
  (type) => (r, d) => `CASE WHEN ${expr(r, 'bool', d)} THEN ${expr(r, type, d)} ELSE ${expr(r, type, d)} END`,
  (type) => (r, d) => `COALESCE(${expr(r, type, d)}, ${r.pick(literals[type])})`,
  (type) => (r, d) => `NULLIF(${expr(r, type, d)}, ${expr(r, type, d)})`,
];

/** An expression of `type`, nested at most `depth` levels. */
export function expr(r: Random, type: FuzzType, depth: number): string {
  if (depth <= 0 || r.next() < 0.3) return leaf(type)(r, 0);
  const own = generators[type];
  if (own.length === 0 || r.next() < 0.12) return r.pick(generic)(type)(r, depth - 1);
  return r.pick(own)(r, depth - 1);
}

export const fuzzTypes: readonly FuzzType[] = Object.keys(columns) as FuzzType[];
