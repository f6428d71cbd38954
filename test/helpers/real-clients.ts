/**
 * The fixture of the real-client tests (test/real-clients-*.test.ts): a
 * throw-away cluster holding `mix`, a table with a mix of types and NULLs in
 * every column, registered with a daemon; two endpoints with the same role,
 * the heap (the oracle) and the daemon, and a way to run an external client
 * program (test/clients/) against each and read the JSON it prints.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import type { Daemon } from '../../src/main.js';
import { startTestCluster } from './cluster.js';
import { startDaemon } from './daemon.js';

/** Where the client programs are: the source tree, not dist/. */
export const clientsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/clients');

export const appUser = 'app_user';
/** A password with characters a connection string or a shell would trip on. */
export const appPassword = "app pw; 'x' %";

export interface Endpoint {
  name: 'heap' | 'daemon';
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface RealClientFixture {
  cluster: LocalCluster;
  daemon: Daemon;
  heap: Endpoint;
  columnar: Endpoint;
  close(): Promise<void>;
}

/**
 * Every type the drivers decode differently, each column NULL on its own
 * modulus so rows mix NULLs; row 0 is all NULLs and rows 1001–1002 hold edge values.
 */
export const mixTableSql = `
  CREATE TABLE mix (
    id int PRIMARY KEY,
    i2 smallint, i4 integer, i8 bigint, n numeric(12,2), f8 double precision, b boolean,
    t text, vc varchar(16), d date, ts timestamp, tstz timestamptz, u uuid, jb jsonb, by bytea,
    a_i4 int4[], a_t text[]
  );
  INSERT INTO mix (id) VALUES (0);
  INSERT INTO mix SELECT i,
    CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 100 - 50) END,
    CASE WHEN i % 11 = 0 THEN NULL ELSE i * 1000 - 7 END,
    CASE WHEN i % 13 = 0 THEN NULL ELSE i::bigint * 100000000007 END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE round(i * 12.345 - 400, 2) END,
    CASE WHEN i % 6 = 0 THEN NULL ELSE i / 8.0 - 3.3 END,
    CASE WHEN i % 3 = 0 THEN NULL ELSE i % 2 = 0 END,
    CASE WHEN i % 9 = 0 THEN NULL WHEN i % 4 = 0 THEN 'text ' || i || E' ünï "q" \\\\ ,{} ✓\\n' ELSE 'text ' || i END,
    CASE WHEN i % 8 = 0 THEN NULL ELSE 'vc' || (i % 10) END,
    CASE WHEN i % 10 = 0 THEN NULL ELSE date '2024-01-01' + i * 3 END,
    CASE WHEN i % 12 = 0 THEN NULL ELSE timestamp '2024-01-01 00:00:00' + i * interval '7 hours 1.5 seconds' END,
    CASE WHEN i % 14 = 0 THEN NULL ELSE timestamptz '2024-03-10 00:00:00+00' + i * interval '37 minutes 0.25 seconds' END,
    CASE WHEN i % 15 = 0 THEN NULL ELSE md5(i::text)::uuid END,
    CASE WHEN i % 16 = 0 THEN NULL ELSE jsonb_build_object('k', i, 'a', jsonb_build_array(i, 'x', NULL), 's', 'q"') END,
    CASE WHEN i % 17 = 0 THEN NULL ELSE decode(md5(i::text), 'hex') END,
    CASE WHEN i % 18 = 0 THEN NULL ELSE ARRAY[i, NULL, -i] END,
    CASE WHEN i % 19 = 0 THEN NULL ELSE ARRAY['a' || i, NULL, 'b c', '', 'q"{,}'] END
  FROM generate_series(1, 200) i;
  INSERT INTO mix VALUES
    (1001, -32768, -2147483648, -9223372036854775808, -9999999999.99, 0.1, true, '', '', '1970-01-01',
     '1969-12-31 23:59:59.999999', '1999-12-31 23:59:59.5+05:30', '00000000-0000-0000-0000-000000000000',
     '{"nested": {"deep": [true, false, null, 1.5e300]}, "": ""}', '\\x', '{}', '{}'),
    (1002, 32767, 2147483647, 9223372036854775807, 9999999999.99, 1.7976931348623157e308, false, 'NULL',
     'varchar sixteen!', '2099-12-31', '2000-02-29 12:00:00', '2038-01-19 03:14:08+00',
     'ffffffff-ffff-ffff-ffff-ffffffffffff', '[]', '\\x00ff', '{NULL}', '{NULL,"NULL"}');
`;

export async function startRealClientFixture(): Promise<RealClientFixture> {
  const cluster = await startTestCluster();
  try {
    await cluster.exec(mixTableSql);
    await cluster.exec(`CREATE ROLE ${appUser} LOGIN PASSWORD '${appPassword.replaceAll("'", "''")}'`);
    await cluster.exec(`GRANT SELECT ON mix TO ${appUser}`);
    const daemon = await startDaemon(cluster);
    await cluster.exec("SELECT analytica.register_table('public.mix')");
    await cluster.exec("SELECT analytica.wait_for_sync('public.mix')");
    const endpoint = (name: Endpoint['name'], port: number): Endpoint => ({
      name,
      host: cluster.host,
      port,
      user: appUser,
      password: appPassword,
      database: 'postgres',
    });
    return {
      cluster,
      daemon,
      heap: endpoint('heap', cluster.port),
      columnar: endpoint('daemon', daemon.port),
      async close() {
        await daemon.close();
        await cluster.close();
      },
    };
  } catch (error) {
    await cluster.close();
    throw error;
  }
}

/** The libpq environment for an endpoint, for psql and psycopg2. */
export function libpqEnv(endpoint: Endpoint): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGHOST: endpoint.host,
    PGPORT: String(endpoint.port),
    PGUSER: endpoint.user,
    PGPASSWORD: endpoint.password,
    PGDATABASE: endpoint.database,
    PGCONNECT_TIMEOUT: '10',
    PGAPPNAME: 'real-clients-test',
  };
}

