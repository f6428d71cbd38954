/**
 * Follows changes of the partitions of streamed partitioned tables. The stream receives every
 * row written through a partitioned table (publish_via_partition_root), but attaching a table
 * with its rows, detaching or dropping a partition, or truncating one alone writes no row
 * change it could apply. The launcher therefore compares, on each pass, the partitions a copy
 * was made from with pg_partition_tree() (polling: event triggers need a superuser, which
 * managed services do not give), and:
 * - a partition created since, and still empty, needs nothing: the rows routed into it are
 *   streamed; the copy is recorded as holding it;
 * - a partition that joined with rows, or one detached, dropped, re-attached, truncated or
 *   rewritten, makes the copy wrong: the table is copied again (requestRecopy), with the reason.
 */
import type pg from 'pg';
import type { TableEntry } from '../catalog/catalog.js';
import { recordPartitions, requestRecopy } from '../catalog/recopy.js';
import type { Logger } from '../log.js';
import { compareLeaves, leavesWithRows, readPartitionTrees } from '../source/partition-tree.js';

/** Checks every streamed partitioned table with a current copy; returns how many re-copies it asked for. */
export async function watchPartitions(
  client: pg.ClientBase,
  tables: readonly TableEntry[],
  log: Logger,
): Promise<number> {
  // A copy pending or running records the partitions it reads itself.
  const watched = tables.filter(
    (t) => t.mode === 'stream' && t.sourceExists && t.generation > 0 && t.state === 'synced' && t.partitions,
  );
  const trees = await readPartitionTrees(
    client,
    watched.map((t) => t.relid),
  );
  let asked = 0;
  for (const entry of watched) {
    const current = trees.get(entry.relid);
    if (!current) continue;
    const { same, added, recopyReason } = compareLeaves(entry.partitions!, current);
    if (same) continue;
    const filled = recopyReason ? [] : await leavesWithRows(client, added);
    const reason =
      recopyReason ??
      (filled.length > 0
        ? `${filled.length === 1 ? 'partition' : 'partitions'} ${filled.join(', ')} joined the table holding rows`
        : undefined);
    if (reason) {
      log.info('the partitions of a table changed; copying it again', {
        table: `${entry.schemaName}.${entry.tableName}`,
        reason,
      });
      await requestRecopy(client, entry.relid, reason);
      asked++;
    } else {
      // analytica.wait_for_sync waits until the record is current, renamed partitions included.
      await recordPartitions(client, entry.relid, entry.generation, current);
    }
  }
  return asked;
}
