/**
 * TPC-H differential test: the specification's DDL (char(n), decimal(15,2),
 * date, varchar), a small deterministic data set, and the 22 queries, each run
 * on the heap tables, through the daemon directly and through the columnar.*
 * foreign tables (postgres_fdw), compared text for text.
 *
 * A query the daemon cannot answer exactly must be refused with 0A000, never
 * answered differently. The queries whose answer still differs are listed in
 * `knownDifferences` with the reason (docs/types.md, "Known differences"); the
 * test checks that they do differ, so a fix makes it fail until the entry is
 * removed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';
import { tpchSql, tpchTables } from './helpers/tpch-corpus.js';
import { tpchQueries } from './helpers/tpch-queries.js';

/** Queries whose answer differs, and why; each must differ (a fix removes its entry). */
const knownDifferences: Readonly<Record<string, string>> = {};

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let direct: pg.Client;
let viaFdw: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(tpchSql());
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  for (const table of tpchTables) await heap.query(`SELECT analytica.register_table('${table}')`);
  for (const table of tpchTables) await heap.query(`SELECT analytica.wait_for_sync('${table}')`);
  await heap.query(`ANALYZE ${tpchTables.join(', ')}`);
  direct = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  // The same unqualified names read the foreign tables.
  viaFdw = await rawClient({ ...cluster.clientConfig(), options: '-c search_path=columnar' });
});

after(async () => {
  await heap?.end();
  await direct?.end();
  await viaFdw?.end();
  await daemon?.close();
  await cluster?.close();
});

type Outcome = { rows: (string | null)[][] } | { error: pg.DatabaseError };

async function run(client: pg.Client, sql: string): Promise<Outcome> {
  try {
    return { rows: (await client.query({ text: sql, rowMode: 'array' })).rows };
  } catch (error) {
    if (error instanceof pg.DatabaseError) return { error };
    throw error;
  }
}

/** 'match', 'refused (…)' or 'differs'; anything but a match or a 0A000 refusal is a wrong answer. */
function verdict(expected: Outcome, actual: Outcome): string {
  if ('error' in expected) throw expected.error;
  if ('error' in actual) return `refused (${actual.error.code}: ${actual.error.message})`;
  try {
    assert.deepEqual(actual.rows, expected.rows);
    return 'match';
  } catch {
    const i = expected.rows.findIndex((row, k) => JSON.stringify(row) !== JSON.stringify(actual.rows[k]));
    return `differs (row ${i}: heap ${JSON.stringify(expected.rows[i])}, here ${JSON.stringify(actual.rows[i])})`;
  }
}

const report: Record<string, { direct: string; fdw: string }> = {};

describe('TPC-H on the heap, through the daemon and through columnar.*', () => {
  for (const [name, sql] of Object.entries(tpchQueries)) {
    test(`${name} gives the heap's answer or a 0A000 refusal`, async () => {
      const expected = await run(heap, sql);
      assert.ok('rows' in expected && expected.rows.length > 0, `${name} selects rows on the heap`);
      const outcome = {
        direct: verdict(expected, await run(direct, sql)),
        fdw: verdict(expected, await run(viaFdw, sql)),
      };
      report[name] = outcome;
      for (const [path, result] of Object.entries(outcome)) {
        if (knownDifferences[name] !== undefined) {
          assert.notEqual(result, 'match', `${name} (${path}) now matches: remove it from knownDifferences`);
          continue;
        }
        assert.ok(
          result === 'match' || result.startsWith('refused (0A000'),
          `${name} (${path}): ${result}\n${sql}`,
        );
      }
    });
  }

  test('report', () => {
    const lines = Object.entries(report).map(([name, r]) => `${name}: direct ${r.direct}; fdw ${r.fdw}`);
    const matches = Object.values(report).filter((r) => r.direct === 'match' && r.fdw === 'match').length;
    console.log(`TPC-H: ${matches} of 22 match directly and through columnar.*\n${lines.join('\n')}`);
    assert.equal(Object.keys(report).length, 22);
    assert.equal(matches, 22 - Object.keys(knownDifferences).length);
  });
});
