/**
 * Removes files no catalog row names: segments of crashed or superseded copies,
 * `.tmp` files of interrupted writes, and scratch CSV. A file still being
 * written (in flight) or still readable by a running query (pinned) is kept;
 * it is collected by a later pass.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { removalsInFlight } from './removals-in-flight.js';
import { databaseDirectoryName } from './segment-paths.js';

export interface GarbageCollectionInput {
  dataDir: string;
  database: string;
  /** Relative paths named by catalog rows (all generations). */
  referenced: () => Promise<ReadonlySet<string>>;
  /**
   * Oids of registered tables: their directories stay even when empty, because a copy or a
   * flush may be about to write there (removing the directory would fail that write).
   */
  registered: () => Promise<ReadonlySet<number>>;
  /** Relative paths of writes in progress (read before the catalog). */
  inFlight: () => ReadonlySet<string>;
  /** Relative paths running queries read or are about to read (read last). */
  pinned: () => ReadonlySet<string>;
}

export interface GarbageCollectionResult {
  removed: string[];
  /** Unreferenced files left in place because they were in `keep`; a later pass must retry. */
  deferred: string[];
}

/**
 * Files are listed first, then the writes in progress are read, then the catalog: a file
 * listed was then either being written (and is still, or has been committed to the catalog
 * read after), or committed already, or an orphan. Reading the catalog first would let a
 * write that starts and commits in between lose its file. The files queries pin are read
 * last (see below).
 */
export async function collectGarbage(input: GarbageCollectionInput): Promise<GarbageCollectionResult> {
  const dbDirName = databaseDirectoryName(input.database);
  const dbDir = path.join(input.dataDir, dbDirName);
  const removed: string[] = [];
  const deferred: string[] = [];
  const listing: [string, string[]][] = [];
  for (const tableDir of await listDir(dbDir)) {
    if (tableDir !== 'scratch') listing.push([tableDir, await listDir(path.join(dbDir, tableDir))]);
  }
  const inFlight = input.inFlight();
  const referenced = await input.referenced();
  const registered = await input.registered();
  const doomed: [string, string, string][] = [];
  for (const [tableDir, entries] of listing) {
    for (const file of entries) {
      const relative = path.posix.join(dbDirName, tableDir, file);
      if (!referenced.has(relative)) doomed.push([tableDir, file, relative]);
    }
  }
  // What running queries read is read last, and every removal starts in the same turn of the
  // event loop: a query pins its files synchronously, so it pinned them before this check or
  // finds them gone when it checks after pinning (and resolves its tables again).
  const pinned = input.pinned();
  const keep = (segment: string) => inFlight.has(segment) || pinned.has(segment);
  const removals: Promise<void>[] = [];
  const emptied = new Map(listing.map(([tableDir, entries]) => [tableDir, entries.length]));
  for (const [tableDir, file, relative] of doomed) {
    const segment = file.endsWith('.tmp') ? relative.slice(0, -'.tmp'.length) : relative;
    if (keep(segment)) {
      deferred.push(relative);
      continue;
    }
    removalsInFlight.add(relative);
    removals.push(
      rm(path.join(dbDir, tableDir, file), { force: true }).finally(() => removalsInFlight.delete(relative)),
    );
    removed.push(relative);
    emptied.set(tableDir, emptied.get(tableDir)! - 1);
  }
  await Promise.all(removals);
  for (const [tableDir, remaining] of emptied) {
    if (remaining === 0 && !registered.has(Number(tableDir)))
      await rmdir(path.join(dbDir, tableDir)).catch(() => undefined);
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
