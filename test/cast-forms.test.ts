/**
 * Casts by source and target type, found by casting columns of every common type to every common
 * type on the heap and through the daemon: text read as an integer, a boolean, a time or bytea as
 * their input functions read it (DuckDB rounded ' 12.50 ' to 13, read '1e3' as 1000 and
 * '2024-02-29' as midnight, refused ' on ' and 'wörld'), and arrays printed as array_out prints
 * them (DuckDB wrote '[1, 2]'); what the engine does not read as PostgreSQL does is refused with
 * 0A000.
 */
import { test } from 'node:test';
import { refusedWith, sameFailure } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';

const setup = String.raw`
  CREATE TABLE cf (id int PRIMARY KEY, tn text, tb text, tt text, ty text, c char(6), a int[], ta text[],
                   ba bool[], va varchar(5)[], ja jsonb[], jb jsonb);
  INSERT INTO cf VALUES
    (1, ' 12 ', 'yes', '10:30', 'wörld', ' 42 ', '{1,2}', '{x,"y z",NULL,"","null","a,b","q\"r","s\\t","{}","NuLl"}',
     '{t,NULL}', '{a,"b c"}', '{}', '2.5'),
    (2, '-7', ' on ', '23:59:59.5', '\x0102', '+3', '{}', '{}', '{}', '{}', NULL, 'true'),
    (3, '+0012', 'F', ' 1:05 ', 'ab', '0', '{NULL,-5}', ARRAY['é', E'tab\there', E'nl\nx'], '{f}', '{NULL}', NULL, '"5"'),
    (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);`;

const queries = [
  'SELECT id, tn::int2, tn::int4, tn::int8, c::int, tb::bool, tt::time, ty::bytea FROM cf ORDER BY id',
  String.raw`SELECT '12'::int, ' -3 '::bigint, ' t '::bool, 'OFF'::boolean, '\x00ff'::bytea, 'a\\b'::bytea`,
  `SELECT id, a::text, ta::text, ba::text, va::text, a::varchar, 'x' || ta::text, concat(a, '|', ta) FROM cf ORDER BY id`,
  'SELECT string_agg(a::text, $$;$$ ORDER BY id), count(*) FILTER (WHERE tn::int > 0) FROM cf',
  // char(n) read as bytea keeps its padding (its output function's text).
  'SELECT id, c::bytea FROM cf ORDER BY id',
  // jsonb to a number or boolean reads only a jsonb number or boolean (jsonb_int4, jsonb_bool).
  'SELECT id, jb::int, jb::float8, jb::smallint, jb::real FROM cf WHERE id IN (1, 4) ORDER BY id',
  'SELECT id, jb::bool FROM cf WHERE id IN (2, 4) ORDER BY id',
  // Text cast to numeric without a typmod keeps each value's own display scale (numeric_in).
  `SELECT id, tn::numeric, (trim(tn) || '.50')::numeric, (trim(tn) || 'e-2')::numeric, sum(tn::numeric) OVER (), c::numeric FROM cf ORDER BY id`,
  'SELECT sum(tn::numeric), avg(tn::numeric), max(tn::numeric), count(DISTINCT tn::numeric) FROM cf',
  // An untyped literal compared with a boolean is read as boolin reads it.
  `SELECT id, tb::bool = 'on', tb::bool = ' TRUE ', tb::bool = 'of', tb::bool IN ('ye', 'n') FROM cf ORDER BY id`,
];

describeDifferential('casts by source and target type', { setup, tables: ['cf'] }, queries, (fixture) => {
  test("text the input function rejects fails with PostgreSQL's error", async () => {
    const { heap, columnar } = fixture();
    for (const sql of [
      `SELECT (tn || '.5')::int FROM cf WHERE id = 2`,
      `SELECT x::int FROM (VALUES ('1e3')) v(x)`,
      `SELECT ' 12.50 '::int`,
      `SELECT (tn || '99999999999')::int FROM cf WHERE id = 2`,
      `SELECT (tb || 'x')::bool FROM cf WHERE id = 1`,
      `SELECT replace(tt, '10', '25')::time FROM cf WHERE id = 1`,
      String.raw`SELECT (ty || '\9')::bytea FROM cf WHERE id = 3`,
      'SELECT jb::bool FROM cf WHERE id = 1',
      'SELECT jb::int FROM cf WHERE id = 3',
      'SELECT jb::bigint FROM cf WHERE id = 2',
      `SELECT (tn || 'x')::numeric FROM cf WHERE id = 1`,
    ]) {
      await sameFailure(heap, columnar, sql);
    }
  });

  test('text in forms the engine does not read as PostgreSQL does is refused with 0A000', async () => {
    const { columnar } = fixture();
    await refusedWith(
      columnar,
      `SELECT (tt || ' PM')::time FROM cf WHERE id = 1`,
      '0A000',
      /a time read from text/,
    );
    await refusedWith(
      columnar,
      `SELECT (tn || '_000')::int FROM cf WHERE id = 2`,
      '0A000',
      /base prefix or underscores/,
    );
    await refusedWith(columnar, 'SELECT ja::text FROM cf', '0A000', /the text of a value of type jsonb\[\]/);
    await refusedWith(
      columnar,
      `SELECT id FROM cf WHERE tt::time = '10:30 AM'`,
      '0A000',
      /time literal "10:30 AM"/,
    );
    await refusedWith(columnar, `SELECT (tn || '_0')::numeric FROM cf WHERE id = 2`, '0A000', /underscores/);
    // ISO 8601's form, which PostgreSQL reads and DuckDB does not: refused, not "invalid".
    await refusedWith(
      columnar,
      `SELECT (substr(tb, 4) || 'P1D')::interval FROM cf WHERE id = 1`,
      '0A000',
      /as an interval/,
    );
  });
});
