/** The real command line as a child process: `node dist/src/cli/index.js …`, with no PG* variables of the test run. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const cliPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/index.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** DATABASE_URL of the child (none: PG* variables and DATABASE_URL are removed). */
  databaseUrl?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function cliEnv(options: CliOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('PG') && key !== 'DATABASE_URL') env[key] = value;
  if (options.databaseUrl !== undefined) env.DATABASE_URL = options.databaseUrl;
  return { ...env, ...options.env };
}

/** A running CLI child whose output is collected; `finished` resolves when it exits. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly finished: Promise<CliRun>;

  constructor(args: readonly string[], options: CliOptions = {}) {
    this.child = spawn(process.execPath, [cliPath, ...args], {
      env: cliEnv(options),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdin?.end();
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      if (process.env.PG_ANALYTICA_TEST_LOG) process.stderr.write(chunk);
    });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    this.finished = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new CliProcess(args, options).finished;
}

/** No JavaScript stack frame ("    at f (file.js:1:2)") reached the user. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]/m.test(text);
}
