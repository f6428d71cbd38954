/**
 * A function the engine does not run is judged by PostgreSQL: when PostgreSQL has it the
 * query is refused with 0A000 naming it; when PostgreSQL has none the client gets PostgreSQL's
 * own error (its argument types, its schema lookup), not a guess of the daemon's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { failure, refusedWith, sameFailure } from './helpers/assertions.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

const setup = `
  CREATE TABLE t (id int PRIMARY KEY, a text, n numeric(8,2));
  INSERT INTO t VALUES (1, 'x', 1.5), (2, NULL, NULL);
  CREATE FUNCTION public.shout(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper($1) $$;
`;

describe('functions the engine does not run', () => {
  let f: Differential;
  before(async () => {
    f = await startDifferential(setup, ['t']);
  });
  after(async () => {
    await stopDifferential(f);
  });

  test('a built-in PostgreSQL has is refused with 0A000 naming it, not "does not exist"', async () => {
    await refusedWith(
      f.columnar,
      'SELECT quote_ident(a) FROM t',
      '0A000',
      /^function quote_ident\(\) is not supported by pg_analytica$/,
    );
    await refusedWith(
      f.columnar,
      'SELECT quote_nullable(a) FROM t',
      '0A000',
      /^function quote_nullable\(\) is not supported/,
    );
    const error = await failure(f.columnar, 'SELECT id FROM t WHERE quote_ident(a) IS NULL');
    assert.equal(error.position, '24');
    assert.match(error.hint ?? '', /run this query on the source table in PostgreSQL/);
  });

  test("a user's own function is refused with 0A000, qualified or found through search_path", async () => {
    await refusedWith(f.columnar, 'SELECT shout(a) FROM t', '0A000', /^function shout\(\) is not supported/);
    await refusedWith(
      f.columnar,
      'SELECT public.shout(a) FROM t',
      '0A000',
      /^function public\.shout\(\) is not supported/,
    );
  });

  test("a function PostgreSQL has not fails with PostgreSQL's own error and argument types", async () => {
    for (const sql of [
      'SELECT no_such_function(a) FROM t',
      'SELECT no_such_function(n, id) FROM t',
      'SELECT quote_ident(id) FROM t',
      'SELECT main.read_csv(a) FROM t',
      'SELECT public.no_such_function(1) FROM t',
      'SELECT shout(id) FROM t',
    ]) {
      await sameFailure(f.heap, f.columnar, sql);
    }
  });

  test("the verdict follows the client's search_path", async () => {
    await f.heap.query(
      'CREATE SCHEMA util; CREATE FUNCTION util.whisper(text) RETURNS text LANGUAGE sql AS $$ SELECT lower($1) $$',
    );
    await sameFailure(f.heap, f.columnar, 'SELECT whisper(a) FROM t');
    await f.columnar.query('SET search_path = public, util');
    await refusedWith(
      f.columnar,
      'SELECT whisper(a) FROM t',
      '0A000',
      /^function whisper\(\) is not supported/,
    );
    await f.columnar.query('RESET search_path');
  });
});
