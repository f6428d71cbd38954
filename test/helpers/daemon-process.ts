/** The daemon as a child process (in a process group of its own), for tests that kill it with SIGKILL. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type LocalCluster } from '../../src/cluster/local-cluster.js';
import { waitFor } from './cluster.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/index.js');

export /** A daemon running as a child process in a process group of its own. */
class DaemonProcess {
  static readonly running = new Set<DaemonProcess>();
  readonly child: ChildProcess;
  readonly port: number;
  #stderr = '';
  readonly exited: Promise<void>;

  private constructor(child: ChildProcess, port: number) {
    this.child = child;
    this.port = port;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-8000);
      if (process.env.PG_ANALYTICA_TEST_LOG) process.stderr.write(text);
    });
  }

  get stderr(): string {
    return this.#stderr;
  }

  static async start(
    cluster: LocalCluster,
    dataDir: string,
    args: readonly string[] = [],
    database = 'postgres',
  ): Promise<DaemonProcess> {
    const port = await freePort();
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env))
      if (value !== undefined && !name.startsWith('PG')) env[name] = value;
    env.DATABASE_URL = cluster.connectionString(database);
    const child = spawn(
      process.execPath,
      [
        cli,
        'start',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
        '--log-level',
        process.env.PG_ANALYTICA_TEST_LOG ?? 'warn',
        ...args,
      ],
      { detached: true, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const daemon = new DaemonProcess(child, port);
    DaemonProcess.running.add(daemon);
    void daemon.exited.then(() => DaemonProcess.running.delete(daemon));
    await waitFor(
      async () => {
        if (daemon.child.exitCode !== null || daemon.child.signalCode !== null)
          throw new Error(`the daemon exited during start:\n${daemon.stderr}`);
        return daemon.stderr.includes('pg-analytica is serving');
      },
      'the daemon to start',
      30_000,
    );
    return daemon;
  }

  /** SIGKILL to the whole process group; resolves once the child is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exited;
  }

  static killAllSync(): void {
    for (const daemon of DaemonProcess.running) {
      if (daemon.child.pid === undefined) continue;
      try {
        process.kill(-daemon.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

process.once('exit', () => DaemonProcess.killAllSync());
