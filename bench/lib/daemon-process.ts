/**
 * The daemon as its own process (`pg-analytica start` from dist/), as a user
 * runs it. Latency benchmarks need this: a daemon inside the benchmark process
 * would share the client's event loop, and each round trip would pay for both
 * sides' JavaScript on one thread instead of two processes on two cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, type LocalCluster } from '../../src/cluster/local-cluster.js';

/** dist/src/cli/index.js, next to this file's dist/bench/lib. */
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/index.js');
const readyTimeoutMs = 60_000;

export interface DaemonProcessOptions {
  dataDir: string;
  threads: number;
}

export class DaemonProcess {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly #child: ChildProcess;

  private constructor(port: number, child: ChildProcess) {
    this.port = port;
    this.#child = child;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  static async start(cluster: LocalCluster, options: DaemonProcessOptions): Promise<DaemonProcess> {
    const port = await freePort();
    const argv = ['start', '--port', String(port), '--data-dir', options.dataDir, '--naptime', '1s'];
    argv.push('--threads', String(options.threads), '--log-level', 'warn');
    const child = spawn(process.execPath, [cli, ...argv], {
      env: { ...process.env, DATABASE_URL: cluster.connectionString() },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const daemon = new DaemonProcess(port, child);
    try {
      await daemon.#waitReady(cluster);
    } catch (error) {
      await daemon.close();
      throw error;
    }
    return daemon;
  }

  /** Polls a login to the query server until it answers, or the process exits, or the deadline passes. */
  async #waitReady(cluster: LocalCluster): Promise<void> {
    const deadline = performance.now() + readyTimeoutMs;
    for (;;) {
      if (this.#child.exitCode !== null) throw new Error(`the daemon exited with ${this.#child.exitCode}`);
      const client = new pg.Client({ ...cluster.clientConfig(), host: this.host, port: this.port });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (performance.now() > deadline)
          throw new Error(`the daemon did not answer on port ${this.port} within ${readyTimeoutMs} ms`, {
            cause: error,
          });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** SIGTERM (the daemon closes its sessions and workers), then waits for the exit. */
  async close(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
