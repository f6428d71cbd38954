/**
 * PgoutputDecoder (stream-block state), RelationCache (schema changes) and
 * the pg_lsn text helpers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PgError } from '../src/errors.js';
import {
  decodePgoutput,
  formatLsn,
  PgoutputDecoder,
  parseLsn,
  RelationCache,
  type RelationMessage,
} from '../src/source/pgoutput/index.js';
import { msg } from './pgoutput-builder.js';

function isCode(code: string, pattern: RegExp) {
  return (error: unknown) => error instanceof PgError && error.code === code && pattern.test(error.message);
}

const insert = msg('I').uint32(1).byte('N').tuple(['a']).build();
const streamedInsert = msg('I').uint32(7).uint32(1).byte('N').tuple(['a']).build();

describe('PgoutputDecoder', () => {
  test('reads the xid of changes between Stream Start and Stream Stop only', () => {
    const decoder = new PgoutputDecoder();
    assert.deepEqual(decoder.decode(insert), {
      type: 'insert',
      xid: undefined,
      relationId: 1,
      newTuple: ['a'],
    });
    decoder.decode(msg('S').uint32(7).byte(1).build());
    assert.equal(decoder.inStream, true);
    assert.deepEqual(decoder.decode(streamedInsert), {
      type: 'insert',
      xid: 7,
      relationId: 1,
      newTuple: ['a'],
    });
    decoder.decode(msg('E').build());
    assert.equal(decoder.inStream, false);
    assert.deepEqual(decoder.decode(insert).type, 'insert');
  });

  test('Stream Start inside a stream and Stream Stop outside one are protocol violations', () => {
    const decoder = new PgoutputDecoder();
    assert.throws(() => decoder.decode(msg('E').build()), isCode('08P01', /Stream Stop outside a stream/));
    decoder.decode(msg('S').uint32(7).byte(1).build());
    assert.throws(
      () => decoder.decode(msg('S').uint32(8).byte(1).build()),
      isCode('08P01', /Stream Start inside the stream of xid 7/),
    );
  });

  test('parallelStreaming selects the protocol 4 Stream Abort layout', () => {
    const abort = msg('A').uint32(7).uint32(9).lsn(5n).pgTimestamp(0n).build();
    const message = new PgoutputDecoder({ parallelStreaming: true }).decode(abort);
    assert.ok(message.type === 'streamAbort' && message.subXid === 9 && message.abortLsn === 5n);
    assert.throws(() => new PgoutputDecoder().decode(abort), isCode('08P01', /trailing bytes/));
  });
});

describe('RelationCache', () => {
  const relation = (columns: string[]): RelationMessage => {
    const b = msg('R').uint32(16_384).cstring('public').cstring('t').byte('d').int16(columns.length);
    for (const [i, name] of columns.entries())
      b.byte(i === 0 ? 1 : 0)
        .cstring(name)
        .uint32(23)
        .int32(-1);
    const message = decodePgoutput(b.build(), { inStream: false });
    assert.equal(message.type, 'relation');
    return message as RelationMessage;
  };

  test('the newest Relation message replaces the old one (ALTER TABLE … ADD COLUMN)', () => {
    const cache = new RelationCache();
    assert.equal(cache.observe(relation(['id', 'a'])), true);
    assert.deepEqual(
      cache.columns(16_384).map((c) => [c.name, c.isKey]),
      [
        ['id', true],
        ['a', false],
      ],
    );
    cache.observe(relation(['id', 'a', 'b']));
    assert.deepEqual(
      cache.columns(16_384).map((c) => c.name),
      ['id', 'a', 'b'],
    );
    assert.equal(cache.qualifiedName(16_384), 'public.t');
    assert.equal(cache.size, 1);
    assert.equal(cache.observe(decodePgoutput(insert, { inStream: false })), false);
  });

  test('Type messages are kept; unknown relations are a clear 08P01', () => {
    const cache = new RelationCache();
    cache.observe(
      decodePgoutput(msg('Y').uint32(16_390).cstring('public').cstring('mood').build(), { inStream: false }),
    );
    assert.equal(cache.type(16_390)?.name, 'mood');
    assert.equal(cache.get(1), undefined);
    assert.throws(
      () => cache.columns(1),
      isCode('08P01', /relation OID 1 arrived before its Relation message/),
    );
    cache.clear();
    assert.equal(cache.type(16_390), undefined);
  });
});

describe('LSN text', () => {
  test('formats as PostgreSQL does and parses back', () => {
    const cases: Array<[bigint, string]> = [
      [0n, '0/0'],
      [0x16_b374_d848n, '16/B374D848'],
      [0xffff_ffffn, '0/FFFFFFFF'],
      [0x1_0000_0000n, '1/0'],
      [0xffff_ffff_ffff_ffffn, 'FFFFFFFF/FFFFFFFF'],
    ];
    for (const [lsn, text] of cases) {
      assert.equal(formatLsn(lsn), text);
      assert.equal(parseLsn(text), lsn);
    }
    assert.equal(parseLsn('16/b374d848'), 0x16_b374_d848n);
    assert.equal(parseLsn('0/00000A00'), 0xa00n);
  });

  test('rejects what pg_lsn rejects', () => {
    for (const bad of ['', '0', '/0', '0/', '1/2/3', 'G/0', '123456789/0', ' 0/0', '0/0 ', '-1/0']) {
      assert.throws(() => parseLsn(bad), isCode('22P02', /invalid input syntax for type pg_lsn/), bad);
    }
    assert.throws(() => formatLsn(-1n), isCode('22003', /outside/));
    assert.throws(() => formatLsn(1n << 64n), isCode('22003', /outside/));
  });
});
