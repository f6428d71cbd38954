/**
 * TLS on the query server: with --tls-cert/--tls-key the daemon answers
 * SSLRequest with 'S' and serves node-postgres and psql over TLS (and still
 * plaintext clients); without them it answers 'N' and sslmode=require fails
 * cleanly. Plaintext sent after an SSLRequest, before the answer, is refused
 * (CVE-2021-23214). A self-signed certificate is made with openssl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { ConfigError, loadConfig } from '../src/config.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { startDaemon, textRows } from './helpers/daemon.js';
import { needs } from './helpers/optional-clients.js';
import { makeSelfSignedCertificate, makeTlsKey } from './helpers/tls-certificate.js';
import { gssEncRequest, queryMessage, sslRequest, startupPacket, WireClient } from './helpers/wire.js';

const run = promisify(execFile);

let cluster: LocalCluster;
let secure: Daemon;
let plain: Daemon;
let certFile: string;
let keyFile: string;
let otherKeyFile: string;

async function makeCertificate(dir: string): Promise<void> {
  keyFile = await makeTlsKey(dir, 'server');
  otherKeyFile = await makeTlsKey(dir, 'other');
  certFile = await makeSelfSignedCertificate(dir, 'server', keyFile, 'localhost');
}

/** The certificate is made with openssl: without it the tests that need one skip. */
const noOpenssl = needs('openssl');

before(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pga-tls-'));
  if (!noOpenssl) await makeCertificate(dir);
  cluster = await startTestCluster();
  // One daemon serves a database at a time: the one without a certificate gets a database of its own.
  await cluster.exec('CREATE DATABASE plain');
  for (const database of ['postgres', 'plain']) {
    const heap = new pg.Client(cluster.clientConfig(database));
    await heap.connect();
    try {
      await heap.query(`
        CREATE TABLE t (id int PRIMARY KEY, v text);
        INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 50) i;
      `);
    } finally {
      await heap.end();
    }
  }
  if (!noOpenssl) secure = await startDaemon(cluster, ['--tls-cert', certFile, '--tls-key', keyFile]);
  plain = await startDaemon(cluster, [], 'plain');
  for (const database of noOpenssl ? ['plain'] : ['postgres', 'plain']) {
    const heap = new pg.Client(cluster.clientConfig(database));
    await heap.connect();
    try {
      await heap.query(`SELECT analytica.register_table('public.t')`);
      await heap.query(`SELECT analytica.wait_for_sync('public.t')`);
    } finally {
      await heap.end();
    }
  }
});

after(async () => {
  await secure?.close();
  await plain?.close();
  await cluster?.close();
});

const expected = [['50', '1275']];
const referenceSql = 'SELECT count(*), sum(id) FROM t';

