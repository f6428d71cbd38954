/**
 * Expressions whose PostgreSQL type comes from several operands (select_common_type,
 * operator resolution) — found by running the expression fuzzer with other seeds: each answered
 * differently from PostgreSQL without an error before its fix.
 */
import { test } from 'node:test';
import { refusedWith, sameRowsAndTypes } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE ct (id int PRIMARY KEY, c char(4), vc varchar(10), t text, f4 real, i8 bigint, n numeric(6,2), ts timestamp,
                   bn numeric, f8 float8);
  INSERT INTO ct VALUES (1, 'abc', 'ab', 'q', 1.25, 2017548290, 1.25, NULL, 12.345, 2.5),
                        (2, '', 'x', NULL, NULL, 3, NULL, 'infinity', -0.5, -0.1),
                        (3, 'v3', '', 'v3', 2.5, 5, 2.50, '2024-01-01', 2.0, 2),
                        (4, NULL, NULL, 'z', -0.5, NULL, 0, '2024-02-29 12:00', NULL, NULL);`;

const queries = [
  // real with an integer or numeric is double precision (float48pl: float8 is preferred).
  `SELECT id, ('3'::real - (f4 + i8)) - abs(id)::float8, f4 * i8, f4 / 3, f4 + 0.1, f4 - n FROM ct ORDER BY id`,
  // COALESCE keeps the first of types that cast both ways; CASE decides by its ELSE; bpchar cast
  // to text or varchar loses its trailing blanks.
  `SELECT id FROM ct WHERE COALESCE(c, 'x'::text) IN ('ab', 'v3', 'alpha1', '') ORDER BY id`,
  `SELECT id, COALESCE(c, t), COALESCE(t, c), COALESCE(c, vc), COALESCE(vc, c), CASE WHEN id = 1 THEN c ELSE t END, CASE WHEN id = 1 THEN t ELSE c END FROM ct ORDER BY id`,
  `SELECT id, greatest(c, t), greatest(t, c), least(vc, c), least(c, 'b') FROM ct ORDER BY id`,
  `SELECT id FROM ct WHERE CASE WHEN id = 1 THEN t ELSE c END = 'v3' ORDER BY id`,
  // NULLIF's result is its left operand as = takes it: bpchar = text is text.
  `SELECT id, NULLIF(c, substr(vc, 0, 2)), NULLIF(c, 'abc'), NULLIF(c, vc), NULLIF(c, t), NULLIF(t, c) FROM ct ORDER BY id`,
  // An untyped literal among numerics keeps its own display scale.
  `SELECT abs(COALESCE('2.50', 1.5)) * 7, COALESCE('2.50', 1.5), COALESCE(NULL, '2.50', 1.5), CASE WHEN true THEN '2.50' ELSE 1.5 END, greatest('2.50', 1.5)`,
  `SELECT id, COALESCE(n, '7.125'), COALESCE('7.1', n), CASE WHEN id = 2 THEN '0' ELSE n END FROM ct ORDER BY id`,
  // Math functions are typed (double precision or numeric), so what wraps them knows it.
  `SELECT id, power(f4, 2), sqrt(abs(f4)), exp(1.0::float8), ln(2), cbrt(27), pi(), degrees(1), power(2, 10), power(i8, 2) FROM ct ORDER BY id`,
  // A numeric of varying scale beside a float is the float (COALESCE, CASE, GREATEST); NULLIF of a
  // numeric or integer and a float compares, and returns, double precision.
  `SELECT id, COALESCE(bn, f8), CASE WHEN id = 1 THEN bn ELSE f8 END, greatest(bn, f8), least(bn, f4), NULLIF(bn, f8), NULLIF(n, f4), NULLIF(i8, f8), NULLIF(f4, f8) FROM ct ORDER BY id`,
  // UNION of text then char(n) is text: the char(n) side loses its padding.
  `SELECT x FROM (SELECT t AS x, id FROM ct UNION ALL SELECT c, id + 10 FROM ct) u ORDER BY id`,
  `SELECT DISTINCT x FROM (SELECT vc AS x FROM ct UNION SELECT c FROM ct) u ORDER BY 1`,
  // USING over columns of one type compared as stored joins as PostgreSQL does.
  `SELECT c, a.id, b.id FROM ct a JOIN ct b USING (c) ORDER BY 1, 2`,
  `SELECT i8, count(*) FROM ct a NATURAL JOIN (SELECT id, i8 FROM ct) b GROUP BY 1 ORDER BY 1`,
  // LIKE takes its pattern as text: a char(n) pattern without its padding, the value with it.
  `SELECT id, t LIKE c, vc ILIKE c, c LIKE c, c LIKE t, c NOT LIKE vc FROM ct ORDER BY id`,
  // to_char of NULL is NULL, also for a template with no fields.
  `SELECT id, to_char(ts, 'FM999'), to_char(ts, 'YYYY'), to_char(ts, '') FROM ct ORDER BY id`,
];

describeDifferential('expressions typed from several operands', { setup, tables: ['ct'] }, queries, (f) => {
  // DuckDB prints a double 7311616 as '7311616.0'; the text is float8out's, as PostgreSQL prints it.
  test('the text of a double precision or real result is PostgreSQL’s', () =>
    sameRowsAndTypes(
      f().heap,
      f().columnar,
      "SELECT id, power(power(f4, 2), 2)::text, f4::text, 'x' || (f4 * i8), concat(f4, '|') FROM ct ORDER BY id",
    ));

  // char(n) then text is char(n), whose UNION compares without trailing blanks and keeps one of
  // the spellings: refused rather than told apart by DuckDB.
  test('UNION of char(n) then text is refused with 0A000', () =>
    refusedWith(f().columnar, 'SELECT c FROM ct UNION SELECT t FROM ct', '0A000', /UNION/));

  // PostgreSQL compares char(n) and text as text, numerics of varying scale by value; DuckDB's
  // USING would compare the stored values (no row for 'abc ' and 'abc').
  test('USING and NATURAL over columns DuckDB would compare otherwise are refused with 0A000', async () => {
    await refusedWith(
      f().columnar,
      'SELECT count(*) FROM ct a JOIN (SELECT t AS c FROM ct) b USING (c)',
      '0A000',
      /joining column "c" of types character and text/,
    );
    await refusedWith(
      f().columnar,
      'SELECT count(*) FROM ct a NATURAL JOIN (SELECT id, bn FROM ct) b',
      '0A000',
      /joining column "bn"/,
    );
  });
});
