/**
 * Pure parts of the replication client, on bytes: CopyBoth message codec
 * (PostgreSQL-epoch clock), command text and quoting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encodeStandbyStatus,
  parseCopyBothMessage,
  postgresClockToDate,
} from '../src/source/replication/copy-both-messages.js';
import { createSlotCommand, startReplicationCommand } from '../src/source/replication/replication-sql.js';

test('standby status update: layout and a 2000-01-01 clock (not the 946080000000 constant)', () => {
  const status = { write: 0x1_0000_0010n, flush: 0x20n, apply: 0x20n, replyRequested: true };
  const body = encodeStandbyStatus(status, Date.UTC(2000, 0, 2));
  assert.equal(body.length, 34);
  assert.equal(body.toString('latin1', 0, 1), 'r');
  assert.equal(body.readBigUInt64BE(1), 0x1_0000_0010n);
  assert.equal(body.readBigUInt64BE(9), 0x20n);
  assert.equal(body.readBigUInt64BE(17), 0x20n);
  assert.equal(body.readBigInt64BE(25), 86_400_000_000n, 'one day after the PostgreSQL epoch');
  assert.equal(body[33], 1);
  assert.equal(postgresClockToDate(86_400_000_000n).toISOString(), '2000-01-02T00:00:00.000Z');
});

test('XLogData and keepalive parsing; the payload is a copy', () => {
  const chunk = Buffer.alloc(25 + 3);
  chunk.write('w', 0, 'latin1');
  chunk.writeBigUInt64BE(0x10n, 1);
  chunk.writeBigUInt64BE(0x11n, 9);
  chunk.writeBigInt64BE(42n, 17);
  chunk.write('BCD', 25, 'latin1');
  const data = parseCopyBothMessage(chunk);
  assert.ok(data.kind === 'xlogData');
  assert.deepEqual([data.walStart, data.walEnd, data.serverClockMicros], [0x10n, 0x11n, 42n]);
  chunk.write('XXX', 25, 'latin1');
  assert.equal(data.payload.toString('latin1'), 'BCD');

  const keepalive = Buffer.alloc(18);
  keepalive.write('k', 0, 'latin1');
  keepalive.writeBigUInt64BE(0x99n, 1);
  keepalive[17] = 1;
  assert.deepEqual(parseCopyBothMessage(keepalive), {
    kind: 'keepalive',
    walEnd: 0x99n,
    serverClockMicros: 0n,
    replyRequested: true,
  });
  assert.throws(() => parseCopyBothMessage(Buffer.from('z')), { code: '08P01' });
});

test('command text: quoted identifiers and literals, publication list inside a literal', () => {
  assert.equal(
    startReplicationCommand('s_1', 0x1_0000_00a0n, {
      protoVersion: 2,
      publicationNames: ['p', `it's "odd"`],
      streaming: 'on',
      binary: false,
    }),
    `START_REPLICATION SLOT "s_1" LOGICAL 1/A0 ("proto_version" '2', "publication_names" '"p","it''s ""odd"""', "streaming" 'on', "binary" 'false')`,
  );
  assert.equal(
    createSlotCommand('s_1', { temporary: true, snapshot: 'export' }, 170000),
    `CREATE_REPLICATION_SLOT "s_1" TEMPORARY LOGICAL pgoutput (SNAPSHOT 'export')`,
  );
  assert.equal(
    createSlotCommand('s_1', { snapshot: 'export' }, 140000),
    'CREATE_REPLICATION_SLOT "s_1" LOGICAL pgoutput EXPORT_SNAPSHOT',
  );
  assert.throws(
    () =>
      startReplicationCommand('s', 0n, { protoVersion: 3, publicationNames: ['p'], streaming: 'parallel' }),
    /needs proto_version 4/,
  );
  assert.throws(() => startReplicationCommand('s', 0n, { protoVersion: 1, publicationNames: ['a\0b'] }), {
    code: '22023',
  });
});
