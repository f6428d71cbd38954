/**
 * node-postgres (`pg`) against the heap and the daemon, with the same
 * operations and the same assertions: PostgreSQL is the oracle. pg sends
 * queries without parameters as simple Query messages and parameterized ones
 * as Parse (no type OIDs) / Bind (text, Buffers in binary) / Describe portal /
 * Execute / Sync; named statements are parsed once per connection.
 *
 * pg's own `binary: true` results are not tested: pg 8 decodes them lossily
 * (and loops forever on some int4[] values), so binary results are left to pgJDBC.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  assertFailsWith,
  assertSameOutcomes,
  type Endpoint,
  type Outcome,
  outcomesOnBoth,
  type RealClientFixture,
  runOperations,
  sharedSql,
  startRealClientFixture,
} from './helpers/real-clients.js';

function config(endpoint: Endpoint): pg.ClientConfig {
  const { host, port, user, password, database } = endpoint;
  return { host, port, user, password, database, connectionTimeoutMillis: 10_000 };
}

async function withClient<T>(
  endpoint: Endpoint,
  fn: (client: pg.Client) => Promise<T>,
  overrides: pg.ClientConfig = {},
): Promise<T> {
  const client = new pg.Client({ ...config(endpoint), ...overrides });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rows as pg decodes them by default: Dates, Buffers, parsed JSON and arrays, strings for int8 and numeric. */
const rows = (endpoint: Endpoint, text: string, values?: unknown[]) =>
  withClient(endpoint, async (c) => (await c.query({ text, values })).rows);

/** Every value as the server's text, exactly as sent. */
const raw = { getTypeParser: () => (value: string) => value };

