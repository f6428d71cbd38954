/**
 * Byte-level tests of the pgoutput decoder: hand-built buffers for every
 * message type of protocol versions 1–4, edge cases, and malformed input.
 * Layouts: https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pgEpochOffsetMicros, unchangedToast } from '../src/source/pgoutput/index.js';
import { assertProtocolViolation, decode, inside, msg } from './pgoutput-builder.js';

const maxLsn = 0xffff_ffff_ffff_ffffn;
const maxXid = 0xffff_ffff;
/** 2024-02-29 12:34:56.789012 UTC in PostgreSQL micros (since 2000-01-01). */
const pgTs = 762_525_296_789_012n;
const unixTs = pgTs + pgEpochOffsetMicros;

describe('transaction messages', () => {
  test('Begin and Commit', () => {
    const begin = msg('B').lsn(0x16_b374_d848n).pgTimestamp(pgTs).uint32(maxXid).build();
    assert.deepEqual(decode(begin), {
      type: 'begin',
      finalLsn: 0x16_b374_d848n,
      commitTimeMicros: unixTs,
      xid: maxXid,
    });
    const commit = msg('C').byte(0).lsn(1n).lsn(maxLsn).pgTimestamp(pgTs).build();
    assert.deepEqual(decode(commit), {
      type: 'commit',
      flags: 0,
      commitLsn: 1n,
      endLsn: maxLsn,
      commitTimeMicros: unixTs,
    });
  });

  test('timestamps: PostgreSQL epoch, pre-2000 and pre-1970, microsecond exact', () => {
    const at = (micros: bigint) =>
      decode(msg('B').lsn(0n).pgTimestamp(micros).uint32(1).build()) as { commitTimeMicros: bigint };
    assert.equal(at(0n).commitTimeMicros, 946_684_800_000_000n);
    assert.equal(at(-1n).commitTimeMicros, 946_684_799_999_999n);
    assert.equal(at(-pgEpochOffsetMicros).commitTimeMicros, 0n);
    assert.equal(at(-pgEpochOffsetMicros - 1n).commitTimeMicros, -1n);
    const max = 0x7fff_ffff_ffff_ffffn;
    assert.equal(at(max).commitTimeMicros, max + pgEpochOffsetMicros);
    assert.equal(at(-max - 1n).commitTimeMicros, -max - 1n + pgEpochOffsetMicros);
    // 2024-02-29T12:34:56.789012Z: the micros survive, which a JS Date would drop.
    assert.equal(at(pgTs).commitTimeMicros, BigInt(Date.UTC(2024, 1, 29, 12, 34, 56, 789)) * 1000n + 12n);
  });

  test('Origin', () => {
    assert.deepEqual(decode(msg('O').lsn(maxLsn).cstring('nœud-ü').build()), {
      type: 'origin',
      originLsn: maxLsn,
      name: 'nœud-ü',
    });
  });

  test('Stream Start, Stop, Commit', () => {
    assert.deepEqual(decode(msg('S').uint32(77).byte(1).build()), {
      type: 'streamStart',
      xid: 77,
      firstSegment: true,
    });
    assert.deepEqual(decode(msg('S').uint32(77).byte(0).build(), inside), {
      type: 'streamStart',
      xid: 77,
      firstSegment: false,
    });
    assert.deepEqual(decode(msg('E').build(), inside), { type: 'streamStop' });
    assert.deepEqual(decode(msg('c').uint32(77).byte(0).lsn(10n).lsn(20n).pgTimestamp(-5n).build()), {
      type: 'streamCommit',
      xid: 77,
      flags: 0,
      commitLsn: 10n,
      endLsn: 20n,
      commitTimeMicros: pgEpochOffsetMicros - 5n,
    });
  });

  test('Stream Abort: v2 layout, and v4 parallel layout with abort LSN and time', () => {
    const v2 = msg('A').uint32(77).uint32(78).build();
    assert.deepEqual(decode(v2), {
      type: 'streamAbort',
      xid: 77,
      subXid: 78,
      abortLsn: undefined,
      abortTimeMicros: undefined,
    });
    const v4 = msg('A').uint32(77).uint32(77).lsn(0xabcn).pgTimestamp(pgTs).build();
    assert.deepEqual(decode(v4, { inStream: false, parallelStreaming: true }), {
      type: 'streamAbort',
      xid: 77,
      subXid: 77,
      abortLsn: 0xabcn,
      abortTimeMicros: unixTs,
    });
    assertProtocolViolation(() => decode(v4), /Stream Abort .*16 unexpected trailing bytes/);
    assertProtocolViolation(() => decode(v2, { inStream: false, parallelStreaming: true }), /truncated/);
  });

  test('two-phase: Begin Prepare, Prepare, Commit Prepared, Rollback Prepared, Stream Prepare', () => {
    const gid = 'pg_gid_16389_750';
    assert.deepEqual(decode(msg('b').lsn(1n).lsn(2n).pgTimestamp(pgTs).uint32(9).cstring(gid).build()), {
      type: 'beginPrepare',
      prepareLsn: 1n,
      endLsn: 2n,
      prepareTimeMicros: unixTs,
      xid: 9,
      gid,
    });
    for (const [byte, type] of [
      ['P', 'prepare'],
      ['p', 'streamPrepare'],
    ] as const) {
      assert.deepEqual(
        decode(msg(byte).byte(0).lsn(3n).lsn(4n).pgTimestamp(pgTs).uint32(9).cstring('').build()),
        {
          type,
          flags: 0,
          prepareLsn: 3n,
          endLsn: 4n,
          prepareTimeMicros: unixTs,
          xid: 9,
          gid: '',
        },
      );
    }
    assert.deepEqual(
      decode(msg('K').byte(0).lsn(5n).lsn(6n).pgTimestamp(0n).uint32(9).cstring(gid).build()),
      {
        type: 'commitPrepared',
        flags: 0,
        commitLsn: 5n,
        endLsn: 6n,
        commitTimeMicros: pgEpochOffsetMicros,
        xid: 9,
        gid,
      },
    );
    const rollback = msg('r')
      .byte(0)
      .lsn(4n)
      .lsn(7n)
      .pgTimestamp(pgTs)
      .pgTimestamp(pgTs + 1n)
      .uint32(9);
    assert.deepEqual(decode(rollback.cstring(gid).build()), {
      type: 'rollbackPrepared',
      flags: 0,
      prepareEndLsn: 4n,
      rollbackEndLsn: 7n,
      prepareTimeMicros: unixTs,
      rollbackTimeMicros: unixTs + 1n,
      xid: 9,
      gid,
    });
  });
});

