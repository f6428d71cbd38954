/**
 * Case mapping as PostgreSQL does it (typing/case-folding.ts): lower(), upper(), ILIKE and the
 * case-insensitive regular expressions follow the ctype — ASCII letters only under C, each
 * character by glibc's tables under a UTF-8 locale (here C.UTF-8) — directly and for every code
 * point that has a case, compared with PostgreSQL on the heap. Mappings the engine does not
 * have (a column's own collation) fail with 0A000.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { refusedWith, sameRowsAndTypes } from './helpers/assertions.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';

const setup = `
  CREATE TABLE words (id int PRIMARY KEY, w text, p text);
  INSERT INTO words VALUES
    (1, 'Émile Zola', 'é%'), (2, 'straße STRASSE ẞ', '%SS%'), (3, 'ΣΑΣ σας', '%σ%'),
    (4, 'İstanbul ıI', 'i%'), (5, 'ǅemal ǈ', 'ǆ%'), (6, 'Москва', 'м%'), (7, 'plain ASCII', 'PLAIN%'),
    (8, '', ''), (9, NULL, NULL), (10, 'Ωmega µ', '%ω%');
  -- A column with its own collation: its case is mapped by ICU.
  CREATE TABLE owned (id int PRIMARY KEY, own text COLLATE "en-x-icu");
  INSERT INTO owned VALUES (1, 'Émile'), (2, 'i'), (3, NULL);
  -- Values RE2 folds with an ASCII letter where PostgreSQL does not.
  CREATE TABLE signs (id int PRIMARY KEY, w text);
  INSERT INTO signs VALUES (1, 'KELVIN K'), (2, 'long ſ');
  -- Every code point with a case in any mapping: the Basic Multilingual Plane and the
  -- supplementary blocks with cased letters.
  CREATE TABLE code_points (cp int PRIMARY KEY, c text);
  INSERT INTO code_points SELECT g, chr(g) FROM generate_series(1, 65535) g WHERE g NOT BETWEEN 55296 AND 57343;
  INSERT INTO code_points SELECT g, chr(g) FROM generate_series(66560, 66943) g;
  INSERT INTO code_points SELECT g, chr(g) FROM generate_series(68736, 68863) g;
  INSERT INTO code_points SELECT g, chr(g) FROM generate_series(71840, 71935) g;
  INSERT INTO code_points SELECT g, chr(g) FROM generate_series(93760, 93855) g;
  INSERT INTO code_points SELECT g, chr(g) FROM generate_series(125184, 125279) g;`;

const tables = ['words', 'owned', 'signs', 'code_points'];

interface Side {
  daemon: Daemon;
  heap: pg.Client;
  columnar: pg.Client;
}

let cluster: LocalCluster;
const sides: Record<'c' | 'utf8', Side | undefined> = { c: undefined, utf8: undefined };

async function startSide(database: string): Promise<Side> {
  const heap = await rawClient(cluster.clientConfig(database));
  await heap.query(setup);
  const daemon = await startDaemon(cluster, [], database);
  for (const table of tables) {
    await heap.query('SELECT analytica.register_table($1)', [table]);
    await heap.query('SELECT analytica.wait_for_sync($1)', [table]);
  }
  const columnar = await rawClient({ ...cluster.clientConfig(database), port: daemon.port });
  return { daemon, heap, columnar };
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`CREATE DATABASE utf8_ctype TEMPLATE template0 LC_CTYPE 'C.UTF-8' LC_COLLATE 'C'`);
  sides.c = await startSide('postgres');
  sides.utf8 = await startSide('utf8_ctype');
});

after(async () => {
  for (const side of Object.values(sides)) {
    await side?.heap.end();
    await side?.columnar.end();
    await side?.daemon.close();
  }
  await cluster?.close();
});

const answered = [
  'SELECT id, lower(w), upper(w) FROM words ORDER BY id',
  'SELECT id FROM words WHERE w ILIKE p ORDER BY id',
  'SELECT id FROM words WHERE w NOT ILIKE p ORDER BY id',
  `SELECT id FROM words WHERE w ILIKE '%ÉMILE%' OR w ILIKE 'straSSE%' OR w ILIKE '%ς' ORDER BY id`,
  `SELECT id FROM words WHERE upper(w) = 'PLAIN ASCII' OR lower(w) LIKE 'м%' ORDER BY id`,
  `SELECT lower(w), count(*) FROM words GROUP BY 1 ORDER BY lower(w) COLLATE "C"`,
  `SELECT id FROM words WHERE w ~* '^(plain|emile)' ORDER BY id`,
  `SELECT id FROM words WHERE w !~* 'a' ORDER BY id`,
  `SELECT id, upper(w COLLATE "C"), lower(w COLLATE "C") FROM words ORDER BY id`,
  `SELECT id, lower(own COLLATE "C"), upper(own COLLATE "C") FROM owned ORDER BY id`,
  `SELECT lower('ÉCOLE Straße'), upper('école straße')`,
];

for (const [name, database] of [
  ['C ctype', 'c'],
  ['C.UTF-8 ctype', 'utf8'],
] as const) {
  describe(`case mapping under the ${name}`, () => {
    for (const sql of answered) {
      test(sql, async () => {
        const side = sides[database]!;
        await sameRowsAndTypes(side.heap, side.columnar, sql);
      });
    }

    test('lower() and upper() of every code point with a case', async () => {
      const side = sides[database]!;
      const sql = 'SELECT cp, lower(c), upper(c) FROM code_points ORDER BY cp';
      const expected = await side.heap.query({ text: sql, rowMode: 'array' });
      const actual = await side.columnar.query({ text: sql, rowMode: 'array' });
      assert.equal(actual.rows.length, expected.rows.length);
      const differing = actual.rows.flatMap((row, i) =>
        JSON.stringify(row) === JSON.stringify(expected.rows[i])
          ? []
          : [{ actual: row, expected: expected.rows[i] }],
      );
      assert.deepEqual(differing.slice(0, 5), [], `${differing.length} code points map differently`);
    });

    test('a case-insensitive match that RE2 would fold differently fails with 0A000', async () => {
      const { columnar } = sides[database]!;
      await refusedWith(columnar, `SELECT id FROM signs WHERE w ~* 'k'`, '0A000', /U\+017F or U\+212A/);
      await refusedWith(columnar, `SELECT id FROM words WHERE w ~* 'é'`, '0A000', /non-ASCII/);
      await refusedWith(columnar, `SELECT regexp_replace(w, 'K', 'x', 'i') FROM signs`, '0A000', /U\+017F/);
    });

    test('initcap() answers under the C ctype, and under a UTF-8 one for ASCII values (else 0A000)', async () => {
      const side = sides[database]!;
      await sameRowsAndTypes(
        side.heap,
        side.columnar,
        `SELECT id, initcap(w) FROM words WHERE id IN (7, 8, 9) ORDER BY id`,
      );
      const sql = 'SELECT id, initcap(w) FROM words ORDER BY id';
      if (database === 'c') await sameRowsAndTypes(side.heap, side.columnar, sql);
      else
        await refusedWith(
          side.columnar,
          sql,
          '0A000',
          /initcap\(\) of a non-ASCII value under a UTF-8 locale/,
        );
    });

    test("a column's own collation maps case by a ctype the engine does not have: 0A000", async () => {
      const { columnar } = sides[database]!;
      for (const sql of [
        'SELECT lower(own) FROM owned',
        `SELECT id FROM owned WHERE own ILIKE 'a%'`,
        `SELECT id FROM owned WHERE own ~* 'a'`,
      ]) {
        await refusedWith(columnar, sql, '0A000', /case mapping is not C's/);
      }
    });
  });
}
