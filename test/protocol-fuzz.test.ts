/**
 * Protocol fuzzing against the whole daemon: raw sockets send random bytes
 * before startup, random startup packets, random and mutated frames after a
 * real login, huge declared lengths, messages split byte by byte, many
 * garbage connections at once, half messages that stall, and a client that
 * pipelines without reading its answers. Meanwhile a
 * well-behaved node-postgres session runs queries and must keep getting its
 * own, correct answers, each within a few seconds.
 *
 * Every bad connection must end with an ErrorResponse and a close, or stay a
 * working session; none may crash or stall the daemon, and declared lengths
 * must not make it allocate before the bytes arrive.
 *
 * Random choices come from a seeded PRNG, one stream per case, so a failure
 * reproduces with PGA_FUZZ_SEED=<seed> (printed at the start and in failures).
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster } from './helpers/cluster.js';
import { startDaemon, textRows } from './helpers/daemon.js';
import {
  type BackendFrame,
  cstring,
  dataRow,
  errorFields,
  extendedQuery,
  gssEncRequest,
  int32,
  queryMessage,
  sslRequest,
  typed,
  untyped,
  WireClient,
} from './helpers/wire.js';

const seed = Number(process.env.PGA_FUZZ_SEED ?? randomInt(2 ** 31 - 1));
console.log(`# protocol fuzz seed ${seed}: rerun with PGA_FUZZ_SEED=${seed}`);

const rows = 1000;
const fuzzUser = 'fuzz';
const fuzzPassword = 'fuzz-pw';
/** A query of the well-behaved client must finish within this. */
const maxGoodQueryMs = 5000;
/** A connection the daemon must end must be closed within this after its last byte (or our FIN). */
const closeBoundMs = 5000;

let cluster: LocalCluster;
let daemon: Daemon;
let good: GoodClient;
const stalled: WireClient[] = [];
/** SQLSTATEs of the FATAL errors seen, for the report. */
const fatalCodes = new Map<string, number>();

// ---------------------------------------------------------------- randomness

type Random = () => number;

/** mulberry32: small, fast, and good enough to pick bytes and cases. */
function mulberry32(state: number): Random {
  let a = state | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream per case, so cases running concurrently do not change each other's bytes. */
function rngFor(caseId: string): Random {
  let h = seed ^ 0x9e3779b9;
  for (const c of caseId) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return mulberry32(h);
}

const below = (rng: Random, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Random, items: readonly T[]): T => items[below(rng, items.length)]!;

function randomBytes(rng: Random, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = below(rng, 256);
  return bytes;
}

/** Printable-ish strings with the odd NUL, invalid UTF-8 and quote. */
function randomText(rng: Random, maxLength: number): Buffer {
  const length = below(rng, maxLength + 1);
  const alphabet = Buffer.from('abcSELECT *(),;\'"=-_ 0123456789\\$\t\n');
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const r = rng();
    bytes[i] = r < 0.02 ? 0 : r < 0.06 ? 0x80 + below(rng, 128) : alphabet[below(rng, alphabet.length)]!;
  }
  return bytes;
}

/** A body of the right shape for `type`, with random contents, so that sessions live on to the next frame. */
function plausibleBody(rng: Random, type: string): Buffer {
  // Random bytes, invalid UTF-8 included, ended by the one NUL.
  const text = () => Buffer.concat([randomText(rng, 30).filter((b) => b !== 0), Buffer.from([0])]);
  const sql = () => cstring(pick(rng, ['SELECT count(*) FROM t', 'SELECT $1::int', 'BEGIN', 'COMMIT', '']));
  const int16 = (value: number) => Buffer.from([(value >> 8) & 0xff, value & 0xff]);
  switch (type) {
    case 'Q':
      return rng() < 0.5 ? sql() : text();
    case 'P':
      return Buffer.concat([cstring(pick(rng, ['', 's1'])), sql(), int16(0)]);
    case 'B':
      return Buffer.concat([cstring(''), cstring(pick(rng, ['', 's1'])), int16(0), int16(0), int16(0)]);
    case 'D':
    case 'C':
      return Buffer.concat([Buffer.from(pick(rng, ['S', 'P'])), cstring(pick(rng, ['', 's1', 'nope']))]);
    case 'E':
      return Buffer.concat([cstring(''), int32(below(rng, 3))]);
    default:
      return Buffer.alloc(0);
  }
}

