/**
 * The leaf partitions of a partitioned table, as the copy and the launcher see them.
 *
 * Attaching, detaching, dropping or truncating a single partition writes no row changes the
 * change stream receives (with publish_via_partition_root a partition's TRUNCATE is not
 * published either), so the copy of a partitioned table would silently drift from the heap.
 * The launcher compares the leaves a copy was made from with the current ones instead.
 */
import type pg from 'pg';

/**
 * The partitions (at every level) by oid (decimal text): qualified name, relfilenode (NULL for a
 * partitioned one, which stores no rows) and link, the transaction that attached it (xmin of its
 * pg_inherits row: a partition detached and attached again between two looks has another).
 */
export type PartitionTree = Record<string, { name: string; node: number | null; link: string | null }>;

/**
 * SQL for the partitions of the table whose oid `relid` (an SQL expression) names, as a
 * PartitionTree (jsonb), or NULL when it is not a partitioned table: analytica.partition_tree(),
 * which analytica.wait_for_sync compares with the partitions a copy holds as well.
 */
export function partitionTreeSql(relid: string): string {
  return `analytica.partition_tree((${relid})::pg_catalog.oid::pg_catalog.regclass)`;
}

/** The current trees of these tables (those that are partitioned and still exist). */
export async function readPartitionTrees(
  client: pg.ClientBase,
  relids: readonly number[],
): Promise<Map<number, PartitionTree>> {
  if (relids.length === 0) return new Map();
  const { rows } = await client.query<{ relid: string; tree: PartitionTree }>(
    `SELECT t.table_oid::bigint AS relid, ${partitionTreeSql('t.table_oid')} AS tree
       FROM pg_catalog.unnest($1::oid[]) AS t(table_oid)`,
    [relids],
  );
  return new Map(rows.filter((r) => r.tree !== null).map((r) => [Number(r.relid), r.tree]));
}

/**
 * How the partitions changed since `known`; added ones need a look at their rows
 * (leavesWithRows). Renames change nothing but the record (`same` is false).
 */
export interface LeafChanges {
  /** Nothing changed, names included. */
  same: boolean;
  /** Partitions that joined the table (created, or attached with their rows). */
  added: string[];
  /** Why a re-copy is needed whatever the added leaves hold, or undefined. */
  recopyReason: string | undefined;
}

export function compareLeaves(known: PartitionTree, current: PartitionTree): LeafChanges {
  const reasons: string[] = [];
  for (const [oid, leaf] of Object.entries(known)) {
    const now = current[oid];
    if (!now) reasons.push(`partition ${leaf.name} was detached or dropped`);
    else if (now.link !== leaf.link) reasons.push(`partition ${now.name} was detached and attached again`);
    else if (now.node !== leaf.node)
      reasons.push(`partition ${now.name} was truncated or rewritten (TRUNCATE, VACUUM FULL, CLUSTER)`);
  }
  const added = Object.keys(current).filter((oid) => !known[oid]);
  const renamed = Object.entries(current).some(([oid, leaf]) => known[oid] && known[oid].name !== leaf.name);
  return {
    same: reasons.length === 0 && added.length === 0 && !renamed,
    added,
    recopyReason: reasons.length > 0 ? reasons.join('; ') : undefined,
  };
}

/**
 * The added leaves that hold rows now. A leaf that holds none at this statement's snapshot
 * needs no re-copy: rows written to it before it joined the table were committed before it
 * joined (ATTACH PARTITION locks it against writers), so none is left; every row written since
 * is routed through the partitioned table and streamed.
 */
export async function leavesWithRows(client: pg.ClientBase, oids: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const oid of oids) {
    const { rows } = await client.query<{ name: string; qualified: string; relkind: string }>(
      `SELECT c.oid::regclass::text AS name, pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified,
              c.relkind::text AS relkind
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = $1::oid`,
      [oid],
    );
    const leaf = rows[0];
    // Gone again already: the leaves are compared once more on the next pass.
    if (!leaf || leaf.relkind === 'p') continue;
    // A foreign table is not read here (its server may be far or down): the copy refuses it.
    if (leaf.relkind !== 'r') {
      found.push(leaf.name);
      continue;
    }
    try {
      const probe = await client.query<{ found: boolean }>(
        `SELECT EXISTS (SELECT FROM ONLY ${leaf.qualified}) AS found`,
      );
      if (probe.rows[0]?.found) found.push(leaf.name);
    } catch (error) {
      if ((error as { code?: string }).code !== undefinedTable) throw error;
    }
  }
  return found;
}

const undefinedTable = '42P01';
