/**
 * JSON constructors and aggregates (to_json, json_build_object, json_agg, json_object_agg and
 * their jsonb forms), differentially: every query runs on the heap table and through the daemon,
 * directly and through columnar.items (postgres_fdw), and must return the same text, column names
 * and type OIDs. What the daemon refuses fails with 0A000; what PostgreSQL refuses fails alike.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { binaryRows } from './helpers/binary-rows.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;

// Every value type the constructors print, with the values whose JSON text is special: NaN, -0,
// 1e-7 and 1e20 floats, numerics with trailing zeros and NaN, strings needing escapes (quotes,
// backslashes, line feeds, control characters) and non-ASCII, BC and infinite dates and
// timestamps, fractional seconds, mixed-sign intervals, NULL array elements, arrays of several
// dimensions, and NULLs. numeric[] and char(n)[] sit apart in nums: the daemon does not send those
// columns to postgres_fdw, so they are compared directly only.
const setup = String.raw`
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TABLE items (
    id int PRIMARY KEY, grp int, i int, big bigint, n numeric(10,2), bn numeric, f float8, t text,
    b bool, d date, tz timestamptz, ts timestamp, iv interval, m mood, jb jsonb, js json,
    ta text[], ia int[], c char(4), v varchar(10), u uuid, r real, ip inet, mac macaddr,
    tm time, ir int4range, nr numrange, by bytea, ivs interval[], ips inet[], dd date[], md int[][],
    nf numeric(5,2)[][], va varchar(5)[], tsa timestamptz[], ma mood[], tma time[], ttz timetz);
  INSERT INTO items VALUES
    (1, 1, 1, 9007199254740993, 1.50, 1.50, 'NaN', E'quote " back \\ nl \n tab \t', true,
     '2024-01-01', '2024-01-01 01:00:00+00', '2024-01-01 00:00:00.5', '1 year 2 mons -3 days 04:05:06.5',
     'ok', '{"b": 1, "a": [1, 2.50]}', '{"b": 1,  "a": 1e2, "b": 2}', '{a,NULL,"b c"}', '{1,NULL,3}',
     'ab', 'x y', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'Infinity', '10.1.2.3/8', '08-00-2B-01-02-03',
     '01:02:03.5', '[1,5]', '(1.50,2.5]', '\x00ff', '{1 day,NULL,-00:00:01.5}', '{10.0.0.1,::1/128}',
     '{2020-01-01,infinity,NULL}', '{{1,2},{3,NULL}}', '{{1,2.5}}', '{x,"y z"}',
     '{2024-01-01 01:00:00+00,-infinity}', '{ok,NULL,sad}', '{01:02:03.25,24:00:00}', '01:02:03.5+05:30'),
    (2, 1, -2, -1, -0.50, 'NaN', '-0', E'ctl \x01 \x1f é ✓ \x7f', false,
     '0044-03-15 BC', '2024-06-01 12:30:00.25+02', 'infinity', '-1 days +02:00:00', 'sad', '"str"',
     '[1, "two"]', '{}', '{}', '', 'z', NULL, 1.5, '::1', NULL, '24:00:00', 'empty', NULL, '',
     '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '24:00:00-00'),
    (3, 2, 3, 0, 0.00, '123456789012345678901234567890.123', 1e-7, '', NULL,
     'infinity', '-infinity', '1999-12-31 23:59:59.999999', '00:00:00', 'happy', 'null', 'null',
     NULL, '{-7}', NULL, NULL, NULL, -0.25, NULL, NULL, '00:00:00', '(,3)', '[-1,)', NULL,
     NULL, NULL, NULL, '{{7}}', NULL, NULL, NULL, NULL, NULL, '10:00:00-04:56:02'),
    (4, 2, NULL, NULL, NULL, NULL, 1e20, NULL, true, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     '{"\"q\"","back\\slash"}', NULL, 'abcd', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (5, 3, 5, 5, 99.99, '-0.000', -12.5, 'dup', false, '2000-02-29', '1970-01-01 00:00:00+00',
     '2000-02-29 12:00:00', '1 mon', 'ok', '{"z": {}, "aa": []}', '{}', '{x}', '{5,6}', 'dup ', 'dup',
     'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', 3, '2001:db8::/32', 'ff:ff:ff:ff:ff:ff', '23:59:59.999999',
     '[2,3)', 'empty', 'a"b', '{1 mon}', '{192.168.0.0/16}', '{0044-03-15 BC}', '{{-1,0,1}}',
     '{{0.01},{-0.01}}', '{}', '{1970-01-01 00:00:00.000001+00}',
     '{happy}', '{00:00:00}', '00:00:00+14');
  CREATE TABLE many AS SELECT i AS id, i % 3 AS g, 'v' || i AS x, ARRAY[i, -i] AS a FROM generate_series(1, 3000) i;
  ALTER TABLE many ADD PRIMARY KEY (id);
  CREATE TABLE nums (id int PRIMARY KEY, na numeric[], ca char(3)[]);
  INSERT INTO nums VALUES (1, '{1.50,NaN,NULL,-0.000}', '{a}'), (2, '{}', NULL), (3, NULL, NULL),
    (4, '{12345678901234567890123456789012345678901.5}', NULL);`;

/** Every column, for the per-column queries. */
const COLUMNS = [
  'id',
  'big',
  'n',
  'bn',
  'f',
  'r',
  't',
  'b',
  'd',
  'tz',
  'ts',
  'iv',
  'm',
  'jb',
  'js',
  'ta',
  'ia',
  'c',
  'v',
  'u',
  'ip',
  'mac',
  'tm',
  'ir',
  'nr',
  'by',
  'ivs',
  'ips',
  'dd',
  'md',
  'nf',
  'va',
  'tsa',
  'ma',
  'tma',
  'ttz',
];

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(setup, ['items', 'many', 'nums'], { foreignServer: true });
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

