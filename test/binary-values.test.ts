/**
 * The binary value codec against a real PostgreSQL: for every corpus value,
 * PostgreSQL's text output encodes to exactly the bytes of its send function,
 * and the decoded bytes read back (as a text literal) to the same bytes.
 * Malformed and random bytes are checked against what PostgreSQL's receive
 * functions accept, through real binary Bind parameters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { PgError, SqlState } from '../src/errors.js';
import {
  canReceiveBinary,
  canSendBinary,
  decodeBinaryParameter,
  encodeBinaryValue,
} from '../src/server/protocol/binary-values.js';
import {
  arrayCorpora,
  type Corpus,
  scalarCorpora,
  timestamptzCorpora,
  timeZones,
} from './binary-values-corpus.js';
import { fuzzCases } from './binary-values-fuzz.js';
import { startTestCluster } from './helpers/cluster.js';

let cluster: LocalCluster;
let client: pg.Client;

before(async () => {
  cluster = await startTestCluster();
  // Every type parser returns PostgreSQL's raw text; bytea arrives as '\x…'.
  client = new pg.Client({ ...cluster.clientConfig(), types: { getTypeParser: () => (v: string) => v } });
  await client.connect();
  await client.query(
    "SET DateStyle = 'ISO, MDY'; SET IntervalStyle = postgres; SET extra_float_digits = 1; SET bytea_output = hex",
  );
});

after(async () => {
  await client?.end();
  await cluster?.close();
});

async function one(text: string, values: unknown[] = []): Promise<string | null> {
  const result = await client.query({ text, values, rowMode: 'array' });
  return (result.rows[0] as (string | null)[] | undefined)?.[0] ?? null;
}

const sendFunctions = new Map<number, string>();

async function sendFunction(oid: number): Promise<string> {
  let name = sendFunctions.get(oid);
  if (name === undefined) {
    name = (await one('SELECT typsend::text FROM pg_type WHERE oid = $1', [oid])) ?? '';
    sendFunctions.set(oid, name);
  }
  return name;
}

function hexBytes(text: string): Buffer {
  assert.ok(text.startsWith('\\x'), `bytea as hex: ${text.slice(0, 20)}`);
  return Buffer.from(text.slice(2), 'hex');
}

function short(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…(${text.length})` : text;
}

/** Both directions for every value of `corpus`, under the session's current settings. */
async function checkCorpus(corpus: Corpus): Promise<void> {
  const send = await sendFunction(corpus.oid);
  const rows = corpus.values.map((_, i) => `($${i + 1}::${corpus.type})`).join(', ');
  const result = await client.query({
    text: `SELECT v, ${send}(v) FROM (VALUES ${rows}) AS t(v)`,
    values: [...corpus.values],
    rowMode: 'array',
  });
  assert.equal(result.rows.length, corpus.values.length);
  for (const [text, hex] of result.rows as [string, string][]) {
    const what = `${corpus.type} ${short(text)}`;
    assert.ok(canSendBinary(corpus.oid) && canReceiveBinary(corpus.oid), what);
    assert.equal(encodeBinaryValue(corpus.oid, text).toString('hex'), hexBytes(hex).toString('hex'), what);
    const decoded = decodeBinaryParameter(corpus.oid, hexBytes(hex));
    const back = await one(`SELECT ${send}($1::${corpus.type})`, [decoded]);
    assert.equal(back, hex, `${what} decoded as ${short(decoded)}`);
  }
}

describe('binary values match PostgreSQL send/receive', () => {
  for (const corpus of [...scalarCorpora, ...arrayCorpora]) {
    test(`${corpus.type} (${corpus.oid})`, async () => {
      await checkCorpus(corpus);
    });
  }

  test('timestamptz and timestamptz[] printed under several time zones', async () => {
    try {
      for (const zone of timeZones) {
        await client.query(`SET TimeZone = ${pg.escapeLiteral(zone)}`);
        for (const corpus of timestamptzCorpora) await checkCorpus(corpus);
      }
    } finally {
      await client.query('RESET TimeZone');
    }
  });

  test('seconds offsets are printed for local mean time', async () => {
    await client.query("SET TimeZone = 'Asia/Kolkata'");
    try {
      const text = (await one("SELECT '1900-01-01 00:00:00+00'::timestamptz::text")) ?? '';
      assert.match(text, /\+05:21:10$/);
      const bytes = encodeBinaryValue(1184, text);
      assert.equal(bytes.readBigInt64BE(0), -36524n * 86_400_000_000n);
    } finally {
      await client.query('RESET TimeZone');
    }
  });

  test('bytea printed with bytea_output = escape', async () => {
    await client.query('SET bytea_output = escape');
    try {
      const values = ['\\x00015c27ff80', '\\x68656c6c6f', '\\x'];
      for (const value of values) {
        const text = (await one('SELECT $1::bytea::text', [value])) ?? '';
        assert.equal(encodeBinaryValue(17, text).toString('hex'), value.slice(2), text);
      }
    } finally {
      await client.query('SET bytea_output = hex');
    }
  });
});

