/**
 * TLS on the connection that has the source server verify a password, as
 * libpq's sslmode has it: the source's pg_hba.conf `hostssl` lines hold for
 * logins through the daemon only if this connection is encrypted.
 *
 * - disable: never; prefer (libpq's default) and allow: TLS when the source
 *   offers it, else plaintext; require: TLS, the certificate unchecked;
 *   verify-ca: TLS with a certificate signed by the root certificate;
 *   verify-full: also issued for the host name (or IP address) connected to.
 * https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION
 */
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';
import { ConfigError } from '../config.js';

export const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof sslModes)[number];

export interface UpstreamTls {
  readonly mode: SslMode;
  /** PEM root certificate(s) for verify-ca and verify-full; the system's roots otherwise. */
  readonly rootCert?: Buffer | undefined;
}

/**
 * The relay's TLS settings: --source-sslmode, else the connection string's
 * sslmode, else PGSSLMODE, else libpq's default `prefer`; the root
 * certificate from --source-sslrootcert, the connection string or PGSSLROOTCERT.
 */
export async function resolveUpstreamTls(sources: {
  readonly flagMode: string | undefined;
  readonly connectionMode: string | undefined;
  readonly envMode: string | undefined;
  readonly rootCertFile: string | undefined;
}): Promise<UpstreamTls> {
  const mode = sources.flagMode || sources.connectionMode || sources.envMode || 'prefer';
  if (!(sslModes as readonly string[]).includes(mode)) {
    throw new ConfigError(
      `invalid value for --source-sslmode (or sslmode): ${JSON.stringify(mode)} (expected one of ${sslModes.join(', ')})`,
    );
  }
  if (!sources.rootCertFile) return { mode: mode as SslMode };
  try {
    return { mode: mode as SslMode, rootCert: await readFile(sources.rootCertFile) };
  } catch (error) {
    throw new ConfigError(
      `invalid value for --source-sslrootcert (or sslrootcert): cannot read ${JSON.stringify(sources.rootCertFile)} (${(error as Error).message})`,
    );
  }
}

/** SSLRequest: Int32 length 8, Int32 code 80877103. */
const sslRequest = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** The socket to speak the protocol on: `socket` itself or TLS over it, as `tls.mode` asks. */
export async function negotiateUpstreamTls(socket: Socket, host: string, tls: UpstreamTls): Promise<Socket> {
  if (tls.mode === 'disable') return socket;
  // Once wrapped, the TLS socket reports the connection's errors; the raw one must not throw them.
  socket.on('error', () => undefined);
  socket.write(sslRequest);
  const answer = await readAnswer(socket);
  if (answer === 'N') {
    if (tls.mode === 'prefer' || tls.mode === 'allow') return socket;
    throw new Error(`the server does not support SSL, but sslmode is ${tls.mode}`);
  }
  const verify = tls.mode === 'verify-ca' || tls.mode === 'verify-full';
  const secure = tlsConnect({
    socket,
    rejectUnauthorized: verify,
    ...(tls.rootCert ? { ca: tls.rootCert } : {}),
    checkServerIdentity: (_name, cert) =>
      tls.mode === 'verify-full' ? checkServerIdentity(host, cert) : undefined,
  });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
    secure.once('close', () => reject(new Error('the connection closed during the TLS handshake')));
  });
  secure.setNoDelay(true);
  return secure;
}

/** The server's one-byte answer; more bytes before the handshake would be unencrypted injection (CVE-2021-23222). */
function readAnswer(socket: Socket): Promise<'S' | 'N'> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      cleanup();
      const answer = String.fromCharCode(chunk[0] ?? 0);
      if (chunk.length !== 1 || (answer !== 'S' && answer !== 'N')) {
        reject(new Error('unexpected answer to the SSL request'));
      } else resolve(answer);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('the server closed the connection during the SSL request'));
    };
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
  });
}