/** Rows as text, with each column's name and type OID. */
async function described(client: pg.Client, sql: string) {
  const result = await client.query({ text: sql, rowMode: 'array' });
  return { columns: result.fields.map((f) => `${f.name}:${f.dataTypeID}`), rows: result.rows };
}

/** The same answer on the daemon, and through columnar.items, as on the heap. */
async function same(template: string): Promise<void> {
  const sql = template.replaceAll('{t}', 'items');
  const expected = await described(heap, sql);
  assert.deepEqual(await described(columnar, sql), expected, sql);
  const foreign = template.replaceAll('{t}', 'columnar.items');
  assert.deepEqual(await described(heap, foreign), expected, foreign);
}

/** The same error (SQLSTATE and message) from both. */
async function sameError(sql: string, code: string): Promise<void> {
  const expected = await failure(heap, sql);
  const actual = await failure(columnar, sql);
  assert.equal(expected.code, code, `${sql} in PostgreSQL`);
  assert.equal(actual.code, expected.code, `${sql}: ${actual.message}`);
  assert.equal(actual.message, expected.message, sql);
}

describe('to_json and to_jsonb of every type print what PostgreSQL prints', () => {
  for (const fn of ['to_json', 'to_jsonb']) {
    test(`${fn} of each column`, async () => {
      await same(`SELECT id, ${COLUMNS.map((c) => `${fn}(${c})`).join(', ')} FROM {t} ORDER BY id`);
    });
  }
  test('of a numeric[] column (directly: the daemon does not send the column itself to postgres_fdw)', async () => {
    const sql = `SELECT id, to_json(na), to_jsonb(na), json_build_object('na', na) FROM nums ORDER BY id`;
    assert.deepEqual(await described(columnar, sql), await described(heap, sql), sql);
    const agg = `SELECT json_agg(na ORDER BY id), jsonb_agg(na ORDER BY id) FROM nums`;
    assert.deepEqual(await described(columnar, agg), await described(heap, agg), agg);
  });
  test('array_to_json, and constants of each kind', async () => {
    await same(
      `SELECT id, array_to_json(ta), array_to_json(ia), array_to_json(ia, false) FROM {t} ORDER BY id`,
    );
    await same(
      `SELECT to_json(1.50), to_jsonb(2.0e3), to_json(true), to_json('x'::text), to_json(NULL::int), to_json(ARRAY['a'::char(3)])`,
    );
  });
});

