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