describe('catalog messages', () => {
  const relation = (xid?: number) => {
    const b = msg('R');
    if (xid !== undefined) b.uint32(xid);
    b.uint32(16_384).cstring('schéma').cstring('täble "x"').byte('f').int16(3);
    b.byte(1).cstring('id').uint32(20).int32(-1);
    b.byte(0).cstring('名前').uint32(1043).int32(68);
    b.byte(0).cstring('').uint32(maxXid).int32(-2_147_483_648);
    return b.build();
  };
  const expected = {
    type: 'relation',
    relationId: 16_384,
    namespace: 'schéma',
    name: 'täble "x"',
    replicaIdentity: 'f',
    columns: [
      { flags: 1, isKey: true, name: 'id', typeOid: 20, typeModifier: -1 },
      { flags: 0, isKey: false, name: '名前', typeOid: 1043, typeModifier: 68 },
      { flags: 0, isKey: false, name: '', typeOid: maxXid, typeModifier: -2_147_483_648 },
    ],
  };

  test('Relation, outside and inside a stream', () => {
    assert.deepEqual(decode(relation()), { ...expected, xid: undefined });
    assert.deepEqual(decode(relation(42), inside), { ...expected, xid: 42 });
  });

  test('Relation with no columns and every replica identity', () => {
    for (const identity of ['d', 'n', 'f', 'i']) {
      const message = decode(msg('R').uint32(1).cstring('').cstring('t').byte(identity).int16(0).build());
      assert.equal(message.type === 'relation' && message.replicaIdentity, identity);
      assert.deepEqual(message.type === 'relation' && message.columns, []);
    }
    assertProtocolViolation(
      () => decode(msg('R').uint32(1).cstring('').cstring('t').byte('x').int16(0).build()),
      /Relation message: unknown replica identity 'x'/,
    );
  });

  test('Type', () => {
    assert.deepEqual(decode(msg('Y').uint32(16_390).cstring('public').cstring('mood').build()), {
      type: 'type',
      xid: undefined,
      typeOid: 16_390,
      namespace: 'public',
      name: 'mood',
    });
    assert.deepEqual(decode(msg('Y').uint32(5).uint32(16_390).cstring('').cstring('ü').build(), inside), {
      type: 'type',
      xid: 5,
      typeOid: 16_390,
      namespace: '',
      name: 'ü',
    });
  });

  test('Message: transactional and not, empty and binary content, inside a stream', () => {
    const content = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(decode(msg('M').byte(1).lsn(maxLsn).cstring('pfx').int32(4).raw(content).build()), {
      type: 'message',
      xid: undefined,
      flags: 1,
      transactional: true,
      lsn: maxLsn,
      prefix: 'pfx',
      content,
    });
    const streamed = decode(msg('M').uint32(8).byte(0).lsn(0n).cstring('').int32(0).build(), inside);
    assert.deepEqual(streamed, {
      type: 'message',
      xid: 8,
      flags: 0,
      transactional: false,
      lsn: 0n,
      prefix: '',
      content: Buffer.alloc(0),
    });
  });
});

