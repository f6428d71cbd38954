/**
 * Text under a collation that is not byte-wise (typing/collation.ts): PostgreSQL orders it by
 * the locale's rules ('apple' < 'Banana' under en-x-icu, 'Banana' < 'apple' in bytes); the
 * columnar engine orders text by bytes, so ordering such text fails with 0A000 through the daemon
 * instead of answering in a different order. Equality, grouping and ordering under an explicit
 * COLLATE "C" answer as PostgreSQL does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure } from './helpers/assertions.js';
import { textRows } from './helpers/daemon.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let heap: pg.Client;
let columnar: pg.Client;

const setup = `
  CREATE TABLE people (id int PRIMARY KEY, name text COLLATE "en-x-icu", code text);
  INSERT INTO people VALUES (1, 'apple', 'b'), (2, 'Banana', 'a'), (3, 'cherry', 'C'), (4, 'Apple', 'b'),
    (5, NULL, NULL), (6, 'banana', 'A');
  CREATE TABLE plain (id int PRIMARY KEY, code text);
  INSERT INTO plain VALUES (1, 'b'), (2, 'B'), (3, 'a');`;

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(setup, ['people', 'plain']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

async function same(sql: string): Promise<void> {
  const expected = await textRows(heap, sql);
  assert.deepEqual(await textRows(columnar, sql), expected, sql);
}

describe('ordering text under a locale is refused', () => {
  const refused = [
    `SELECT id FROM people ORDER BY name`,
    `SELECT id FROM people WHERE name > 'b' ORDER BY id`,
    `SELECT id FROM people WHERE name BETWEEN 'a' AND 'c' ORDER BY id`,
    `SELECT min(name), max(name) FROM people`,
    `SELECT greatest(name, 'b') FROM people`,
    `SELECT id, rank() OVER (ORDER BY name) FROM people`,
    `SELECT string_agg(name, ',' ORDER BY name) FROM people`,
    `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY name) FROM people`,
    `SELECT id FROM (SELECT id, ltrim(name) AS l FROM people) q ORDER BY l`,
    // The statement reads a column under a locale: text it orders may take that collation.
    `SELECT id FROM people ORDER BY upper(code) || name`,
  ];
  for (const sql of refused)
    test(sql, async () => {
      const rows = await textRows(heap, sql);
      assert.ok(rows.length > 0, `${sql} answers in PostgreSQL`);
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', `${sql}: ${error.message}`);
      assert.match(error.message, /under a collation other than "C"/);
      assert.match(error.hint ?? '', /COLLATE "C"/);
    });
});

describe('what does not depend on the collation answers as PostgreSQL does', () => {
  const queries = [
    `SELECT id FROM people WHERE name = 'apple' ORDER BY id`,
    `SELECT name, count(*) FROM people GROUP BY name ORDER BY name COLLATE "C"`,
    `SELECT id FROM people ORDER BY name COLLATE "C", id`,
    `SELECT id FROM people WHERE name COLLATE "C" > 'b' ORDER BY id`,
    `SELECT min(name COLLATE "C"), max(name COLLATE "C") FROM people`,
    `SELECT count(DISTINCT name) FROM people WHERE name LIKE '%an%'`,
    `SELECT id, code FROM plain ORDER BY code, id`,
    `SELECT min(code), max(code) FROM plain WHERE code > 'a'`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});
