/**
 * What a session holds in the query engine (open DuckDB results, their memory,
 * pinned views) is bounded while it lives and given back when it ends, also
 * when the client just drops the connection.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { failure } from './helpers/assertions.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;

/** A role whose name needs quoting both as an identifier and as a literal. */
const oddRole = "o'b\\rien";
const oddRoleIdent = `"${oddRole}"`;
const sortSql = 'SELECT id, m FROM big ORDER BY m';
const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

function daemonConfig(): pg.ClientConfig {
  return { ...cluster.clientConfig(), port: daemon.port };
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE big (id int PRIMARY KEY, m text);
    INSERT INTO big SELECT i, md5(i::text) FROM generate_series(1, 1000000) i;
    CREATE ROLE ${oddRoleIdent} LOGIN PASSWORD 'odd-pw';
  `);
  daemon = await startDaemon(cluster, ['--memory-limit', '400MB']);
  const heap = await rawClient(cluster.clientConfig());
  await heap.query(`SELECT analytica.register_table('public.big')`);
  await heap.query(`SELECT analytica.wait_for_sync('public.big')`);
  await heap.end();
});

after(async () => {
  await daemon?.close();
  await cluster?.close();
});

test('WITH HOLD sorts of a dropped connection give their memory back at once', {
  timeout: 180_000,
}, async () => {
  const idle = await daemon.queryEngine.duckdbMemoryBytes();
  const hoarder = new pg.Client(daemonConfig());
  hoarder.on('error', () => undefined);
  await hoarder.connect();
  let declared = 0;
  for (; declared < 4; declared++) {
    await hoarder.query(`DECLARE c${declared} CURSOR WITH HOLD FOR ${sortSql}`);
    await hoarder.query(`FETCH 1 FROM c${declared}`);
  }
  const held = await daemon.queryEngine.duckdbMemoryBytes();
  assert.equal(daemon.queryEngine.openResults, declared);
  // The client goes away without CLOSE or Terminate.
  (hoarder as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  await waitFor(async () => daemon.queryEngine.openResults === 0, 'the session to close its cursors', 10_000);
  const freed = await daemon.queryEngine.duckdbMemoryBytes();
  console.log(`# DuckDB memory: idle ${mb(idle)}, 4 held sorts ${mb(held)}, after the drop ${mb(freed)}`);
  assert.ok(held - idle > 100 * 1024 * 1024, `4 sorts held only ${mb(held - idle)}`);
  assert.ok(freed - idle < 32 * 1024 * 1024, `${mb(freed - idle)} still held after the session ended`);
  const other = await rawClient(daemonConfig());
  try {
    const rows = await textRows(other, `SELECT count(*) FROM (${sortSql} LIMIT 500000 OFFSET 1) s`);
    assert.deepEqual(rows, [['500000']]);
  } finally {
    await other.end();
  }
});

test('a session may hold 16 open results; the next is 54000 and the session goes on', {
  timeout: 60_000,
}, async () => {
  const client = await rawClient(daemonConfig());
  try {
    for (let i = 0; i < 16; i++) await client.query(`DECLARE k${i} CURSOR WITH HOLD FOR SELECT id FROM big`);
    const error = await failure(client, 'DECLARE k16 CURSOR WITH HOLD FOR SELECT id FROM big');
    assert.equal(error.code, '54000', error.message);
    assert.match(error.hint ?? '', /CLOSE/);
    assert.deepEqual(await textRows(client, 'FETCH 2 FROM k15'), [['1'], ['2']]);
    await client.query('CLOSE k0');
    await client.query('DECLARE k16 CURSOR WITH HOLD FOR SELECT id FROM big');
    await client.query('CLOSE ALL');
    assert.equal(daemon.queryEngine.openResults, 0);
  } finally {
    await client.end();
  }
});

test('sessions start with analytica.statement_timeout; SET and startup parameters override it', {
  timeout: 120_000,
}, async () => {
  const heap = await rawClient(cluster.clientConfig());
  await heap.query(`ALTER DATABASE postgres SET analytica.statement_timeout = '1500ms'`);
  const { rows } = await heap.query(
    `SELECT default_value FROM analytica.settings WHERE name = 'analytica.statement_timeout'`,
  );
  assert.deepEqual(rows, [{ default_value: '1h' }]);
  await heap.end();
  // One daemon per database: this one restarts, reading the setting.
  const dataDir = daemon.config.dataDir;
  await daemon.close();
  daemon = await startDaemon(cluster, ['--data-dir', dataDir]);
  const config = daemonConfig();
  const client = await rawClient(config);
  try {
    assert.deepEqual(await textRows(client, 'SHOW statement_timeout'), [['1500ms']]);
    const error = await failure(client, 'SELECT count(*) FROM big a, big b WHERE a.m < b.m');
    assert.equal(error.code, '57014', error.message);
    assert.match(error.message, /statement timeout/);
    await client.query(`SET statement_timeout = '10min'`);
    assert.deepEqual(await textRows(client, 'SHOW statement_timeout'), [['10min']]);
    await client.query('RESET statement_timeout');
    assert.deepEqual(await textRows(client, 'SHOW statement_timeout'), [['1500ms']]);
  } finally {
    await client.end();
  }
  const startup = await rawClient({ ...config, statement_timeout: 5000 });
  try {
    assert.deepEqual(await textRows(startup, 'SHOW statement_timeout'), [['5s']]);
  } finally {
    await startup.end();
  }
});

test('session_user in catalog queries is the client’s role, not the daemon’s', {
  timeout: 60_000,
}, async () => {
  const client = await rawClient({ ...daemonConfig(), user: oddRole, password: 'odd-pw' });
  try {
    const result = await client.query({
      text: 'SELECT session_user, current_user, SESSION_USER AS s, current_database()',
      rowMode: 'array',
    });
    assert.deepEqual(result.rows, [[oddRole, oddRole, oddRole, 'postgres']]);
    assert.deepEqual(
      result.fields.map((f) => [f.name, f.dataTypeID]),
      [
        ['session_user', 19],
        ['current_user', 19],
        ['s', 19],
        ['current_database', 19],
      ],
    );
    assert.deepEqual(await textRows(client, 'SELECT session_user'), [[oddRole]]);
    assert.deepEqual(
      await textRows(client, 'SELECT usename FROM pg_catalog.pg_user WHERE usename = session_user'),
      [[oddRole]],
    );
    // The function form (pg_proc's session_user()) never reaches the source's session, where it would
    // name the daemon's role: it is refused.
    const error = await failure(client, 'SELECT "session_user"()');
    assert.equal(error.code, '0A000', error.message);
  } finally {
    await client.end();
  }
});
