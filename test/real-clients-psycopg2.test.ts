/**
 * psycopg2 (Debian's python3-psycopg2) against the heap and the daemon, with
 * the same operations and the same assertions: PostgreSQL is the oracle. The
 * client program is test/clients/psycopg2_client.py; it interpolates
 * parameters client-side and sends everything as simple Query messages, with
 * an implicit BEGIN unless in autocommit.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needs } from './helpers/optional-clients.js';
import {
  assertFailsWith,
  assertRefused,
  assertSameOutcomes,
  clientsDir,
  type Endpoint,
  libpqEnv,
  type Outcome,
  outcomesOnBoth,
  type RealClientFixture,
  runClientProgram,
  startRealClientFixture,
} from './helpers/real-clients.js';

/** Debian's interpreter: the `python3` on PATH may be one without psycopg2. */
const python = '/usr/bin/python3';
const script = path.join(clientsDir, 'psycopg2_client.py');

const operations = {
  connect: ['connect'],
  select: ['select_group', 'select_where_order', 'select_arithmetic'],
  params: [
    'params_basic',
    'params_typed',
    'params_named_and_strings',
    'params_null',
    'params_bytea_uuid',
    'params_array',
  ],
  types: ['types_all', 'description'],
  transactions: ['transaction_savepoint', 'transaction_rollback'],
  errors: [
    'error_division_by_zero',
    'error_division_by_zero_column',
    'error_syntax',
    'error_in_failed_transaction',
    'recovers_after_error',
  ],
  write: ['write_insert'],
  cursors: [
    'named_cursor_itersize',
    'named_cursor_fetchmany',
    'named_cursor_scroll',
    'named_cursor_withhold',
  ],
  knownDifferences: ['named_cursor_scroll_backward'],
} as const;
const cancelOperations = ['error_cancel', 'after_cancel'];

let fixture: RealClientFixture;
let heap: Record<string, Outcome>;
let columnar: Record<string, Outcome>;

function run(endpoint: Endpoint, ops: readonly string[]): Promise<Record<string, Outcome>> {
  return runClientProgram(python, [script, ...ops], libpqEnv(endpoint));
}

/** Without the client every suite below skips, and the fixture is not started. */
const skip = needs('psycopg2');

before(async () => {
  if (skip) return;
  fixture = await startRealClientFixture();
  const all = Object.entries(operations)
    .filter(([group]) => group !== 'write')
    .flatMap(([, ops]) => ops);
  [heap, columnar] = await outcomesOnBoth(fixture, run, all, operations.write);
});

after(async () => {
  await fixture?.close();
});

describe('psycopg2: queries, client-side parameters, types, transactions, errors, cancel', { skip }, () => {
  test('connects and reports the same session parameters', () => {
    assertSameOutcomes(heap, columnar, operations.connect);
  });

  test('simple SELECTs with WHERE, GROUP BY and ORDER BY', () => {
    assertSameOutcomes(heap, columnar, operations.select);
  });

  test('client-side parameters: strings, numbers, dates, NULLs, bytea, uuid and lists', () => {
    assertSameOutcomes(heap, columnar, operations.params);
  });

  test('every type and NULL decode to the same Python values; cursor.description matches', () => {
    assertSameOutcomes(heap, columnar, operations.types);
  });

  test('transactions: implicit BEGIN, savepoints, rollback and autocommit', () => {
    assertSameOutcomes(heap, columnar, operations.transactions);
  });

  test('errors carry PostgreSQL SQLSTATEs (22012, 42601, 25P02) and the connection recovers', () => {
    assertSameOutcomes(heap, columnar, operations.errors);
    for (const outcomes of [heap, columnar]) {
      assertFailsWith(outcomes, 'error_division_by_zero', '22012');
      assertFailsWith(outcomes, 'error_division_by_zero_column', '22012');
      assertFailsWith(outcomes, 'error_syntax', '42601');
      assertFailsWith(outcomes, 'error_in_failed_transaction', '25P02');
    }
  });

  test('a write fails with 25006 on the daemon', () => {
    assertFailsWith(columnar, 'write_insert', '25006');
  });

  test('conn.cancel() interrupts a long query with 57014 and the connection answers again', async () => {
    const [heapCancel, columnarCancel] = await Promise.all([
      run(fixture.heap, cancelOperations),
      run(fixture.columnar, cancelOperations),
    ]);
    assertFailsWith(heapCancel, 'error_cancel', '57014');
    assertSameOutcomes(heapCancel, columnarCancel, cancelOperations);
    assert.deepEqual(columnarCancel.after_cancel, heapCancel.after_cancel);
  });
});

describe('psycopg2: named cursors (DECLARE/FETCH/MOVE/CLOSE)', { skip }, () => {
  test('itersize, fetchmany, scrollable forward and absolute, WITH HOLD', () => {
    assertSameOutcomes(heap, columnar, operations.cursors);
  });
});

describe('psycopg2: known differences (docs/types.md)', { skip }, () => {
  test('a scrollable cursor moving backward (scroll(-3)) is refused with 0A000', () => {
    assertRefused(heap, columnar, 'named_cursor_scroll_backward');
  });
});
