/**
 * Between an ALTER TABLE and the table's next row change pgoutput has not sent the new columns:
 * a statement reading a column the copy does not have yet makes the stream catch up with the
 * catalog (schema-catchup.ts) and answers once it has, without a write to the table (it used to
 * fail with 55000 until one); statements on the columns the copy had answer as before, and a
 * later write is applied with the columns the catch-up gave the copy.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { textRows } from './helpers/daemon.js';
import { type Differential, startDifferential, stopDifferential } from './helpers/differential.js';

let fixture: Differential | undefined;

before(async () => {
  fixture = await startDifferential(
    `CREATE TABLE accounts (id int PRIMARY KEY, name text); INSERT INTO accounts VALUES (1, 'a'), (2, 'b');`,
    ['accounts'],
  );
});

after(() => stopDifferential(fixture));

test('a column added and not yet met by the stream: the first statement naming it answers, with no write', async () => {
  const { heap, columnar } = fixture!;
  await heap.query('ALTER TABLE accounts ADD COLUMN tier int DEFAULT 3');
  for (const sql of ['SELECT id, tier FROM accounts ORDER BY id', 'SELECT * FROM accounts ORDER BY id']) {
    assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql), sql);
  }
  assert.deepEqual(await textRows(columnar, 'SELECT count(*), max(name) FROM accounts'), [['2', 'b']]);
  await heap.query(`INSERT INTO accounts VALUES (3, 'c', NULL)`);
  await heap.query(`SELECT analytica.wait_for_sync('accounts')`);
  const sql = 'SELECT * FROM accounts ORDER BY id';
  assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
});
