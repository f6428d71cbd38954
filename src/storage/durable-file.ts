/** fsync helpers: a segment must be on disk before the catalog row that names it commits. */
import { open, rename } from 'node:fs/promises';
import path from 'node:path';

export async function fsyncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes `temporary`, renames it to `final` and flushes the directory entry. */
export async function publishFile(temporary: string, final: string): Promise<void> {
  await fsyncPath(temporary);
  await rename(temporary, final);
  await fsyncPath(path.dirname(final));
}
