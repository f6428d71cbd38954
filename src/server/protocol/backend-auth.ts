/**
 * Authentication request messages ('R'): Int32 code, then code-specific data.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONOK
 */
import { MessageWriter } from './message-writer.js';

export const AuthCode = {
  ok: 0,
  cleartextPassword: 3,
  md5Password: 5,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const;

export function authenticationOk(): Buffer {
  return new MessageWriter(4).int32(AuthCode.ok).frame('R');
}

export function authenticationCleartextPassword(): Buffer {
  return new MessageWriter(4).int32(AuthCode.cleartextPassword).frame('R');
}

/** Int32 5, Byte4 salt. */
export function authenticationMd5Password(salt: Uint8Array): Buffer {
  if (salt.length !== 4) throw new RangeError(`MD5 salt must be 4 bytes, got ${salt.length}`);
  return new MessageWriter(8).int32(AuthCode.md5Password).bytes(salt).frame('R');
}

/** Int32 10, then each mechanism name as a String, then an empty String. */
export function authenticationSasl(mechanisms: readonly string[]): Buffer {
  const writer = new MessageWriter().int32(AuthCode.sasl);
  for (const mechanism of mechanisms) writer.cstring(mechanism);
  return writer.int8(0).frame('R');
}

/** Int32 11, Byte[n] server-first-message (not NUL-terminated). */
export function authenticationSaslContinue(data: Uint8Array | string): Buffer {
  return saslData(AuthCode.saslContinue, data);
}

/** Int32 12, Byte[n] server-final-message (not NUL-terminated). */
export function authenticationSaslFinal(data: Uint8Array | string): Buffer {
  return saslData(AuthCode.saslFinal, data);
}

function saslData(code: number, data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return new MessageWriter(4 + bytes.length).int32(code).bytes(bytes).frame('R');
}
