/**
 * The query server end to end: real clients (node-postgres, psql, raw
 * sockets), a real PostgreSQL verifying passwords through the SCRAM relay,
 * and a small QueryExecutor answering from a real in-memory DuckDB.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { PgError, SqlState } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import type { QueryExecutor, QueryResult, ResultColumn, SessionContext } from '../src/query/engine-types.js';
import { materializedRowStream } from '../src/query/materialized-row-stream.js';
import { initSqlParser, parseStatements } from '../src/query/sql/statement-parser.js';
import { QueryServer } from '../src/server/query-server.js';
import { startTestCluster } from './helpers/cluster.js';
import { needs } from './helpers/optional-clients.js';

const typeOids: Record<string, number> = { INTEGER: 23, BIGINT: 20, BOOLEAN: 16, DOUBLE: 701, VARCHAR: 25 };

/** Answers SELECTs from DuckDB; aborting the signal interrupts DuckDB. */
class DuckDbTestExecutor implements QueryExecutor {
  readonly contexts: SessionContext[] = [];
  private constructor(readonly instance: DuckDBInstance) {}

  static async create(): Promise<DuckDbTestExecutor> {
    return new DuckDbTestExecutor(await DuckDBInstance.create(':memory:'));
  }

  async executeSelect(
    statement: { sql: string },
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<QueryResult> {
    this.contexts.push(context);
    const connection = await this.instance.connect();
    const interrupt = () => connection.interrupt();
    signal?.addEventListener('abort', interrupt);
    try {
      const reader = await connection.runAndReadAll(statement.sql);
      const types = reader.columnTypes().map((t) => t.toString());
      const columns: ResultColumn[] = reader.columnNames().map((name, i) => ({
        name,
        typeOid: typeOids[types[i] ?? ''] ?? 25,
        typeSize: -1,
        typeModifier: -1,
      }));
      const rows = reader.getRowsJson().map((row) => row.map(textValue));
      return { columns, rows, commandTag: `SELECT ${rows.length}` };
    } catch (error) {
      if (signal?.aborted)
        throw new PgError(SqlState.queryCanceled, 'canceling statement due to user request');
      const message = error instanceof Error ? error.message : String(error);
      const code = /does not exist/i.test(message) ? SqlState.undefinedTable : SqlState.syntaxError;
      throw new PgError(code, message);
    } finally {
      signal?.removeEventListener('abort', interrupt);
      connection.closeSync();
    }
  }

  async openSelect(statement: { sql: string }, context: SessionContext, signal?: AbortSignal) {
    return materializedRowStream(await this.executeSelect(statement, context, signal));
  }

  async describeSelect(statement: { sql: string }, context: SessionContext) {
    return { columns: (await this.executeSelect(statement, context)).columns };
  }

  async explainSelect(statement: { sql: string }): Promise<string[]> {
    return [`Seq Scan on test  (cost=0.00..1.00 rows=1 width=4)`, `  ${statement.sql}`];
  }
}

function textValue(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

let cluster: LocalCluster;
let server: QueryServer;
let executor: DuckDbTestExecutor;

before(async () => {
  await initSqlParser();
  cluster = await startTestCluster();
  await cluster.exec("CREATE ROLE reader LOGIN PASSWORD 'reader-secret'");
  executor = await DuckDbTestExecutor.create();
  server = await QueryServer.start({
    port: 0,
    upstream: { host: cluster.host, port: cluster.port },
    parseStatements,
    executor,
    log: silentLogger,
  });
});

after(async () => {
  await server?.close();
  await cluster?.close();
  executor?.instance.closeSync();
});

function client(overrides: pg.ClientConfig = {}): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port: server.port,
    user: 'postgres',
    database: 'postgres',
    password: cluster.password,
    ...overrides,
  });
}

async function withClient<T>(fn: (c: pg.Client, statuses: string[]) => Promise<T>): Promise<T> {
  const c = client();
  await c.connect();
  const statuses: string[] = [];
  // node-postgres exposes each ReadyForQuery on its connection object.
  (c as unknown as { connection: NodeJS.EventEmitter }).connection.on(
    'readyForQuery',
    (m: { status: string }) => statuses.push(m.status),
  );
  try {
    return await fn(c, statuses);
  } finally {
    await c.end();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: { code?: string }) => {
    assert.equal(error.code, code, String(error));
    return true;
  });
}

test('node-postgres connects with the right password and runs simple and parameterized queries', async () => {
  await withClient(async (c) => {
    const simple = await c.query('SELECT 1 AS one, 42::BIGINT AS big');
    assert.deepEqual(simple.rows, [{ one: 1, big: '42' }]);
    assert.equal(simple.command, 'SELECT');
    const params = await c.query('SELECT $1::int + 1 AS two, $2::text AS t', [1, "it's \\ here"]);
    assert.deepEqual(params.rows, [{ two: 2, t: "it's \\ here" }]);
    const named = { name: 'p1', text: 'SELECT x FROM range(10) t(x) WHERE x < $1', values: [3] };
    assert.equal((await c.query(named)).rowCount, 3);
    assert.equal((await c.query({ ...named, values: [5] })).rowCount, 5);
    await rejectsWith(c.query('SELECT * FROM missing_table WHERE x = $1', [1]), '42P01');
    await rejectsWith(c.query('SELEC $1', [1]), '42601');
    const nulls = await c.query('SELECT $1::text IS NULL AS isnull', [null]);
    assert.deepEqual(nulls.rows, [{ isnull: true }]);
  });
});

