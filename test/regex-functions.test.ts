/**
 * SIMILAR TO, substring(… SIMILAR …) and the regexp_* functions through the daemon
 * (src/query/sql/regex/), compared with the heap text for text and type OID for type OID, and
 * through postgres_fdw (columnar.words): a corpus of values with NULLs, empty strings, non-ASCII
 * text, newlines and regex metacharacters, run through each function with the patterns it takes;
 * what RE2 cannot answer as PostgreSQL does fails with 0A000, PostgreSQL's own errors with its
 * SQLSTATE.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { failure, refusedWith, sameFailure, sameRowsAndTypes } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

const setup = String.raw`
  CREATE TABLE words (id int PRIMARY KEY, s text, p text);
  INSERT INTO words VALUES
    (1, NULL, 'a'), (2, '', ''), (3, 'abc', 'b'), (4, 'a.b', 'a.b'), (5, 'foo bar', '^f.*r$'),
    (6, 'x1y22z333', 'x|y'), (7, E'line1\nline2', 'e.l'), (8, 'aaa', 'a+'), (9, 'Ab CD', 'ab'),
    (10, 'a,b,,c,', ','), (11, ',lead', NULL), (12, 'trail,', 'l,$'), (13, E'tab\there', 'b.h'),
    (14, '(x)[y]{z}*+?|^$\', 'x'), (15, 'mississippi', 'ss'), (16, 'héllo wörld', 'ö'),
    (17, '日本語テキスト', '本'), (18, 'café au lait', 'é'), (19, 'ABC abc', 'B');`;

let fixture: Differential | undefined;
let heap: pg.Client;
let columnar: pg.Client;

before(async () => {
  fixture = await startDifferential(setup, ['words'], { foreignServer: true });
  ({ heap, columnar } = fixture);
});

after(() => stopDifferential(fixture));

const same = (sql: string) => () => sameRowsAndTypes(heap, columnar, sql);

/** Patterns whose match extent RE2 finds as PostgreSQL does (no alternation, non-greedy quantifier or quantified group). */
const EXTENT_PATTERNS = [
  'a',
  '',
  'b',
  '.',
  'a.b',
  '[a-c]',
  '[^a-z]',
  '[[:digit:]]+',
  String.raw`\d+`,
  String.raw`\s*`,
  String.raw`\s+`,
  '[,.]',
  ',',
  ',*',
  'x*',
  'l+',
  'l{2}',
  's{1,2}',
  '^a',
  'c$',
  '^',
  '$',
  '(s)(s)',
  '(i)',
  '(.)(.)$',
  '^(..)',
  String.raw`\.`,
  String.raw`\(`,
  String.raw`\$`,
  String.raw`\\`,
  String.raw`\n`,
  String.raw`\t`,
  String.raw`\yb`,
  String.raw`\u00e9`,
  'é',
  'ö.',
  '本.',
  '[é]',
  String.raw`\w+`,
  '[[:alpha:]]+',
];

/** Patterns that only decide whether there is a match (alternation and all). */
const MATCH_PATTERNS = [...EXTENT_PATTERNS, 'a|x', 'ab|cd', '(?:a|b)+', 'a+?', '(ab)*c', 'x|^$'];

