/** The launcher lock: one launcher (one daemon) per database. */
import type pg from 'pg';
import { PgError, SqlState } from '../errors.js';

/** Advisory-lock key of the launcher of a database (session lock on its catalog connection). */
export const launcherLockKey = 1885823075;

/**
 * One launcher per database: two daemons copying the same tables would write
 * the same staged generation and delete each other's files in progress. The
 * lock lives as long as the launcher's connection. The connection of a daemon
 * killed on this machine ends within milliseconds, so at start a short wait
 * tells a second daemon from a dead one; after a lost connection (a network
 * cut the server has not noticed yet) the launcher waits longer.
 */
export const startLockWaitMs = 2_000;

export async function holdLauncherLock(client: pg.Client, database: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      launcherLockKey,
    ]);
    if (rows[0]?.locked) return;
    if (Date.now() > deadline) {
      const { rows: holder } = await client.query<{ pid: number }>(
        `SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database AND d.datname = current_database()
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1`,
        [launcherLockKey],
      );
      const pid = holder[0]?.pid;
      throw new PgError(
        SqlState.objectNotInPrerequisiteState,
        `another pg-analytica daemon is already serving database ${database} (it holds advisory lock ${launcherLockKey}${pid ? ` on the connection of server process ${pid}` : ''})`,
        {
          hint: `stop that daemon first, or serve other databases with --databases${pid ? `; if it is gone, SELECT pg_terminate_backend(${pid})` : ''}`,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
