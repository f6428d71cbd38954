/**
 * A text value that begins with U+FEFF (a byte order mark) keeps it through the daemon, as in
 * PostgreSQL: in results (text, jsonb, arrays, a JavaScript-computed numeric's input), and in a
 * parameter sent in binary format (duckdb-text-decoding.ts, binary-codec.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { sameRowsAndTypes } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

const bom = '\uFEFF';
const setup = `
  CREATE TABLE marked (id int PRIMARY KEY, t text, j jsonb, a text[], n numeric);
  INSERT INTO marked VALUES
    (1, chr(65279), to_jsonb(chr(65279) || 'x'), ARRAY[chr(65279) || 'e', 'f'], 1.50),
    (2, chr(65279) || 'x', '{"k": 1}', ARRAY[]::text[], NULL),
    (3, 'a' || chr(65279), NULL, ARRAY[chr(65279)], 2),
    (4, 'plain', '"y"', NULL, 3);`;

let fixture: Differential | undefined;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  fixture = await startDifferential(setup, ['marked']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

for (const sql of [
  'SELECT id, t, length(t), j, a, n FROM marked ORDER BY id',
  "SELECT id, t || '|', j ->> 0, a[1] FROM marked ORDER BY id",
  `SELECT id FROM marked WHERE t = chr(65279) || 'x'`,
  'SELECT t, count(*) FROM marked GROUP BY t ORDER BY t',
]) {
  test(sql, async () => {
    await sameRowsAndTypes(heap, columnar, sql);
  });
}

test('the first row starts with U+FEFF through the daemon', async () => {
  const { rows } = await columnar.query({ text: 'SELECT t FROM marked WHERE id = 2', rowMode: 'array' });
  assert.equal(rows[0]?.[0], `${bom}x`);
});

test('a text parameter in binary format keeps its leading U+FEFF', async () => {
  // node-postgres sends a Buffer parameter in binary format.
  const query = {
    text: 'SELECT id FROM marked WHERE t = $1::text',
    values: [Buffer.from(`${bom}x`, 'utf8')],
    rowMode: 'array' as const,
  };
  const expected = await heap.query(query);
  assert.deepEqual(expected.rows, [['2']]);
  assert.deepEqual((await columnar.query(query)).rows, expected.rows);
});
