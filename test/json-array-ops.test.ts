/**
 * json/jsonb operators and functions and array operations, differentially: every query runs
 * on the heap table and through the daemon and must return the same text and the same column
 * names and type OIDs. What the daemon cannot do exactly fails with the SQLSTATE asserted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;

// Nested objects, arrays, duplicate keys (json keeps them, jsonb the last), numbers written
// with trailing zeros and exponents, escapes, unicode, empty containers, scalars and NULLs.
const setup = String.raw`
  CREATE TABLE docs (id int PRIMARY KEY, jb jsonb, js json, tags text[], nums int[]);
  INSERT INTO docs VALUES
    (1, '{"name": "Ann", "a": 1, "b": [1, 2.50, {"c": "x"}], "n": null, "zz": true}',
        '{"b": [1,  2.50], "a": 1e2, "a": "dup", "s": "q\"x"}', '{red,"with space","with,comma"}', '{1,2,3}'),
    (2, '[1, "two", [3], {"four": 4.0}, null]', '[1, "two" , [3], {"four":4.0}]', '{}', '{}'),
    (3, '"just text"', '"a\"b"', '{NULL,x}', '{NULL}'),
    (4, '{"unicode": "é ✓ \u00e9 \u0001", "esc": "tab\tq\"b\\ /", "big": 123456789012345678901234567890.10, "e": 1e-7, "E": 2.5E+3}',
        '{"unicode": "é \u00e9", "n": -0.0}', '{"quote\"d",NULL,"back\\slash",""}', '{-1,0}'),
    (5, NULL, NULL, NULL, NULL),
    (6, '{}', '{}', '{"NULL",null,"a}b"}', '{7}'),
    (7, '{"a": {"b": {"c": [10, 20, 30]}}, "k": 1.0, "z": []}', '{"a": {"b": {"c": [10, 20, 30]}}}', '{a,b}', '{2,3}'),
    (8, 'null', 'null', '{b,a}', '{3,2,1}'),
    (9, '5.00', '5.00', '{x}', '{5}');`;

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(setup, ['docs'], { foreignServer: true });
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

/** Rows as text, with each column's name and type OID. */
async function described(client: pg.Client, sql: string) {
  const result = await client.query({ text: sql, rowMode: 'array' });
  return { columns: result.fields.map((f) => `${f.name}:${f.dataTypeID}`), rows: result.rows };
}

async function same(sql: string): Promise<void> {
  const expected = await described(heap, sql);
  assert.deepEqual(await described(columnar, sql), expected, sql);
}

/** The same error (SQLSTATE and message) from both. */
async function sameError(sql: string, code: string): Promise<void> {
  const expected = await failure(heap, sql);
  const actual = await failure(columnar, sql);
  assert.equal(expected.code, code, `${sql} in PostgreSQL`);
  assert.equal(actual.code, expected.code, sql);
  assert.equal(actual.message, expected.message, sql);
}

