/**
 * Between an ALTER TABLE and the table's next row change the stream has not met the schema change
 * (it learns of it from that change): a statement reading a column the copy does not have yet
 * fails with 55000 saying so, and statements on the columns the copy has answer as before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { failure } from './helpers/assertions.js';
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

test('a column added and not yet met by the stream: 55000 naming the table, then the answer after a write', async () => {
  const { heap, columnar } = fixture!;
  await heap.query('ALTER TABLE accounts ADD COLUMN tier int DEFAULT 3');
  for (const sql of ['SELECT id, tier FROM accounts ORDER BY id', 'SELECT * FROM accounts ORDER BY id']) {
    const error = await failure(columnar, sql);
    assert.equal(error.code, '55000', `${sql}: ${error.message}`);
    assert.match(
      error.message,
      /columnar copy of public\.accounts does not have the columns a schema change gave/,
    );
    assert.match(error.hint ?? '', /analytica\.resync/);
  }
  assert.deepEqual(await textRows(columnar, 'SELECT count(*), max(name) FROM accounts'), [['2', 'b']]);
  await heap.query(`INSERT INTO accounts VALUES (3, 'c', 4)`);
  await heap.query(`SELECT analytica.wait_for_sync('accounts')`);
  const sql = 'SELECT * FROM accounts ORDER BY id';
  assert.deepEqual(await textRows(columnar, sql), await textRows(heap, sql));
});