describe('unsupported types and malformed bytes', () => {
  test('types without a codec: false, and 0A000 naming the OID', () => {
    for (const oid of [600, 869, 1560, 3904, 0]) {
      assert.equal(canSendBinary(oid), false);
      assert.equal(canReceiveBinary(oid), false);
      assert.throws(
        () => encodeBinaryValue(oid, 'x'),
        (e: unknown) =>
          e instanceof PgError && e.code === SqlState.featureNotSupported && e.message.includes(`${oid}`),
      );
      assert.throws(
        () => decodeBinaryParameter(oid, Buffer.alloc(4)),
        (e: unknown) => e instanceof PgError && e.code === SqlState.featureNotSupported,
      );
    }
  });

  const malformed: [number, string, string][] = [
    [23, 'int4', '000001'],
    [23, 'int4', '0000000001'],
    [20, 'int8', '00'],
    [21, 'int2', ''],
    [16, 'bool', '0101'],
    [701, 'float8', '3ff0'],
    [2950, 'uuid', '00'.repeat(15)],
    [1082, 'date', '000000'],
    [1186, 'interval', '00'.repeat(12)],
    [1700, 'numeric', '0001'],
    [1700, 'numeric', '0001000000000000ffff'],
    [1700, 'numeric', '00010000000000002710'],
    [1700, 'numeric', '000000001234000000'],
    [1700, 'numeric', '0000000012340000'],
    [1700, 'numeric', '000000000000'],
    [1700, 'numeric', '0000000000004000'],
    [1700, 'numeric', '00020000000000000001'],
    [3802, 'jsonb', '027b7d'],
    [1007, 'int4[]', '00000001'],
    [1007, 'int4[]', '000000010000000200000017'],
    [1007, 'int4[]', 'ffffffff0000000000000017'],
    [1007, 'int4[]', '00000001000000000000001700000002000000010000000400000001'],
    [1007, 'int4[]', '0000000100000000000000170000000100000001000000030000000000'],
    [1007, 'int4[]', '000000010000000000000017000000010000000100000004000000010000'],
    [1007, 'int4[]', '00000001000000000000001700000001000000010000000400000001ff'],
    [1007, 'int4[]', '0000000100000000000000170000000100000001fffffffe'],
  ];
  test('malformed bytes raise 22P03 here and are refused by PostgreSQL too', async () => {
    for (const [oid, type, hex] of malformed) {
      const bytes = Buffer.from(hex, 'hex');
      assert.throws(
        () => decodeBinaryParameter(oid, bytes),
        (e: unknown) => e instanceof PgError && e.code === SqlState.invalidBinaryRepresentation,
        `${type} ${hex}`,
      );
      await assert.rejects(client.query(`SELECT $1::${type}`, [bytes]), `PostgreSQL accepts ${type} ${hex}`);
    }
  });

  test('an interval of INT64_MIN microseconds decodes to text PostgreSQL reads back', async () => {
    const bytes = Buffer.from(`8000000000000000${'00'.repeat(8)}`, 'hex');
    const decoded = decodeBinaryParameter(1186, bytes);
    assert.equal(await one('SELECT interval_send($1::interval)', [decoded]), `\\x${bytes.toString('hex')}`);
  });

  test('other receive errors keep PostgreSQL SQLSTATEs', () => {
    const code = (oid: number, hex: string): string | undefined => {
      try {
        decodeBinaryParameter(oid, Buffer.from(hex, 'hex'));
      } catch (e) {
        return e instanceof PgError ? e.code : 'not a PgError';
      }
      return undefined;
    };
    assert.equal(code(25, 'c328'), SqlState.characterNotInRepertoire);
    assert.equal(code(25, '6100'), SqlState.characterNotInRepertoire);
    assert.equal(code(19, '61'.repeat(64)), SqlState.nameTooLong);
    assert.equal(code(1082, '80000001'), SqlState.datetimeFieldOverflow);
    assert.equal(code(1007, '000000010000000000000014'), SqlState.datatypeMismatch);
    assert.equal(code(1007, '000000070000000000000017'), SqlState.programLimitExceeded);
    assert.equal(code(114, '7b'), SqlState.invalidTextRepresentation);
  });

  test('random bytes: only PgError, and accepted exactly when PostgreSQL accepts them', async () => {
    await client.query("SET TimeZone = 'UTC'");
    const mismatches: string[] = [];
    for (const { oid, type, bytes } of fuzzCases(20260101, 120)) {
      let ours: string | undefined;
      try {
        ours = decodeBinaryParameter(oid, bytes);
      } catch (error) {
        if (!(error instanceof PgError)) throw new Error(`${type} ${bytes.toString('hex')}: ${error}`);
      }
      let theirs: string | null | undefined;
      try {
        theirs = await one(`SELECT $1::${type}::text`, [bytes]);
      } catch {
        theirs = undefined;
      }
      if ((ours === undefined) !== (theirs === undefined)) {
        mismatches.push(
          `${type} ${bytes.toString('hex')}: ours ${ours ?? 'rejects'}, PostgreSQL ${theirs ?? 'rejects'}`,
        );
      } else if (ours !== undefined) {
        const reread = await one(`SELECT $1::${type}::text`, [ours]);
        if (reread !== theirs) mismatches.push(`${type} ${bytes.toString('hex')}: ${reread} vs ${theirs}`);
      }
    }
    assert.deepEqual(mismatches.slice(0, 20), []);
  });
});
