/**
 * A transaction block reads each table at the version its first statement read, and only for
 * as long as the block lasts: the next transaction — a client's next BEGIN, or postgres_fdw's
 * next remote transaction, which it opens for every local one — reads the rows committed since.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(
    'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);',
    ['t'],
    { foreignServer: true },
  );
});

after(() => stopDifferential(fixture));

async function insertAndSync(id: number): Promise<void> {
  await fixture!.heap.query('INSERT INTO t VALUES ($1)', [id]);
  await fixture!.heap.query(`SELECT analytica.wait_for_sync('t')`);
}

async function count(client: { query: (sql: string) => Promise<{ rows: { n: unknown }[] }> }, table: string) {
  return Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}

test('a block keeps its version until it ends; the next block reads the rows committed since', async () => {
  const { columnar } = fixture!;
  await columnar.query('BEGIN');
  const before = await count(columnar, 't');
  await insertAndSync(100);
  assert.equal(await count(columnar, 't'), before, 'the same block reads the same version');
  await columnar.query('COMMIT');
  assert.equal(await count(columnar, 't'), before + 1, 'after COMMIT');
  await columnar.query('BEGIN');
  assert.equal(await count(columnar, 't'), before + 1, 'a new block');
  await insertAndSync(101);
  await columnar.query('ROLLBACK');
  await columnar.query('BEGIN');
  assert.equal(await count(columnar, 't'), before + 2, 'a block after ROLLBACK');
  await columnar.query('COMMIT');
});

test('columnar.* in one PostgreSQL session reads the rows committed before each statement', async () => {
  const { heap } = fixture!;
  const first = await count(heap, 'columnar.t');
  await insertAndSync(200);
  assert.equal(await count(heap, 'columnar.t'), first + 1);
  await insertAndSync(201);
  assert.equal(await count(heap, 'columnar.t'), first + 2);
});
