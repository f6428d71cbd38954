/**
 * psql 15 (/usr/bin/psql) against the heap and the daemon: the same script,
 * and the same output on stdout and stderr, byte for byte. PostgreSQL is the
 * oracle. The scripts are test/clients/psql-*.sql; psql sends no query on
 * connect, each statement as a simple Query, and its \d commands as pg_catalog
 * queries.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { withoutHeapOnlySections } from './helpers/assertions.js';
import { needs } from './helpers/optional-clients.js';
import {
  clientsDir,
  type Endpoint,
  libpqEnv,
  type RealClientFixture,
  startRealClientFixture,
} from './helpers/real-clients.js';

interface PsqlRun {
  code: number;
  stdout: string;
  stderr: string;
}

function psql(endpoint: Endpoint, script: string): Promise<PsqlRun> {
  const args = ['-X', '-P', 'pager=off', '-f', path.join(clientsDir, script)];
  return new Promise((resolve) => {
    execFile('/usr/bin/psql', args, { env: libpqEnv(endpoint), timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr });
    });
  });
}

let fixture: RealClientFixture;

before(async () => {
  fixture = await startRealClientFixture();
});

after(async () => {
  await fixture?.close();
});

async function assertSameOutput(script: string, expectedStdout = (heap: string) => heap): Promise<PsqlRun> {
  const [heap, columnar] = await Promise.all([psql(fixture.heap, script), psql(fixture.columnar, script)]);
  assert.equal(columnar.stderr, heap.stderr, `${script}: stderr`);
  assert.equal(columnar.stdout, expectedStdout(heap.stdout), `${script}: stdout`);
  assert.equal(columnar.code, heap.code, `${script}: exit code`);
  return heap;
}

describe('psql: queries', { skip: needs('psql') }, () => {
  test('query output (aligned, expanded, csv, \\gset), transactions, savepoints and SQLSTATEs', async () => {
    const heap = await assertSameOutput('psql-queries.sql');
    // The oracle itself shows what the script checks: 22012, 25P02, 42601, 22012.
    assert.match(heap.stdout, /^22012\n25P02\n/m);
    assert.match(heap.stderr, /ERROR: {2}22012/);
    assert.match(heap.stderr, /ERROR: {2}42601/);
  });
});

describe('psql: describe commands (catalog queries)', { skip: needs('psql') }, () => {
  test('\\dt, \\dt with a pattern, \\d mix and \\d+ mix (no Indexes/Publications sections)', async () => {
    const heap = await assertSameOutput('psql-describe.sql', withoutHeapOnlySections);
    // What the daemon leaves out is there on the heap, once for \d and once for \d+.
    assert.equal(heap.stdout.match(/^Indexes:\n {4}"mix_pkey" PRIMARY KEY, btree \(id\)$/gm)?.length, 2);
    assert.equal(heap.stdout.match(/^Publications:\n {4}"pg_analytica"$/gm)?.length, 2);
  });
});