/** What a client program reports for one operation: a value, or the error it met. */
export type Outcome = { ok: unknown } | { error: { code: string | null; message: string } };

export type Outcomes = Record<string, Outcome>;

/**
 * Runs a client's operations against PostgreSQL (the oracle) and the daemon at once; the
 * writes run on the daemon only, where they must fail with 25006.
 */
export async function outcomesOnBoth(
  fixture: RealClientFixture,
  run: (endpoint: Endpoint, ops: readonly string[]) => Promise<Outcomes>,
  reads: readonly string[],
  writes: readonly string[],
): Promise<[heap: Outcomes, columnar: Outcomes]> {
  return await Promise.all([run(fixture.heap, reads), run(fixture.columnar, [...reads, ...writes])]);
}

/** Runs a client program that prints `{ operation: Outcome }` as JSON on stdout. */
export async function runClientProgram(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 90_000,
): Promise<Record<string, Outcome>> {
  const { stdout } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
  return JSON.parse(stdout) as Record<string, Outcome>;
}

/**
 * Asserts that the daemon's outcome of each operation equals the heap's: the
 * same value, or an error with the same SQLSTATE. Collects every mismatch
 * before failing, so one run shows all of them.
 */
export function assertSameOutcomes(
  heap: Record<string, Outcome>,
  columnar: Record<string, Outcome>,
  operations: readonly string[],
): void {
  const mismatches: string[] = [];
  for (const op of operations) {
    const expected = heap[op];
    const actual = columnar[op];
    assert.ok(expected, `the client did not report ${op} on the heap`);
    assert.ok(actual, `the client did not report ${op} on the daemon`);
    // Only operations named error_* are meant to fail; any other failing on the heap is a bug of the test.
    if ('error' in expected && !op.startsWith('error_'))
      assert.fail(`${op} failed on PostgreSQL itself: ${JSON.stringify(expected.error)}`);
    if ('error' in expected && 'error' in actual) {
      if (expected.error.code !== actual.error.code)
        mismatches.push(
          `${op}: PostgreSQL fails with ${expected.error.code} (${expected.error.message}), ` +
            `the daemon with ${actual.error.code} (${actual.error.message})`,
        );
      continue;
    }
    try {
      assert.deepStrictEqual(actual, expected);
    } catch (error) {
      const detail = 'error' in actual ? `${actual.error.code}: ${actual.error.message}` : '';
      mismatches.push(`${op}: ${detail || (error as Error).message}`);
    }
  }
  if (mismatches.length > 0) assert.fail(`${mismatches.length} mismatch(es):\n\n${mismatches.join('\n\n')}`);
}