test('ParameterStatus reports the emulated server and session', async () => {
  await withClient(async (c) => {
    const parameters = await c.query('SHOW server_version');
    assert.match(String(parameters.rows[0]?.server_version), /^16\.6 /);
    assert.equal((await c.query('SHOW is_superuser')).rows[0]?.is_superuser, 'off');
    assert.equal((await c.query('SHOW session_authorization')).rows[0]?.session_authorization, 'postgres');
  });
});

test('a wrong password is rejected with 28P01 and the server keeps serving', async () => {
  await rejectsWith(client({ password: 'wrong' }).connect(), '28P01');
  await rejectsWith(client({ user: 'nobody_here', password: 'x' }).connect(), '28P01');
  await rejectsWith(client({ database: 'no_such_db' }).connect(), '3D000');
  const reader = client({ user: 'reader', password: 'reader-secret' });
  await reader.connect();
  assert.deepEqual((await reader.query('SELECT 2 AS n')).rows, [{ n: 2 }]);
  await reader.end();
});

test('psql connects and runs queries, SET and SHOW', { skip: needs('psql') }, async () => {
  const run = (sql: string) =>
    promisify(execFile)(
      '/usr/bin/psql',
      [
        '-X',
        '-A',
        '-t',
        '-h',
        '127.0.0.1',
        '-p',
        String(server.port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-c',
        sql,
      ],
      {
        env: { ...process.env, PGPASSWORD: cluster.password },
      },
    );
  assert.equal((await run('SELECT 1')).stdout.trim(), '1');
  assert.equal((await run("SET timezone='GMT'; SHOW timezone")).stdout.trim(), 'SET\nGMT');
  await assert.rejects(run('SELEC 1'), /syntax error/);
});

test('transaction control reports PostgreSQL status letters, tags and warnings', async () => {
  await withClient(async (c, statuses) => {
    const notices: string[] = [];
    c.on('notice', (n) => notices.push(`${n.severity} ${n.code} ${n.message}`));
    assert.equal((await c.query('BEGIN')).command, 'BEGIN');
    await c.query('SELECT 1');
    await c.query('SAVEPOINT s1');
    assert.equal((await c.query('RELEASE SAVEPOINT s1')).command, 'RELEASE');
    assert.equal((await c.query('COMMIT')).command, 'COMMIT');
    await c.query('START TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    assert.equal((await c.query('ROLLBACK')).command, 'ROLLBACK');
    assert.equal((await c.query('COMMIT')).command, 'COMMIT');
    assert.deepEqual(statuses, ['T', 'T', 'T', 'T', 'I', 'T', 'I', 'I']);
    assert.deepEqual(notices, ['WARNING 25P01 there is no transaction in progress']);
    await rejectsWith(c.query('SAVEPOINT x'), '25P01');
  });
});

test('an error in a transaction block gives 25P02 until ROLLBACK, and COMMIT then reports ROLLBACK', async () => {
  await withClient(async (c, statuses) => {
    await c.query('BEGIN');
    await c.query('SET LOCAL extra_float_digits = 2');
    await rejectsWith(c.query('SELECT * FROM missing_table'), '42P01');
    await rejectsWith(c.query('SELECT 1'), '25P02');
    await rejectsWith(c.query('SHOW timezone'), '25P02');
    assert.equal((await c.query('COMMIT')).command, 'ROLLBACK');
    assert.deepEqual(statuses.slice(-5), ['T', 'E', 'E', 'E', 'I']);
    await c.query('BEGIN; SAVEPOINT a');
    await rejectsWith(c.query('SELECT * FROM missing_table'), '42P01');
    await c.query('ROLLBACK TO SAVEPOINT a');
    assert.deepEqual((await c.query('SELECT 3 AS x')).rows, [{ x: 3 }]);
    await c.query('ROLLBACK');
    assert.equal(statuses.at(-1), 'I');
    assert.equal((await c.query('SHOW extra_float_digits')).rows[0]?.extra_float_digits, '1');
  });
});

test('SET and SHOW emulate PostgreSQL settings', async () => {
  await withClient(async (c) => {
    await c.query('SET search_path = pg_catalog, "My Schema", \'$user\'');
    await c.query("SET timezone = 'Europe/Paris'");
    await c.query('SELECT 1');
    const { session, ...context } = executor.contexts.at(-1)!;
    // An opaque per-session key, for per-session limits.
    assert.equal(typeof session, 'object');
    assert.deepEqual(context, {
      role: 'postgres',
      // The bootstrap superuser's OID, read from the source at login.
      roleOid: 10,
      database: 'postgres',
      searchPath: ['pg_catalog', 'My Schema', 'postgres'],
      timeZone: 'Europe/Paris',
      extraFloatDigits: 1,
    });
    await c.query('SET datestyle = ISO; SET intervalstyle = postgres; SET extra_float_digits = 3');
    assert.deepEqual((await c.query('SHOW datestyle')).fields[0]?.name, 'DateStyle');
    await rejectsWith(c.query('SET datestyle = German'), '0A000');
    await rejectsWith(c.query('SET no_such_setting = 1'), '42704');
    await rejectsWith(c.query('SET extra_float_digits = 9'), '22023');
    await c.query("SET myapp.tenant = 'acme'");
    assert.equal((await c.query('SHOW myapp.tenant')).rows[0]?.['myapp.tenant'], 'acme');
    await c.query('BEGIN; SET timezone = UTC; ROLLBACK');
    assert.equal((await c.query('SHOW timezone')).rows[0]?.TimeZone, 'Europe/Paris');
    await c.query('RESET ALL');
    assert.equal((await c.query('SHOW timezone')).rows[0]?.TimeZone, 'UTC');
  });
});

test('an error stops the rest of a multi-statement query and undoes its SETs', async () => {
  await withClient(async (c) => {
    await rejectsWith(
      c.query("SET application_name = 'x'; SELECT * FROM missing_table; SET application_name = 'y'"),
      '42P01',
    );
    assert.equal((await c.query('SHOW application_name')).rows[0]?.application_name, '');
    const results = (await c.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as pg.QueryResult[];
    assert.deepEqual(
      results.map((r) => r.rows),
      [[{ a: 1 }], [{ b: 2 }]],
    );
  });
});

test('SSLRequest and GSSENCRequest are answered with N', async () => {
  const socket = connect(server.port, '127.0.0.1');
  const replies: Buffer[] = [];
  socket.on('data', (chunk) => replies.push(chunk));
  await new Promise((resolve) => socket.once('connect', resolve));
  // One at a time: a request pipelined behind another before its answer is refused, as in PostgreSQL.
  socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
  await waitUntil(() => Buffer.concat(replies).length >= 1);
  socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]));
  await waitUntil(() => Buffer.concat(replies).length >= 2);
  assert.equal(Buffer.concat(replies).toString('latin1'), 'NN');
  socket.destroy();
});

