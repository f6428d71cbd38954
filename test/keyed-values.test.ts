/**
 * Values PostgreSQL holds equal that DuckDB would hold apart (typing/value-keys.ts): jsonb
 * ({"k": 1} and {"k": 1.0}), intervals ('1 mon -1 day' and '29 days'), bpchar of no declared
 * length ('a' and 'a  ') and char(n) columns of different lengths. Each query runs on the heap
 * and through the daemon and must return the same text, or fail with 0A000 through the daemon.
 *
 * Where PostgreSQL groups such values it prints whichever value of the group it met first, which
 * it leaves unspecified; the queries here print what is specified (counts, keys' text forms).
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
  CREATE TABLE vals (
    id int PRIMARY KEY, jb jsonb, span interval, code bpchar, short char(4), long char(12), grp int
  );
  INSERT INTO vals VALUES
    (1, '{"k": 1}', '1 mon -1 day', 'a', 'ab', 'ab', 1),
    (2, '{"k": 1.0}', '29 days', 'a  ', 'ab', 'abc', 1),
    (3, '{"k": 1.00, "z": [2.50]}', '2 mons -29 days', 'b', 'cd', 'cd', 2),
    (4, '{"z": [2.5], "k": 1}', '31 days', 'b ', 'cd', 'ab', 2),
    (5, '[1, 2.0]', '-1 mon 30 days', 'c', 'ef', 'ef', 3),
    (6, '[1.0, 2]', '00:00:00', 'c   ', 'gh', 'gh', 3),
    (7, NULL, NULL, NULL, NULL, NULL, 4),
    (8, '"x"', '1 day -24:00:00', '', 'x', 'x', 4),
    (9, '{"k": 2}', '1 year -12 mons', ' ', 'x', 'y', 5);`;

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(setup, ['vals']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

async function same(sql: string): Promise<void> {
  const expected = await textRows(heap, sql);
  assert.deepEqual(await textRows(columnar, sql), expected, sql);
}

describe('jsonb groups by value', () => {
  const queries = [
    `SELECT count(*) AS n FROM vals GROUP BY jb ORDER BY n, min(id)`,
    `SELECT min(id), max(id), count(*) FROM vals GROUP BY jb ORDER BY 1`,
    `SELECT count(*) FROM (SELECT DISTINCT jb FROM vals) q`,
    `SELECT count(DISTINCT jb) FROM vals`,
    `SELECT id, count(*) OVER (PARTITION BY jb) FROM vals ORDER BY id`,
    `SELECT min(id) FROM vals GROUP BY jb HAVING count(*) > 1 ORDER BY 1`,
    `SELECT count(*) FROM (SELECT DISTINCT jb, grp FROM vals) q`,
    `SELECT count(*) FROM (SELECT DISTINCT ON (jb) id FROM vals ORDER BY jb, id) q`,
    `SELECT id FROM vals WHERE jb IN (SELECT jb FROM vals WHERE id = 2) ORDER BY id`,
    `SELECT a.id, b.id FROM vals a JOIN vals b ON a.jb = b.jb AND a.id < b.id ORDER BY 1, 2`,
    `SELECT count(*) FROM (SELECT jb FROM vals UNION ALL SELECT jb FROM vals) q`,
    `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY jb) FROM vals WHERE id IN (1, 3, 5, 8, 9)`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('intervals compare, sort and group by their span', () => {
  const queries = [
    `SELECT id FROM vals WHERE span = '29 days' ORDER BY id`,
    `SELECT id FROM vals WHERE span = interval '29 days' ORDER BY id`,
    `SELECT id FROM vals WHERE span > '30 days' ORDER BY id`,
    `SELECT id FROM vals WHERE span BETWEEN '29 days' AND '31 days' ORDER BY id`,
    `SELECT id FROM vals WHERE span IN ('29 days', '0 days') ORDER BY id`,
    `SELECT id, span FROM vals ORDER BY span, id`,
    `SELECT id, span FROM vals ORDER BY span DESC NULLS LAST, id`,
    // Of equal spans, min and max return any one (PostgreSQL's: the last its scan met).
    `SELECT min(span), max(span) FROM vals WHERE id IN (1, 3, 5)`,
    `SELECT min(span) = interval '0', max(span) = interval '31 days' FROM vals`,
    `SELECT grp, max(span), min(span) FILTER (WHERE id > 1) FROM vals WHERE id NOT IN (2, 4, 6) GROUP BY grp ORDER BY grp`,
    `SELECT count(*) AS n, min(id) FROM vals GROUP BY span ORDER BY 2`,
    `SELECT count(DISTINCT span) FROM vals`,
    `SELECT count(*) FROM (SELECT DISTINCT span FROM vals) q`,
    `SELECT id, rank() OVER (ORDER BY span) FROM vals ORDER BY id`,
    `SELECT id, count(*) OVER (PARTITION BY span) FROM vals ORDER BY id`,
    `SELECT a.id, b.id FROM vals a JOIN vals b ON a.span = b.span AND a.id < b.id ORDER BY 1, 2`,
    `SELECT id FROM vals WHERE span = (SELECT span FROM vals WHERE id = 2) ORDER BY id`,
    `SELECT id FROM vals WHERE span IN (SELECT span FROM vals WHERE id = 1) ORDER BY id`,
    `SELECT string_agg(id::text, ',' ORDER BY span, id) FROM vals`,
    `SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY span) FROM vals WHERE id IN (1, 3, 5, 7)`,
    `SELECT percentile_disc(ARRAY[0.2, 0.8]) WITHIN GROUP (ORDER BY span DESC) FROM vals WHERE id IN (1, 3, 5)`,
    `SELECT span FROM vals WHERE id < 3 UNION ALL SELECT span FROM vals WHERE id = 3 ORDER BY 1`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('bpchar of no declared length groups without trailing blanks', () => {
  const queries = [
    `SELECT rtrim(code), count(*) FROM vals GROUP BY code ORDER BY 1`,
    `SELECT count(*) FROM (SELECT DISTINCT code FROM vals) q`,
    `SELECT count(DISTINCT code) FROM vals`,
    `SELECT id, count(*) OVER (PARTITION BY code) FROM vals ORDER BY id`,
    `SELECT id FROM vals WHERE code = 'a' ORDER BY id`,
    `SELECT id, code FROM vals ORDER BY code, id`,
    `SELECT short, count(*) FROM vals GROUP BY short ORDER BY short`,
    `SELECT count(*) FROM (SELECT CASE WHEN id < 5 THEN short ELSE long END AS c FROM vals GROUP BY 1) q`,
  ];
  for (const sql of queries) test(sql, () => same(sql));
});

describe('what cannot be keyed is refused with 0A000', () => {
  const refused = [
    `SELECT jb FROM vals UNION SELECT jb FROM vals`,
    `SELECT span FROM vals INTERSECT SELECT span FROM vals`,
    `SELECT code FROM vals EXCEPT SELECT code FROM vals WHERE id = 1`,
    `SELECT short FROM vals UNION SELECT long FROM vals`,
    `SELECT span, count(*) FROM vals GROUP BY ROLLUP (span)`,
  ];
  for (const sql of refused)
    test(sql, async () => {
      await heap.query(sql);
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000', `${sql}: ${error.message}`);
      assert.match(error.message, /not supported by pg_analytica/);
    });
});
