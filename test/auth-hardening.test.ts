/**
 * Authentication hardening against the real daemon and a real PostgreSQL:
 * clients that never finish logging in cannot take the source's connection
 * slots (relay-limiter.ts), a session keeps the identity it logged in with
 * (role OID) through renames and drops, and the daemon's own address rules
 * (--hba-file) hold for clients whose address the source never sees.
 * Clients on other addresses bind their socket to a loopback alias
 * (127.0.0.0/8 all reach 127.0.0.1 on Linux).
 */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { failure } from './helpers/assertions.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { startupPacket, WireClient } from './helpers/wire.js';

const alicePassword = 'alice pw';

let cluster: LocalCluster;
let admin: pg.Client;

/** A node-postgres config whose socket leaves from `localAddress`. */
function fromAddress(localAddress: string, config: pg.ClientConfig): pg.ClientConfig {
  const stream = () => {
    const socket = new Socket();
    const plainConnect = socket.connect.bind(socket) as (options: object) => Socket;
    // node-postgres calls connect(port, host); the local address is added here.
    (socket as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
      plainConnect({ port, host, localAddress });
    return socket;
  };
  return { ...config, stream } as pg.ClientConfig;
}

before(async () => {
  cluster = await startTestCluster();
  admin = await rawClient(cluster.clientConfig());
  await admin.query(`CREATE ROLE alice LOGIN PASSWORD '${alicePassword}'`);
});

after(async () => {
  await admin?.end();
  await cluster?.close();
});

describe('logins that never finish', () => {
  let daemon: Daemon;
  const stalled: WireClient[] = [];

  before(async () => {
    daemon = await startDaemon(cluster);
  });

  after(async () => {
    for (const client of stalled) client.destroy();
    await daemon?.close();
  });

  test('100 stalled StartupMessages leave the source its connections and other hosts their logins', async () => {
    for (let i = 0; i < 100; i++) {
      const client = await WireClient.connect(daemon.port);
      await client.write(startupPacket({ user: 'nobody_here', database: 'postgres' }));
      stalled.push(client);
    }
    // A stalled login holds a relay (the source asked for a password), waits for one, or was refused.
    const refused = () => stalled.filter((c) => c.errors().some((e) => e.code === '53300'));
    const asked = () => stalled.filter((c) => c.framesOf('R').length > 0);
    await waitFor(
      async () => refused().length === 80 && asked().length === 5,
      '80 refusals and 5 password requests',
      10_000,
    );
    assert.match(refused()[0]!.errors()[0]!.message, /sorry, too many clients already/);
    assert.equal(daemon.server.authRelays, 5, 'one host holds at most --max-auth-relays-per-host relays');
    const waiting = stalled.filter((c) => c.frames.length === 0 && !c.closed);
    assert.equal(waiting.length, 15, 'and has at most 4 × that many logins in progress');

    // The superuser still connects to the source directly.
    const direct = await rawClient(cluster.clientConfig());
    assert.deepEqual(await textRows(direct, 'SELECT 1'), [['1']]);
    await direct.end();

    // A client of another host logs in through the daemon meanwhile.
    const alice = await rawClient(
      fromAddress('127.0.0.2', {
        ...cluster.clientConfig(),
        port: daemon.port,
        user: 'alice',
        password: alicePassword,
      }),
    );
    assert.deepEqual(await textRows(alice, "SELECT 'ok'"), [['ok']]);
    await alice.end();

    // When a relay of the host ends, its first waiting login gets it.
    asked()[0]!.destroy();
    assert.ok(await waiting[0]!.waitFor((frames) => frames.some((f) => f.type === 'R'), 3000));
    assert.equal(daemon.server.authRelays, 5);
  });
});

describe('the relay bound and the login deadline', () => {
  let daemon: Daemon;

  before(async () => {
    daemon = await startDaemon(cluster, ['--max-auth-relays', '2', '--authentication-timeout', '3s']);
  });

  after(async () => {
    await daemon?.close();
  });

  test('a login past --max-auth-relays waits for a relay to end, then logs in', async () => {
    const holders = [
      await WireClient.connect(daemon.port, '127.0.0.1', '127.0.0.3'),
      await WireClient.connect(daemon.port, '127.0.0.1', '127.0.0.4'),
    ];
    for (const holder of holders) await holder.write(startupPacket({ user: 'alice', database: 'postgres' }));
    for (const holder of holders) assert.ok(await holder.waitFor((f) => f.some((x) => x.type === 'R'), 5000));
    const started = Date.now();
    const login = rawClient(
      fromAddress('127.0.0.5', {
        ...cluster.clientConfig(),
        port: daemon.port,
        user: 'alice',
        password: alicePassword,
      }),
    );
    let loggedIn = false;
    void login.then(
      () => {
        loggedIn = true;
      },
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(loggedIn, false, 'the third login waits while two relays are held');
    holders[0]!.destroy();
    const client = await login;
    assert.ok(Date.now() - started < 3000, 'it logged in once a relay ended, before the deadline');
    assert.deepEqual(await textRows(client, 'SELECT 1'), [['1']]);
    await client.end();
    holders[1]!.destroy();
  });

  test('a client that does not log in is dropped at --authentication-timeout, and its relay ends', async () => {
    const client = await WireClient.connect(daemon.port, '127.0.0.1', '127.0.0.6');
    await client.write(startupPacket({ user: 'alice', database: 'postgres' }));
    assert.ok(await client.waitFor((f) => f.some((x) => x.type === 'R'), 5000));
    const started = Date.now();
    assert.ok(await client.waitClosed(6000), 'the daemon closes the connection');
    const waited = Date.now() - started;
    assert.ok(waited > 2000 && waited < 4500, `closed after ${waited} ms`);
    await waitFor(async () => daemon.server.authRelays === 0, 'the relay connection to end', 5000);
  });
});

describe('a session acts for the role it logged in as', () => {
  let daemon: Daemon;

  before(async () => {
    await cluster.exec(`
      CREATE TABLE carol_t (id int PRIMARY KEY, v text);
      CREATE TABLE secret (id int PRIMARY KEY, v text);
      INSERT INTO carol_t VALUES (1, 'carol''s row');
      INSERT INTO secret VALUES (1, 'secret row');
      CREATE ROLE carol LOGIN PASSWORD 'carol pw';
      GRANT SELECT ON carol_t TO carol;
    `);
    daemon = await startDaemon(cluster);
    for (const table of ['public.carol_t', 'public.secret']) {
      await admin.query(`SELECT analytica.register_table('${table}')`);
      await admin.query(`SELECT analytica.wait_for_sync('${table}')`);
    }
  });

  after(async () => {
    await daemon?.close();
  });

  test('after a rename and a new role of the old name, the session keeps its own privileges; a drop ends it', async () => {
    const carol = await rawClient({
      ...cluster.clientConfig(),
      port: daemon.port,
      user: 'carol',
      password: 'carol pw',
    });
    const ended = new Promise<void>((resolve) => carol.once('end', resolve));
    carol.on('error', () => undefined);
    const catalogSql =
      "SELECT c.relname::text FROM pg_catalog.pg_class c WHERE c.relname IN ('carol_t', 'secret') ORDER BY 1";
    assert.deepEqual(await textRows(carol, 'SELECT v FROM carol_t'), [["carol's row"]]);
    assert.equal((await failure(carol, 'SELECT v FROM secret')).code, '42501');

    await admin.query('ALTER ROLE carol RENAME TO carol_old');
    await admin.query("CREATE ROLE carol LOGIN PASSWORD 'new carol pw'");
    await admin.query('GRANT SELECT ON secret TO carol');
    assert.equal(
      (await failure(carol, 'SELECT v FROM secret')).code,
      '42501',
      "the new carol's grant is not the session's",
    );
    assert.deepEqual(await textRows(carol, 'SELECT v FROM carol_t'), [["carol's row"]]);
    assert.deepEqual(await textRows(carol, catalogSql), [['carol_t']], 'catalog queries as the old role');

    // A new login as carol is the new role.
    const newCarol = await rawClient({
      ...cluster.clientConfig(),
      port: daemon.port,
      user: 'carol',
      password: 'new carol pw',
    });
    assert.deepEqual(await textRows(newCarol, 'SELECT v FROM secret'), [['secret row']]);
    assert.equal((await failure(newCarol, 'SELECT v FROM carol_t')).code, '42501');
    await newCarol.end();

    await admin.query('DROP OWNED BY carol_old; DROP ROLE carol_old');
    const error = await failure(carol, 'SELECT v FROM carol_t');
    assert.equal(error.code, '28000');
    assert.equal(error.severity, 'FATAL');
    assert.match(error.message, /role with OID \d+ does not exist/);
    await ended;
  });

  test('a catalog query of a session whose role was dropped ends it too', async () => {
    await admin.query("CREATE ROLE dave LOGIN PASSWORD 'dave pw'");
    const dave = await rawClient({
      ...cluster.clientConfig(),
      port: daemon.port,
      user: 'dave',
      password: 'dave pw',
    });
    dave.on('error', () => undefined);
    const ended = new Promise<void>((resolve) => dave.once('end', resolve));
    await admin.query('DROP ROLE dave');
    const error = await failure(dave, 'SELECT c.relname FROM pg_catalog.pg_class c WHERE false');
    assert.equal(error.code, '28000');
    await ended;
  });
});
