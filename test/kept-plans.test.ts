/**
 * DuckDB plans kept per connection (kept-plans.ts, DuckDbEngine.stream): DuckDB runs a prepared
 * statement's plan even after a view it read was dropped or replaced, so a plan is kept under
 * the views as made, and a view made again under the same name gets a plan of its own.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { VisibleTable } from '../src/catalog/catalog.js';
import { DuckDbEngine } from '../src/query/duckdb-engine.js';
import type { ColumnSpec } from '../src/source/column-types.js';

const integer = (name: string): ColumnSpec => ({
  name,
  pgType: 'integer',
  pgTypeOid: 23,
  pgTypeModifier: -1,
  storageType: 'INTEGER',
  queryType: 'INTEGER',
});

test('a view made again under its name (other columns) is read through a new plan', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'pga-plans-'));
  const paths = ['db/1/1.parquet'];
  const writer = await DuckDBInstance.create(':memory:');
  const connection = await writer.connect();
  await mkdir(path.join(dataDir, 'db/1'), { recursive: true });
  await connection.run(
    `COPY (SELECT 1::INTEGER AS x, 2::INTEGER AS y) TO '${path.join(dataDir, paths[0]!)}' (FORMAT parquet)`,
  );
  connection.closeSync();
  writer.closeSync();
  const engine = await DuckDbEngine.create({ dataDir, threads: 1, memoryLimit: '256MB' });
  try {
    const table: VisibleTable = {
      relid: 1,
      schemaName: 'public',
      tableName: 't',
      generation: 1,
      columns: [integer('x')],
      paths,
    };
    const read = await engine.connect('UTC');
    const rows = async (view: string) => {
      const result = await engine.stream(read, `SELECT * FROM ${view}`, [view]);
      return (await result.fetchChunk())?.getRows();
    };
    const first = await engine.acquire('db', table);
    assert.deepEqual(await rows(first), [[1]]);
    assert.deepEqual(await rows(first), [[1]]);
    assert.equal(engine.preparedReuses, 1, 'the second run used the kept plan');
    await engine.release(first);
    // A newer generation supersedes the unused view, which is dropped.
    await engine.release(await engine.acquire('db', { ...table, generation: 2 }));
    // The same name again, with a column more (a view name does not spell its columns).
    const again = await engine.acquire('db', { ...table, columns: [integer('x'), integer('y')] });
    assert.equal(again, first);
    assert.deepEqual(await rows(again), [[1, 2]]);
    assert.equal(engine.preparedReuses, 1, 'the plan of the view dropped was not used');
    await engine.release(again);
    engine.releaseConnection('UTC', read);
  } finally {
    engine.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
