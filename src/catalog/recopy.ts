/**
 * Re-copies the daemon asks for itself: a change of the source the change stream cannot follow
 * (a partition attached, detached, dropped or truncated; a migration whose rows the WAL does not
 * carry). Not an error: the table is copied again from a fresh snapshot as analytica.resync()
 * would, and analytica.status says why (recopy_reason) and when it was done (recopied_at).
 */
import type pg from 'pg';
import type { PartitionTree } from '../source/partition-tree.js';

/**
 * Asks for a re-copy of the table, saying why. A paused table stays paused; a copy already
 * running is left to finish, and publishGeneration then leaves the table 'pending' so that
 * another copy, from a snapshot taken after this request, follows. Returns whether the table
 * is still registered.
 */
export async function requestRecopy(
  client: pg.ClientBase | pg.Pool,
  relid: number,
  reason: string,
): Promise<boolean> {
  const { rows } = await client.query<{ relid: string }>(
    `WITH marked AS (
       UPDATE analytica.tables
          SET state = CASE WHEN state IN ('paused', 'backfilling', 'refreshing') THEN state ELSE 'pending' END,
              sync_requested_at = now(), recopy_reason = $2, recopy_requested_at = now(), recopied_at = NULL
        WHERE relid = $1
        RETURNING relid)
     SELECT relid::bigint AS relid, pg_notify('analytica', 'resync ' || relid::text) FROM marked`,
    [relid, reason],
  );
  return rows.length > 0;
}

/** The copy of `relid` holds the rows of these partitions now (new ones were found empty). */
export async function recordPartitions(
  client: pg.ClientBase,
  relid: number,
  generation: number,
  partitions: PartitionTree,
): Promise<void> {
  await client.query(`UPDATE analytica.tables SET partitions = $3 WHERE relid = $1 AND generation = $2`, [
    relid,
    generation,
    JSON.stringify(partitions),
  ]);
}
