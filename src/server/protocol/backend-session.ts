/**
 * Session-level backend messages: ParameterStatus, BackendKeyData,
 * ReadyForQuery and NegotiateProtocolVersion.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { MessageWriter } from './message-writer.js';

/** 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';

/** ParameterStatus 'S': String name, String value. */
export function parameterStatus(name: string, value: string): Buffer {
  return new MessageWriter().cstring(name).cstring(value).frame('S');
}

/**
 * BackendKeyData 'K': Int32 process id, Int32 secret key. Always 12 bytes in
 * all: pgjdbc rejects any other length.
 */
export function backendKeyData(processId: number, secretKey: number): Buffer {
  return new MessageWriter(8)
    .int32(processId | 0)
    .int32(secretKey | 0)
    .frame('K');
}

/** ReadyForQuery 'Z': Byte1 transaction status. */
export function readyForQuery(status: TransactionStatus): Buffer {
  return new MessageWriter(1).int8(status.charCodeAt(0)).frame('Z');
}

/**
 * NegotiateProtocolVersion 'v': Int32 newest minor version supported for the
 * requested major, Int32 count, then the unrecognised `_pq_.` option names.
 */
export function negotiateProtocolVersion(newestMinor: number, unsupportedOptions: readonly string[]): Buffer {
  const writer = new MessageWriter().int32(newestMinor).int32(unsupportedOptions.length);
  for (const option of unsupportedOptions) writer.cstring(option);
  return writer.frame('v');
}

/**
 * An error as a protocol 1.0/2.0 client reads it: 'E', then one string
 * "SEVERITY:  message\n", no length word. PostgreSQL still answers an old
 * client's StartupMessage this way (elog.c), so it can show why it was refused.
 */
export function errorResponseV2(severity: string, message: string): Buffer {
  return Buffer.from(`E${severity}:  ${message}\n\0`, 'utf8');
}
