/**
 * The table versions a statement reads inside a transaction block: each table
 * at the version the block first read it. The first statement pins that
 * version (a view of it, which keeps its files and delta rows) until the block
 * ends; later statements read the delta only as far as it did. postgres_fdw
 * runs each local query in one REPEATABLE READ transaction and expects its
 * cursors to agree. Privileges are still checked by every statement's resolution.
 */
import type { VisibleTable } from '../catalog/catalog.js';
import type { DuckDbEngine } from './duckdb-engine.js';
import type { SessionContext } from './engine-types.js';
import type { DeltaBounds } from './streamed-view.js';
import type { ResolvedTable } from './table-resolver.js';

/** A table version a transaction block pinned, with the delta it read. */
interface KeptTable {
  readonly table: ResolvedTable;
  readonly bounds: DeltaBounds | undefined;
  readonly release: () => Promise<void>;
}

export interface SnapshotTables {
  readonly tables: ResolvedTable[];
  /** Per relid: the delta bounds later statements of the block read up to. */
  readonly bounds: ReadonlyMap<number, DeltaBounds>;
}

/** `record`: pin the versions not yet pinned (planning alone, EXPLAIN, does not). */
export async function tablesForStatement(
  duckdb: DuckDbEngine,
  context: SessionContext,
  resolved: ResolvedTable[],
  record: boolean,
): Promise<SnapshotTables> {
  const snapshot = context.snapshot;
  const bounds = new Map<number, DeltaBounds>();
  if (snapshot === undefined) return { tables: resolved, bounds };
  const tables: ResolvedTable[] = [];
  for (const table of resolved) {
    let kept = snapshot.get(context.database, table.relid) as KeptTable | undefined;
    if (kept === undefined && !record) {
      tables.push(table);
      continue;
    }
    if (kept === undefined) {
      kept = await keep(duckdb, context, table);
      snapshot.keep(context.database, table.relid, kept, kept.release);
    }
    // The same version resolves with this statement's statistics; a newer one is not read.
    tables.push(sameVersion(kept.table, table) ? table : kept.table);
    if (kept.bounds !== undefined) bounds.set(table.relid, kept.bounds);
  }
  return { tables, bounds };
}

/**
 * Pins a table's version (its files and, through a view, its delta rows) for a transaction block.
 * The caller found its files present while they were reserved: the rest of the block reads it.
 */
async function keep(duckdb: DuckDbEngine, context: SessionContext, table: ResolvedTable): Promise<KeptTable> {
  const unreserve = duckdb.reserve([table]);
  try {
    const view = await duckdb.acquire(context.database, table);
    const release = async () => {
      unreserve();
      await duckdb.release(view);
    };
    return { table, bounds: duckdb.deltaBoundsOf(view), release };
  } catch (error) {
    unreserve();
    throw error;
  }
}

/** Same data: generation, flush version and segment files (appends and compaction change the files). */
function sameVersion(a: VisibleTable, b: VisibleTable): boolean {
  return (
    a.generation === b.generation &&
    a.stream?.version === b.stream?.version &&
    a.paths.length === b.paths.length &&
    a.paths.every((p, i) => p === b.paths[i])
  );
}
