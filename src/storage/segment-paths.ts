/**
 * Segment file layout: <data_dir>/<database>/<table oid>/<segment id>.parquet.
 * The catalog stores paths relative to the data directory, so a data directory
 * can move. Database names are encoded so no name can escape its directory.
 */
import path from 'node:path';

export function databaseDirectoryName(database: string): string {
  return encodeURIComponent(database).replaceAll('.', '%2E').replaceAll('*', '%2A');
}

export function segmentRelativePath(database: string, relid: number, segmentId: number): string {
  return path.posix.join(databaseDirectoryName(database), String(relid), `${segmentId}.parquet`);
}

export function tableDirectory(dataDir: string, database: string, relid: number): string {
  return path.join(dataDir, databaseDirectoryName(database), String(relid));
}

/** Scratch space for copies in progress; emptied at start and after each copy. */
export function scratchDirectory(dataDir: string, database: string): string {
  return path.join(dataDir, databaseDirectoryName(database), 'scratch');
}

/** Resolves a catalog path, refusing anything outside the data directory. */
export function absoluteSegmentPath(dataDir: string, relativePath: string): string {
  const resolved = path.resolve(dataDir, relativePath);
  const root = path.resolve(dataDir) + path.sep;
  if (!resolved.startsWith(root))
    throw new Error(`segment path ${JSON.stringify(relativePath)} leaves the data directory`);
  return resolved;
}