describe('json_build_object and json_build_array', () => {
  test('every column as a value, json and jsonb', async () => {
    for (const fn of ['json_build_object', 'jsonb_build_object'])
      await same(`SELECT id, ${fn}(${COLUMNS.map((c) => `'${c}', ${c}`).join(', ')}) FROM {t} ORDER BY id`);
  });
  test('every scalar column as a key', async () => {
    const keys = [
      'id',
      'big',
      'n',
      'bn',
      'f',
      'r',
      't',
      'b',
      'd',
      'tz',
      'ts',
      'iv',
      'm',
      'c',
      'v',
      'ip',
      'tm',
      'ir',
    ];
    for (const fn of ['json_build_object', 'jsonb_build_object'])
      await same(
        `SELECT id, ${fn}(${keys.map((k) => `${k}, 1`).join(', ')}) FROM {t} WHERE id IN (1, 2, 5) ORDER BY id`,
      );
    await same(
      `SELECT id, json_build_object(id, t, n, f, b, d, d, tz) FROM {t} WHERE d IS NOT NULL AND b IS NOT NULL ORDER BY id`,
    );
    await same(
      `SELECT id, jsonb_build_object(m, iv, f, ts, 'z', 1, 'z', 2) FROM {t} WHERE m IS NOT NULL ORDER BY id`,
    );
  });
  test('arrays, nesting, no arguments', async () => {
    for (const fn of ['json_build_array', 'jsonb_build_array'])
      await same(
        `SELECT id, ${fn}(${COLUMNS.join(', ')}), ${fn}(), ${fn}(NULL, 'x', 1) FROM {t} ORDER BY id`,
      );
    await same(
      `SELECT json_build_object(), jsonb_build_object(), json_build_object('a', json_build_array(1, json_build_object('b', NULL)))`,
    );
    await same(
      `SELECT id, jsonb_build_object('o', to_jsonb(jb), 'j', js, 'a', jsonb_build_array(ta, ia)) FROM {t} ORDER BY id`,
    );
  });
});

