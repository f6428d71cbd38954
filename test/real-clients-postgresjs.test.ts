/**
 * postgres.js against the heap and the daemon, with the same operations and
 * the same assertions: PostgreSQL is the oracle. postgres.js sends everything
 * over the extended protocol: a query with untyped parameters is first
 * Parsed and Described (Flush) to learn the parameter types, statements are
 * named and reused (prepare: true), `.cursor(n)` reads a portal n rows at a
 * time with Execute row limits and Flush, `.simple()` uses a simple Query. On
 * connect it reads the array types from pg_type unless fetch_types is false.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import postgres from 'postgres';
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

type Sql = postgres.Sql;

async function withSql<T>(
  endpoint: Endpoint,
  fn: (sql: Sql) => Promise<T>,
  options: postgres.Options<Record<string, postgres.PostgresType>> = {},
): Promise<T> {
  const { host, port, user, password, database } = endpoint;
  const sql = postgres({
    host,
    port,
    user,
    pass: password,
    database,
    max: 1,
    connect_timeout: 10,
    fetch_types: false,
    onnotice: () => undefined,
    ...options,
  });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Rows as plain arrays plus the command and count postgres.js reports. */
function result(rows: postgres.RowList<postgres.Row[]>) {
  return { command: rows.command, count: rows.count, rows: [...rows] };
}

function operations(e: Endpoint): Record<string, () => Promise<unknown>> {
  const q = (fn: (sql: Sql) => Promise<unknown>) => () => withSql(e, fn);
  return {
    connect: q(async (sql) => result(await sql`SELECT 1 AS one`)),
    connect_fetch_types: () =>
      withSql(e, async (sql) => result(await sql`SELECT a_i4, a_t FROM mix ORDER BY id LIMIT 5`), {
        fetch_types: true,
      }),
    select_group: q(async (sql) => result(await sql.unsafe(sharedSql.group))),
    select_where_order: q(async (sql) => result(await sql.unsafe(sharedSql.whereOrder))),
    simple_protocol: q(async (sql) =>
      (
        (await sql
          .unsafe('SELECT count(*) AS c FROM mix; SELECT max(id) AS m FROM mix')
          .simple()) as unknown[]
      ).map((r) => [...(r as postgres.Row[])]),
    ),
    params: q(async (sql) =>
      result(await sql`SELECT id, i4, vc FROM mix WHERE i4 > ${20000} AND vc = ${'vc3'} ORDER BY id`),
    ),
    params_typed: q(async (sql) =>
      result(
        await sql`SELECT id FROM mix WHERE tstz < ${new Date('2024-03-12T00:00:00Z')} AND b = ${true}
                    AND i8 > ${5000000000000} ORDER BY id`,
      ),
    ),
    params_null: q(async (sql) =>
      result(
        await sql`SELECT id FROM mix WHERE (${null}::int IS NULL OR i2 = ${null}) AND id < 12 ORDER BY id`,
      ),
    ),
    prepared_repeat: q(async (sql) => {
      const out: unknown[] = [];
      for (let i = 0; i < 8; i++) {
        out.push(
          result(
            await sql`SELECT id, i2, i4, i8, n, f8, b, t, vc, d, ts, tstz, u, jb, by, a_i4, a_t FROM mix
                      WHERE id BETWEEN ${i * 10} AND ${i * 10 + 12} ORDER BY id`,
          ),
        );
      }
      return out;
    }),
    unnamed: q(async (sql) =>
      result(await sql.unsafe('SELECT id, t FROM mix WHERE id < $1 ORDER BY id', [9], { prepare: false })),
    ),
    types: q(async (sql) => result(await sql.unsafe(`SELECT ${sharedSql.allColumns} FROM mix ORDER BY id`))),
    types_values: q(async (sql) => [
      ...(await sql.unsafe(`SELECT ${sharedSql.allColumns} FROM mix ORDER BY id`).values()),
    ]),
    describe: q(async (sql) => {
      const d = await sql`SELECT id, n, tstz, a_t FROM mix WHERE id = ${1} AND t = ${'x'}`.describe();
      return { parameterTypes: d.types, columns: d.columns.map((c) => [c.name, c.type]) };
    }),
    describe_table_columns: q(async (sql) => {
      const d = await sql`SELECT id, n, tstz, a_t FROM mix WHERE id = ${1}`.describe();
      return d.columns.map((c) => [c.name, c.table, c.number]);
    }),
    cursor: q(async (sql) => {
      const batches: unknown[] = [];
      for await (const rows of sql`SELECT id, t, tstz FROM mix ORDER BY id`.cursor(7))
        batches.push([...rows]);
      return batches;
    }),
    cursor_early_close: q(async (sql) => {
      const batches: unknown[] = [];
      for await (const rows of sql`SELECT id FROM mix ORDER BY id`.cursor(5)) {
        batches.push([...rows]);
        if (batches.length === 2) break;
      }
      return [batches, result(await sql`SELECT count(*) FROM mix`)];
    }),
    transaction: q(async (sql) =>
      sql.begin(async (tx) => {
        const out: unknown[] = [result(await tx`SELECT count(*) FROM mix`)];
        await tx
          .savepoint(async (sp) => {
            await sp`SELECT i4 / (id - id) FROM mix`;
          })
          .catch((error: postgres.PostgresError) => out.push(error.code));
        out.push(result(await tx`SELECT max(id) FROM mix`));
        return out;
      }),
    ),
    error_division_by_zero: q(async (sql) => sql`SELECT 1/0`),
    error_division_by_zero_params: q(async (sql) => sql`SELECT i4 / (i2 - ${5}) FROM mix WHERE i2 = ${5}`),
    error_syntax: q(async (sql) => sql.unsafe('SELEC id FROM mix')),
    error_in_failed_transaction: q(async (sql) =>
      sql.begin(async (tx) => {
        await tx`SELECT 1/0`.catch(() => undefined);
        return result(await tx`SELECT 1`);
      }),
    ),
    cancel: q(async (sql) => {
      const slow = sql.unsafe(sharedSql.slow);
      setTimeout(() => slow.cancel(), 500);
      const code = await slow.then(
        () => 'finished',
        (error: postgres.PostgresError) => error.code,
      );
      return [code, result(await sql`SELECT count(*) FROM mix`)];
    }),
    write_insert: q(async (sql) =>
      sql.begin(async (tx) => {
        const rows = await tx`INSERT INTO mix (id) VALUES (-1)`;
        throw Object.assign(new Error('rolled back'), { code: `inserted ${rows.count}` });
      }),
    ),
  };
}