describe('jsonb -> ->> #> #>> print what PostgreSQL prints', () => {
  const queries = [
    `SELECT id, jb -> 'a', jb ->> 'a', jb -> 'b', jb ->> 'b', jb ->> 'name', jb -> 'n', jb ->> 'n' FROM docs ORDER BY id`,
    `SELECT id, jb -> 'unicode', jb ->> 'unicode', jb -> 'esc', jb ->> 'esc', jb -> 'big', jb ->> 'e', jb -> 'E' FROM docs ORDER BY id`,
    `SELECT id, jb -> 0, jb -> -1, jb ->> 1, jb -> 3, jb -> 10, jb -> -10, jb ->> -5 FROM docs ORDER BY id`,
    `SELECT id, jb #> '{a,b,c}', jb #>> '{a,b,c,1}', jb #> '{b,2,c}', jb #> '{3,four}', jb #> '{a,b,c,-1}' FROM docs ORDER BY id`,
    `SELECT id, jb #> '{b,x}', jb #>> '{b, 1}', jb #> '{}', jb #>> '{}', jb #> ARRAY['a', NULL] FROM docs ORDER BY id`,
    `SELECT id, jsonb_extract_path(jb, 'a', 'b'), jsonb_extract_path_text(jb, 'b', '1') FROM docs ORDER BY id`,
    `SELECT id, jb -> 'a' -> 'b' ->> 'c', (jb -> 'b') -> 2 -> 'c' FROM docs ORDER BY id`,
    `SELECT id FROM docs WHERE jb ->> 'name' = 'Ann' OR jb ->> 1 = 'two' ORDER BY id`,
    `SELECT id, jb, jb::text FROM docs ORDER BY id`,
    `SELECT id, coalesce(jb -> 'a', '{"y": 1.50, "x": [1e2]}'), CASE WHEN id > 5 THEN jb ELSE '{"b":1, "a":2}' END FROM docs ORDER BY id`,
    `SELECT array_agg(jb ORDER BY id), array_agg(jb -> 'a' ORDER BY id) FROM docs WHERE id < 5`,
    `SELECT ARRAY[jb, jb -> 'a'] FROM docs WHERE id = 1`,
    `SELECT nullif(jb, '5'), nullif(jb -> 'k', '1') FROM docs ORDER BY id`,
    `SELECT jb ->> 'name' AS who, count(*) FROM docs GROUP BY 1 ORDER BY 1 NULLS FIRST`,
    // jsonb sorts by type, size, then values (numbers by value), not by its text.
    `SELECT id, jb FROM docs ORDER BY jb, id`,
    `SELECT id, jb FROM docs ORDER BY jb DESC NULLS LAST, id`,
    `SELECT id, jb -> 'b' AS b FROM docs ORDER BY b NULLS FIRST, id`,
    `SELECT x FROM jsonb_array_elements('[2, 10, 1.5, -3, -20, 0, 0.0, -0.5, 1e3, "b", "a", "ab", null, true, false, [], [1], [0, 9], {}, {"a": 1}, {"b": 0}, {"a": 1, "b": 2}, {"aa": 0}, [[1]], ["a"], 1e-3]') AS e(x) ORDER BY x, x::text`,
    `SELECT jb -> 'b' AS b, count(*) FROM docs GROUP BY 1 ORDER BY 1`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('jsonb containment, existence and equality compare values', () => {
  const queries = [
    `SELECT id FROM docs WHERE jb @> '{"a": 1}' ORDER BY id`,
    `SELECT id FROM docs WHERE jb @> '{"k": 1}' ORDER BY id`,
    `SELECT id FROM docs WHERE jb @> '{"b": [2.5]}' ORDER BY id`,
    `SELECT id FROM docs WHERE '[1]' <@ jb ORDER BY id`,
    `SELECT id FROM docs WHERE jb @> '"just text"' ORDER BY id`,
    `SELECT id FROM docs WHERE jb @> '[[3], {"four": 4}]' ORDER BY id`,
    `SELECT id FROM docs WHERE jb @> '1' ORDER BY id`,
    `SELECT id, jb @> '{}', jb <@ '{"a": {"b": {"c": [30, 20, 10, 40]}}, "k": 1, "z": [], "y": 0}' FROM docs ORDER BY id`,
    `SELECT id, jb ? 'a', jb ? 'two', jb ? 'just text', jb ?| '{a,k}', jb ?& '{a,b}', jb ?| ARRAY['x', 'name'] FROM docs ORDER BY id`,
    `SELECT id FROM docs WHERE jb ?& '{}' ORDER BY id`,
    `SELECT id FROM docs WHERE jb = '{"k": 1, "z": [], "a": {"b": {"c": [10, 20, 30.0]}}}' ORDER BY id`,
    `SELECT id FROM docs WHERE jb = '5' ORDER BY id`,
    `SELECT id FROM docs WHERE jb IN ('5.0', '[]', '{}') ORDER BY id`,
    `SELECT id FROM docs WHERE jb <> '5' ORDER BY id`,
    `SELECT id FROM docs WHERE jb = '{"k": 1.0}'::jsonb OR jb = 'null'::jsonb ORDER BY id`,
    `SELECT a.id, b.id FROM docs a JOIN docs b ON a.jb = b.jb WHERE a.id < b.id ORDER BY 1, 2`,
    `SELECT id FROM docs WHERE jb > '5' AND jb < '{}' ORDER BY id`,
    `SELECT id, jb <= '[1, "two"]', jb >= '"just text"' FROM docs ORDER BY id`,
    `SELECT id FROM docs WHERE jb BETWEEN 'null' AND '6' ORDER BY id`,
    `SELECT id FROM docs WHERE jb < ANY (SELECT jb FROM docs WHERE id IN (2, 9)) ORDER BY id`,
    `SELECT id FROM docs WHERE jb IN (SELECT '5'::jsonb UNION ALL SELECT jb FROM docs WHERE id = 6) ORDER BY id`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('jsonb functions', () => {
  const queries = [
    `SELECT id, jsonb_typeof(jb), jsonb_typeof(jb -> 'b'), jsonb_typeof(jb -> 'n') FROM docs ORDER BY id`,
    `SELECT id, CASE WHEN jsonb_typeof(jb) = 'array' THEN jsonb_array_length(jb) END, jsonb_array_length(jb -> 'b') FROM docs ORDER BY id`,
    `SELECT jsonb_array_length('[1, [2, 3]]'), jsonb_typeof('1.0'), '{"b": 1.50, "a": [1e2, -0, 0.0, 1E-2]}'::jsonb`,
    `SELECT d.id, e.value, jsonb_typeof(e.value) FROM docs d, jsonb_array_elements(d.jb -> 'b') AS e ORDER BY 1, 3, e.value::text`,
    `SELECT d.id, e.value FROM docs d CROSS JOIN LATERAL jsonb_array_elements_text(d.jb -> 'b') AS e ORDER BY 1, length(e.value)`,
    `SELECT d.id, x.v FROM docs d, jsonb_array_elements_text(jb -> 'b') AS x(v) ORDER BY 1, 2 NULLS FIRST`,
    `SELECT d.id, e.key, e.value FROM docs d, jsonb_each(d.jb) AS e WHERE jsonb_typeof(d.jb) = 'object' ORDER BY 1, 2`,
    `SELECT d.id, e.key, e.value FROM docs d, jsonb_each_text(d.jb) e WHERE jsonb_typeof(d.jb) = 'object' ORDER BY 1, 2`,
    `SELECT d.id, k FROM docs d, jsonb_object_keys(d.jb) k WHERE jsonb_typeof(d.jb) = 'object' ORDER BY 1, 2`,
    `SELECT d.id, jsonb_object_keys FROM docs d, jsonb_object_keys(d.jb -> 'a') WHERE d.id = 7 ORDER BY 1, 2`,
    `SELECT * FROM jsonb_array_elements('[1, "a", null, {"b": 2.0}]')`,
    `SELECT value FROM jsonb_each('{"b": 1, "a": "x"}') ORDER BY key`,
    `SELECT id, jsonb_array_elements(jb -> 'b') FROM docs WHERE id = 1`,
    `SELECT id, jsonb_array_elements_text(jb) FROM docs WHERE id = 2`,
    `SELECT id, jsonb_object_keys(jb) AS k FROM docs WHERE id = 4 ORDER BY k`,
    `SELECT count(*) FROM docs d, jsonb_array_elements(d.jb -> 'b') e WHERE e.value @> '{"c": "x"}'`,
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test('jsonb_array_length of an object fails as in PostgreSQL (22023)', () =>
    sameError(`SELECT jsonb_array_length(jb) FROM docs WHERE id = 1`, '22023'));
  test('jsonb_array_elements of a scalar fails as in PostgreSQL (22023)', () =>
    sameError(`SELECT e.* FROM docs d, jsonb_array_elements(d.jb) e WHERE d.id = 3`, '22023'));
  test('jsonb_each of an array fails as in PostgreSQL (22023)', () =>
    sameError(`SELECT e.* FROM docs d, jsonb_each(d.jb) e WHERE d.id = 2`, '22023'));
  test('invalid jsonb text fails as in PostgreSQL (22P02)', () =>
    sameError(`SELECT id FROM docs WHERE jb @> '{"a": }'`, '22P02'));
  // In the select list each pair is a record, printed as record_out prints it (quoted fields).
  for (const id of [1, 4, 6, 7])
    for (const fn of ['jsonb_each', 'jsonb_each_text'])
      test(`${fn} in the select list, document ${id}`, () =>
        same(`SELECT id, ${fn}(jb) FROM docs WHERE id = ${id}`));
});

describe('json keeps its text', () => {
  const queries = [
    `SELECT id, js -> 'a', js ->> 'a', js -> 'b', js ->> 'b', js -> 's', js ->> 's', js -> 'n' FROM docs ORDER BY id`,
    `SELECT id, js -> 1, js ->> -1, js -> 3, js #> '{b,1}', js #>> '{b}', js #> '{a,b}' FROM docs ORDER BY id`,
    `SELECT id, js, js::jsonb, js::text FROM docs ORDER BY id`,
    `SELECT id, json_extract_path(js, 'a', 'b'), json_extract_path_text(js, 'unicode') FROM docs ORDER BY id`,
    `SELECT '{"b": 1.50,  "a": 2}'::json, '{"b": 1.50,  "a": 2}'::json -> 'b'`,
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test('json ->> of a string holding \\u0000 fails as in PostgreSQL (22P05)', () =>
    sameError(`SELECT '{"a": "x\\u0000y"}'::json ->> 'a'`, '22P05'));
  test('greatest() of jsonb is refused (0A000)', async () => {
    const error = await failure(columnar, `SELECT greatest(jb, '{}') FROM docs`);
    assert.equal(error.code, '0A000');
  });
  // DISTINCT on jsonb is DISTINCT ON its equality key (keyed-grouping.ts), which sorts by any key.
  test('ORDER BY a jsonb value under DISTINCT sorts in jsonb order', () =>
    same(`SELECT DISTINCT jb FROM docs ORDER BY jb`));
  test('ORDER BY a json value fails as in PostgreSQL (42883)', () =>
    sameError(`SELECT id FROM docs ORDER BY js`, '42883'));
  test('jsonb -> with a numeric key fails as in PostgreSQL (42883)', async () => {
    const error = await failure(columnar, `SELECT jb -> 1.5 FROM docs`);
    assert.equal(error.code, (await failure(heap, `SELECT jb -> 1.5 FROM docs`)).code);
  });

  test('json has no @> (42883), as in PostgreSQL', async () => {
    const error = await failure(columnar, `SELECT js @> '{}' FROM docs`);
    assert.equal(error.code, '42883');
  });
});

describe('jsonb compared with parameters', () => {
  for (const [sql, values] of [
    ['SELECT id FROM docs WHERE jb = $1 ORDER BY id', ['5']],
    [
      'SELECT id FROM docs WHERE jb = $1::jsonb ORDER BY id',
      ['{"z": [], "k": 1, "a": {"b": {"c": [1e1, 20, 30]}}}'],
    ],
    ['SELECT id, jb -> $1, jb ->> $1 FROM docs ORDER BY id', ['a']],
    ['SELECT id FROM docs WHERE jb @> $1::jsonb ORDER BY id', ['{"b": [2.500]}']],
    ['SELECT id FROM docs WHERE jb @> $1 ORDER BY id', ['{"b": [2.500]}']],
    ['SELECT id, jb ->> $1 FROM docs WHERE jb ? $1 ORDER BY id', ['name']],
  ] as const) {
    test(`${sql} with ${values[0]}`, async () => {
      // The extended protocol: Parse, Describe (RowDescription before any row), Bind, Execute.
      const run = async (c: pg.Client) => {
        const result = await c.query({ text: sql, values: [...values], rowMode: 'array' });
        return { columns: result.fields.map((f) => `${f.name}:${f.dataTypeID}`), rows: result.rows };
      };
      assert.deepEqual(await run(columnar), await run(heap));
    });
  }
});

describe('arrays', () => {
  const queries = [
    `SELECT id, tags, nums FROM docs ORDER BY id`,
    `SELECT id, tags[1], tags[2], tags[0], tags[10], nums[1], nums[-1] FROM docs ORDER BY id`,
    `SELECT id, tags[1:2], nums[2:3], nums[:2], nums[2:] FROM docs ORDER BY id`,
    `SELECT id FROM docs WHERE 'x' = ANY(tags) ORDER BY id`,
    `SELECT id FROM docs WHERE 2 = ANY(nums) ORDER BY id`,
    `SELECT id FROM docs WHERE 'x' <> ALL(tags) ORDER BY id`,
    `SELECT id FROM docs WHERE 1 <> ALL(nums) ORDER BY id`,
    `SELECT id, nums @> '{2}', nums <@ '{1,2,3,4}', nums && '{3,7}', tags @> ARRAY['a'], tags && ARRAY['x', 'red'] FROM docs ORDER BY id`,
    `SELECT id, array_length(nums, 1), cardinality(nums), array_length(tags, 1), cardinality(tags) FROM docs ORDER BY id`,
    `SELECT id, array_to_string(tags, ','), array_to_string(tags, ',', '*'), array_to_string(nums, '-') FROM docs ORDER BY id`,
    `SELECT id, array_position(tags, 'x'), array_position(nums, 2) FROM docs ORDER BY id`,
    `SELECT id, unnest(tags) FROM docs WHERE id IN (1, 4) ORDER BY 1, 2`,
    `SELECT id, unnest(nums) AS n FROM docs WHERE id = 8`,
    `SELECT array_agg(id ORDER BY id) FROM docs`,
    `SELECT array_agg(t ORDER BY t) FROM docs, unnest(tags) AS t WHERE id IN (1, 4, 6)`,
    `SELECT array_agg(jb ->> 'name' ORDER BY id) FROM docs WHERE id < 4`,
    `SELECT id, ARRAY[id, id * 2], ARRAY['a b', NULL, 'c"d', ''], ARRAY[]::int[] FROM docs WHERE id < 3 ORDER BY id`,
    `SELECT id FROM docs WHERE id = ANY('{1,3,5}'::int[]) ORDER BY id`,
    `SELECT id FROM docs WHERE tags = '{a,b}' ORDER BY id`,
    `SELECT id FROM docs WHERE nums = ARRAY[2, 3] ORDER BY id`,
    `SELECT id, 'x' = ANY(tags), 2 = ANY(nums), 1 <> ALL(nums), 2 < ALL(nums), NULL::int = ANY(nums) FROM docs ORDER BY id`,
    `SELECT id, nums[id], tags[id - 5], nums[NULL::int], array_length(nums, 2), array_position(tags, NULL) FROM docs ORDER BY id`,
    `SELECT id, array_to_string(tags, NULL), array_to_string(tags, '|', NULL), tags[2:1], tags[-1:1] FROM docs ORDER BY id`,
    `SELECT id FROM docs WHERE tags && '{x,b}' AND nums <@ ARRAY[1, 2, 3, 5] ORDER BY id`,
    // WITH ORDINALITY: each element's position, a bigint; NULL and empty arrays give no rows.
    `SELECT id, t, o FROM docs, unnest(tags) WITH ORDINALITY AS u(t, o) ORDER BY id, o`,
    `SELECT docs.id, u.* FROM docs CROSS JOIN LATERAL unnest(nums) WITH ORDINALITY u ORDER BY 1, 3`,
    `SELECT o, count(*), sum(n) FROM docs, unnest(nums) WITH ORDINALITY AS u(n, o) GROUP BY o ORDER BY o`,
    `SELECT * FROM unnest(ARRAY[10, 20, 30]) WITH ORDINALITY`,
    `SELECT id, t FROM docs, unnest(tags) WITH ORDINALITY AS u(t) WHERE ordinality = 1 ORDER BY 1, 2`,
    // Arrays built from arrays: NULL arrays as empty ones (both NULL: NULL), literals as arrays.
    `SELECT id, tags || 'new'::text, 'first'::text || tags, tags || tags, nums || id, id || nums, nums || '{4,5}', '{0}' || nums FROM docs ORDER BY id`,
    `SELECT id, array_append(tags, 'x'), array_prepend('x', tags), array_cat(tags, tags), array_cat(nums, NULL), array_append(nums, NULL) FROM docs ORDER BY id`,
    `SELECT id, array_remove(nums, 2), array_remove(tags, NULL), array_remove(tags, 'x'), cardinality(nums || id), (tags || 'z'::text)[1] FROM docs ORDER BY id`,
    `SELECT array_agg(x ORDER BY x) FROM docs, unnest(nums || id) AS x`,
    // ANY/ALL over an array a function or operator computes.
    `SELECT id, 'b' = ANY(string_to_array(array_to_string(tags, ','), ',')), 3 <> ALL(nums || id), 'z' = ANY(tags || 'z'::text) FROM docs ORDER BY id`,
  ];
  for (const sql of queries) test(sql, () => same(sql));

  test('unnest WITH ORDINALITY given more column names than it has fails as in PostgreSQL (42P10)', () =>
    sameError(`SELECT * FROM docs, unnest(tags) WITH ORDINALITY AS u(a, b, c)`, '42P10'));
  test('arrays joined with an element of another type are refused (0A000), not converted', async () => {
    for (const sql of [`SELECT nums || 2.5 FROM docs`, `SELECT array_append(nums, 2.5) FROM docs`]) {
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', sql);
    }
  });
  test('a subscript of several dimensions is refused (0A000)', async () => {
    const error = await failure(columnar, `SELECT nums[1][1] FROM docs`);
    assert.equal(error.code, '0A000');
  });
  test('a jsonb subscript is refused (0A000)', async () => {
    const error = await failure(columnar, `SELECT jb['a'] FROM docs`);
    assert.equal(error.code, '0A000');
  });
});

/**
 * The same operators through columnar.docs: postgres_fdw ships built-in immutable operators
 * and functions to the daemon (deparsed with their literals cast: 'a'::text, '{2}'::integer[],
 * '{"a": 1}'::jsonb), so each query must be pushed down and answer as the heap does.
 */
describe('through postgres_fdw (columnar.docs)', () => {
  // The operator the Remote SQL must show, or undefined where postgres_fdw computes it locally
  // over the columns the daemon returns: select-list expressions of a plain scan, and text
  // results or text arguments whose collation does not come from a foreign column (->>, ?).
  const queries: [string, string | undefined][] = [
    [
      `SELECT id, jb -> 'a', jb ->> 'name', jb -> 0, jb #> '{a,b}', jb #>> '{b,1}' FROM {t} ORDER BY id`,
      undefined,
    ],
    [`SELECT id FROM {t} WHERE jb ->> 'name' = 'Ann' ORDER BY id`, undefined],
    [
      `SELECT id FROM {t} WHERE jb -> 'k' = '1' OR jb #> '{a,b}' = '{"c": [10, 20, 30]}' ORDER BY id`,
      undefined,
    ],
    [`SELECT id FROM {t} WHERE jb -> 1 = '"two"' OR jb -> -1 = '5.0' ORDER BY id`, '->'],
    [`SELECT id FROM {t} WHERE jb @> '{"k": 1}' ORDER BY id`, '@>'],
    [`SELECT id FROM {t} WHERE '[1]' <@ jb ORDER BY id`, '<@'],
    [`SELECT id FROM {t} WHERE jb ? 'a' OR jb ?| '{two}' ORDER BY id`, undefined],
    [`SELECT id FROM {t} WHERE jb ?& '{a,b}' ORDER BY id`, undefined],
    [`SELECT id, jsonb_typeof(jb), jsonb_extract_path_text(jb, 'b', '1') FROM {t} ORDER BY id`, undefined],
    [`SELECT id FROM {t} WHERE jb = '{"k": 1, "z": [], "a": {"b": {"c": [10, 20, 30.0]}}}' ORDER BY id`, '='],
    [`SELECT id, js -> 'a', js ->> 's', js #> '{b,1}' FROM {t} ORDER BY id`, undefined],
    [`SELECT id, tags[1], nums[2:3] FROM {t} ORDER BY id`, undefined],
    [`SELECT id FROM {t} WHERE nums[1] = 2 OR nums[2:3] = '{2,3}' ORDER BY id`, 'nums[1]'],
    [`SELECT id FROM {t} WHERE 'x' = ANY(tags) ORDER BY id`, 'ANY'],
    [`SELECT id FROM {t} WHERE 1 <> ALL(nums) ORDER BY id`, 'ALL'],
    [`SELECT id FROM {t} WHERE nums @> '{2}' OR tags && ARRAY['x'] ORDER BY id`, '@>'],
    [`SELECT id FROM {t} WHERE nums <@ '{1,2,3,4}' ORDER BY id`, '<@'],
    [
      `SELECT id, array_length(nums, 1), cardinality(tags), array_position(tags, 'x') FROM {t} ORDER BY id`,
      undefined,
    ],
    [
      `SELECT id FROM {t} WHERE cardinality(tags) > 1 AND array_length(nums, 1) IS NOT NULL ORDER BY id`,
      'cardinality',
    ],
    [`SELECT id, array_to_string(tags, ',', '*') FROM {t} ORDER BY id`, undefined],
    [`SELECT id FROM {t} WHERE id = ANY('{1,3,5}'::int[]) ORDER BY id`, 'ANY'],
    [`SELECT count(*) FROM {t} WHERE jb ->> 'a' IS NOT NULL`, undefined],
    [`SELECT count(*), sum(jsonb_array_length(jb -> 'b')) FROM {t} WHERE jb @> '{"a": 1}'`, '@>'],
    [`SELECT count(*), sum(cardinality(nums)) FROM {t} WHERE nums && '{2,5}'`, 'sum(cardinality(nums))'],
  ];
  for (const [template, operator] of queries) {
    test(template, async () => {
      const expected = await described(heap, template.replaceAll('{t}', 'public.docs'));
      const foreign = template.replaceAll('{t}', 'columnar.docs');
      assert.deepEqual(await described(heap, foreign), expected, foreign);
      const plan = await heap.query({ text: `EXPLAIN (VERBOSE, COSTS OFF) ${foreign}`, rowMode: 'array' });
      const remote = plan.rows.map((r) => String(r[0])).find((line) => line.includes('Remote SQL:')) ?? '';
      if (operator !== undefined)
        assert.ok(remote.includes(operator), `${foreign}: not pushed down: ${remote}`);
      else assert.match(remote, /^\s*Remote SQL: SELECT [\w, ]+ FROM public\.docs/, foreign);
    });
  }
});

describe('json functions run on the JavaScript thread', () => {
  test('a long jsonb query and the change stream applying inserts both finish', async () => {
    // DuckDB's worker threads wait for the JavaScript thread to run pga_json_ functions: the
    // daemon must keep applying changes (and answering) while such a query runs.
    const sql = `SELECT count(*) FROM docs d, generate_series(1, 20000) g WHERE d.jb @> '{"a": 1}' AND (d.jb -> 'b') ->> 0 = '1'`;
    const query = described(columnar, sql);
    for (let i = 0; i < 5; i++)
      await heap.query(`INSERT INTO docs VALUES (${100 + i}, '{"a": 1, "b": [1]}', NULL, NULL, NULL)`);
    await heap.query(`SELECT analytica.wait_for_sync('docs')`);
    // It sees the inserts committed before it started (some, all or none of them).
    const count = Number((await query).rows[0]?.[0]);
    assert.ok(count % 20000 === 0 && count >= 20000 && count <= 120000, `count ${count}`);
    assert.deepEqual((await described(columnar, `SELECT count(*) FROM docs WHERE id >= 100`)).rows, [['5']]);
    await heap.query('DELETE FROM docs WHERE id >= 100');
    await heap.query(`SELECT analytica.wait_for_sync('docs')`);
  });
});
