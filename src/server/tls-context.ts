/**
 * The query server's TLS certificate and key, read once at start. Unreadable
 * files or a key that does not match the certificate stop the daemon with an
 * error naming the setting.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ConfigError } from '../config.js';

export interface TlsFiles {
  /** PEM certificate, optionally followed by its chain. */
  readonly certFile: string;
  /** PEM private key of the certificate, unencrypted. */
  readonly keyFile: string;
}

export async function loadTlsContext(files: TlsFiles): Promise<SecureContext> {
  const cert = await readSetting(files.certFile, '--tls-cert (PG_ANALYTICA_TLS_CERT)');
  const key = await readSetting(files.keyFile, '--tls-key (PG_ANALYTICA_TLS_KEY)');
  try {
    // PostgreSQL's ssl_min_protocol_version defaults to TLSv1.2 as well.
    return createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (error) {
    throw new ConfigError(
      `invalid TLS certificate or key in --tls-cert ${JSON.stringify(files.certFile)} and --tls-key ${JSON.stringify(files.keyFile)}: ${(error as Error).message}`,
    );
  }
}

async function readSetting(file: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new ConfigError(
      `invalid value for ${setting}: cannot read ${JSON.stringify(file)} (${(error as Error).message})`,
    );
  }
}