describe('change messages', () => {
  const row = ['1', null, 'u!', 'Zoë 😀', Buffer.from([0, 0, 0, 7]), ''] as const;
  const decodedRow = ['1', null, unchangedToast, 'Zoë 😀', Buffer.from([0, 0, 0, 7]), ''];

  test('Insert: text, null, unchanged toast, non-ASCII, binary, empty string', () => {
    const message = decode(
      msg('I')
        .uint32(16_384)
        .byte('N')
        .tuple([...row])
        .build(),
    );
    assert.deepEqual(message, { type: 'insert', xid: undefined, relationId: 16_384, newTuple: decodedRow });
  });

  test('Insert: ASCII and non-ASCII columns mixed, non-ASCII length bytes, tuples above 4 kB', () => {
    const mixed = ['é', 'abc', 'x'.repeat(200), 'ü'.repeat(3), 'plain', '\u007f', 'ÿ€', 'tail'];
    for (const values of [mixed, [...mixed, 'y'.repeat(5000), ...mixed]]) {
      const message = decode(msg('I').uint32(0x80_80_80_80).byte('N').tuple(values).build());
      assert.deepEqual(message.type === 'insert' && message.newTuple, values);
    }
    const utf8Bytes = msg('I')
      .uint32(1)
      .byte('N')
      .int16(1)
      .byte('t')
      .int32(2)
      .raw(Buffer.from([0xc3, 0xa9]))
      .build();
    const decoded = decode(utf8Bytes);
    assert.deepEqual(decoded.type === 'insert' && decoded.newTuple, ['é']);
  });

  test('Insert: empty tuple, and inside a stream', () => {
    assert.deepEqual(decode(msg('I').uint32(1).byte('N').tuple([]).build()), {
      type: 'insert',
      xid: undefined,
      relationId: 1,
      newTuple: [],
    });
    assert.deepEqual(decode(msg('I').uint32(maxXid).uint32(1).byte('N').tuple(['x']).build(), inside), {
      type: 'insert',
      xid: maxXid,
      relationId: 1,
      newTuple: ['x'],
    });
  });

  test('Update: new tuple only, with old key (K), with old row (O)', () => {
    assert.deepEqual(decode(msg('U').uint32(1).byte('N').tuple(['2', 'u!']).build()), {
      type: 'update',
      xid: undefined,
      relationId: 1,
      oldKind: undefined,
      oldTuple: undefined,
      newTuple: ['2', unchangedToast],
    });
    const withKey = msg('U').uint32(1).byte('K').tuple(['1', null]).byte('N').tuple(['2', 'b']).build();
    assert.deepEqual(decode(withKey), {
      type: 'update',
      xid: undefined,
      relationId: 1,
      oldKind: 'key',
      oldTuple: ['1', null],
      newTuple: ['2', 'b'],
    });
    const withOld = msg('U')
      .uint32(3)
      .uint32(1)
      .byte('O')
      .tuple(['1', 'a'])
      .byte('N')
      .tuple(['1', 'b'])
      .build();
    assert.deepEqual(decode(withOld, inside), {
      type: 'update',
      xid: 3,
      relationId: 1,
      oldKind: 'full',
      oldTuple: ['1', 'a'],
      newTuple: ['1', 'b'],
    });
    assertProtocolViolation(
      () => decode(msg('U').uint32(1).byte('K').tuple(['1']).byte('K').tuple(['2']).build()),
      /Update message: expected tuple marker 'N' at offset 14, got 0x4b/,
    );
  });

  test('Delete: K and O; N is refused', () => {
    assert.deepEqual(decode(msg('D').uint32(1).byte('K').tuple(['1', null]).build()), {
      type: 'delete',
      xid: undefined,
      relationId: 1,
      oldKind: 'key',
      oldTuple: ['1', null],
    });
    assert.deepEqual(decode(msg('D').uint32(6).uint32(1).byte('O').tuple(['1', 'a']).build(), inside), {
      type: 'delete',
      xid: 6,
      relationId: 1,
      oldKind: 'full',
      oldTuple: ['1', 'a'],
    });
    assertProtocolViolation(() => decode(msg('D').uint32(1).byte('N').tuple([]).build()), /'K' or 'O'/);
  });

  test('Truncate: flags and relation ids', () => {
    for (const flags of [0, 1, 2, 3]) {
      const message = decode(msg('T').int32(3).byte(flags).uint32(1).uint32(maxXid).uint32(16_384).build());
      assert.deepEqual(message, {
        type: 'truncate',
        xid: undefined,
        flags,
        cascade: (flags & 1) !== 0,
        restartIdentity: (flags & 2) !== 0,
        relationIds: [1, maxXid, 16_384],
      });
    }
    assert.deepEqual(decode(msg('T').uint32(4).int32(0).byte(0).build(), inside), {
      type: 'truncate',
      xid: 4,
      flags: 0,
      cascade: false,
      restartIdentity: false,
      relationIds: [],
    });
  });
});