const groups = {
  connect: ['connect', 'simple_protocol', 'unnamed'],
  select: ['select_group', 'select_where_order'],
  params: ['params', 'params_typed', 'params_null', 'prepared_repeat'],
  types: ['types', 'types_values'],
  describe: ['describe', 'describe_table_columns'],
  cursor: ['cursor', 'cursor_early_close'],
  transactions: ['transaction'],
  errors: [
    'error_division_by_zero',
    'error_division_by_zero_params',
    'error_syntax',
    'error_in_failed_transaction',
    'cancel',
  ],
  catalog: ['connect_fetch_types'],
} as const;

let fixture: RealClientFixture;
/**
 * postgres.js rejects a promise of its own, besides the query's, when fetching
 * types on connect fails; collected so the test that causes it reports it.
 */
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(String(reason)));
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

describe('postgres.js: extended protocol queries, parameters, types, cursors, transactions, errors', () => {
  test('connects (fetch_types: false); simple protocol; unnamed statements', () => {
    assertSameOutcomes(heap, columnar, groups.connect);
  });

  test('simple SELECTs with WHERE, GROUP BY and ORDER BY', () => {
    assertSameOutcomes(heap, columnar, groups.select);
  });

  test('parameters: inferred, typed (Date, boolean), NULL; a named statement run 8 times', () => {
    assertSameOutcomes(heap, columnar, groups.params);
  });

  test('every type and NULL as postgres.js decodes them', () => {
    assertSameOutcomes(heap, columnar, groups.types);
  });

  test('.cursor(n): Execute row limits with Flush, read to the end and closed early', () => {
    assertSameOutcomes(heap, columnar, groups.cursor);
  });

  test('transactions: sql.begin and a savepoint rolled back by an error', () => {
    assertSameOutcomes(heap, columnar, groups.transactions);
  });

  test('errors carry PostgreSQL SQLSTATEs (22012, 42601, 57014 on cancel); sql.begin rejects with the first error', () => {
    assertSameOutcomes(heap, columnar, groups.errors);
    for (const outcomes of [heap, columnar]) {
      assertFailsWith(outcomes, 'error_division_by_zero', '22012');
      assertFailsWith(outcomes, 'error_division_by_zero_params', '22012');
      assertFailsWith(outcomes, 'error_syntax', '42601');
    }
  });

  test('a write fails with 25006 on the daemon', () => {
    assertFailsWith(columnar, 'write_insert', '25006');
  });
});

describe('postgres.js: catalog queries', () => {
  test('fetch_types: true reads pg_type on connect', () => {
    assertSameOutcomes(heap, columnar, groups.catalog);
    assert.deepEqual(unhandled, []);
  });
});

describe('postgres.js: describe()', () => {
  test('parameter types PostgreSQL infers (id = $1 is int4) and columns with their table OID and column number', () => {
    assertSameOutcomes(heap, columnar, groups.describe);
  });
});
