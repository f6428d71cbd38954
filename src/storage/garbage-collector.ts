/**
 * Removes files no catalog row names: segments of crashed or superseded copies,
 * `.tmp` files of interrupted writes, and scratch CSV. A file still being
 * written (in flight) or still readable by a running query (pinned) is kept;
 * it is collected by a later pass.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { databaseDirectoryName } from './segment-paths.js';

export interface GarbageCollectionInput {
  dataDir: string;
  database: string;
  /** Relative paths named by catalog rows (all generations). */
  referenced: ReadonlySet<string>;
  /** Relative paths that must survive this pass (writes in progress, files open in queries). */
  keep: ReadonlySet<string>;
}

export interface GarbageCollectionResult {
  removed: string[];
  /** Unreferenced files left in place because they were in `keep`; a later pass must retry. */
  deferred: string[];
}

export async function collectGarbage(input: GarbageCollectionInput): Promise<GarbageCollectionResult> {
  const dbDirName = databaseDirectoryName(input.database);
  const dbDir = path.join(input.dataDir, dbDirName);
  const removed: string[] = [];
  const deferred: string[] = [];
  for (const tableDir of await listDir(dbDir)) {
    if (tableDir === 'scratch') continue;
    const entries = await listDir(path.join(dbDir, tableDir));
    let remaining = entries.length;
    for (const file of entries) {
      const relative = path.posix.join(dbDirName, tableDir, file);
      const segment = file.endsWith('.tmp') ? relative.slice(0, -'.tmp'.length) : relative;
      if (input.referenced.has(relative)) continue;
      if (input.keep.has(segment)) {
        deferred.push(relative);
        continue;
      }
      await rm(path.join(dbDir, tableDir, file), { force: true });
      removed.push(relative);
      remaining--;
    }
    if (remaining === 0) await rmdir(path.join(dbDir, tableDir)).catch(() => undefined);
  }
  return { removed, deferred };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
