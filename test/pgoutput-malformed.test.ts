/**
 * Malformed pgoutput input: every truncation, trailing bytes, unknown types
 * and kinds, negative and oversized lengths → PgError 08P01, never a
 * RangeError or a read past the payload.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PgoutputContext } from '../src/source/pgoutput/index.js';
import { assertProtocolViolation, decode, inside, msg, outside } from './pgoutput-builder.js';

describe('malformed input', () => {
  /** One valid message of each type, with the context it needs. */
  const valid: [Buffer, PgoutputContext][] = [
    [msg('B').lsn(1n).pgTimestamp(0n).uint32(1).build(), outside],
    [msg('C').byte(0).lsn(1n).lsn(2n).pgTimestamp(0n).build(), outside],
    [msg('O').lsn(1n).cstring('o').build(), outside],
    [msg('M').uint32(1).byte(1).lsn(1n).cstring('p').int32(2).raw(Buffer.from('hi')).build(), inside],
    [
      msg('R')
        .uint32(1)
        .cstring('s')
        .cstring('t')
        .byte('d')
        .int16(1)
        .byte(1)
        .cstring('c')
        .uint32(23)
        .int32(-1)
        .build(),
      outside,
    ],
    [msg('Y').uint32(1).cstring('s').cstring('t').build(), outside],
    [
      msg('I')
        .uint32(1)
        .byte('N')
        .tuple(['abc', null, 'u!', Buffer.from([1])])
        .build(),
      outside,
    ],
    [msg('U').uint32(9).uint32(1).byte('O').tuple(['a']).byte('N').tuple(['b']).build(), inside],
    [msg('D').uint32(1).byte('K').tuple(['a']).build(), outside],
    [msg('T').int32(2).byte(1).uint32(1).uint32(2).build(), outside],
    [msg('S').uint32(1).byte(1).build(), outside],
    [msg('c').uint32(1).byte(0).lsn(1n).lsn(2n).pgTimestamp(0n).build(), outside],
    [
      msg('A').uint32(1).uint32(2).lsn(1n).pgTimestamp(0n).build(),
      { inStream: false, parallelStreaming: true },
    ],
    [msg('b').lsn(1n).lsn(2n).pgTimestamp(0n).uint32(1).cstring('g').build(), outside],
    [msg('P').byte(0).lsn(1n).lsn(2n).pgTimestamp(0n).uint32(1).cstring('g').build(), outside],
    [msg('K').byte(0).lsn(1n).lsn(2n).pgTimestamp(0n).uint32(1).cstring('g').build(), outside],
    [
      msg('r').byte(0).lsn(1n).lsn(2n).pgTimestamp(0n).pgTimestamp(0n).uint32(1).cstring('g').build(),
      outside,
    ],
    [msg('p').byte(0).lsn(1n).lsn(2n).pgTimestamp(0n).uint32(1).cstring('g').build(), outside],
  ];

  test('every proper prefix of every message is refused with 08P01, never a RangeError', () => {
    for (const [payload, context] of valid) {
      decode(payload, context);
      for (let length = 0; length < payload.length; length++) {
        assertProtocolViolation(() => decode(payload.subarray(0, length), context), /invalid pgoutput/);
      }
    }
  });

  test('trailing bytes are refused', () => {
    for (const [payload, context] of valid) {
      const longer = Buffer.concat([payload, Buffer.from([0])]);
      assertProtocolViolation(() => decode(longer, context), /1 unexpected trailing bytes/);
    }
    assertProtocolViolation(
      () => decode(msg('E').byte(0).build(), inside),
      /Stream Stop message: 1 unexpected/,
    );
  });

  test('messages read without a stream xid are misparsed into an error, not silently', () => {
    const streamed = msg('I').uint32(1).uint32(2).byte('N').tuple(['a']).build();
    assertProtocolViolation(() => decode(streamed, outside), /Insert message: expected tuple marker 'N'/);
  });

  test('unknown message type, empty payload, unknown column kind, negative lengths', () => {
    assertProtocolViolation(() => decode(Buffer.from('Z')), /unknown message type 0x5a/);
    assertProtocolViolation(() => decode(Buffer.from([0])), /unknown message type 0x00/);
    assertProtocolViolation(() => decode(Buffer.alloc(0)), /empty payload/);
    const badKind = msg('I').uint32(1).byte('N').int16(1).byte('x').build();
    assertProtocolViolation(
      () => decode(badKind),
      /Insert message: unknown column kind 0x78 at offset 8 \(column 1\)/,
    );
    const negativeLength = msg('I').uint32(1).byte('N').int16(1).byte('t').int32(-1).build();
    assertProtocolViolation(() => decode(negativeLength), /truncated tuple data/);
    const hugeLength = msg('I')
      .uint32(1)
      .byte('N')
      .int16(1)
      .byte('b')
      .int32(0x7fff_ffff)
      .raw(Buffer.from('ab'))
      .build();
    assertProtocolViolation(() => decode(hugeLength), /truncated tuple data at offset 13 \(column 1 of 1\)/);
    const negativeColumns = msg('I').uint32(1).byte('N').int16(-1).build();
    assertProtocolViolation(() => decode(negativeColumns), /negative column count -1/);
    const fewerColumns = msg('I').uint32(1).byte('N').int16(3).byte('n').byte('n').build();
    assertProtocolViolation(() => decode(fewerColumns), /column 3 of 3/);
    const negativeContent = msg('M').byte(1).lsn(1n).cstring('p').int32(-5).build();
    assertProtocolViolation(() => decode(negativeContent), /Message message: negative content length -5/);
    const hugeTruncate = msg('T').int32(0x7fff_ffff).byte(0).uint32(1).build();
    assertProtocolViolation(
      () => decode(hugeTruncate),
      /Truncate message: truncated: needs 8589934588 bytes/,
    );
    const unterminated = msg('O').lsn(1n).raw(Buffer.from('abc')).build();
    assertProtocolViolation(() => decode(unterminated), /Origin message: unterminated string at offset 9/);
  });

  test('binary values are views of the payload and strings are decoded once', () => {
    const payload = msg('I')
      .uint32(1)
      .byte('N')
      .tuple([Buffer.from('xyz')])
      .build();
    const message = decode(payload);
    assert.ok(message.type === 'insert' && Buffer.isBuffer(message.newTuple[0]));
    assert.equal((message.newTuple[0] as Buffer).buffer, payload.buffer);
  });
});
