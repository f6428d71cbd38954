import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize } from 'pg-protocol';
import { Parser } from 'pg-protocol/dist/parser.js';
import { PgError } from '../src/errors.js';
import {
  authenticationMd5Password,
  authenticationOk,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
  backendKeyData,
  bindComplete,
  closeComplete,
  commandComplete,
  dataRow,
  emptyQueryResponse,
  errorResponse,
  FrontendReader,
  negotiateProtocolVersion,
  noData,
  noticeResponse,
  parameterDescription,
  parameterStatus,
  parseComplete,
  portalSuspended,
  readyForQuery,
  rowDescription,
} from '../src/server/protocol/index.js';

/** Decodes backend bytes with node-postgres's own client parser. */
function clientParse(bytes: Buffer): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  new Parser().parse(bytes, (message) => messages.push(message as unknown as Record<string, unknown>));
  return messages;
}

function startupTyped(reader: FrontendReader): void {
  reader.push(serialize.startup({ user: 'u', database: 'd' }));
}

test('ReadyForQuery, ParameterStatus and CommandComplete encode as PostgreSQL does', () => {
  assert.deepEqual(readyForQuery('T'), Buffer.from([0x5a, 0, 0, 0, 5, 0x54]));
  assert.deepEqual(parameterStatus('a', 'b'), Buffer.from('S\0\0\0\x08a\0b\0', 'latin1'));
  assert.deepEqual(commandComplete('SELECT 1'), Buffer.from('C\0\0\0\x0dSELECT 1\0', 'latin1'));
  assert.deepEqual(emptyQueryResponse(), Buffer.from('I\0\0\0\x04', 'latin1'));
});

test('BackendKeyData is exactly 12 bytes', () => {
  const bytes = backendKeyData(0x7fffffff, -2);
  assert.equal(bytes.length, 13 - 1 + 1);
  assert.equal(bytes.readInt32BE(1), 12);
  const [message] = clientParse(bytes);
  assert.equal(message?.name, 'backendKeyData');
  assert.equal(message?.processID, 0x7fffffff);
  assert.equal(message?.secretKey, -2);
});

test('authentication messages decode in the client codec', () => {
  const parsed = clientParse(
    Buffer.concat([
      authenticationSasl(['SCRAM-SHA-256']),
      authenticationSaslContinue('r=abc,s=xyz,i=4096'),
      authenticationSaslFinal('v=proof'),
      authenticationMd5Password(Buffer.from([1, 2, 3, 4])),
      authenticationOk(),
    ]),
  );
  assert.deepEqual(
    parsed.map((m) => m.name),
    [
      'authenticationSASL',
      'authenticationSASLContinue',
      'authenticationSASLFinal',
      'authenticationMD5Password',
      'authenticationOk',
    ],
  );
  assert.deepEqual(parsed[0]?.mechanisms, ['SCRAM-SHA-256']);
  assert.equal(parsed[1]?.data, 'r=abc,s=xyz,i=4096');
  assert.equal(parsed[2]?.data, 'v=proof');
  assert.deepEqual(parsed[3]?.salt, Buffer.from([1, 2, 3, 4]));
});

test('RowDescription and DataRow round-trip, including NULL and UTF-8', () => {
  const parsed = clientParse(
    Buffer.concat([
      rowDescription([{ name: 'ça', typeOid: 25, typeSize: -1, typeModifier: -1 }]),
      dataRow(['é€', null, '']),
    ]),
  );
  const fields = parsed[0]?.fields as { name: string; dataTypeID: number; format: string }[];
  assert.equal(fields[0]?.name, 'ça');
  assert.equal(fields[0]?.dataTypeID, 25);
  assert.deepEqual(parsed[1]?.fields, ['é€', null, '']);
});

test('ErrorResponse and NoticeResponse carry S, V, C, M, D, H and P', () => {
  const bytes = errorResponse({
    severity: 'ERROR',
    code: '42601',
    message: 'syntax error',
    detail: 'd',
    hint: 'h',
    position: 7,
  });
  assert.equal(bytes.toString('latin1'), 'E\0\0\0\x31SERROR\0VERROR\0C42601\0Msyntax error\0Dd\0Hh\0P7\0\0');
  const [error, notice] = clientParse(
    Buffer.concat([bytes, noticeResponse({ severity: 'WARNING', code: '25P01', message: 'no txn' })]),
  );
  assert.equal(error?.code, '42601');
  assert.equal(error?.position, '7');
  assert.equal(notice?.name, 'notice');
  assert.equal(notice?.severity, 'WARNING');
});

test('extended-protocol acknowledgements have the right type bytes', () => {
  const names = clientParse(
    Buffer.concat([
      parseComplete(),
      bindComplete(),
      closeComplete(),
      noData(),
      portalSuspended(),
      parameterDescription([23, 25]),
    ]),
  ).map((m) => m.name);
  assert.deepEqual(names, [
    'parseComplete',
    'bindComplete',
    'closeComplete',
    'noData',
    'portalSuspended',
    'parameterDescription',
  ]);
  assert.deepEqual(
    negotiateProtocolVersion(0, ['_pq_.x']),
    Buffer.from('v\0\0\0\x13\0\0\0\0\0\0\0\x01_pq_.x\0', 'latin1'),
  );
});

test('the reader decodes startup-phase packets', () => {
  const reader = new FrontendReader();
  const ssl = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
  const gss = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]);
  assert.deepEqual(reader.push(ssl), [{ type: 'sslRequest' }]);
  assert.deepEqual(reader.push(gss), [{ type: 'gssEncRequest' }]);
  assert.deepEqual(reader.push(serialize.cancel(42, -7)), [
    { type: 'cancelRequest', processId: 42, secretKey: -7 },
  ]);
  const [startup] = reader.push(serialize.startup({ user: 'alice', database: 'db', application_name: 'x' }));
  assert.equal(startup?.type, 'startup');
  if (startup?.type !== 'startup') return;
  assert.equal(startup.minorVersion, 0);
  assert.deepEqual(Object.fromEntries(startup.parameters), {
    user: 'alice',
    database: 'db',
    application_name: 'x',
    client_encoding: 'UTF8',
  });
  assert.equal(reader.startupDone, true);
});