// ---------------------------------------------------------------- outcomes

interface Outcome {
  /** The sentinel query was answered: the session survived whatever came before. */
  readonly alive: boolean;
  /** We had to half-close before the daemon ended the connection (it was waiting for more bytes). */
  readonly neededFin: boolean;
  readonly frames: readonly BackendFrame[];
}

/**
 * Sends Sync and a sentinel query tagged `tag` (when given), then waits for
 * its answer or the end of the connection; if neither comes within
 * `answerMs` (the daemon waits for the rest of a message, as PostgreSQL
 * does) the client half-closes and the daemon must then close promptly.
 */
async function settle(
  wire: WireClient,
  what: string,
  tag?: string,
  answerMs = 1500,
  /** The client sent a Terminate: a close without an error is right. */
  terminated = false,
): Promise<Outcome> {
  const from = wire.frames.length;
  if (tag !== undefined)
    await wire.write(Buffer.concat([typed('S'), queryMessage(`SELECT '${tag}' AS tag`)]));
  const answered = (frames: readonly BackendFrame[]) =>
    tag !== undefined && frames.slice(from).some((f) => f.type === 'D' && dataRow(f)[0] === tag);
  const done = await wire.waitFor(answered, answerMs);
  let neededFin = false;
  if (!done && !wire.closed) {
    neededFin = true;
    wire.socket.end();
    const closed = await wire.waitClosed(closeBoundMs);
    assert.ok(closed, `${what}: still open ${closeBoundMs} ms after the client's FIN (seed ${seed})`);
  }
  const alive = answered(wire.frames);
  checkFrames(wire.frames, what, tag);
  if (!alive && !neededFin && !terminated) {
    // The daemon closed the connection on its own: it must have said why.
    // A 1.0/2.0 StartupMessage is refused in that protocol's own error format, as PostgreSQL does.
    const fatal =
      wire.errors().find((e) => e.severity === 'FATAL') ??
      /^EFATAL: {2}unsupported frontend protocol [012]\.\d+: server supports 3\.0 to 3\.0\n\0$/.test(
        wire.pendingText,
      );
    assert.ok(fatal, `${what}: closed without a FATAL ErrorResponse (seed ${seed})`);
  }
  if (alive) wire.end();
  return { alive, neededFin, frames: wire.frames };
}

/** Errors are well formed; rows carrying a tag carry this connection's tag only. */
function checkFrames(frames: readonly BackendFrame[], what: string, tag?: string): void {
  for (const frame of frames) {
    if (frame.type === 'E') {
      const error = errorFields(frame);
      assert.match(error.severity, /^(ERROR|FATAL)$/, `${what}: ${JSON.stringify(error)} (seed ${seed})`);
      assert.match(error.code, /^[0-9A-Z]{5}$/, `${what}: ${JSON.stringify(error)} (seed ${seed})`);
      assert.notEqual(error.code, 'XX000', `${what}: internal error ${error.message} (seed ${seed})`);
      if (error.severity === 'FATAL') fatalCodes.set(error.code, (fatalCodes.get(error.code) ?? 0) + 1);
    }
    if (frame.type === 'D') {
      const values = dataRow(frame);
      for (const value of values) {
        if (value !== null && /^(good|fuzz)-\d+/.test(value)) {
          assert.equal(value, tag, `${what}: received another session's row (seed ${seed})`);
        }
      }
    }
  }
}

