/**
 * Real clients some tests drive that npm does not install: psql, psycopg2 with
 * Debian's python3, pgJDBC run by java, PostgreSQL 15's server (postgres_fdw
 * from an older server), openssl, and Chromium (the status page, driven
 * headless by puppeteer-core). On a machine with only Node.js and npm their
 * tests skip, each saying which Debian package enables it:
 *
 *   describe('psql: queries', { skip: needs('psql') }, () => { … });
 *
 * CI installs them all (.ci/run) and sets PGA_REQUIRE_ALL_CLIENTS=1, where a
 * missing client fails the test file instead of skipping. PGA_PRETEND_MISSING
 * (a comma-separated list of the names below) makes this helper think a client
 * is missing, to check the skipping without uninstalling anything.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

interface OptionalClient {
  /** The Debian package that provides it. */
  readonly debianPackage: string;
  readonly installed: () => boolean;
}

/** Where Debian's chromium package puts the browser. */
export const chromiumPath = '/usr/bin/chromium';

const executable = (file: string) => () => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

const succeeds = (file: string, args: string[], output?: RegExp) => () => {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 && (output === undefined || output.test(result.stdout));
};

export const optionalClients = {
  psql: { debianPackage: 'postgresql-client', installed: executable('/usr/bin/psql') },
  psycopg2: {
    debianPackage: 'python3-psycopg2',
    installed: succeeds('/usr/bin/python3', ['-c', 'import psycopg2']),
  },
  // JdbcClient.java runs from source, which needs the JDK's compiler module.
  java: {
    debianPackage: 'default-jdk-headless',
    installed: succeeds('/usr/bin/java', ['--list-modules'], /^jdk\.compiler@/m),
  },
  pgjdbc: {
    debianPackage: 'libpostgresql-jdbc-java',
    installed: () => readable('/usr/share/java/postgresql.jar'),
  },
  postgres15: {
    debianPackage: 'postgresql-15',
    installed: executable('/usr/lib/postgresql/15/bin/postgres'),
  },
  openssl: { debianPackage: 'openssl', installed: succeeds('openssl', ['version']) },
  chromium: { debianPackage: 'chromium', installed: executable(chromiumPath) },
} as const satisfies Record<string, OptionalClient>;

export type ClientName = keyof typeof optionalClients;

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const known = new Map<ClientName, boolean>();

/** Whether `name` is installed (PGA_PRETEND_MISSING aside); checked once per process. */
export function clientInstalled(name: ClientName): boolean {
  const pretend = (process.env.PGA_PRETEND_MISSING ?? '').split(',').map((s) => s.trim());
  if (pretend.includes(name)) return false;
  if (!known.has(name)) known.set(name, optionalClients[name].installed());
  return known.get(name)!;
}

/**
 * node:test's `skip` option for a test or suite that drives `clients`: false
 * when all are installed, else one line naming the missing ones and the Debian
 * packages that provide them. Throws instead under PGA_REQUIRE_ALL_CLIENTS=1.
 */
export function needs(...clients: ClientName[]): string | false {
  const missing = clients.filter((name) => !clientInstalled(name));
  if (missing.length === 0) return false;
  const packages = [...new Set(missing.map((name) => optionalClients[name].debianPackage))];
  const line = `needs ${missing.join(', ')}: apt-get install ${packages.join(' ')}`;
  if (process.env.PGA_REQUIRE_ALL_CLIENTS === '1')
    throw new Error(`PGA_REQUIRE_ALL_CLIENTS=1 and a client is missing: ${line}`);
  return line;
}