function operations(e: Endpoint): Record<string, () => Promise<unknown>> {
  return {
    connect: () => rows(e, 'SELECT 1 AS one'),
    select_group: () => rows(e, sharedSql.group),
    select_where_order: () => rows(e, sharedSql.whereOrder),
    multi_statement: () =>
      withClient(e, async (c) => {
        const results = (await c.query(
          'SELECT 1 AS a; SELECT count(*) AS c FROM mix',
        )) as unknown as pg.QueryResult[];
        return results.map((r) => [r.command, r.rowCount, r.rows]);
      }),
    params_untyped: () =>
      rows(e, 'SELECT id, i4, vc FROM mix WHERE i4 > $1 AND vc = $2 ORDER BY id', [20000, 'vc3']),
    params_typed: () =>
      rows(
        e,
        'SELECT id, $3::numeric(8,1) AS p FROM mix WHERE i4 > $1::int AND d >= $2::date AND tstz < $4::timestamptz ORDER BY id',
        [20000, '2024-02-01', '1500.5', new Date('2024-03-12T00:00:00Z')],
      ),
    params_null: () =>
      rows(
        e,
        'SELECT id, coalesce($2, $3) AS c FROM mix WHERE ($1::int IS NULL OR i2 = $1) AND id < 12 ORDER BY id',
        [null, null, 'dflt'],
      ),
    params_array: () =>
      rows(e, 'SELECT id, a_i4, a_t FROM mix WHERE id = ANY($1) ORDER BY id', [[1, 2, 3, 18, 1001]]),
    params_json_cast: () => rows(e, 'SELECT id FROM mix WHERE jb = $1::jsonb ORDER BY id', ['[]']),
    // PostgreSQL infers jsonb for $1, so '[ ]' equals the stored '[]'.
    params_json_untyped: () => rows(e, 'SELECT id FROM mix WHERE jb = $1 ORDER BY id', ['[ ]']),
    params_json_number: () => rows(e, 'SELECT id FROM mix WHERE jb = $1::jsonb ORDER BY id', ['{"k": 1}']),
    params_json_operator: () => rows(e, "SELECT id FROM mix WHERE jb ->> 'k' = $1 ORDER BY id", ['5']),
    named_repeat: () =>
      withClient(e, async (c) => {
        const out: unknown[] = [];
        for (let i = 0; i < 8; i++) {
          const text = `SELECT ${sharedSql.allColumns} FROM mix WHERE id BETWEEN $1 AND $2 ORDER BY id`;
          out.push((await c.query({ name: 'mix_range', text, values: [i * 10, i * 10 + 12] })).rows);
        }
        return out;
      }),
    types_parsed: () => rows(e, `SELECT ${sharedSql.allColumns} FROM mix ORDER BY id`),
    types_text: () =>
      withClient(
        e,
        async (c) =>
          (await c.query({ text: `SELECT ${sharedSql.allColumns} FROM mix ORDER BY id`, rowMode: 'array' }))
            .rows,
        { types: raw },
      ),
    types_text_extended: () =>
      withClient(
        e,
        async (c) =>
          (
            await c.query({
              text: `SELECT ${sharedSql.allColumns} FROM mix WHERE id >= $1 ORDER BY id`,
              values: [0],
              rowMode: 'array',
            })
          ).rows,
        { types: raw },
      ),
    fields: () =>
      withClient(e, async (c) => {
        const { fields } = await c.query(
          `SELECT ${sharedSql.allColumns}, count(*) OVER () AS c FROM mix LIMIT 1`,
        );
        return fields.map((f) => [f.name, f.dataTypeID, f.dataTypeSize, f.dataTypeModifier, f.format]);
      }),
    transaction_savepoint: () =>
      withClient(e, async (c) => {
        const out: unknown[] = [];
        const status = () => (c as unknown as { _txStatus?: string })._txStatus;
        // pg rejects a query on its ErrorResponse, before the ReadyForQuery that carries the status.
        const readyForQuery = () =>
          new Promise<void>((resolve) => {
            const client = c as unknown as { readyForQuery: boolean; connection: pg.Connection };
            if (client.readyForQuery) resolve();
            else client.connection.once('readyForQuery', () => resolve());
          });
        for (const sql of ['BEGIN', 'SELECT count(*) FROM mix', 'SAVEPOINT sp1']) {
          const r = await c.query(sql);
          out.push([r.command, r.rows, status()]);
        }
        await c
          .query('SELECT i4 / (id - id) FROM mix')
          .catch((error: pg.DatabaseError) => out.push(error.code));
        await readyForQuery();
        out.push(status());
        for (const sql of ['ROLLBACK TO SAVEPOINT sp1', 'SELECT max(id) FROM mix', 'RELEASE sp1', 'COMMIT']) {
          const r = await c.query(sql);
          out.push([r.command, r.rows, status()]);
        }
        return out;
      }),
    transaction_rollback: () =>
      withClient(e, async (c) => {
        await c.query('BEGIN');
        const first = (await c.query('SELECT count(*) FROM mix WHERE b')).rows;
        const rollback = (await c.query('ROLLBACK')).command;
        return [first, rollback, (await c.query('SELECT count(*) FROM mix WHERE NOT b')).rows];
      }),
    error_division_by_zero: () => rows(e, 'SELECT 1/0'),
    error_division_by_zero_extended: () => rows(e, 'SELECT i4 / (i2 - $1) FROM mix WHERE i2 = $1', [5]),
    error_syntax: () => rows(e, 'SELEC id FROM mix'),
    error_syntax_extended: () => rows(e, 'SELEC id FROM mix WHERE id = $1', [1]),
    error_in_failed_transaction: () =>
      withClient(e, async (c) => {
        await c.query('BEGIN');
        await c.query('SELECT 1/0').catch(() => undefined);
        return (await c.query('SELECT 1')).rows;
      }),
    recovers_after_error: () =>
      withClient(e, async (c) => {
        const codes: unknown[] = [];
        for (const [text, values] of [
          ['SELECT 1/0', undefined],
          ['SELEC 1', undefined],
          ['SELECT * FROM no_such_table WHERE id = $1', [1]],
          ['SELECT id FROM mix WHERE id = $1', ['not a number']],
        ] as const) {
          await c
            .query(text, values as unknown[] | undefined)
            .catch((error: pg.DatabaseError) => codes.push(error.code));
        }
        return [codes, (await c.query('SELECT count(*) FROM mix')).rows];
      }),
    cancel: () =>
      withClient(e, async (c) => {
        const slow = c.query(sharedSql.slow);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const active = (c as unknown as { activeQuery: unknown }).activeQuery;
        (new pg.Client(config(e)) as unknown as { cancel(c: pg.Client, q: unknown): void }).cancel(c, active);
        const code = await slow.then(
          () => 'finished',
          (error: pg.DatabaseError) => error.code,
        );
        return [code, (await c.query('SELECT count(*) FROM mix')).rows];
      }),
    write_insert: () =>
      withClient(e, async (c) => {
        await c.query('BEGIN');
        const { command, rowCount } = await c.query('INSERT INTO mix (id) VALUES (-1)');
        await c.query('ROLLBACK');
        return [command, rowCount];
      }),
    binary_params_bytea: () =>
      rows(e, 'SELECT id FROM mix WHERE by = $1 OR by = $2 ORDER BY id', [
        Buffer.from('e4da3b7fbbce2345d7772b0674a318d5', 'hex'),
        Buffer.from([0, 255]),
      ]),
    fields_table_ids: () =>
      withClient(e, async (c) => {
        const { fields } = await c.query('SELECT id, t, jb, id + 1 AS computed FROM mix LIMIT 1');
        return fields.map((f) => [f.name, f.tableID, f.columnID]);
      }),
  };
}

