/**
 * The forms of allowed functions and operators by argument type, found by running every allowed
 * function over columns of every common type on the heap and through the daemon: where DuckDB's
 * namesake takes other types (length(bytea), gcd(numeric)), computes another answer (sign() as
 * TINYINT, degrees() as x * 180 / pi, round(integer, n) without n decimals) or prints another
 * text (bytea as '\x01\x02\xFF', its literals read per byte), or a char(n) pattern kept its
 * padding where PostgreSQL casts it to text, the daemon answers as PostgreSQL or
 * refuses the form with 0A000 naming it — never DuckDB's own error.
 */
import { test } from 'node:test';
import { refusedWith, sameFailure, sameRowsAndTypes } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';

const setup = String.raw`
  CREATE TABLE ff (id int PRIMARY KEY, y bytea, c char(5), t text, i int, b bigint, f float8, r real,
                   n numeric(10,2), iv interval);
  INSERT INTO ff VALUES
    (1, '\x0102ff', 'xy', 'xy  a', 2, 9000000000, 0.1, 1.5, 2.50, '1 day'),
    (2, 'ab\\c', 'z', NULL, -1, -5, -1e300, -2.25, -1.25, '-3 mons'),
    (3, '\x', 'o ', 'é o', 0, 0, 'NaN', '-0', 0, '00:00'),
    (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);`;

const queries = [
  // bytea: lengths, its text (byteaout's hex), literals read as byteain reads them, byteacat.
  'SELECT id, length(y), octet_length(y), bit_length(y), bit_length(c), octet_length(c) FROM ff ORDER BY id',
  "SELECT id, y::text, concat(y, '|', t), concat_ws(',', y, y), t || y::text FROM ff ORDER BY id",
  String.raw`SELECT id, y = '\x0102ff', y = 'ab\\c'::bytea, y > '\x01', y IN ('\x01 02ff', 'ab\134c'), y < 'ab' FROM ff ORDER BY id`,
  String.raw`SELECT id, y || y, y || '\x00', 'zz' || y, (y || y) = '\x0102ff0102ff', '\x0102ff'::bytea, 'é'::bytea FROM ff ORDER BY id`,
  String.raw`SELECT string_agg(y::text, ';' ORDER BY id), count(*) FILTER (WHERE y = '\x') FROM ff`,
  // Numbers: sign() is float8, degrees/radians as float.c computes them, round(int, n) numeric.
  'SELECT id, sign(f), sign(i), sign(r), sign(n), sign(b) FROM ff ORDER BY id',
  'SELECT id, degrees(f), radians(f), degrees(i), radians(n), degrees(r) FROM ff ORDER BY id',
  'SELECT id, round(i, i), trunc(i, i), round(b, -i), trunc(b, i + 1), round(i, 1) FROM ff ORDER BY id',
  // The regexp functions take text: a char(n) pattern or replacement loses its padding too.
  'SELECT id, regexp_like(t, c), regexp_like(c, c), regexp_match(c, c), regexp_count(c, c), regexp_instr(c, c), regexp_substr(c, c) FROM ff ORDER BY id',
  `SELECT id, regexp_replace(t, 'a', c), t ~ c, c ~ c, c ~ t FROM ff ORDER BY id`,
  // format() with a constant template: %s, %L, %%, positions, widths, the - flag.
  `SELECT id, format('%s-%s|%L|%%|%5s|%-5s|%2$s %s', t, n, f, iv, i, c), format('x'), format('%L %L', t, n), format('%1$s %1$L', c), format(NULL, t) FROM ff ORDER BY id`,
  // An empty fill only cuts the value (DuckDB's lpad failed).
  `SELECT id, lpad(t, i, ''), rpad(t, 2, ''), lpad(c, 3, ''), lpad(t, 4, 'ab') FROM ff ORDER BY id`,
];

describeDifferential('forms of functions by argument type', { setup, tables: ['ff'] }, queries, (fixture) => {
  test('the forms the engine does not run are refused with 0A000 naming them', async () => {
    const { columnar } = fixture();
    for (const [sql, message] of [
      ['SELECT substring(y, 2) FROM ff', /^substring\(\) of bytea is not supported by pg_analytica$/],
      ['SELECT btrim(y, y) FROM ff', /^btrim\(\) of bytea is not supported/],
      [String.raw`SELECT position('\x02'::bytea in y) FROM ff`, /^position\(\) of bytea is not supported/],
      ['SELECT gcd(n, 2) FROM ff', /^gcd\(\) of numeric is not supported/],
      ['SELECT lcm(i, 1.5) FROM ff', /^lcm\(\) of numeric is not supported/],
      ['SELECT isfinite(iv) FROM ff', /^isfinite\(\) of interval is not supported/],
      [`SELECT to_timestamp(t, 'YYYY') FROM ff`, /^function to_timestamp\(\) is not supported/],
    ] as const) {
      await refusedWith(columnar, sql, '0A000', message);
    }
  });

  test("a format() template PostgreSQL rejects fails when a row is formatted, with PostgreSQL's error", async () => {
    const { heap, columnar } = fixture();
    await sameFailure(heap, columnar, `SELECT format('%x', t) FROM ff`);
    await sameFailure(heap, columnar, `SELECT format('%s %s', t) FROM ff`);
    await sameRowsAndTypes(heap, columnar, `SELECT format('%x', t) FROM ff WHERE id > 99`);
    await refusedWith(columnar, `SELECT format('%I', t) FROM ff`, '0A000', /format\(\) with %I/);
  });

  test("a bytea literal byteain rejects fails with PostgreSQL's error", async () => {
    const { columnar } = fixture();
    await refusedWith(
      columnar,
      String.raw`SELECT y = '\x0g' FROM ff`,
      '22023',
      /^invalid hexadecimal digit: "g"$/,
    );
    await refusedWith(
      columnar,
      String.raw`SELECT y = '\x012' FROM ff`,
      '22023',
      /^invalid hexadecimal data: odd number of digits$/,
    );
    await refusedWith(
      columnar,
      String.raw`SELECT y = 'a\9' FROM ff`,
      '22P02',
      /^invalid input syntax for type bytea$/,
    );
  });
});
