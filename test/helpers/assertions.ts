/** Assertions several test files share. */
import assert from 'node:assert/strict';
import pg from 'pg';

/** The error a query fails with; fails the test if it returns rows instead. */
export async function failure(client: pg.Client, query: string | pg.QueryConfig): Promise<pg.DatabaseError> {
  const config: pg.QueryConfig = typeof query === 'string' ? { text: query } : query;
  const outcome = await client.query({ ...config, rowMode: 'array' }).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  if ('result' in outcome) {
    assert.fail(`${config.text} returned ${JSON.stringify(outcome.result.rows)} instead of failing`);
  }
  assert.ok(outcome.error instanceof pg.DatabaseError, `${config.text}: ${String(outcome.error)}`);
  return outcome.error;
}

/**
 * psql's \d output less what the columnar copy does not have (docs/types.md, "Known
 * differences"): the heap's indexes and the internal pg_analytica publication.
 */
export function withoutHeapOnlySections(output: string): string {
  return output.replace(/Indexes:\n( {4}.*\n)+/g, '').replace(/Publications:\n( {4}.*\n)+/g, '');
}

/**
 * The same rows on both sides, and the same described column names and type OIDs (the daemon's
 * RowDescription against PostgreSQL's).
 */
export async function sameRowsAndTypes(heap: pg.Client, columnar: pg.Client, sql: string): Promise<void> {
  const expected = await heap.query({ text: sql, rowMode: 'array' });
  const actual = await columnar.query({ text: sql, rowMode: 'array' });
  assert.deepEqual(
    actual.fields.map((f) => [f.name, f.dataTypeID]),
    expected.fields.map((f) => [f.name, f.dataTypeID]),
    `described types of: ${sql}`,
  );
  assert.deepEqual(actual.rows, expected.rows, sql);
}

/** `sql` fails on `client` with `code` and a message matching `message`. */
export async function refusedWith(
  client: pg.Client,
  sql: string,
  code: string,
  message: RegExp,
): Promise<void> {
  const error = await failure(client, sql);
  assert.equal(error.code, code, `${sql}: ${error.message}`);
  assert.match(error.message, message);
}

/** `sql` fails on the daemon with the SQLSTATE and message it fails with on the heap. */
export async function sameFailure(heap: pg.Client, columnar: pg.Client, sql: string): Promise<void> {
  const expected = await failure(heap, sql);
  const actual = await failure(columnar, sql);
  assert.equal(actual.code, expected.code, `${sql}: ${actual.message} / ${expected.message}`);
  assert.equal(actual.message, expected.message);
}
