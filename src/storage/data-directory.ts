/** The daemon's data directory: where the copies live. */
import { chmod, mkdir } from 'node:fs/promises';

/**
 * Creates the data directory if needed and makes it readable by the daemon's OS user only.
 * The copies hold every row of every registered table, whatever the privileges on the source:
 * like PostgreSQL's data directory it is 0700, so whatever the modes of the files inside, no
 * other OS user can reach them.
 */
export async function privateDataDirectory(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
}
