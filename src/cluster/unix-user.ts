/**
 * PostgreSQL's initdb and postgres refuse to run as root. When we are root we
 * run them as an existing unprivileged user instead of creating one.
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

/** `postgres` when the system has it (Debian's packages create it), else `nobody`. */
export async function unprivilegedUser(): Promise<UnixUser> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const users = new Map<string, UnixUser>();
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name && uid && gid) users.set(name, { name, uid: Number(uid), gid: Number(gid) });
  }
  const user = users.get('postgres') ?? users.get('nobody');
  if (!user)
    throw new Error('running as root, but neither a postgres nor a nobody OS user exists to run PostgreSQL');
  return user;
}

/** Runs a program to completion (optionally as another user), collecting its output. */
export async function runAs(
  program: string,
  args: string[],
  user: UnixUser | undefined,
): Promise<{ code: number; output: string }> {
  return await new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The first ancestor of `dir` (itself excluded) that other users cannot enter, if any. */
export async function blockedAncestor(dir: string): Promise<string | undefined> {
  for (let parent = path.dirname(dir); parent !== path.dirname(parent); parent = path.dirname(parent)) {
    if (((await stat(parent)).mode & 0o001) === 0) return parent;
  }
  return undefined;
}