test('the reader accepts a 3.2 StartupMessage (to be negotiated) and rejects protocol 2', () => {
  const v32 = serialize.startup({ user: 'u' });
  v32.writeInt32BE((3 << 16) | 2, 4);
  const [message] = new FrontendReader().push(v32);
  assert.equal(message?.type === 'startup' && message.minorVersion, 2);
  const v2 = serialize.startup({ user: 'u' });
  v2.writeInt32BE(2 << 16, 4);
  assert.throws(
    () => new FrontendReader().push(v2),
    (e: unknown) => e instanceof PgError && e.code === '0A000',
  );
});

test('typed messages decode across arbitrary partial reads', () => {
  const bytes = Buffer.concat([
    serialize.query('SELECT 1'),
    serialize.parse({ name: 's1', text: 'SELECT $1', types: [23] }),
    serialize.bind({ portal: 'p', statement: 's1', values: ['5', null] }),
    serialize.describe({ type: 'P', name: 'p' }),
    serialize.execute({ portal: 'p', rows: 10 }),
    serialize.close({ type: 'S', name: 's1' }),
    serialize.flush(),
    serialize.sync(),
    serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=abc'),
    serialize.end(),
  ]);
  for (const step of [1, 3, 7, bytes.length]) {
    const reader = new FrontendReader();
    startupTyped(reader);
    const messages = [];
    for (let i = 0; i < bytes.length; i += step) messages.push(...reader.push(bytes.subarray(i, i + step)));
    assert.deepEqual(
      messages.map((m) => m.type),
      ['query', 'parse', 'bind', 'describe', 'execute', 'close', 'flush', 'sync', 'password', 'terminate'],
    );
    assert.deepEqual(messages[0], { type: 'query', sql: 'SELECT 1' });
    assert.deepEqual(messages[1], { type: 'parse', statement: 's1', sql: 'SELECT $1', paramTypes: [23] });
    const bind = messages[2];
    assert.ok(bind?.type === 'bind');
    assert.deepEqual(bind.params, [Buffer.from('5'), null]);
    assert.deepEqual(messages[4], { type: 'execute', portal: 'p', maxRows: 10 });
    assert.equal(reader.bufferedBytes, 0);
  }
});

test('the reader rejects malformed and oversized lengths with 08P01', () => {
  const isProtocolViolation = (e: unknown) =>
    e instanceof PgError && e.code === '08P01' && e.severity === 'FATAL';
  assert.throws(() => new FrontendReader().push(Buffer.from([0, 0, 0, 2, 0, 0, 0, 0])), isProtocolViolation);
  assert.throws(() => new FrontendReader().push(Buffer.from([0x7f, 0, 0, 0])), isProtocolViolation);
  const small = new FrontendReader({ maxMessageBytes: 100 });
  startupTyped(small);
  assert.throws(() => small.push(Buffer.from([0x51, 0, 0, 1, 0])), isProtocolViolation);
  const typed = new FrontendReader();
  startupTyped(typed);
  assert.throws(() => typed.push(Buffer.from([0x51, 0, 0, 0, 3])), isProtocolViolation);
  const unterminated = new FrontendReader();
  startupTyped(unterminated);
  assert.throws(() => unterminated.push(Buffer.from('Q\0\0\0\x06ab', 'latin1')), isProtocolViolation);
  const unknown = new FrontendReader();
  startupTyped(unknown);
  assert.throws(() => unknown.push(Buffer.from('z\0\0\0\x04', 'latin1')), isProtocolViolation);
  const syncWithBody = new FrontendReader();
  startupTyped(syncWithBody);
  assert.throws(() => syncWithBody.push(Buffer.from('S\0\0\0\x05x', 'latin1')), isProtocolViolation);
});

test('element counts are unsigned 16-bit, as PostgreSQL reads them: a Parse of 65,535 parameter types decodes', () => {
  const count = 65_535;
  const types = Buffer.alloc(count * 4);
  for (let i = 0; i < count; i++) types.writeUInt32BE(23, i * 4);
  const countBytes = Buffer.alloc(2);
  countBytes.writeUInt16BE(count);
  const body = Buffer.concat([Buffer.from('\0SELECT $1\0', 'latin1'), countBytes, types]);
  const header = Buffer.alloc(5);
  header.write('P', 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  const reader = new FrontendReader();
  startupTyped(reader);
  const [parse] = reader.push(Buffer.concat([header, body]));
  assert.ok(parse?.type === 'parse');
  assert.equal(parse.paramTypes.length, count);
});

test('a protocol 2.0 StartupMessage (fixed-size fields) is refused for its version, not its layout', () => {
  // 2.0: Int32 version, then database[64], user[32], options[64], unused[64], tty[64].
  const body = Buffer.alloc(4 + 64 + 32 + 64 + 64 + 64);
  body.writeInt32BE(2 << 16, 0);
  body.write('postgres', 4);
  body.write('alice', 68);
  const packet = Buffer.concat([Buffer.alloc(4), body]);
  packet.writeInt32BE(packet.length, 0);
  assert.throws(
    () => new FrontendReader().push(packet),
    (e: unknown) =>
      e instanceof PgError &&
      e.code === '0A000' &&
      e.message === 'unsupported frontend protocol 2.0: server supports 3.0 to 3.0',
  );
});
