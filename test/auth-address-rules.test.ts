/**
 * Where clients may connect from, against the real daemon and a real
 * PostgreSQL. The source sees every login through the daemon coming from the
 * daemon's address, so its pg_hba.conf address lines cannot tell clients
 * apart: the daemon's own --hba-file can. And the source's `hostssl` lines
 * hold when the relay connection uses TLS (--source-sslmode / sslmode).
 * Clients bind their socket to loopback aliases (127.0.0.0/8 on Linux).
 */
import assert from 'node:assert/strict';
import { chmod, chown, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { ConfigError } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { Daemon } from '../src/main.js';
import { parseHbaFile } from '../src/server/hba-rules.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { makeSelfSignedCertificate, makeTlsKey } from './helpers/tls-certificate.js';

let cluster: LocalCluster;
let dir: string;

/** A node-postgres config whose socket leaves from `localAddress`. */
function fromAddress(localAddress: string, config: pg.ClientConfig): pg.ClientConfig {
  const stream = () => {
    const socket = new Socket();
    const plainConnect = socket.connect.bind(socket) as (options: object) => Socket;
    (socket as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
      plainConnect({ port, host, localAddress });
    return socket;
  };
  return { ...config, stream } as pg.ClientConfig;
}

/** Logs in as `user` from `address` through `daemon`; the error if the login fails. */
async function loginError(
  daemon: Daemon,
  user: string,
  address: string,
): Promise<pg.DatabaseError | undefined> {
  const config = fromAddress(address, {
    ...cluster.clientConfig(),
    port: daemon.port,
    user,
    password: `${user} pw`,
  });
  try {
    const client = await rawClient(config);
    assert.deepEqual(await textRows(client, 'SELECT 1'), [['1']]);
    await client.end();
    return undefined;
  } catch (error) {
    if (!(error instanceof pg.DatabaseError)) throw error;
    return error;
  }
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pga-hba-'));
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE ROLE alice LOGIN PASSWORD 'alice pw';
    CREATE ROLE bob LOGIN PASSWORD 'bob pw';
    CREATE ROLE carl LOGIN PASSWORD 'carl pw';
    CREATE ROLE "Mixed, Name" LOGIN PASSWORD 'Mixed, Name pw';
  `);
});

after(async () => {
  await cluster?.close();
});

describe('the daemon’s --hba-file', () => {
  let daemon: Daemon;

  before(async () => {
    const file = path.join(dir, 'hba.conf');
    await writeFile(
      file,
      [
        '# TYPE  DATABASE USER   ADDRESS        METHOD',
        'hostssl all      carl   all            allow',
        'host    all      bob    127.0.0.5/32   reject',
        'host    postgres "Mixed, Name",alice,\\',
        '                 bob    127.0.0.0 255.0.0.0 allow',
        '',
      ].join('\n'),
    );
    daemon = await startDaemon(cluster, ['--hba-file', file]);
  });

  after(async () => {
    await daemon?.close();
  });

  test('a reject line refuses its user from its address, with 28000, before the source is asked', async () => {
    const error = await loginError(daemon, 'bob', '127.0.0.5');
    assert.equal(error?.code, '28000');
    assert.equal(error?.severity, 'FATAL');
    assert.equal(
      error?.message,
      'pg_analytica --hba-file rejects connection for host "127.0.0.5", user "bob", database "postgres", no encryption',
    );
    assert.equal(daemon.server.authRelays, 0);
  });

  test('an allow line lets its users in, from its addresses', async () => {
    assert.equal(await loginError(daemon, 'bob', '127.0.0.1'), undefined);
    assert.equal(await loginError(daemon, 'alice', '127.0.0.5'), undefined);
    assert.equal(await loginError(daemon, 'Mixed, Name', '127.0.0.9'), undefined);
  });

  test('a connection no line matches is refused; hostssl does not match a plaintext connection', async () => {
    const error = await loginError(daemon, 'carl', '127.0.0.1');
    assert.equal(error?.code, '28000');
    assert.match(
      error?.message ?? '',
      /^no pg_analytica --hba-file entry for host "127\.0\.0\.1", user "carl"/,
    );
  });

  test('the password is still the source’s to check', async () => {
    const config = fromAddress('127.0.0.1', {
      ...cluster.clientConfig(),
      port: daemon.port,
      user: 'alice',
      password: 'wrong',
    });
    await assert.rejects(rawClient(config), (e: pg.DatabaseError) => e.code === '28P01');
  });
});

describe('hostssl and hostnossl lines', () => {
  let daemon: Daemon;

  before(async () => {
    const keyFile = await makeTlsKey(dir, 'daemon');
    const certFile = await makeSelfSignedCertificate(dir, 'daemon', keyFile, 'localhost');
    const file = path.join(dir, 'hba-ssl.conf');
    await writeFile(file, 'hostssl all carl all allow\nhostnossl all alice all allow\n');
    daemon = await startDaemon(cluster, ['--hba-file', file, '--tls-cert', certFile, '--tls-key', keyFile]);
  });

  after(async () => {
    await daemon?.close();
  });

  test('hostssl matches clients over TLS only, hostnossl plaintext ones only', async () => {
    const login = async (user: string, ssl: boolean) => {
      const config = { ...cluster.clientConfig(), port: daemon.port, user, password: `${user} pw` };
      const client = await rawClient(ssl ? { ...config, ssl: { rejectUnauthorized: false } } : config).catch(
        (e: pg.DatabaseError) => e,
      );
      if (client instanceof pg.Client) {
        await client.end();
        return 'ok';
      }
      return `${client.code} ${client.message}`;
    };
    assert.equal(await login('carl', true), 'ok');
    assert.match(await login('carl', false), /^28000 no pg_analytica --hba-file entry .*no encryption$/);
    assert.equal(await login('alice', false), 'ok');
    assert.match(await login('alice', true), /^28000 no pg_analytica --hba-file entry .*SSL encryption$/);
  });
});

describe('a malformed --hba-file', () => {
  test('stops the daemon at start, naming the file and the line', async () => {
    const file = path.join(dir, 'bad-hba.conf');
    await writeFile(
      file,
      '# comment\nhost all all 127.0.0.1/32 allow\nhost all all 127.0.0.1/32 scram-sha-256\n',
    );
    await assert.rejects(
      startDaemon(cluster, ['--hba-file', file]),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.includes(`${JSON.stringify(file)}, line 3: method "scram-sha-256" is not supported`),
    );
  });

  test('names what is wrong on each kind of bad line', () => {
    const bad: [string, RegExp][] = [
      ['local all all allow', /connection type "local" is not supported/],
      ['host all all 10.0.0.1/33 allow', /invalid CIDR mask/],
      ['host all all example.com allow', /invalid IP address "example.com"/],
      ['host all all 10.0.0.0 255.0.255.0 allow', /contiguous/],
      ['host all +admins all allow', /user \+admins is not supported/],
      ['host all all all allow clientcert=verify-full', /options after the method/],
      ['host all "unterminated all allow', /unterminated quoted string/],
      ['host all all', /end of line before the IP address field/],
    ];
    for (const [line, message] of bad) {
      assert.throws(
        () => parseHbaFile(`\n${line}\n`, 'f'),
        (e: Error) => e instanceof ConfigError && /line 2: /.test(e.message) && message.test(e.message),
        line,
      );
    }
  });

  test('matches as PostgreSQL does: first line wins, quoted keywords are names, IPv6 and mapped IPv4', () => {
    const rules = parseHbaFile(
      [
        'host "all" all ::1/128 reject',
        'host sameuser all ::ffff:0:0/96 reject',
        'host all all 10.1.0.0/16 reject',
        'host all all 10.0.0.0/8 allow',
        'hostnossl all all ::/0 allow',
      ].join('\n'),
      'f',
    );
    const client = { user: 'u', database: 'd', encrypted: false };
    assert.equal(rules.match({ ...client, address: '::1' })?.line, 5, '"all" is a database name');
    assert.equal(rules.match({ ...client, database: 'all', address: '::1' })?.line, 1);
    assert.equal(rules.match({ ...client, address: '::ffff:10.1.2.3' })?.line, 3, 'mapped IPv4 as IPv4');
    assert.equal(rules.match({ ...client, address: '10.2.0.1' })?.line, 4);
    assert.equal(rules.match({ ...client, address: '11.0.0.1' }), undefined);
    assert.equal(rules.match({ ...client, address: '2001:db8::1', encrypted: true }), undefined);
  });
});

describe('TLS from the daemon to the source', () => {
  let certFile: string;

  before(async () => {
    // The source accepts role sslonly over TLS only.
    const pgdata = path.join(cluster.dir, 'pgdata');
    const owner = await stat(pgdata);
    const keyFile = await makeTlsKey(pgdata, 'server');
    certFile = await makeSelfSignedCertificate(pgdata, 'server', keyFile, '127.0.0.1');
    for (const file of [keyFile, certFile]) await chown(file, owner.uid, owner.gid);
    await chmod(keyFile, 0o600);
    const hbaFile = path.join(pgdata, 'pg_hba.conf');
    const hba = await readFile(hbaFile, 'utf8');
    await writeFile(
      hbaFile,
      `hostssl all sslonly 127.0.0.1/32 scram-sha-256\nhost all sslonly 127.0.0.1/32 reject\n${hba}`,
    );
    await cluster.exec("CREATE ROLE sslonly LOGIN PASSWORD 'sslonly pw'");
    await cluster.exec('ALTER SYSTEM SET ssl = on');
    await cluster.exec('SELECT pg_reload_conf()');
  });

  async function withDaemon(args: string[], body: (daemon: Daemon) => Promise<void>): Promise<void> {
    const daemon = await startDaemon(cluster, args);
    try {
      await body(daemon);
    } finally {
      await daemon.close();
    }
  }

  test('--source-sslmode disable: the source’s hostssl line refuses the relayed login', async () => {
    await withDaemon(['--source-sslmode', 'disable'], async (daemon) => {
      const error = await loginError(daemon, 'sslonly', '127.0.0.1');
      assert.equal(error?.code, '28000');
      assert.match(
        error?.message ?? '',
        /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "sslonly".*no encryption/,
      );
    });
  });

  test('--source-sslmode require, and the default prefer, relay over TLS: the login succeeds', async () => {
    await withDaemon(['--source-sslmode', 'require'], async (daemon) => {
      assert.equal(await loginError(daemon, 'sslonly', '127.0.0.1'), undefined);
    });
    await withDaemon([], async (daemon) => {
      assert.equal(await loginError(daemon, 'sslonly', '127.0.0.1'), undefined);
    });
  });

  test('verify-full checks the certificate against --source-sslrootcert', async () => {
    await withDaemon(
      ['--source-sslmode', 'verify-full', '--source-sslrootcert', certFile],
      async (daemon) => {
        assert.equal(await loginError(daemon, 'sslonly', '127.0.0.1'), undefined);
      },
    );
    // With the system's roots, the self-signed certificate is refused.
    await withDaemon(['--source-sslmode', 'verify-full'], async (daemon) => {
      const error = await loginError(daemon, 'sslonly', '127.0.0.1');
      assert.equal(error?.code, '08006');
      assert.match(error?.message ?? '', /could not connect to the source PostgreSQL server.*certificate/);
    });
  });

  test('an unknown sslmode stops the daemon at start', async () => {
    await assert.rejects(
      Daemon.start({
        env: { DATABASE_URL: `${cluster.connectionString()}?sslmode=verify_full` },
        argv: ['--port', '0', '--data-dir', path.join(dir, 'data')],
        log: silentLogger,
      }),
      (e: Error) =>
        e instanceof ConfigError && /sslmode.*"verify_full" \(expected one of disable/.test(e.message),
    );
  });
});
