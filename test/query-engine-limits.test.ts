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

test('a result larger than the limit fails with 54000 instead of exhausting memory, and the engine goes on', async () => {
  await initSqlParser();
  const duckdb = await DuckDbEngine.create({
    dataDir: await mkdtemp(path.join(tmpdir(), 'pga-limits-')),
    threads: 1,
    memoryLimit: '256MB',
  });
  try {
    const engine = new QueryEngine({
      duckdb,
      pools: new Map([['db', new pg.Pool({ max: 1 })]]),
      log: silentLogger,
      maxResultBytes: 1 << 20,
    });
    const context = { role: 'r', database: 'db', searchPath: ['public'], timeZone: 'UTC' };
    const select = (sql: string) => parseStatements(sql)[0] as Extract<ParsedStatement, { kind: 'select' }>;
    const started = performance.now();
    await assert.rejects(
      engine.executeSelect(select('SELECT g FROM generate_series(1, 1000000000) AS g'), context),
      {
        code: '54000',
        message: /query result exceeds 1 MB/,
      },
    );
    assert.ok(performance.now() - started < 10_000, 'stopped early, not after producing everything');
    const small = await engine.executeSelect(
      select('SELECT count(*) FROM generate_series(1, 1000000000) AS g'),
      context,
    );
    assert.deepEqual(small.rows, [['1000000000']]);
    await assert.rejects(engine.executeSelect(select('SELECT 1'), { ...context, timeZone: 'Not/AZone' }), {
      code: '22023',
    });
  } finally {
    duckdb.close();
  }
});