async function psql(daemon: Daemon, sslmode: string, ...commands: string[]) {
  const dbname = daemon === plain ? 'plain' : 'postgres';
  const conninfo = `host=127.0.0.1 port=${daemon.port} user=${cluster.user} dbname=${dbname} sslmode=${sslmode}`;
  const args = ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', conninfo, ...commands.flatMap((c) => ['-c', c])];
  const env = {
    ...process.env,
    PGPASSWORD: cluster.password,
    PGCONNECT_TIMEOUT: '10',
    PGGSSENCMODE: 'disable',
  };
  return await run('psql', args, { env, timeout: 30_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

describe('configuration', () => {
  test('a certificate without a key (or the reverse) is refused, naming both settings', () => {
    assert.throws(
      () => loadConfig({}, ['--tls-cert', 'server.crt']),
      (e: Error) =>
        e instanceof ConfigError &&
        /--tls-cert is set but --tls-key \(PG_ANALYTICA_TLS_KEY\)/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ PG_ANALYTICA_TLS_KEY: 'server.key' }, []),
      (e: Error) => e instanceof ConfigError && /PG_ANALYTICA_TLS_KEY is set but --tls-cert/.test(e.message),
    );
    const config = loadConfig({ PG_ANALYTICA_TLS_CERT: 'a.crt', PG_ANALYTICA_TLS_KEY: 'a.key' }, []);
    assert.equal(config.tlsCertFile, path.resolve('a.crt'));
    assert.equal(config.tlsKeyFile, path.resolve('a.key'));
    assert.equal(loadConfig({}, []).tlsCertFile, undefined);
  });

  test('an unreadable file or a key that does not match stops the daemon at start', {
    skip: noOpenssl,
  }, async () => {
    await assert.rejects(
      startDaemon(cluster, ['--tls-cert', '/nonexistent/server.crt', '--tls-key', keyFile]),
      (e: Error) =>
        e instanceof ConfigError && /--tls-cert \(PG_ANALYTICA_TLS_CERT\).*nonexistent/.test(e.message),
    );
    await assert.rejects(
      startDaemon(cluster, [
        '--tls-cert',
        certFile,
        '--tls-key',
        path.join(path.dirname(keyFile), 'missing.key'),
      ]),
      (e: Error) => e instanceof ConfigError && /--tls-key \(PG_ANALYTICA_TLS_KEY\)/.test(e.message),
    );
    await assert.rejects(
      startDaemon(cluster, ['--tls-cert', certFile, '--tls-key', otherKeyFile]),
      (e: Error) => e instanceof ConfigError && /invalid TLS certificate or key/.test(e.message),
    );
  });
});

describe('with a certificate', { skip: noOpenssl }, () => {
  test('node-postgres connects over TLS 1.2+ and runs a query', async () => {
    const client = new pg.Client({
      ...cluster.clientConfig(),
      port: secure.port,
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    try {
      const stream = (client as unknown as { connection: { stream: TLSSocket } }).connection.stream;
      assert.equal(stream.encrypted, true);
      assert.match(stream.getProtocol() ?? '', /^TLSv1\.[23]$/);
      assert.equal(stream.getPeerCertificate().subject.CN, 'localhost');
      assert.deepEqual(await textRows(client, referenceSql), expected);
      // The extended protocol too, with a parameter.
      const result = await client.query({
        text: 'SELECT count(*) FROM t WHERE id <= $1',
        values: [7],
        rowMode: 'array',
      });
      assert.equal(String(result.rows[0]?.[0]), '7');
    } finally {
      await client.end();
    }
  });

  test('psql with sslmode=require runs a query over TLS, logging in with SCRAM (no channel binding)', {
    skip: needs('psql'),
  }, async () => {
    const result = await psql(secure, 'require', '\\conninfo', referenceSql);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /SSL connection \(protocol: TLSv1\.[23]/);
    assert.match(result.stdout, /^50\|1275$/m);
    // The relay strips SCRAM-SHA-256-PLUS: a client that insists on channel binding is refused cleanly.
    const binding = await psql(secure, 'require channel_binding=require', referenceSql);
    assert.notEqual(binding.code, 0);
    assert.match(binding.stderr, /channel binding/);
  });

  test('plaintext clients (sslmode=disable, no ssl) still work', { skip: needs('psql') }, async () => {
    const result = await psql(secure, 'disable', '\\conninfo', referenceSql);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /SSL connection/);
    assert.match(result.stdout, /^50\|1275$/m);
    const client = new pg.Client({ ...cluster.clientConfig(), port: secure.port });
    await client.connect();
    try {
      assert.deepEqual(await textRows(client, referenceSql), expected);
    } finally {
      await client.end();
    }
  });

  test('GSSENCRequest is refused with N, and SSLRequest after it is accepted', async () => {
    const wire = await WireClient.connect(secure.port);
    try {
      wire.expectUnframedByte();
      await wire.write(gssEncRequest);
      assert.ok(await wire.waitFor((frames) => frames.length === 1, 5000));
      assert.equal(wire.frames[0]?.type, 'N');
      wire.expectUnframedByte();
      await wire.write(sslRequest);
      assert.ok(await wire.waitFor((frames) => frames.length === 2, 5000));
      assert.equal(wire.frames[1]?.type, 'S');
    } finally {
      wire.destroy();
    }
  });

  test('plaintext sent with the SSLRequest, before the answer, is refused (CVE-2021-23214)', async () => {
    const wire = await WireClient.connect(secure.port);
    await wire.write(
      Buffer.concat([sslRequest, startupPacket({ user: cluster.user, database: 'postgres' })]),
    );
    assert.ok(await wire.waitClosed(5000), 'the connection is closed');
    assert.deepEqual(
      wire.errors().map((e) => [e.severity, e.code, e.message]),
      [['FATAL', '08P01', 'received unencrypted data after SSL request']],
    );
  });

  test('a second SSLRequest inside TLS is refused, and a client that is not TLS after S is dropped', async () => {
    const wire = await WireClient.connect(secure.port);
    wire.expectUnframedByte();
    await wire.write(sslRequest);
    assert.ok(await wire.waitFor((frames) => frames.length === 1, 5000));
    const tls = tlsConnect({ socket: wire.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
    const answer = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      tls.on('data', (chunk: Buffer) => chunks.push(chunk));
      tls.once('close', () => resolve(Buffer.concat(chunks)));
    });
    tls.write(sslRequest);
    const bytes = await answer;
    assert.equal(bytes.subarray(0, 1).toString(), 'E');
    assert.match(bytes.toString('latin1'), /unsupported frontend protocol 1234\.5679/);

    // After 'S': plaintext, random bytes, a truncated ClientHello then FIN, a TLS 1.1-only client.
    const notTls = [
      queryMessage('SELECT 1'),
      randomBytes(3000),
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]),
    ];
    await Promise.all(
      notTls.map(async (bytes) => {
        const garbage = await WireClient.connect(secure.port);
        garbage.expectUnframedByte();
        await garbage.write(sslRequest);
        assert.ok(await garbage.waitFor((frames) => frames.length === 1, 5000));
        await garbage.write(bytes);
        garbage.socket.end();
        assert.ok(await garbage.waitClosed(5000), 'a failed handshake closes the connection');
      }),
    );
    const old = await WireClient.connect(secure.port);
    old.expectUnframedByte();
    await old.write(sslRequest);
    assert.ok(await old.waitFor((frames) => frames.length === 1, 5000));
    const legacy = tlsConnect({
      socket: old.socket,
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
    });
    await assert.rejects(
      new Promise((resolve, reject) => legacy.once('secureConnect', resolve).once('error', reject)),
    );
    const client = new pg.Client({
      ...cluster.clientConfig(),
      port: secure.port,
      ssl: { rejectUnauthorized: false },
    });
    await client.connect();
    assert.deepEqual(await textRows(client, referenceSql), expected);
    await client.end();
  });
});

