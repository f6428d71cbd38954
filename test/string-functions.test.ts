/**
 * String and arithmetic functions whose DuckDB namesakes answer otherwise at the edges
 * (src/query/sql/string-functions.ts): substring with a start before the first character,
 * substring by a regular expression, split_part's zero field, mod by zero, chr(0), two-argument
 * lpad/rpad, the SQLSTATEs of sqrt/ln's domain errors, and integer and numeric overflows — each compared with PostgreSQL on
 * the heap, rows or error.
 */
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { sameFailure, sameRowsAndTypes } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE strings (id int PRIMARY KEY, a text, n int, d float8, c char(6));
  INSERT INTO strings VALUES (1, 'hello', -1, -4, 'ab'), (2, '', 0, 0, ''), (3, 'x', 2, 1e308, 'xyz'),
    (4, NULL, NULL, NULL, NULL), (5, 'héllo wörld', 3, 1, 'é '), (6, 'a,b,,c', 5, 0.5, 'a,b');`;

let fixture: Differential | undefined;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  fixture = await startDifferential(setup, ['strings']);
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

describe('answers as PostgreSQL', () => {
  for (const sql of [
    'SELECT id, substr(a, n, 3), substring(a, n), substring(a from n for 2), substring(a, 2, 100) FROM strings ORDER BY id',
    'SELECT id, substr(c, n, 2), substring(a, -5, 8), substring(a from 0), substr(a, 3) FROM strings ORDER BY id',
    `SELECT id, substring(a from 'l+'), substring(a, 'e(l)'), substring(c, 'b'), substring(a, '^h.') FROM strings ORDER BY id`,
    `SELECT id, split_part(a, ',', 2), split_part(a, ',', -1), split_part(c, ',', 1) FROM strings WHERE id <> 2 ORDER BY id`,
    'SELECT id, lpad(a, n), rpad(a, 7), lpad(c, 8), repeat(a, n), ascii(a) FROM strings ORDER BY id',
    'SELECT id, chr(n + 100), mod(n, 2), mod(-7, n) FROM strings WHERE n <> 0 ORDER BY id',
    // Explicit casts to varchar(n) and char(n) cut (and pad) instead of failing.
    `SELECT id, a::varchar(3), c::varchar(2), 'abcdef'::varchar(2), a::char(3) || '|', c::char(3), c::char(8), 'abcdef'::char(3) FROM strings ORDER BY id`,
    'SELECT a::varchar(2) AS prefix, count(*) FROM strings GROUP BY 1 ORDER BY 1',
    // A DISTINCT aggregate lists its values sorted, as PostgreSQL's sort-based DISTINCT does.
    `SELECT array_agg(DISTINCT a), string_agg(DISTINCT c, ','), array_agg(DISTINCT n), array_agg(DISTINCT d) FROM strings`,
    'SELECT n > 0 AS positive, array_agg(DISTINCT a) FROM strings GROUP BY 1 ORDER BY 1',
    // initcap() under the C ctype; string_to_array's empty input, NULL and empty delimiters, null string.
    `SELECT id, initcap(a), initcap(c), initcap('hello WORLD o''neil 3rd x-ray éric') FROM strings ORDER BY id`,
    `SELECT id, string_to_array(a, ','), string_to_array(a, NULL), string_to_array(a, ''), string_to_array(a, ',', ''), string_to_array(c, 'b') FROM strings ORDER BY id`,
    `SELECT unnest(string_to_array('x y  z', ' ')) AS part`,
    // octet_length/bit_length: UTF-8 bytes; char(n) counts its padding, bytea its bytes.
    `SELECT id, octet_length(a), bit_length(a), octet_length(c), octet_length('яндекс'), octet_length('\\x01ff'::bytea) FROM strings ORDER BY id`,
    // Integer negation and abs() of the smallest value name the type when they overflow (see below).
    'SELECT id, -n, abs(n), -(n::smallint), abs(n::bigint) FROM strings ORDER BY id',
    // LIKE/ILIKE with ANY/ALL over an array of patterns.
    `SELECT id, a ILIKE ANY(ARRAY['H%', '%RLD']), a LIKE ANY('{%,%x%}'::text[]), a NOT LIKE ALL(ARRAY['%e%', '%,%']), a ILIKE ALL(ARRAY[]::text[]), a LIKE ANY(ARRAY['h%', NULL]) FROM strings ORDER BY id`,
    // to_hex prints an integer's own 32 bits (a bigint's 64), lower case; num_nulls/num_nonnulls.
    `SELECT id, to_hex(n), to_hex(-n), to_hex(n::bigint * -1000000000), lpad(to_hex(n * 255), 8, '0'), num_nulls(a, n, c), num_nonnulls(a, d) FROM strings ORDER BY id`,
  ]) {
    test(sql, () => sameRowsAndTypes(heap, columnar, sql));
  }
});

describe('fails as PostgreSQL does', () => {
  for (const sql of [
    'SELECT substr(a, 1, n) FROM strings WHERE id = 1',
    `SELECT split_part(a, ',', n) FROM strings WHERE id = 2`,
    'SELECT chr(n) FROM strings WHERE id = 2',
    'SELECT mod(id, n) FROM strings WHERE id = 2',
    'SELECT sqrt(d) FROM strings WHERE id = 1',
    'SELECT ln(d) FROM strings WHERE id = 2',
    'SELECT octet_length(d) FROM strings',
    'SELECT -(-32768)::smallint',
    'SELECT abs((-2147483647 - 1)::int)',
    'SELECT -(n::bigint * 9223372036854775807) - 2 FROM strings WHERE id = 3',
    // Overflows, in PostgreSQL's words (duckdb-errors.ts).
    'SELECT n * 2147483647 FROM strings WHERE id = 3',
    'SELECT (n * 20000)::smallint FROM strings WHERE id = 3',
    'SELECT (n * 100000)::numeric(5,1) FROM strings WHERE id = 3',
    'SELECT n::smallint * 20000::smallint FROM strings WHERE id = 3',
    'SELECT to_hex(n::smallint) FROM strings',
  ]) {
    test(sql, () => sameFailure(heap, columnar, sql));
  }
});
