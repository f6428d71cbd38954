/** Throw-away TLS keys and self-signed certificates for tests, made with openssl. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An EC (P-256) private key at `<dir>/<name>.key`; returns its path. */
export async function makeTlsKey(dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.key`);
  await run('openssl', [
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    file,
  ]);
  return file;
}

/**
 * A one-day self-signed certificate for `key` at `<dir>/<name>.crt`, for `commonName`; an IP
 * address as common name is also put in subjectAltName, where verify-full looks for it.
 */
export async function makeSelfSignedCertificate(
  dir: string,
  name: string,
  key: string,
  commonName: string,
): Promise<string> {
  const file = path.join(dir, `${name}.crt`);
  const san = /^[\d.]+$/.test(commonName) ? ['-addext', `subjectAltName=IP:${commonName}`] : [];
  await run('openssl', [
    'req',
    '-x509',
    '-key',
    key,
    '-out',
    file,
    '-days',
    '1',
    '-subj',
    `/CN=${commonName}`,
    ...san,
  ]);
  return file;
}