/**
 * Asserts a known difference, documented in docs/types.md ("Known differences"), and nothing
 * more: the operation succeeds on PostgreSQL and the daemon returns exactly what the
 * documentation says it returns instead, computed from PostgreSQL's value by `documented`.
 */
export function assertDocumentedDifference(
  heap: Record<string, Outcome>,
  columnar: Record<string, Outcome>,
  op: string,
  documented: (heapValue: unknown) => unknown,
): void {
  const expected = heap[op];
  const actual = columnar[op];
  assert.ok(expected && 'ok' in expected, `${op} should succeed on PostgreSQL: ${JSON.stringify(expected)}`);
  assert.ok(actual, `the client did not report ${op} on the daemon`);
  assert.notDeepStrictEqual(
    documented(expected.ok),
    expected.ok,
    `${op}: PostgreSQL's own answer is what the daemon is documented to differ by`,
  );
  assert.deepStrictEqual(actual, { ok: documented(expected.ok) }, op);
}

/**
 * Asserts a documented refusal: the operation succeeds on PostgreSQL and the daemon refuses it
 * with `code` (0A000, feature not supported) instead of answering differently.
 */
export function assertRefused(
  heap: Record<string, Outcome>,
  columnar: Record<string, Outcome>,
  op: string,
  code = '0A000',
): void {
  const expected = heap[op];
  assert.ok(expected && 'ok' in expected, `${op} should succeed on PostgreSQL: ${JSON.stringify(expected)}`);
  assertFailsWith(columnar, op, code);
}

/** Asserts an operation failed with `code` (used for outcomes checked on one endpoint only). */
export function assertFailsWith(outcomes: Record<string, Outcome>, op: string, code: string): void {
  const outcome = outcomes[op];
  assert.ok(outcome, `the client did not report ${op}`);
  assert.ok('error' in outcome, `${op} should fail with ${code} but returned ${JSON.stringify(outcome)}`);
  assert.equal(outcome.error.code, code, `${op}: ${outcome.error.message}`);
}

/** How long one in-process operation may take before it is reported as hanging. */
const operationTimeoutMs = 30_000;

/** Runs in-process operations (node-postgres, postgres.js) one by one, as the client programs do. */
export async function runOperations(
  operations: Record<string, () => Promise<unknown>>,
  names: readonly string[] = Object.keys(operations),
): Promise<Record<string, Outcome>> {
  const outcomes: Record<string, Outcome> = {};
  for (const name of names) {
    const operation = operations[name];
    assert.ok(operation, `no operation ${name}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name} timed out after ${operationTimeoutMs} ms`)),
        operationTimeoutMs,
      );
    });
    try {
      outcomes[name] = { ok: await Promise.race([operation(), timeout]) };
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: string };
      outcomes[name] = {
        error: { code: typeof code === 'string' ? code : null, message: String(message ?? error) },
      };
    } finally {
      clearTimeout(timer);
    }
  }
  return outcomes;
}

/** The SQL the clients share. */
export const sharedSql = {
  allColumns: 'id, i2, i4, i8, n, f8, b, t, vc, d, ts, tstz, u, jb, by, a_i4, a_t',
  /** sum(int4) is bigint, avg() and numeric division exact numeric, as PostgreSQL types them. */
  group:
    'SELECT vc, count(*) AS rows, count(i4) AS i4s, sum(i4) AS sum_i4, avg(i4) AS avg_i4, avg(n) AS avg_n,' +
    ' sum(n) / 7 AS n7, round(avg(i8), 2) AS avg_i8, min(n) AS min_n, max(d) AS max_d,' +
    ' max(f8) AS max_f8 FROM mix WHERE id BETWEEN 1 AND 200 GROUP BY vc ORDER BY vc NULLS FIRST',
  whereOrder:
    "SELECT id, t, vc FROM mix WHERE i4 > 150000 AND b IS NOT NULL AND t LIKE 'text%' ORDER BY i2 DESC, id",
  /** Minutes in either engine unless cancelled: 1.7 billion md5 calls. */
  slow:
    'SELECT count(*) FROM mix a, mix b, mix c, mix d' +
    " WHERE md5(a.id::text || b.id::text || c.id::text || d.id::text) = 'x'",
} as const;