/** Class escapes meet non-ASCII text only under a C ctype (regex-rules.ts): these run on ASCII rows. */
const ASCII_ROWS = 'id < 16';
const usesClass = (pattern: string) => /\\[dswDSW]|\[\[:/.test(pattern);
const rowsFor = (pattern: string) => (usesClass(pattern) ? ASCII_ROWS : 'true');
/**
 * Whether every match of the pattern counts as in PostgreSQL (regexp-functions.ts): not for an
 * anchor alone, which matches empty where DuckDB's enumeration repeats it.
 */
const enumerable = (pattern: string) => pattern !== '^' && pattern !== '$';
/** A case-insensitive pattern must be ASCII (case-folding.ts). */
const ascii = (pattern: string) => /^[\x00-\x7f]*$/.test(pattern) && !pattern.includes('\\u');

describe('regexp_like, ~ and regexp_count agree with PostgreSQL', () => {
  for (const pattern of MATCH_PATTERNS) {
    test(
      `regexp_like / ~ '${pattern}'`,
      same(
        `SELECT id, regexp_like(s, '${pattern}'), regexp_like(s, '${pattern}', '${ascii(pattern) ? 'i' : ''}'), s ~ '${pattern}' FROM words WHERE ${rowsFor(pattern)} ORDER BY id`,
      ),
    );
  }
});

describe('regexp_count, regexp_substr, regexp_instr, regexp_match and splits agree with PostgreSQL', () => {
  for (const pattern of EXTENT_PATTERNS) {
    const rows = rowsFor(pattern);
    // Every match counts in regexp_count, the second regexp_substr and regexp_matches 'g'.
    const every = enumerable(pattern) ? '' : '-- ';
    test(`'${pattern}'`, async () => {
      await sameRowsAndTypes(
        heap,
        columnar,
        `SELECT id, regexp_substr(s, '${pattern}'),
           ${every}regexp_count(s, '${pattern}'), regexp_substr(s, '${pattern}', 1, 2),

           regexp_instr(s, '${pattern}'), regexp_instr(s, '${pattern}', 1, 1, 1), regexp_match(s, '${pattern}'),
           regexp_split_to_array(s, '${pattern}') FROM words WHERE ${rows} ORDER BY id`,
      );
      const flags = enumerable(pattern) ? 'g' : '';
      await sameRowsAndTypes(
        heap,
        columnar,
        `SELECT id, regexp_matches(s, '${pattern}', '${flags}') FROM words WHERE ${rows} ORDER BY id, 2`,
      );
      await sameRowsAndTypes(
        heap,
        columnar,
        `SELECT id, regexp_split_to_table(s, '${pattern}') AS part FROM words WHERE ${rows} ORDER BY id, part`,
      );
    });
  }
  for (const sql of [
    `SELECT id, regexp_matches(s, '(.)(.)') FROM words ORDER BY id`,
    `SELECT id, regexp_matches(s, 'S', 'gi') FROM words ORDER BY id`,
    `SELECT id, regexp_match(s, 'AB', 'i'), regexp_split_to_array(s, 'B', 'i') FROM words ORDER BY id`,
    `SELECT id, regexp_count(s, 'a', 3), regexp_substr(s, '[a-z]', 4), regexp_instr(s, 's', 5), regexp_count(s, 'S', 1, 'i') FROM words ORDER BY id`,
    `SELECT id, regexp_substr(s, '(s)(.)', 1, 2, '', 2), regexp_substr(s, '(s)', 1, 1, '', 3) FROM words ORDER BY id`,
    `SELECT id, regexp_split_to_array(s, 'x*'), regexp_split_to_array(s, ',?') FROM words ORDER BY id`,
    `SELECT id, regexp_instr(s, 's', 1, 2), regexp_instr(s, 'l+', 1, 2, 1), regexp_instr(s, 'é|ö|,', 2, 2), regexp_instr(s, 'I', 1, 3, 0, 'i') FROM words ORDER BY id`,
    `SELECT regexp_split_to_table('abc', ''), regexp_split_to_table('a b', ' ')`,
    // Alternation of literal words none of which begins another: at most one can match anywhere.
    `SELECT id, regexp_replace(s, 'ss|pp', '_', 'g'), regexp_split_to_array(s, ',|;|\\.'), regexp_count(s, '(?:is|ip)') FROM words ORDER BY id`,
    `SELECT id, regexp_match(s, '(foo|line)(.)'), regexp_replace(s, 'AB|cd', '<\\&>', 'gi') FROM words ORDER BY id`,
    // DuckDB's optimizer turned a constant pattern with an inner anchor into prefix/suffix ('$a'
    // into prefix(s, 'a'): true for 'abc' where nothing can match).
    `SELECT id, s ~ '$a', s ~* 'bc^', s ~ '^.^', regexp_like(s, '$a'), regexp_match(s, 'c^'), s !~ 'a$b' FROM words ORDER BY id`,
    `SELECT id, regexp_replace(s, '[0-9]*', '', 'g'), regexp_replace(s, 'l*', '<\\&>') FROM words ORDER BY id`,
    `SELECT id, regexp_count(s, '^a'), regexp_count(s, '\\ya'), regexp_count(s, 'a$') FROM words ORDER BY id`,
    `SELECT id, regexp_like(s, NULL), regexp_count(s, NULL), regexp_split_to_array(s, NULL) FROM words ORDER BY id`,
    `SELECT id, regexp_split_to_table(s, NULL), regexp_matches(s, 'a', NULL) FROM words ORDER BY id`,
    // Set-returning functions in the select list run in lockstep, the shorter padded with NULLs.
    `SELECT id, regexp_split_to_table(s, ','), regexp_matches(s, '[a-z]', 'g') FROM words WHERE id IN (10, 12) ORDER BY id, 2, 3`,
    `SELECT id, (regexp_matches(s, '(s)(.)', 'g'))[2] FROM words ORDER BY id, 2`,
    `SELECT id, part FROM words, regexp_split_to_table(s, ',') AS part ORDER BY id, part`,
    `SELECT id, m FROM words, regexp_matches(s, '(.)s', 'g') AS m ORDER BY id, m`,
    `SELECT id, x.m[1] FROM words CROSS JOIN LATERAL regexp_matches(s, 'l(.)', 'g') AS x(m) ORDER BY id, 2`,
    `SELECT id, p.* FROM words, regexp_split_to_table(s, ',') WITH ORDINALITY AS p(part, n) ORDER BY id, n`,
    `SELECT id, m, ordinality FROM words, regexp_matches(s, '[a-c]', 'g') WITH ORDINALITY m ORDER BY id, ordinality`,
    `SELECT * FROM regexp_split_to_table('a1b22c', '[0-9]+') WITH ORDINALITY`,
    `SELECT id, s ~ p, s !~ p, s ~* p, s !~* p FROM words WHERE id < 16 AND (p IS NULL OR p !~ '[\\\\[{]') ORDER BY id`,
    `SELECT id, regexp_like(s, p), regexp_like(s, p, 'i'), regexp_like(s, upper(p), 'i') FROM words WHERE id < 16 ORDER BY id`,
  ]) {
    test(sql, same(sql));
  }
});

describe('SIMILAR TO and substring(… SIMILAR …) agree with PostgreSQL', () => {
  const patterns = [
    'a%',
    '%b%',
    '_b_',
    'x[12]%',
    '%(b|c)%',
    '(a|b)+',
    'a*',
    '%.%',
    '%\\%',
    '%$%',
    '%^%',
    '[^a-z]%',
    '[]a]%',
    '[[:alpha:]]+',
    '%(ss){2}%',
    'line1_line2',
    'tab\\there',
    '%é%',
    '',
    '%',
  ];
  for (const pattern of patterns) {
    test(
      `SIMILAR TO '${pattern}'`,
      same(
        `SELECT id, s SIMILAR TO '${pattern}', s NOT SIMILAR TO '${pattern}' FROM words WHERE ${rowsFor(pattern)} ORDER BY id`,
      ),
    );
  }
  for (const sql of [
    `SELECT id, s SIMILAR TO '%#%%' ESCAPE '#', s SIMILAR TO '%\\%' ESCAPE '', s SIMILAR TO '%,' ESCAPE NULL FROM words ORDER BY id`,
    `SELECT id, s SIMILAR TO '%!_%' ESCAPE '!', s SIMILAR TO '%[!]]%' ESCAPE '!' FROM words ORDER BY id`,
    `SELECT id, substring(s SIMILAR '%#"a%#"' ESCAPE '#'), substring(s SIMILAR '%#"l_#"%' ESCAPE '#') FROM words ORDER BY id`,
    `SELECT id, substring(s SIMILAR '%#"s*#"i%' ESCAPE '#'), substring(s SIMILAR '#"_#"%' ESCAPE '#') FROM words ORDER BY id`,
    `SELECT id, substring(s SIMILAR 'a%' ESCAPE '#'), substring(s FROM '%#"[0-9]+#"%' FOR '#') FROM words ORDER BY id`,
    `SELECT id, substring(s FROM 'b(.)'), substring(s FROM '[0-9]+') FROM words ORDER BY id`,
  ]) {
    test(sql, same(sql));
  }
});

describe('bound parameters are constants (pattern, flags, escape, positions)', () => {
  for (const [text, values] of [
    [`SELECT id FROM words WHERE s SIMILAR TO $1 ORDER BY id`, ['%(a|b)']],
    [`SELECT id, substring(s SIMILAR $1 ESCAPE $2) FROM words ORDER BY id`, ['%#"[0-9]+#"%', '#']],
    [`SELECT id, regexp_match(s, $1, $2), regexp_count(s, $1, $3) FROM words ORDER BY id`, ['[a-c]', 'i', 2]],
    [`SELECT id, regexp_substr(s, $1, $2, $3) FROM words ORDER BY id`, ['[a-z]+', 1, 2]],
    [`SELECT id, regexp_split_to_table(s, $1) AS part FROM words ORDER BY id, part`, [',']],
  ] as const) {
    test(text, async () => {
      const query = { text, values: [...values], rowMode: 'array' as const };
      const [expected, actual] = [await heap.query(query), await columnar.query(query)];
      assert.deepEqual(actual.rows, expected.rows, text);
      assert.deepEqual(
        actual.fields.map((f) => f.dataTypeID),
        expected.fields.map((f) => f.dataTypeID),
      );
    });
  }
});

describe("PostgreSQL's errors keep their SQLSTATE", () => {
  for (const sql of [
    `SELECT regexp_match(s, 'b', 'g') FROM words`,
    `SELECT regexp_like(s, 'b', 'z') FROM words`,
    `SELECT regexp_replace(s, 'b', 'x', 'gé') FROM words`,
    `SELECT regexp_split_to_array(s, 'b', 'g') FROM words`,
    `SELECT s SIMILAR TO 'a' ESCAPE 'xy' FROM words`,
    `SELECT s SIMILAR TO 'a#"b#"c#"' ESCAPE '#' FROM words`,
    `SELECT regexp_count(s, 'b', 0) FROM words`,
    `SELECT regexp_substr(s, 'b', 1, 0) FROM words`,
    `SELECT regexp_instr(s, 'b', 1, 1, 2) FROM words`,
    `SELECT id FROM words WHERE regexp_split_to_table(s, ',') = 'a'`,
    `SELECT CASE WHEN id > 1 THEN regexp_matches(s, 'a') END FROM words`,
  ]) {
    test(sql, () => sameFailure(heap, columnar, sql));
  }
});

describe('a pattern PostgreSQL cannot compile fails with 2201B', () => {
  for (const sql of [
    `SELECT s ~ '(' FROM words`,
    `SELECT regexp_split_to_array(s, '*') FROM words`,
    `SELECT regexp_like(s, 'a{2,1}') FROM words`,
    `SELECT s ~ (p || ')') FROM words WHERE id = 3`,
  ]) {
    test(sql, async () => {
      const expected = await failure(heap, sql);
      assert.equal(expected.code, '2201B', expected.message);
      await refusedWith(columnar, sql, '2201B', /^invalid regular expression: /);
    });
  }
});

describe('what RE2 cannot answer as PostgreSQL does fails with 0A000', () => {
  for (const sql of [
    `SELECT regexp_count(s, 'a|ab') FROM words`,
    `SELECT regexp_replace(s, 'ss|SSi', '_', 'gi') FROM words`,
    `SELECT regexp_split_to_array(s, ',|[;.]') FROM words`,
    `SELECT regexp_matches(s, '(a)?b') FROM words`,
    `SELECT regexp_substr(s, 'a+?') FROM words`,
    String.raw`SELECT regexp_like(s, '(a)\1') FROM words`,
    `SELECT regexp_like(s, 'a', 'n') FROM words`,
    `SELECT regexp_count(s, '^a', 2) FROM words`,
    `SELECT regexp_count(s, '$') FROM words`,
    `SELECT regexp_matches(s, '\\y', 'g') FROM words`,
    // PostgreSQL replaces the empty match right after 'x' too ('-a--b-'), RE2 does not ('-a-b-').
    `SELECT regexp_replace(s, 'x*', '-', 'g') FROM words`,
    `SELECT regexp_replace(s, 'b*$', '-', 'g') FROM words`,
    `SELECT regexp_instr(s, 'a*', 1, 2) FROM words`,
    `SELECT regexp_instr(s, '(a)', 1, 1, 0, '', 1) FROM words`,
    `SELECT s SIMILAR TO p FROM words`,
    `SELECT substring(s SIMILAR '%#"(a|ab)#"%' ESCAPE '#') FROM words`,
    // DuckDB cannot group by its unnest, nor nest one in another (it raised 42804 before).
    `SELECT regexp_split_to_table(s, ',') AS v, count(*) FROM words GROUP BY 1`,
    `SELECT regexp_split_to_table(regexp_split_to_table(s, ','), 'x') FROM words`,
    `SELECT s ~ (p || '[') FROM words`,
    `SELECT regexp_like(s, p || '{2}') FROM words`,
    String.raw`SELECT s ~ (p || '\d') FROM words WHERE id = 3`,
  ]) {
    test(sql, () => refusedWith(columnar, sql, '0A000', /not supported by pg_analytica|does not support/));
  }
});

describe('computed patterns', () => {
  // Run as they are where they hold only what RE2 reads as PostgreSQL does (id 6 holds '|').
  for (const sql of [
    `SELECT id, regexp_match(s, p), regexp_split_to_array(s, p), regexp_like(s, p), regexp_substr(s, p), regexp_instr(s, p, 1, 1, 1) FROM words WHERE id <> 6 ORDER BY id`,
    `SELECT id, regexp_match(s, p, 'i'), regexp_split_to_array(s, upper(p), 'i') FROM words WHERE id NOT IN (6, 16, 17, 18) ORDER BY id`,
    // Counting every match, an anchor is refused (id 5 '^f.*r$', id 12 'l,$').
    `SELECT id, regexp_count(s, p), regexp_substr(s, p, 1, 2) FROM words WHERE id NOT IN (5, 6, 12) ORDER BY id`,
    `SELECT id, regexp_matches(s, p, 'g') FROM words WHERE id NOT IN (5, 6, 12) ORDER BY id, 2`,
    `SELECT id, part FROM words, regexp_split_to_table(s, p) AS part WHERE id <> 6 ORDER BY id, part`,
  ]) {
    test(sql, same(sql));
  }
  // A row whose pattern holds what RE2 reads otherwise fails when it is met.
  for (const [sql, fn] of [
    [`SELECT regexp_match(s, p) FROM words`, 'regexp_match()'],
    [`SELECT regexp_split_to_table(s, p) FROM words`, 'regexp_split_to_table()'],
    [`SELECT regexp_count(s, p) FROM words WHERE id <> 6`, 'regexp_count()'],
    [`SELECT regexp_like(s, p, 'i') FROM words WHERE id <> 6`, 'regexp_like()'],
  ] as const) {
    test(sql, () =>
      refusedWith(
        columnar,
        sql,
        '0A000',
        new RegExp(
          `${fn.replace(/[()]/g, '\\$&')} with a pattern that is not a constant.*use a constant pattern`,
        ),
      ),
    );
  }
  // What cannot be checked row by row is refused before the query runs, naming the function.
  for (const [sql, fn] of [
    [`SELECT regexp_replace(s, p, 'x') FROM words`, 'regexp_replace()'],
    [`SELECT substring(s FROM p) FROM words`, 'substring()'],
    [`SELECT s SIMILAR TO p FROM words`, 'SIMILAR TO'],
    [`SELECT regexp_instr(s, p, 1, 2) FROM words`, 'regexp_instr()'],
  ] as const) {
    test(sql, async () => {
      const error = await failure(columnar, sql);
      assert.equal(error.code, '0A000');
      assert.ok(error.message.startsWith(fn), error.message);
      assert.match(error.hint ?? '', /[Uu]se a constant pattern/);
    });
  }
});

/**
 * Through postgres_fdw: the functions and operators are built-in and immutable, so a WHERE
 * clause holding them is shipped to the daemon (SIMILAR TO as `~` of the rewritten pattern).
 */
describe('through postgres_fdw (columnar.words)', () => {
  for (const [where, shipped] of [
    [`s SIMILAR TO '%(b|c)%'`, '~'],
    [`regexp_like(s, 'l+')`, 'regexp_like'],
    [`regexp_count(s, 's') = 4`, 'regexp_count'],
    [`regexp_substr(s, '[0-9]+') = '1'`, 'regexp_substr'],
    [`regexp_instr(s, ',') = 1`, 'regexp_instr'],
    [`(regexp_match(s, '(.)b'))[1] = 'a'`, 'regexp_match'],
    [`cardinality(regexp_split_to_array(s, ',')) = 5`, 'regexp_split_to_array'],
    [`s ~* 'ab'`, '~*'],
  ] as const) {
    test(where, async () => {
      const sql = `SELECT id, s FROM {t} WHERE ${where} ORDER BY id`;
      const expected = await heap.query({ text: sql.replace('{t}', 'public.words'), rowMode: 'array' });
      const foreign = sql.replace('{t}', 'columnar.words');
      const actual = await heap.query({ text: foreign, rowMode: 'array' });
      assert.deepEqual(actual.rows, expected.rows, foreign);
      assert.ok(expected.rows.length > 0, `${where} selects no row: the test would prove nothing`);
      const plan = await heap.query({ text: `EXPLAIN (VERBOSE, COSTS OFF) ${foreign}`, rowMode: 'array' });
      const remote = plan.rows.map((r) => String(r[0])).find((line) => line.includes('Remote SQL:')) ?? '';
      assert.ok(remote.includes(shipped), `${foreign}: not shipped: ${remote}`);
    });
  }
});
