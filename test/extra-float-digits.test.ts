/**
 * A session's extra_float_digits decides how float4out and float8out print: 1 (the default) and
 * more give the shortest digits that read back; 0 and less give printf("%.*g") with 15 (float8)
 * or 6 (float4) digits plus the setting, so 0.1 + 0.2 prints 0.3, as older clients ask for. The
 * daemon prints rows, ::text, ||, concat() and to_json as PostgreSQL does under each setting.
 */
import { test } from 'node:test';
import { sameRowsAndTypes } from './helpers/assertions.js';
import { describeDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE fl (id int PRIMARY KEY, d float8, r real);
  INSERT INTO fl VALUES (1, 0.1, 0.1), (2, 1.0 / 3, 1.0 / 3), (3, 1e20, 1e20), (4, 1.5e-5, 1.5e-5),
    (5, 123456789012345678, 1234567), (6, '-0', '-0'), (7, 'NaN', 'NaN'), (8, '-Infinity', 'Infinity'),
    (9, 1234567890123445, 16777215), (10, 99999.99999999999, 999999.9), (11, 0.00012345, 0.000123),
    (12, 2.5, 2.5), (13, NULL, NULL), (14, 1e15, 1e6), (15, 999999999999999.9, 9999999);`;

const queries = [
  'SELECT id, d, r, d + 0.2, r * 3 FROM fl ORDER BY id',
  `SELECT id, d::text, r::text, 'x' || d, concat(d, '/', r) FROM fl ORDER BY id`,
  'SELECT id, to_json(d), to_json(r), json_build_array(d, r), to_jsonb(d), jsonb_build_object($$k$$, r) FROM fl ORDER BY id',
  'SELECT array_agg(d ORDER BY id), array_agg(r ORDER BY id) FROM fl',
  'SELECT sum(d) FILTER (WHERE d > 0 AND d < 1e10), avg(r) FILTER (WHERE r < 1e10), string_agg(d::text, $$,$$ ORDER BY id) FROM fl',
];

describeDifferential('extra_float_digits', { setup, tables: ['fl'] }, [], (fixture) => {
  for (const digits of [1, 3, 0, -1, -3, -15]) {
    for (const sql of queries) {
      test(`extra_float_digits ${digits}: ${sql}`, async () => {
        const { heap, columnar } = fixture();
        await heap.query(`SET extra_float_digits = ${digits}`);
        await columnar.query(`SET extra_float_digits = ${digits}`);
        await sameRowsAndTypes(heap, columnar, sql);
      });
    }
  }
});