const groups = {
  connect: ['connect', 'multi_statement'],
  select: ['select_group', 'select_where_order'],
  params: [
    'params_untyped',
    'params_typed',
    'params_null',
    'params_array',
    'params_json_cast',
    'params_json_untyped',
    'params_json_number',
    'params_json_operator',
  ],
  named: ['named_repeat'],
  types: ['types_parsed', 'types_text', 'types_text_extended', 'fields', 'fields_table_ids'],
  transactions: ['transaction_savepoint', 'transaction_rollback'],
  errors: [
    'error_division_by_zero',
    'error_division_by_zero_extended',
    'error_syntax',
    'error_syntax_extended',
    'error_in_failed_transaction',
    'recovers_after_error',
  ],
  cancel: ['cancel'],
  binary: ['binary_params_bytea'],
  knownDifferences: [],
} as const;

let fixture: RealClientFixture;
let heap: Record<string, Outcome>;
let columnar: Record<string, Outcome>;

before(async () => {
  fixture = await startRealClientFixture();
  const all = Object.values(groups).flat();
  [heap, columnar] = await outcomesOnBoth(
    fixture,
    (endpoint, ops) => runOperations(operations(endpoint), ops),
    all,
    ['write_insert'],
  );
});

after(async () => {
  await fixture?.close();
});

describe('node-postgres: simple and extended queries, parameters, types, transactions, errors, cancel', () => {
  test('connects; simple Query with two statements', () => {
    assertSameOutcomes(heap, columnar, groups.connect);
  });

  test('simple SELECTs with WHERE, GROUP BY and ORDER BY', () => {
    assertSameOutcomes(heap, columnar, groups.select);
  });

  test('parameters: untyped, typed, NULL and arrays', () => {
    assertSameOutcomes(heap, columnar, groups.params);
  });

  test('a named statement parsed once and run 8 times', () => {
    assertSameOutcomes(heap, columnar, groups.named);
  });

  test('every type and NULL, parsed and as raw text over both protocols; field types, modifiers, table OIDs and column numbers', () => {
    assertSameOutcomes(heap, columnar, groups.types);
  });

  test('transactions: BEGIN, savepoints, ROLLBACK TO, RELEASE, COMMIT, ROLLBACK; status letters', () => {
    assertSameOutcomes(heap, columnar, groups.transactions);
  });

  test('errors carry PostgreSQL SQLSTATEs (22012, 42601, 25P02) and the connection recovers', () => {
    assertSameOutcomes(heap, columnar, groups.errors);
    for (const outcomes of [heap, columnar]) {
      assertFailsWith(outcomes, 'error_division_by_zero', '22012');
      assertFailsWith(outcomes, 'error_division_by_zero_extended', '22012');
      assertFailsWith(outcomes, 'error_syntax', '42601');
      assertFailsWith(outcomes, 'error_syntax_extended', '42601');
      assertFailsWith(outcomes, 'error_in_failed_transaction', '25P02');
    }
  });

  test('a write fails with 25006 on the daemon', () => {
    assertFailsWith(columnar, 'write_insert', '25006');
  });

  test('a CancelRequest interrupts a long query with 57014 and the connection answers again', () => {
    assert.deepEqual((heap.cancel as { ok: unknown[] }).ok[0], '57014');
    assertSameOutcomes(heap, columnar, groups.cancel);
  });
});

describe('node-postgres: binary parameters', () => {
  test('bytea parameters: pg sends Buffers in binary format', () => {
    assertSameOutcomes(heap, columnar, groups.binary);
  });
});
