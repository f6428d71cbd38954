/**
 * A full disk under the data directory: Node reports ENOSPC, DuckDB an IO
 * error saying "No space left on device". Either becomes one PgError (53100
 * disk_full, as PostgreSQL says it) that names the directory and what to do.
 */
import { errorMessage, PgError, SqlState } from '../errors.js';

export function isDiskFull(error: unknown): boolean {
  if ((error as { code?: unknown } | null)?.code === 'ENOSPC') return true;
  return /no space left on device/i.test(errorMessage(error));
}

/** The error to record for work that failed because the disk is full. */
export function diskFullError(error: unknown, dataDir: string): PgError {
  if (error instanceof PgError && error.code === SqlState.diskFull) return error;
  return new PgError(SqlState.diskFull, `could not write to the data directory: no space left on device`, {
    detail: errorMessage(error),
    hint: `free space in the data directory ${dataDir} (or move it with --data-dir); the work is retried with backoff`,
    cause: error,
  });
}
