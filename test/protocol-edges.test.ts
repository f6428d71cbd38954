/**
 * Edges of the wire protocol, each answered as PostgreSQL answers it: the
 * same bytes go to the daemon and to the real PostgreSQL behind it, and the
 * replies are compared. Startup packets of other protocol versions, a Parse
 * of 65,535 parameters, error positions in queries of several statements,
 * and a login to a database the daemon does not serve.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';
import { cstring, errorFields, int32, startupPacket, typed, untyped, WireClient } from './helpers/wire.js';

let cluster: LocalCluster;
let daemon: Daemon;

/** Both servers: the daemon and the source PostgreSQL. */
function servers(): [string, number][] {
  return [
    ['daemon', daemon.port],
    ['postgres', cluster.port],
  ];
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec('CREATE DATABASE other');
  await cluster.exec('CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, $$a$$)');
  daemon = await startDaemon(cluster);
  await cluster.exec("SELECT analytica.register_table('public.t')");
  await cluster.exec("SELECT analytica.wait_for_sync('public.t')");
});

after(async () => {
  await daemon?.close();
  await cluster?.close();
});

describe('startup packets of other protocol versions', () => {
  /** The reply to a StartupMessage of version `version` with 3.0's layout. */
  async function reply(port: number, version: number) {
    const client = await WireClient.connect(port);
    try {
      const packet = startupPacket({ user: 'postgres', database: 'postgres' });
      packet.writeInt32BE(version, 4);
      await client.write(packet);
      await client.waitFor((frames) => frames.some((f) => f.type === 'E' || f.type === 'R'), 5000);
      return client.frames.map((f) => (f.type === 'E' ? `E ${JSON.stringify(errorFields(f))}` : f.type));
    } finally {
      client.destroy();
    }
  }

  /** Every byte the server sends until it closes the connection. */
  async function rawReply(port: number, packet: Buffer): Promise<Buffer> {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.write(packet);
    await new Promise((resolve) => socket.once('close', resolve));
    return Buffer.concat(chunks);
  }

  test('2.0 (fixed-size fields) is refused in 2.0’s error format, byte for byte as PostgreSQL', async () => {
    // 2.0: Int32 version, then database[64], user[32], options[64], unused[64], tty[64].
    const body = Buffer.alloc(64 + 32 + 64 + 64 + 64);
    body.write('postgres', 0);
    body.write('postgres', 64);
    const packet = untyped(Buffer.concat([int32(2 << 16), body]));
    const fromDaemon = await rawReply(daemon.port, packet);
    assert.deepEqual(fromDaemon, await rawReply(cluster.port, packet));
    assert.equal(
      fromDaemon.toString(),
      'EFATAL:  unsupported frontend protocol 2.0: server supports 3.0 to 3.0\n\0',
    );
  });

  test('4.0 is refused with 0A000, in PostgreSQL’s words', async () => {
    const fromDaemon = await reply(daemon.port, 4 << 16);
    assert.deepEqual(fromDaemon, await reply(cluster.port, 4 << 16));
    assert.deepEqual(fromDaemon, [
      `E ${JSON.stringify({ severity: 'FATAL', code: '0A000', message: 'unsupported frontend protocol 4.0: server supports 3.0 to 3.0' })}`,
    ]);
  });

  test('3.1 gets NegotiateProtocolVersion, then the login goes on', async () => {
    for (const [, port] of servers()) {
      const frames = await reply(port, (3 << 16) | 1);
      assert.deepEqual(frames.slice(0, 2), ['v', 'R'], `port ${port}`);
    }
  });
});

