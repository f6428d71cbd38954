/**
 * pgJDBC (Debian's libpostgresql-jdbc-java, 42.5) against the heap and the
 * daemon, with the same operations and the same assertions: PostgreSQL is the
 * oracle. The client program is test/clients/JdbcClient.java, run from source
 * by `java` (no compile step). pgJDBC speaks only the extended protocol:
 * unnamed statements until prepareThreshold (5) runs, then a named statement
 * with binary results; setFetchSize in a transaction reads a named portal with
 * Execute row limits; metadata comes from pg_catalog queries.
 */
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needs } from './helpers/optional-clients.js';
import {
  assertDocumentedDifference,
  assertFailsWith,
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

const java = '/usr/bin/java';
const driver = '/usr/share/java/postgresql.jar';
const source = path.join(clientsDir, 'JdbcClient.java');

const operations = {
  connect: ['connect', 'is_valid', 'transaction_isolation'],
  select: ['select_group', 'select_where_order'],
  params: ['params_typed_text', 'params_untyped', 'params_null'],
  types: ['types_getString', 'types_getObject', 'resultset_metadata'],
  preparedText: ['prepared_repeat_text', 'prepared_repeat_unnamed_text'],
  fetchSize: ['fetch_size', 'fetch_size_interleaved'],
  transactions: ['transaction_savepoint', 'transaction_rollback'],
  errors: [
    'error_division_by_zero',
    'error_division_by_zero_prepared',
    'error_syntax',
    'error_in_failed_transaction',
    'recovers_after_error',
  ],
  write: ['write_insert'],
  binary: [
    'params_typed',
    'prepared_repeat_unnamed',
    'prepared_repeat_binary',
    'params_binary_uuid_bytes',
    'error_division_by_zero_prepared_binary',
  ],
  catalog: ['current_schema', 'jsonb_getObject', 'metadata_tables', 'metadata_columns', 'metadata_schemas'],
  resultSetMetadata: ['resultset_metadata_catalog'],
  knownDifferences: ['metadata_primary_keys'],
} as const;

let fixture: RealClientFixture;
let heap: Record<string, Outcome>;
let columnar: Record<string, Outcome>;

function run(endpoint: Endpoint, ops: readonly string[]): Promise<Record<string, Outcome>> {
  // A zone other than the server's: pgJDBC sends it as TimeZone in the startup packet.
  const args = ['-Duser.timezone=America/New_York', '-cp', driver, source, ...ops];
  return runClientProgram(java, args, libpqEnv(endpoint));
}

/** Without the client every suite below skips, and the fixture is not started. */
const skip = needs('java', 'pgjdbc');

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

describe('pgJDBC: text-format queries, parameters, types, fetch size, transactions, errors', { skip }, () => {
  test('connects (SET extra_float_digits, application_name), isValid, isolation level', () => {
    assertSameOutcomes(heap, columnar, operations.connect);
  });

  test('simple SELECTs with WHERE, GROUP BY and ORDER BY', () => {
    assertSameOutcomes(heap, columnar, operations.select);
  });

  test('PreparedStatement parameters in text (binaryTransfer=false): typed, untyped (stringtype=unspecified), NULL', () => {
    assertSameOutcomes(heap, columnar, operations.params);
  });

  test('every type and NULL: getString, getObject and ResultSetMetaData', () => {
    assertSameOutcomes(heap, columnar, operations.types);
  });

  test('a PreparedStatement run 8 times in text (binaryTransfer=false): named from the fifth run, and unnamed', () => {
    assertSameOutcomes(heap, columnar, operations.preparedText);
  });

  test('setFetchSize in a transaction: named portals, Execute row limits, PortalSuspended, interleaved', () => {
    assertSameOutcomes(heap, columnar, operations.fetchSize);
  });

  test('transactions: setAutoCommit(false), savepoints, rollback, commit', () => {
    assertSameOutcomes(heap, columnar, operations.transactions);
  });

  test('errors carry PostgreSQL SQLSTATEs (22012, 42601, 25P02) and the connection recovers', () => {
    assertSameOutcomes(heap, columnar, operations.errors);
    for (const outcomes of [heap, columnar]) {
      assertFailsWith(outcomes, 'error_division_by_zero', '22012');
      assertFailsWith(outcomes, 'error_division_by_zero_prepared', '22012');
      assertFailsWith(outcomes, 'error_syntax', '42601');
      assertFailsWith(outcomes, 'error_in_failed_transaction', '25P02');
    }
  });

  test('a write fails with 25006 on the daemon', () => {
    assertFailsWith(columnar, 'write_insert', '25006');
  });

  test('Statement.cancel() interrupts a long query with 57014', async () => {
    const [heapCancel, columnarCancel] = await Promise.all([
      run(fixture.heap, ['error_cancel']),
      run(fixture.columnar, ['error_cancel']),
    ]);
    assertFailsWith(heapCancel, 'error_cancel', '57014');
    assertFailsWith(columnarCancel, 'error_cancel', '57014');
  });
});

describe('pgJDBC: binary formats', { skip }, () => {
  test('default settings: int4/float8/uuid/bytea parameters in binary; from the fifth run binary results', () => {
    assertSameOutcomes(heap, columnar, operations.binary);
    assertFailsWith(columnar, 'error_division_by_zero_prepared_binary', '22012');
  });
});

describe('pgJDBC: catalog queries', { skip }, () => {
  test('current_schema(), jsonb type lookup and DatabaseMetaData (tables, columns, schemas)', () => {
    assertSameOutcomes(heap, columnar, operations.catalog);
  });
});

describe('pgJDBC: ResultSetMetaData', { skip }, () => {
  test('getTableName and isNullable come from the table OID and column number RowDescription carries', () => {
    assertSameOutcomes(heap, columnar, operations.resultSetMetadata);
  });
});

describe('pgJDBC: known differences (docs/types.md)', { skip }, () => {
  test('getPrimaryKeys finds none: the copy has no indexes', () => {
    assertDocumentedDifference(heap, columnar, 'metadata_primary_keys', () => []);
  });
});