describe('json_agg and jsonb_agg', () => {
  test('of each column, in the aggregate order', async () => {
    for (const fn of ['json_agg', 'jsonb_agg'])
      await same(`SELECT ${COLUMNS.map((c) => `${fn}(${c} ORDER BY id)`).join(', ')} FROM {t}`);
  });
  test('ORDER BY keys, DESC and NULLS, FILTER, GROUP BY', async () => {
    await same(`SELECT json_agg(t ORDER BY t DESC NULLS FIRST, id), jsonb_agg(f ORDER BY f, id) FROM {t}`);
    await same(
      `SELECT json_agg(i ORDER BY id) FILTER (WHERE b), jsonb_agg(n ORDER BY id DESC) FILTER (WHERE i > 0) FROM {t}`,
    );
    await same(
      `SELECT grp, json_agg(d ORDER BY id), jsonb_agg(tz ORDER BY id), count(*) FROM {t} GROUP BY grp ORDER BY grp`,
    );
    await same(`SELECT m, json_agg(id ORDER BY id) FROM {t} GROUP BY m ORDER BY m NULLS FIRST`);
  });
  test('DISTINCT lists each value once, in its order', async () => {
    await same(
      `SELECT json_agg(DISTINCT m), jsonb_agg(DISTINCT grp), json_agg(DISTINCT b), json_agg(DISTINCT n) FROM {t}`,
    );
    await same(
      `SELECT json_agg(DISTINCT t ORDER BY t DESC), json_agg(DISTINCT d) FILTER (WHERE id > 1) FROM {t}`,
    );
  });
  test('no rows and empty groups give NULL', async () => {
    await same(
      `SELECT json_agg(id), jsonb_agg(t), json_object_agg(t, id), jsonb_object_agg(t, id) FROM {t} WHERE false`,
    );
    await same(
      `SELECT grp, json_agg(id) FILTER (WHERE id > 4), jsonb_object_agg(id, t) FILTER (WHERE false) FROM {t} GROUP BY grp ORDER BY grp`,
    );
  });
  test('of array_agg() and ARRAY[…], which the type stage leaves untyped', async () => {
    await same(
      `SELECT grp, json_build_object('ids', array_agg(id ORDER BY id), 'n', array_agg(n ORDER BY id), 'bn', array_agg(bn ORDER BY id), 'f', array_agg(f ORDER BY id), 'd', array_agg(d ORDER BY id), 'm', array_agg(m ORDER BY id)) FROM {t} GROUP BY grp ORDER BY grp`,
    );
    await same(
      `SELECT id, to_json(ARRAY[1, 2]), to_jsonb(ARRAY['a', NULL]), json_build_array(ARRAY[id, i], ARRAY[t]) FROM {t} ORDER BY id`,
    );
  });
  test('array_to_json(array_agg(…)), of values and of whole rows', async () => {
    await same(`SELECT array_to_json(array_agg(x ORDER BY id)) FROM {t} x`);
    await same(
      `SELECT grp, array_to_json(array_agg(s ORDER BY id DESC) FILTER (WHERE id > 1)) FROM (SELECT id, grp, t, ia FROM {t}) s GROUP BY grp ORDER BY grp`,
    );
    await same(
      `SELECT array_to_json(array_agg(t ORDER BY id)), array_to_json(array_agg(DISTINCT grp)) FROM {t}`,
    );
    await same(`SELECT array_to_json(array_agg(x ORDER BY id)) FROM {t} x WHERE false`);
  });
  test('of scalar subqueries, whose type is known once they are emitted', async () => {
    await same(
      `SELECT to_json((SELECT max(id) FROM {t})), json_build_object('k', (SELECT json_agg(id ORDER BY id) FROM {t}))`,
    );
    await same(`SELECT json_agg((SELECT ia FROM {t} s WHERE s.id = x.id) ORDER BY id) FROM {t} x`);
    await same(`SELECT json_agg(id ORDER BY id) FILTER (WHERE id IN (SELECT id FROM {t} WHERE b)) FROM {t}`);
  });
  test('nested in constructors', async () => {
    await same(
      `SELECT grp, json_build_object('k', json_agg(i ORDER BY id), 'n', count(*)), jsonb_build_object('grp', grp, 'items', jsonb_agg(jsonb_build_object('id', id, 't', t) ORDER BY id)) FROM {t} GROUP BY grp ORDER BY grp`,
    );
    await same(
      `SELECT json_agg(json_build_array(id, ta) ORDER BY id), jsonb_agg(to_jsonb(iv) ORDER BY id) FROM {t}`,
    );
  });
});