describe('a Parse of many parameters', () => {
  /** The frames each server answers to Parse/Bind/Execute of SELECT $1 + $<count>, all int4 1. */
  async function answersTo(count: number): Promise<string[][]> {
    const int16 = (value: number) => {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(value);
      return b;
    };
    const types = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) types.writeUInt32BE(23, i * 4);
    const value = Buffer.concat([int32(1), Buffer.from('1')]);
    const messages = Buffer.concat([
      typed('P', Buffer.concat([cstring(''), cstring(`SELECT $1 + $${count}`), int16(count), types])),
      typed(
        'B',
        Buffer.concat([
          cstring(''),
          cstring(''),
          int16(0),
          int16(count),
          ...Array(count).fill(value),
          int16(0),
        ]),
      ),
      typed('E', Buffer.concat([cstring(''), int32(0)])),
      typed('S'),
    ]);
    const answers: string[][] = [];
    for (const [name, port] of servers()) {
      const client = await WireClient.connect(port);
      try {
        await client.login(cluster.user, cluster.password, 'postgres');
        const from = client.frames.length;
        await client.write(messages);
        assert.ok(await client.waitFor((f) => f.slice(from).some((x) => x.type === 'Z'), 30_000), name);
        answers.push(
          client.frames
            .slice(from)
            .map((f) =>
              f.type === 'D'
                ? `D ${f.body.toString('latin1', 6)}`
                : f.type === 'E'
                  ? `E ${errorFields(f).message}`
                  : f.type,
            ),
        );
      } finally {
        client.destroy();
      }
    }
    return answers;
  }

  test('32,767 run as on PostgreSQL', async () => {
    const answers = await answersTo(32_767);
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], ['1', '2', 'D 2', 'C', 'Z']);
  });

  test('65,535 are read as a count (unsigned 16-bit), and refused with 54000 by the daemon', async () => {
    const [fromDaemon, fromSource] = await answersTo(65_535);
    assert.deepEqual(fromSource, ['1', '2', 'D 2', 'C', 'Z']);
    // The daemon has PostgreSQL describe each statement, and its driver reads a
    // ParameterDescription's count as signed: more than 32,767 are refused, clearly.
    assert.deepEqual(fromDaemon, [
      '1',
      '2',
      'E pg_analytica takes at most 32767 parameters in a statement; this one has 65535',
      'Z',
    ]);
  });
});

describe('a Parse naming a type OID that does not exist', () => {
  test('is 42704, not an internal error', async () => {
    const int16 = (value: number) => {
      const b = Buffer.alloc(2);
      b.writeUInt16BE(value);
      return b;
    };
    const client = await WireClient.connect(daemon.port);
    try {
      await client.login(cluster.user, cluster.password, 'postgres');
      const from = client.frames.length;
      await client.write(
        Buffer.concat([
          typed('P', Buffer.concat([cstring(''), cstring('SELECT $1'), int16(1), int32(671088663)])),
          typed('D', Buffer.concat([Buffer.from('S'), cstring('')])),
          typed('S'),
        ]),
      );
      assert.ok(await client.waitFor((f) => f.slice(from).some((x) => x.type === 'Z'), 30_000));
      const errors = client.frames
        .slice(from)
        .filter((f) => f.type === 'E')
        .map((f) => errorFields(f));
      assert.deepEqual(
        errors.map((e) => [e.code, e.message]),
        [['42704', 'type with OID 671088663 does not exist']],
      );
    } finally {
      client.destroy();
    }
  });
});

describe('error positions', () => {
  async function position(port: number, sql: string): Promise<[string | undefined, string | undefined]> {
    const client = await rawClient({ ...cluster.clientConfig(), port });
    try {
      await client.query(sql);
      return [undefined, undefined];
    } catch (error) {
      const e = error as pg.DatabaseError;
      return [e.code, e.position];
    } finally {
      await client.end();
    }
  }

  test('count from the start of the whole query string, as in PostgreSQL', async () => {
    const queries = [
      'SELECT 1; SELECT * FROM nosuch_table',
      'SELECT 1;\n  /* two */ SELECT * FROM t; SELECT * FROM nosuch_table',
      '   SELECT * FROM nosuch_table',
      'BEGIN; DECLARE c CURSOR FOR SELECT * FROM t, nosuch_table',
      'SELECT 1; EXPLAIN SELECT * FROM nosuch_table',
      "SELECT 'é'; SELECT * FROM nosuch_table",
    ];
    for (const sql of queries) {
      const fromDaemon = await position(daemon.port, sql);
      const fromPostgres = await position(cluster.port, sql);
      assert.ok(fromPostgres[1] !== undefined, `${sql}: PostgreSQL reports a position`);
      assert.deepEqual(fromDaemon, fromPostgres, sql);
    }
  });
});

describe('a database the daemon does not serve', () => {
  async function loginError(database: string): Promise<pg.DatabaseError> {
    const error = await rawClient({ ...cluster.clientConfig(database), port: daemon.port }).then(
      (client) => client.end().then(() => undefined),
      (e: unknown) => e,
    );
    assert.ok(error instanceof pg.DatabaseError, `login to ${database} must fail`);
    return error;
  }

  test('is refused at login with 3D000, saying how to serve it', async () => {
    const error = await loginError('other');
    assert.equal(error.code, '3D000');
    assert.equal(error.severity, 'FATAL');
    assert.equal(error.message, 'database "other" is not served by pg_analytica');
    assert.match(error.hint ?? '', /--databases postgres,other/);
  });

  test('one that does not exist is refused as PostgreSQL refuses it', async () => {
    const error = await loginError('nope');
    assert.equal(error.code, '3D000');
    assert.equal(error.message, 'database "nope" does not exist');
  });
});
