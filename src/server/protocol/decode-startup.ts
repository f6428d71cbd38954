/**
 * Decodes the untyped startup-phase packets: StartupMessage, SSLRequest,
 * GSSENCRequest and CancelRequest (Int32 length, Int32 code, body).
 * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-STARTUPMESSAGE
 */
import { PgError, SqlState } from '../../errors.js';
import { RequestCode, type StartupPhaseMessage } from './frontend-messages.js';
import { PayloadReader } from './payload-reader.js';

/** A StartupMessage of a protocol version other than 3.x; 2.0 clients read errors in their own format. */
export class UnsupportedProtocolError extends PgError {
  readonly majorVersion: number;

  constructor(version: number) {
    super(
      SqlState.featureNotSupported,
      `unsupported frontend protocol ${version >>> 16}.${version & 0xffff}: server supports 3.0 to 3.0`,
      { severity: 'FATAL' },
    );
    this.majorVersion = version >>> 16;
  }
}

/** `body` is the packet without its length word. */
export function decodeStartupPacket(body: Buffer): StartupPhaseMessage {
  const reader = new PayloadReader(body, 'startup packet');
  const code = reader.uint32();
  switch (code) {
    case RequestCode.ssl:
      reader.end();
      return { type: 'sslRequest' };
    case RequestCode.gssEncryption:
      reader.end();
      return { type: 'gssEncRequest' };
    case RequestCode.cancel:
      return decodeCancel(reader);
    default:
      return decodeStartup(code, reader);
  }
}

function decodeCancel(reader: PayloadReader): StartupPhaseMessage {
  const processId = reader.int32();
  // Protocol 3.2 allows longer secret keys; we only ever hand out 4-byte ones.
  const secretKey = reader.int32();
  reader.end();
  return { type: 'cancelRequest', processId, secretKey };
}

/**
 * StartupMessage: version, then name/value string pairs ended by an empty name.
 * The version is checked first, as PostgreSQL's ProcessStartupPacket does:
 * other major versions lay out the packet differently (2.0 has fixed-size
 * fields), so their bodies must not be read as 3.0's strings.
 */
function decodeStartup(version: number, reader: PayloadReader): StartupPhaseMessage {
  const majorVersion = version >>> 16;
  if (majorVersion !== 3) throw new UnsupportedProtocolError(version);
  const parameters = new Map<string, string>();
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    parameters.set(name, reader.cstring());
  }
  reader.end();
  return { type: 'startup', majorVersion, minorVersion: version & 0xffff, parameters };
}