describe('as window functions', () => {
  // Over 3000 rows, so that DuckDB's window operator combines partial states: the frame's rows
  // must still be concatenated in the window's order. A digest keeps the comparison short.
  const digest = (inner: string) =>
    `SELECT md5(string_agg(j::text, '|' ORDER BY id)) FROM (SELECT id, ${inner} AS j FROM {m} WINDOW w AS (PARTITION BY g ORDER BY id)) s`;
  test('json_agg, jsonb_agg, json_object_agg with frames and FILTER', async () => {
    for (const inner of [
      'json_agg(x) OVER w',
      'json_agg(a) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 5 PRECEDING AND 2 FOLLOWING)',
      'jsonb_agg(x) FILTER (WHERE id % 2 = 0) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)',
      'json_object_agg(x, a) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)',
      'jsonb_object_agg(id % 7, id) OVER w',
    ]) {
      const template = digest(inner);
      const sql = template.replaceAll('{m}', 'many');
      const expected = await described(heap, sql);
      assert.deepEqual(await described(columnar, sql), expected, sql);
      const foreign = template.replaceAll('{m}', 'columnar.many');
      assert.deepEqual(await described(heap, foreign), expected, foreign);
    }
    await same(
      `SELECT id, json_agg(t) OVER (PARTITION BY grp ORDER BY id), json_agg(ia) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM {t} ORDER BY id`,
    );
  });
  test('ORDER BY and DISTINCT inside a window aggregate fail as in PostgreSQL', async () => {
    await sameError(`SELECT json_agg(x ORDER BY id) OVER () FROM many`, '0A000');
    await sameError(`SELECT jsonb_agg(DISTINCT x) OVER () FROM many`, '0A000');
  });
});

describe('json_object_agg and jsonb_object_agg', () => {
  test('keys of each type; jsonb keeps the last of a repeated key', async () => {
    await same(`SELECT json_object_agg(id, t ORDER BY id), jsonb_object_agg(id, t) FROM {t}`);
    await same(
      `SELECT json_object_agg(coalesce(t, '-'), f ORDER BY id), jsonb_object_agg(coalesce(t, '-'), f) FROM {t}`,
    );
    await same(
      `SELECT jsonb_object_agg(grp, id ORDER BY id), jsonb_object_agg(grp, id ORDER BY id DESC) FROM {t}`,
    );
    await same(
      `SELECT grp, json_object_agg(id, ta ORDER BY id) FILTER (WHERE id <> 3) FROM {t} GROUP BY grp ORDER BY grp`,
    );
    await same(
      `SELECT json_object_agg(d, tz ORDER BY id), jsonb_object_agg(b, iv) FROM {t} WHERE d IS NOT NULL AND b IS NOT NULL`,
    );
  });
});

describe('whole rows: row_to_json(t), to_json(t), json_agg(t)', () => {
  test('of the FROM item, a subquery and a star', async () => {
    await same(
      `SELECT row_to_json(x), to_json(x), to_jsonb(x), row_to_json(x.*, false) FROM {t} x ORDER BY id`,
    );
    await same(`SELECT json_agg(x ORDER BY id), jsonb_agg(x ORDER BY id) FROM {t} x WHERE id < 4`);
    await same(
      `SELECT grp, json_agg(s ORDER BY id) FROM (SELECT id, grp, t, ia FROM {t}) s GROUP BY grp ORDER BY grp`,
    );
    await same(`SELECT json_build_object('row', row_to_json(s)) FROM (SELECT id AS "k ""q""", m FROM {t}) s`);
  });
});

describe('through postgres_fdw', () => {
  test('the constructors are computed by PostgreSQL over the rows the daemon returns', async () => {
    // They are stable, not immutable, so postgres_fdw ships neither them nor an aggregate of them:
    // the daemon sees a plain scan (if that changes, the daemon answers them; same() checks both).
    for (const sql of [
      `SELECT grp, json_agg(i ORDER BY id), jsonb_object_agg(id, t) FROM columnar.items GROUP BY grp`,
      `SELECT to_json(tz), json_build_object('n', n) FROM columnar.items WHERE id > 1`,
    ]) {
      const plan = await heap.query({ text: `EXPLAIN (VERBOSE, COSTS OFF) ${sql}`, rowMode: 'array' });
      const remote = plan.rows.map((r) => String(r[0])).find((line) => line.includes('Remote SQL:')) ?? '';
      assert.match(remote, /Remote SQL: SELECT [\w, ]+ FROM public\.items/, sql);
      assert.doesNotMatch(remote, /json/, sql);
    }
  });
});