/** Runs `count` cases, `concurrency` at a time. */
async function runCases(
  count: number,
  concurrency: number,
  run: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await run(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function loggedIn(byteByByte = false): Promise<WireClient> {
  const wire = await WireClient.connect(daemon.port);
  await wire.login(fuzzUser, fuzzPassword, 'postgres', byteByByte);
  return wire;
}

async function assertDaemonServes(what: string): Promise<void> {
  good.assertHealthy();
  const client = new pg.Client({
    ...cluster.clientConfig(),
    port: daemon.port,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    assert.deepEqual(await textRows(client, 'SELECT count(*) FROM t'), [[String(rows)]], what);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- the well-behaved client

/** A node-postgres session that queries in a loop and checks every answer and its latency. */
class GoodClient {
  readonly #client: pg.Client;
  #stop = false;
  #loop: Promise<void> | undefined;
  queries = 0;
  maxLatencyMs = 0;
  /** The first wrong answer, error or timeout. */
  failure: unknown;

  constructor(config: pg.ClientConfig) {
    // A query that does not answer in time fails instead of hanging the test.
    this.#client = new pg.Client({ ...config, query_timeout: maxGoodQueryMs });
  }

  async start(): Promise<void> {
    await this.#client.connect();
    this.#loop = this.#run().catch((error: unknown) => {
      this.failure = error;
    });
  }

  /** Fails the calling test as soon as the good client has seen anything wrong. */
  assertHealthy(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  async #run(): Promise<void> {
    for (let i = 0; !this.#stop; i++) {
      const k = 1 + ((i * 7919) % rows);
      const tag = `good-${i}`;
      const started = Date.now();
      const result =
        i % 2 === 0
          ? await this.#client.query({
              text: `SELECT count(*), sum(id), '${tag}' AS tag FROM t WHERE id <= ${k}`,
              rowMode: 'array',
            })
          : await this.#client.query({
              text: 'SELECT count(*), sum(id), $2::text AS tag FROM t WHERE id <= $1',
              values: [k, tag],
              rowMode: 'array',
            });
      const latency = Date.now() - started;
      this.maxLatencyMs = Math.max(this.maxLatencyMs, latency);
      assert.ok(latency < maxGoodQueryMs, `query ${i} of the good client took ${latency} ms (seed ${seed})`);
      assert.deepEqual(
        result.rows.map((row: unknown[]) => row.map(String)),
        [[String(k), String((k * (k + 1)) / 2), tag]],
        `good client query ${i} (seed ${seed})`,
      );
      this.queries++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Stops the loop; rethrows its failure if any. */
  async stop(): Promise<void> {
    this.#stop = true;
    await this.#loop;
    await this.#client.end().catch(() => undefined);
    this.assertHealthy();
  }
}

// ---------------------------------------------------------------- setup

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE TABLE t (id int PRIMARY KEY, v text);
    INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, ${rows}) i;
    CREATE ROLE ${fuzzUser} LOGIN PASSWORD '${fuzzPassword}';
    GRANT SELECT ON t TO ${fuzzUser};
  `);
  // PostgreSQL's authentication_timeout: the stalled connections must outlive the whole run.
  daemon = await startDaemon(cluster, ['--authentication-timeout', '60s']);
  await cluster.exec(`SELECT analytica.register_table('public.t')`);
  await cluster.exec(`SELECT analytica.wait_for_sync('public.t')`);

  good = new GoodClient({ ...cluster.clientConfig(), port: daemon.port });
  await good.start();
});

after(async () => {
  for (const wire of stalled) wire.destroy();
  await good?.stop().catch(() => undefined);
  await daemon?.close();
  await cluster?.close();
});

describe(`protocol fuzz (seed ${seed})`, { timeout: 120_000 }, () => {
  test('half messages that stall hold their connection only', { timeout: 30_000 }, async () => {
    // Before startup, inside a startup packet, and inside a typed message after login.
    const beforeStartup = await WireClient.connect(daemon.port);
    await beforeStartup.write(Buffer.from([0, 0, 0]));
    const inStartup = await WireClient.connect(daemon.port);
    await inStartup.write(Buffer.concat([int32(50), int32(3 << 16), Buffer.from('user\0fu')]));
    const afterLogin = await loggedIn();
    await afterLogin.write(Buffer.concat([Buffer.from('Q'), int32(100), Buffer.from('SELE')]));
    stalled.push(beforeStartup, inStartup, afterLogin);
    await assertDaemonServes('with stalled connections');
    // PostgreSQL waits for the rest too (until authentication_timeout before login).
    assert.ok(stalled.every((wire) => !wire.closed));
  });

  test('random bytes before startup, 40 connections at a time', { timeout: 30_000 }, async () => {
    await runCases(200, 40, async (index) => {
      const what = `random-bytes #${index}`;
      const rng = rngFor(what);
      const wire = await WireClient.connect(daemon.port);
      const shape = below(rng, 4);
      // Raw noise; a plausible length and noise; a real length with a random version; noise split in pieces.
      const bytes =
        shape === 0
          ? randomBytes(rng, 1 + below(rng, 300))
          : shape === 1
            ? Buffer.concat([int32(8 + below(rng, 400)), randomBytes(rng, below(rng, 400))])
            : shape === 2
              ? untyped(Buffer.concat([int32(below(rng, 2 ** 31)), randomText(rng, 200)]))
              : randomBytes(rng, 1 + below(rng, 2000));
      for (let offset = 0; offset < bytes.length; ) {
        const size = shape === 3 ? 1 + below(rng, 64) : bytes.length;
        await wire.write(bytes.subarray(offset, offset + size));
        offset += size;
      }
      await settle(wire, what, undefined, 300);
    });
    await assertDaemonServes('after random bytes');
  });

  test('random startup packets, then a login when the daemon asks for one', {
    timeout: 30_000,
  }, async (t) => {
    const keys = [
      'user',
      'database',
      'options',
      'application_name',
      'client_encoding',
      'DateStyle',
      'TimeZone',
      'search_path',
      'statement_timeout',
      'extra_float_digits',
      '_pq_.compression',
      'replication',
      'no_such_setting',
    ];
    const versions = [3 << 16, (3 << 16) | 1, (3 << 16) | 2, 2 << 16, 4 << 16, 80877102, 80877103, 80877104];
    let sessions = 0;
    await runCases(100, 15, async (index) => {
      const what = `startup #${index}`;
      const rng = rngFor(what);
      const wire = await WireClient.connect(daemon.port);
      const preface = below(rng, 6);
      if (preface === 0 || preface === 1) {
        // SSLRequest or GSSENCRequest, answered 'N' before anything else is sent.
        wire.expectUnframedByte();
        await wire.write(preface === 0 ? sslRequest : gssEncRequest);
        await wire.waitFor((frames) => frames.length > 0, 2000);
        if (rng() < 0.3) {
          // A second request of the same kind is read as an unsupported protocol version.
          await wire.write(preface === 0 ? sslRequest : gssEncRequest);
          await settle(wire, `${what} (repeated negotiation)`, undefined, 300);
          return;
        }
      }
      const parameters: Buffer[] = [
        cstring('user'),
        cstring(fuzzUser),
        cstring('database'),
        cstring('postgres'),
      ];
      for (let i = below(rng, 6); i > 0; i--) {
        const key = pick(rng, keys);
        const value =
          rng() < 0.5 ? randomText(rng, 40) : Buffer.from(pick(rng, ['', 'on', '-c', 'UTF8', '1s']));
        if (key === 'user') continue;
        parameters.push(cstring(key), Buffer.concat([value.filter((b) => b !== 0), Buffer.from([0])]));
      }
      if (rng() < 0.1) parameters.push(randomText(rng, 20)); // an unterminated name
      const version = rng() < 0.8 ? 3 << 16 : pick(rng, versions);
      const body = Buffer.concat([int32(version), ...parameters, Buffer.from([0])]);
      const packet =
        rng() < 0.1 ? Buffer.concat([int32(body.length + 4 + below(rng, 3) - 1), body]) : untyped(body);
      const from = wire.frames.length;
      await wire.write(packet, rng() < 0.1);
      const asked = await wire.waitFor((frames) => frames.some((f) => f.type === 'R'), 1500);
      if (asked && !wire.closed) {
        const loggedInOk = await wire.authenticate(fuzzPassword, false, from).then(
          () => true,
          () => false,
        );
        if (loggedInOk) sessions++;
      }
      await settle(wire, what, `fuzz-${index}`);
    });
    t.diagnostic(`${sessions} of 100 random startups led to a session`);
    assert.ok(sessions > 0, `no random startup led to a session (seed ${seed})`);
    await assertDaemonServes('after random startup packets');
  });

  test('random typed frames after a real login', { timeout: 30_000 }, async (t) => {
    const types = ['Q', 'P', 'B', 'D', 'E', 'S', 'H', 'C', 'p', 'd', 'c', 'f', 'F', 'X'];
    let survived = 0;
    await runCases(100, 15, async (index) => {
      const what = `typed #${index}`;
      const rng = rngFor(what);
      const wire = await loggedIn();
      const frames: Buffer[] = [];
      for (let i = 1 + below(rng, 8); i > 0; i--) {
        const type = rng() < 0.9 ? pick(rng, types) : String.fromCharCode(below(rng, 256));
        const body =
          rng() < 0.75
            ? plausibleBody(rng, type)
            : rng() < 0.5
              ? randomText(rng, 60)
              : randomBytes(rng, below(rng, 40));
        const frame = typed(type, body);
        if (rng() < 0.15) frame.writeInt32BE(below(rng, 2 ** 31) - 2 ** 30, 1);
        frames.push(frame);
      }
      const bytes = Buffer.concat(frames);
      await wire.write(bytes);
      const terminated = bytes.includes(typed('X'));
      const outcome = await settle(wire, what, `fuzz-${index}`, 1500, terminated);
      if (outcome.alive) survived++;
    });
    t.diagnostic(`${survived} of 100 sessions survived their random frames`);
    assert.ok(survived > 0, `no session survived random frames (seed ${seed})`);
    await assertDaemonServes('after random typed frames');
  });

  test('mutated valid frames: bit flips, wrong lengths, truncation', { timeout: 30_000 }, async () => {
    const bases = [
      () => queryMessage('SELECT count(*), sum(id) FROM t WHERE id <= 10'),
      () => extendedQuery('SELECT count(*), sum(id) FROM t WHERE id <= $1', ['10']),
      () =>
        Buffer.concat([
          typed(
            'P',
            Buffer.concat([
              cstring('s1'),
              cstring('SELECT v FROM t WHERE id = $1'),
              Buffer.from([0, 1]),
              int32(23),
            ]),
          ),
          typed('D', Buffer.concat([Buffer.from('S'), cstring('s1')])),
          typed('C', Buffer.concat([Buffer.from('S'), cstring('s1')])),
          typed('S'),
        ]),
    ];
    const lengths = [0, 3, 2 ** 31 - 1, -1, -(2 ** 31)];
    await runCases(150, 15, async (index) => {
      const what = `mutated #${index}`;
      const rng = rngFor(what);
      const wire = await loggedIn();
      const bytes = pick(rng, bases)();
      const kind = below(rng, 5);
      let sent = bytes;
      if (kind === 0) {
        for (let i = 1 + below(rng, 3); i > 0; i--) {
          const at = below(rng, bytes.length);
          bytes[at] = bytes[at]! ^ (1 << below(rng, 8));
        }
      } else if (kind === 1) {
        // A length word of the first frame that can never be valid: the daemon must refuse at once.
        bytes.writeInt32BE(pick(rng, lengths), 1);
        await wire.write(bytes);
        const closed = await wire.waitClosed(closeBoundMs);
        assert.ok(
          closed,
          `${what}: length ${bytes.readInt32BE(1)} did not end the connection (seed ${seed})`,
        );
        assert.deepEqual(
          wire.errors().map((e) => [e.severity, e.code]),
          [['FATAL', '08P01']],
          `${what} (seed ${seed})`,
        );
        checkFrames(wire.frames, what);
        return;
      } else if (kind === 2) {
        bytes.writeInt32BE(bytes.readInt32BE(1) + below(rng, 2000) - 1000, 1);
      } else if (kind === 3) {
        sent = bytes.subarray(0, below(rng, bytes.length));
      } else {
        const at = below(rng, bytes.length);
        sent = Buffer.concat([
          bytes.subarray(0, at),
          randomBytes(rng, 1 + below(rng, 8)),
          bytes.subarray(at),
        ]);
      }
      await wire.write(sent);
      await settle(wire, what, `fuzz-${index}`);
    });
    await assertDaemonServes('after mutated frames');
  });

  test('huge declared lengths are refused or wait for bytes, without allocating for them', {
    timeout: 30_000,
  }, async () => {
    // Before startup and before login, a large length is refused at once.
    const early = await WireClient.connect(daemon.port);
    await early.write(int32(2 ** 31 - 1));
    assert.ok(await early.waitClosed(closeBoundMs));
    assert.equal(early.errors()[0]?.code, '08P01');
    const duringLogin = await WireClient.connect(daemon.port);
    await duringLogin.write(
      untyped(Buffer.concat([int32(3 << 16), cstring('user'), cstring(fuzzUser), Buffer.from([0])])),
    );
    await duringLogin.waitFor((frames) => frames.some((f) => f.type === 'R'), 5000);
    await duringLogin.write(Buffer.concat([Buffer.from('p'), int32(64 * 1024 * 1024)]));
    assert.ok(await duringLogin.waitClosed(closeBoundMs));
    assert.match(duringLogin.errors()[0]?.message ?? '', /invalid message length 67108864/);

    // After login, lengths up to the 64 MiB limit wait for their bytes; memory must not follow them.
    global.gc?.();
    const baseline = process.memoryUsage();
    const waiting = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const wire = await loggedIn();
        await wire.write(
          Buffer.concat([Buffer.from('Q'), int32(60 * 1024 * 1024), Buffer.alloc(16 * 1024, 0x41)]),
        );
        return wire;
      }),
    );
    await assertDaemonServes('with 20 connections declaring 60 MiB');
    const grown = process.memoryUsage();
    const arrayGrowth = grown.arrayBuffers - baseline.arrayBuffers;
    const rssGrowth = grown.rss - baseline.rss;
    console.log(
      `# 20 x 60 MiB declared: arrayBuffers +${arrayGrowth >> 20} MiB, rss +${rssGrowth >> 20} MiB`,
    );
    assert.ok(arrayGrowth < 64 * 1024 * 1024, `buffers grew by ${arrayGrowth} bytes`);
    assert.ok(rssGrowth < 400 * 1024 * 1024, `rss grew by ${rssGrowth} bytes`);
    for (const wire of waiting) {
      assert.equal(wire.closed, false);
      wire.destroy();
    }
    const past = await loggedIn();
    await past.write(Buffer.concat([Buffer.from('Q'), int32(2 ** 31 - 1)]));
    assert.ok(await past.waitClosed(closeBoundMs));
    assert.deepEqual(
      past.errors().map((e) => e.code),
      ['08P01'],
    );
  });

  test('messages split byte by byte: login, queries, and an error at the end', {
    timeout: 30_000,
  }, async () => {
    const wire = await loggedIn(true);
    await wire.write(extendedQuery('SELECT count(*), sum(id) FROM t WHERE id <= $1', ['20']), true);
    await wire.write(queryMessage('SELECT count(*) FROM t WHERE id <= 30'), true);
    assert.ok(await wire.waitFor((frames) => frames.filter((f) => f.type === 'D').length === 2, 10_000));
    assert.deepEqual(wire.framesOf('D').map(dataRow), [['20', '210'], ['30']]);
    await wire.write(
      Buffer.concat([queryMessage('SELECT 1 FROM t WHERE id = 1'), Buffer.from('Q'), int32(2)]),
      true,
    );
    assert.ok(await wire.waitClosed(closeBoundMs));
    assert.equal(wire.framesOf('D').length, 3, 'the query before the bad length ran');
    assert.deepEqual(
      wire.errors().map((e) => [e.severity, e.code]),
      [['FATAL', '08P01']],
    );
  });

  test('a client that pipelines without reading is held back by TCP, not by memory', {
    timeout: 30_000,
  }, async () => {
    const wire = await loggedIn();
    wire.socket.pause();
    const syncs = Buffer.alloc(5 * 2_000_000);
    for (let offset = 0; offset < syncs.length; offset += 5) syncs.write('S\0\0\0\x04', offset, 'latin1');
    // Collected garbage is not growth: the heap is measured after a full collection each time
    // (without it, the figure swung by ±75 MiB with the collector's timing).
    const before = liveHeapBytes();
    wire.socket.write(syncs);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const growth = liveHeapBytes() - before;
    console.log(`# 2M pipelined Syncs, answers unread: heap +${growth >> 20} MiB`);
    assert.ok(growth < 64 * 1024 * 1024, `the heap grew by ${growth >> 20} MiB`);
    await assertDaemonServes('while a client pipelines without reading');
    wire.destroy();
  });

  test('good frames before a bad one in the same packet run first, as in PostgreSQL', {
    timeout: 30_000,
  }, async () => {
    const wire = await loggedIn();
    const valid = Buffer.concat([
      queryMessage('SELECT count(*) FROM t WHERE id <= 5'),
      extendedQuery('SELECT count(*) FROM t WHERE id <= $1', ['6']),
    ]);
    await wire.write(Buffer.concat([valid, Buffer.from('Q'), int32(-5)]));
    assert.ok(await wire.waitClosed(closeBoundMs));
    assert.deepEqual(wire.framesOf('D').map(dataRow), [['5'], ['6']]);
    assert.deepEqual(
      wire.errors().map((e) => [e.severity, e.code, e.message]),
      [['FATAL', '08P01', 'invalid message length -5']],
    );
  });

  test('the well-behaved client kept getting its own answers in time; the daemon closes stalled connections on shutdown', {
    timeout: 30_000,
  }, async (t) => {
    assert.ok(good.queries > 20, `the good client ran only ${good.queries} queries`);
    t.diagnostic(`good client: ${good.queries} queries, slowest ${good.maxLatencyMs} ms`);
    t.diagnostic(`FATAL codes seen: ${JSON.stringify(Object.fromEntries(fatalCodes))}`);
    await good.stop();
    assert.ok(
      stalled.every((wire) => !wire.closed),
      'stalled connections were still open',
    );
    const started = Date.now();
    await daemon.close();
    const closeMs = Date.now() - started;
    assert.ok(closeMs < 5000, `shutdown took ${closeMs} ms`);
    for (const wire of stalled)
      assert.ok(await wire.waitClosed(2000), 'a stalled connection outlived the daemon');
    const afterLogin = stalled[2]!;
    assert.deepEqual(
      afterLogin.errors().map((e) => e.code),
      ['57P01'],
    );
  });
});

/** The bytes the heap holds alive: used heap after a full garbage collection. */
function liveHeapBytes(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  return process.memoryUsage().heapUsed;
}
