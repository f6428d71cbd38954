/**
 * PostgreSQL's regular expressions through the daemon (src/query/sql/regex/): escapes that mean
 * something else in DuckDB's RE2 (`\b` backspace, `\B` backslash, `\s` with the vertical tab,
 * `\y` word boundary), '.' across newlines in regexp_replace, its `\&` and `\N` references, and
 * bracket escapes answer as on the heap; what RE2 cannot do as PostgreSQL does (word-start
 * escapes, back-references, lookahead, alternation where regexp_replace's match extent would
 * differ) fails with 0A000.
 */
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { refusedWith, sameRowsAndTypes } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

const setup = String.raw`
  CREATE TABLE lines (id int PRIMARY KEY, s text);
  INSERT INTO lines VALUES (1, chr(11)), (2, 'ab'), (3, 'a.b'), (4, 'foo bar'), (5, 'x1y'), (6, E'line1\nline2'),
    (7, 'aaa'), (8, E'x\by'), (9, 'abcd'), (10, 'a\b'), (11, E'tab\there'), (12, ''), (13, NULL), (14, 'Ab CD');`;

let fixture: Differential | undefined;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  fixture = await startDifferential(setup, ['lines']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

describe('patterns answer as PostgreSQL', () => {
  const patterns = String.raw`\s|\S+|x\by|\Bc|a\Bb|[\s.]|[^\s]|\ybar\y|o\Y|\d|[\d]|\w+|\W|^a|b$|\Aline1|line2\Z|a.b|[[:alpha:]]+|[[:space:]]|[]a]|[^]a]|a{2}|a{1,2}b|[\b]|\.|\\|\t`;
  for (const pattern of patterns.split('|').concat(['a|x', 'ab|cd', '(a)(b)', '(?:a|x)b'])) {
    test(`~ '${pattern}'`, () =>
      sameRowsAndTypes(
        heap,
        columnar,
        `SELECT id, s ~ '${pattern}', s !~* '${pattern}' FROM lines ORDER BY id`,
      ));
  }
  test('a bound parameter is a literal pattern', async () => {
    const query = {
      text: 'SELECT id FROM lines WHERE s ~ $1 ORDER BY id',
      values: ['x\\by'],
      rowMode: 'array' as const,
    };
    const [expected, actual] = [await heap.query(query), await columnar.query(query)];
    if (JSON.stringify(actual.rows) !== JSON.stringify(expected.rows))
      throw new Error(`${JSON.stringify(actual.rows)} ≠ ${JSON.stringify(expected.rows)}`);
  });
});

describe('regexp_replace answers as PostgreSQL', () => {
  for (const sql of [
    `SELECT id, regexp_replace(s, 'a.b', 'X') FROM lines ORDER BY id`,
    String.raw`SELECT id, regexp_replace(s, 'a', '\&\&', 'g') FROM lines ORDER BY id`,
    String.raw`SELECT id, regexp_replace(s, '(a)(b)', '<\2\1>', 'g') FROM lines ORDER BY id`,
    String.raw`SELECT id, regexp_replace(s, '\\', '/', 'g') FROM lines ORDER BY id`,
    String.raw`SELECT id, regexp_replace(s, '\s+', ' ', 'g') FROM lines ORDER BY id`,
    String.raw`SELECT id, regexp_replace(s, 'B', '\\', 'gi') FROM lines ORDER BY id`,
    // Anchored at both ends, the match is the value: a quantified group takes what PostgreSQL gives it.
    String.raw`SELECT id, regexp_replace(s, '^(?:ab)?(.*)$', '[\1]') FROM lines ORDER BY id`,
    String.raw`SELECT id, regexp_replace(s, '^https?://(?:www\.)?([^/]+)/.*$', '\1') FROM (VALUES (1, 'https://www.example.com/a'), (2, 'http://foo.org/'), (3, 'ftp://x')) v(id, s) ORDER BY id`,
    String.raw`SELECT id, regexp_replace(s, '[0-9]+', s, 'g') FROM lines WHERE s NOT LIKE '%\\%' ORDER BY id`,
    String.raw`SELECT id FROM lines WHERE s ~ '\u0061b' ORDER BY id`,
  ]) {
    test(sql, () => sameRowsAndTypes(heap, columnar, sql));
  }
});

describe('what RE2 cannot do as PostgreSQL does fails with 0A000', () => {
  for (const sql of [
    String.raw`SELECT id FROM lines WHERE s ~ '\mbar'`,
    String.raw`SELECT id FROM lines WHERE s ~ 'o\M'`,
    String.raw`SELECT id FROM lines WHERE s ~ '(a)\1'`,
    `SELECT id FROM lines WHERE s ~ 'a(?=b)'`,
    `SELECT id FROM lines WHERE s ~ '[[.a.]]'`,
    String.raw`SELECT id FROM lines WHERE s ~ '\x41'`,
    `SELECT id FROM lines WHERE s ~ s`,
    `SELECT regexp_replace(s, 'a|ab', 'X') FROM lines`,
    `SELECT regexp_replace(s, '(ab)*', 'X') FROM lines`,
    `SELECT regexp_replace(s, 'a+?', 'X') FROM lines`,
    `SELECT regexp_replace(s, 'a', 'X', 'x') FROM lines`,
    String.raw`SELECT regexp_replace(s, 'a', '\3') FROM lines`,
    `SELECT regexp_replace(s, 'a', '\\', 'g') FROM lines WHERE s ~ '\\\\'`,
  ]) {
    test(sql, () =>
      refusedWith(columnar, sql, '0A000', /not supported by pg_analytica|pg_analytica does not support/),
    );
  }
});