describe('the binary format', () => {
  test('json and jsonb results are sent with PostgreSQL’s bytes (jsonb with its version byte)', async () => {
    const sql = `SELECT json_agg(x ORDER BY id), jsonb_agg(x ORDER BY id), to_jsonb(n), json_build_object('t', tz) FROM items x GROUP BY n, tz ORDER BY n, tz`;
    const config = fixture!.cluster.clientConfig();
    const zone = ["SET TimeZone = 'Asia/Kolkata'"];
    const expected = await binaryRows(config, sql, zone);
    assert.ok(expected.columns.every(([, , format]) => format === 1) && expected.rows.length === 5);
    assert.deepEqual(await binaryRows({ ...config, port: fixture!.daemon.port }, sql, zone), expected);
  });
});

describe('the session TimeZone', () => {
  test('a timestamptz is written with the offset of the session zone', async () => {
    const plain = `SELECT id, to_json(tz), jsonb_build_object('t', tz) FROM items ORDER BY id`;
    for (const zone of ['Asia/Kolkata', 'America/New_York', 'Australia/Adelaide']) {
      for (const client of [heap, columnar]) await client.query(`SET TimeZone = '${zone}'`);
      try {
        const expected = await described(heap, plain);
        assert.deepEqual(await described(columnar, plain), expected, `${plain} in ${zone}`);
        assert.notEqual(expected.rows[0]?.[1], '"2024-01-01T01:00:00+00:00"');
      } finally {
        for (const client of [heap, columnar]) await client.query('RESET TimeZone');
      }
    }
  });
});

describe('errors', () => {
  test('what PostgreSQL refuses fails alike', async () => {
    await sameError(`SELECT json_build_object(NULL::text, 1) FROM items`, '22004');
    await sameError(`SELECT jsonb_build_object(t, 1) FROM items WHERE t IS NULL`, '22023');
    await sameError(`SELECT json_object_agg(t, id) FROM items`, '22004');
    await sameError(`SELECT jsonb_object_agg(t, id ORDER BY id) FROM items`, '22023');
    await sameError(`SELECT jsonb_build_object(js, 1) FROM items WHERE id = 2`, '22023');
    await sameError(`SELECT json_build_object('a', 1, 'b')`, '22023');
    await sameError(`SELECT json_build_object(jb, 1) FROM items`, '22023');
    await sameError(`SELECT to_json('x')`, '42804');
    // Rows a FILTER leaves out are not built, so their NULL keys raise nothing.
    await same(
      `SELECT json_object_agg(t, id) FILTER (WHERE t IS NOT NULL), json_agg(json_build_object(t, id) ORDER BY id) FILTER (WHERE t IS NOT NULL) FROM {t}`,
    );
    await same(
      `SELECT id, jsonb_object_agg(t, id) FILTER (WHERE t IS NOT NULL) OVER (ORDER BY id) FROM {t} ORDER BY id`,
    );
    await sameError(`SELECT array_to_json(id) FROM items`, '42883');
    // A key PostgreSQL would refuse fails only for a row that has one, as there.
    await same(`SELECT id, json_build_object(jb, 1) FROM {t} WHERE jb IS NULL AND false`);
  });
  test('what the daemon cannot print exactly is refused with 0A000', async () => {
    for (const sql of [
      `SELECT row_to_json(x) FROM items x, items y`,
      `SELECT row_to_json(x, true) FROM items x`,
      `SELECT json_build_array(x) FROM items x LEFT JOIN items y ON false`,
      `SELECT json_agg(DISTINCT f) FROM items`,
      `SELECT array_to_json(ia, true) FROM items`,
      `SELECT to_json('[2000-01-01 00:00+00,)'::tstzrange)`,
      `SELECT to_json(ca) FROM nums`,
    ]) {
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', `${sql}: ${error.message}`);
      // PostgreSQL itself answers each of them.
      await heap.query(sql);
    }
  });
});