describe('without a certificate', () => {
  test('SSLRequest is answered N: sslmode=require fails cleanly, prefer and disable work', {
    skip: needs('psql'),
  }, async () => {
    const required = await psql(plain, 'require', referenceSql);
    assert.notEqual(required.code, 0);
    assert.match(required.stderr, /server does not support SSL, but SSL was required/);
    const preferred = await psql(plain, 'prefer', referenceSql);
    assert.equal(preferred.code, 0, preferred.stderr);
    assert.match(preferred.stdout, /^50\|1275$/m);
    const client = new pg.Client({
      ...cluster.clientConfig(),
      port: plain.port,
      ssl: { rejectUnauthorized: false },
    });
    await assert.rejects(client.connect(), /does not support SSL/);
    const plaintext = new pg.Client({ ...cluster.clientConfig('plain'), port: plain.port });
    await plaintext.connect();
    assert.deepEqual(await textRows(plaintext, referenceSql), expected);
    await plaintext.end();
  });

  test('plaintext pipelined after an SSLRequest is refused here too, as PostgreSQL does', async () => {
    const wire = await WireClient.connect(plain.port);
    await wire.write(
      Buffer.concat([sslRequest, startupPacket({ user: cluster.user, database: 'postgres' })]),
    );
    assert.ok(await wire.waitClosed(5000));
    assert.deepEqual(
      wire.errors().map((e) => e.code),
      ['08P01'],
    );
  });
});