test('a malformed packet closes that connection only', async () => {
  const socket = connect(server.port, '127.0.0.1');
  const replies: Buffer[] = [];
  socket.on('data', (chunk) => replies.push(chunk));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  await closed;
  const reply = Buffer.concat(replies).toString('latin1');
  assert.match(reply, /^E.*SFATAL.*C08P01/s);
  await withClient(async (c) => assert.equal((await c.query('SELECT 1 AS x')).rows[0]?.x, 1));
});

test('a CancelRequest interrupts a slow statement with 57014', async () => {
  await withClient(async (c) => {
    const slow = c.query(
      'SELECT count(*) FROM range(100000000) a, range(1000) b WHERE a.range + b.range < 0',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const socket = connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const pid = (c as unknown as { processID: number }).processID;
    const key = (c as unknown as { secretKey: number }).secretKey;
    socket.end(serialize.cancel(pid, key));
    await rejectsWith(slow, '57014');
    assert.deepEqual((await c.query('SELECT 5 AS x')).rows, [{ x: 5 }]);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('Execute with a row limit suspends the portal and resumes it', async () => {
  await withClient(async (c) => {
    // node-postgres's connection object speaks the extended protocol message by message.
    const connection = (c as unknown as { connection: RawConnection }).connection;
    const events: string[] = [];
    // Detach the Client's own handlers: this test drives the connection directly.
    for (const name of [
      'parseComplete',
      'bindComplete',
      'rowDescription',
      'dataRow',
      'portalSuspended',
      'commandComplete',
      'readyForQuery',
    ]) {
      connection.removeAllListeners(name);
    }
    for (const name of [
      'parseComplete',
      'bindComplete',
      'rowDescription',
      'dataRow',
      'portalSuspended',
      'commandComplete',
    ]) {
      connection.on(name, (m: { text?: string }) => events.push(m.text ? `${name}:${m.text}` : name));
    }
    const ready = new Promise((resolve) => connection.once('readyForQuery', resolve));
    connection.parse({ text: 'SELECT x FROM range(3) t(x)' });
    connection.bind({ portal: 'c1' });
    connection.describe({ type: 'P', name: 'c1' });
    connection.execute({ portal: 'c1', rows: 2 });
    connection.execute({ portal: 'c1', rows: 2 });
    connection.sync();
    await ready;
    assert.deepEqual(events, [
      'parseComplete',
      'bindComplete',
      'rowDescription',
      'dataRow',
      'dataRow',
      'portalSuspended',
      'dataRow',
      'commandComplete:SELECT 1',
    ]);
  });
});

interface RawConnection extends NodeJS.EventEmitter {
  parse(query: { text: string }): void;
  bind(config: { portal: string }): void;
  describe(msg: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}
