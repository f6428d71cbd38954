/**
 * An application schema's dashboard queries (test/helpers/app-schema-corpus.ts) on
 * the heap, directly through the daemon and through the columnar.* foreign tables,
 * compared text for text and RowDescription for RowDescription. Each path must give
 * the heap's answer or refuse with an SQLSTATE; a path that answers differently is a
 * bug, listed in `knownWrong` (the test checks that it still differs, so a fix makes it
 * fail until its entry is removed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { appSchemaQueries, appSchemaSql, appSchemaTables } from './helpers/app-schema-corpus.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';
import { type FieldTuple, fieldTuples } from './helpers/describe-wire.js';

type Path = 'direct' | 'fdw';

/**
 * Answers that differ from the heap's, by query and path, with the reason they differ
 * (none today). Each entry must still differ.
 */
const knownWrong: Readonly<Record<string, { paths: readonly Path[]; why: string }>> = {};

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;
let direct: pg.Client;
let viaFdw: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(appSchemaSql);
  daemon = await startDaemon(cluster);
  heap = await rawClient({ ...cluster.clientConfig(), options: '-c TimeZone=UTC' });
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  await createUserMapping(heap, cluster.user, cluster.password);
  for (const table of appSchemaTables) await heap.query(`SELECT analytica.register_table('${table}')`);
  for (const table of appSchemaTables) await heap.query(`SELECT analytica.wait_for_sync('${table}')`);
  await heap.query(`ANALYZE ${appSchemaTables.join(', ')}`);
  direct = await rawClient({ ...cluster.clientConfig(), port: daemon.port, options: '-c TimeZone=UTC' });
  // The same unqualified names read the foreign tables.
  viaFdw = await rawClient({ ...cluster.clientConfig(), options: '-c search_path=columnar -c TimeZone=UTC' });
});

after(async () => {
  await heap?.end();
  await direct?.end();
  await viaFdw?.end();
  await daemon?.close();
  await cluster?.close();
});

type Outcome = { rows: unknown[][]; fields: FieldTuple[] } | { error: string; message: string };

async function run(client: pg.Client, sql: string): Promise<Outcome> {
  try {
    const result = await client.query({ text: sql, rowMode: 'array' });
    return { rows: result.rows, fields: fieldTuples(result.fields as never) };
  } catch (error) {
    const e = error as pg.DatabaseError;
    if (typeof e.code !== 'string') throw error;
    return { error: e.code, message: e.message };
  }
}

/**
 * 'identical', 'refused <SQLSTATE>' or 'differs: …'. Through columnar.* the table OID and
 * column number are the foreign table's own (PostgreSQL describes that query itself), so
 * only names, types and typmods are compared there.
 */
function verdict(expected: Outcome, actual: Outcome, path: Path): string {
  if ('error' in expected) throw new Error(`fails on the heap: ${expected.message}`);
  if ('error' in actual) return `refused ${actual.error} (${actual.message})`;
  const shape = (fields: FieldTuple[]) =>
    path === 'direct' ? fields : fields.map(([name, , , type, size, typmod]) => [name, type, size, typmod]);
  if (JSON.stringify(shape(actual.fields)) !== JSON.stringify(shape(expected.fields)))
    return `differs: RowDescription heap ${JSON.stringify(expected.fields)}, here ${JSON.stringify(actual.fields)}`;
  const i = expected.rows.findIndex((row, k) => JSON.stringify(row) !== JSON.stringify(actual.rows[k]));
  if (i >= 0 || actual.rows.length !== expected.rows.length)
    return `differs: row ${i}: heap ${JSON.stringify(expected.rows[i])}, here ${JSON.stringify(actual.rows[i])}`;
  return 'identical';
}

const report: Record<string, Record<Path, string>> = {};

describe('dashboard queries on an application schema: heap, daemon, columnar.*', () => {
  for (const [name, sql] of Object.entries(appSchemaQueries)) {
    test(`${name}: the heap's answer and RowDescription, or a refusal`, async () => {
      const expected = await run(heap, sql);
      assert.ok('rows' in expected && expected.rows.length > 0, `${name} selects rows on the heap`);
      const outcome: Record<Path, string> = {
        direct: verdict(expected, await run(direct, sql), 'direct'),
        fdw: verdict(expected, await run(viaFdw, sql), 'fdw'),
      };
      report[name] = outcome;
      for (const path of ['direct', 'fdw'] as const) {
        const result = outcome[path];
        if (knownWrong[name]?.paths.includes(path)) {
          assert.match(result, /^differs/, `${name} (${path}) no longer differs: remove it from knownWrong`);
          continue;
        }
        // A refusal must carry a real SQLSTATE, never an internal error.
        assert.ok(
          result === 'identical' || (result.startsWith('refused') && !result.startsWith('refused XX')),
          `${name} (${path}): ${result}\n${sql}`,
        );
      }
    });
  }

  test('report', (t) => {
    const count = (path: Path, prefix: string) =>
      Object.values(report).filter((r) => r[path].startsWith(prefix)).length;
    for (const path of ['direct', 'fdw'] as const)
      t.diagnostic(
        `${path}: ${count(path, 'identical')} identical, ${count(path, 'refused')} refused, ${count(path, 'differs')} knownWrong of ${Object.keys(report).length}`,
      );
    for (const [name, r] of Object.entries(report))
      if (r.direct !== 'identical' || r.fdw !== 'identical')
        t.diagnostic(`${name}: direct ${r.direct}; fdw ${r.fdw}`);
    assert.equal(Object.keys(report).length, Object.keys(appSchemaQueries).length);
    assert.ok(count('direct', 'identical') >= 25, 'most dashboard queries are answered');
  });
});
