import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../src/log.js';
import { DuckDbEngine } from '../src/query/duckdb-engine.js';
import type { ParsedStatement } from '../src/query/engine-types.js';
import { QueryEngine } from '../src/query/query-engine.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';
import { endPool, startTestCluster } from './helpers/cluster.js';

test('a huge result is read in portions as the client asks, never produced whole, and the engine goes on', async () => {
  await initSqlParser();
  // PostgreSQL describes each statement (its RowDescription is what clients get).
  const cluster = await startTestCluster();
  const pool = new pg.Pool({ ...cluster.clientConfig(), max: 1 });
  const duckdb = await DuckDbEngine.create({
    dataDir: await mkdtemp(path.join(tmpdir(), 'pga-limits-')),
    threads: 1,
    memoryLimit: '256MB',
  });
  try {
    const engine = new QueryEngine({
      duckdb,
      pools: new Map([['db', pool]]),
      log: silentLogger,
    });
    const context = {
      role: cluster.user,
      roleOid: 10,
      database: 'db',
      searchPath: ['public'],
      timeZone: 'UTC',
    };
    const select = (sql: string) => parseStatements(sql)[0] as Extract<ParsedStatement, { kind: 'select' }>;
    const huge = await engine.openSelect(
      select('SELECT g FROM generate_series(1, 1000000000000) AS g'),
      context,
    );
    try {
      assert.deepEqual(await huge.read(3), [['1'], ['2'], ['3']]);
      assert.equal((await huge.read(5000)).length, 5000);
      assert.deepEqual(await huge.read(1), [['5004']]);
    } finally {
      await huge.close();
    }
    // Reading these rows at all shows they are produced as read: all 10^12 first would never end.
    const count = await engine.openSelect(
      select('SELECT count(*) FROM generate_series(1, 1000000000) AS g'),
      context,
    );
    try {
      assert.deepEqual(await count.read(0), [['1000000000']]);
    } finally {
      await count.close();
    }
    await assert.rejects(engine.openSelect(select('SELECT 1'), { ...context, timeZone: 'Not/AZone' }), {
      code: '22023',
    });
  } finally {
    duckdb.close();
    await endPool(pool);
    await cluster.close();
  }
});
