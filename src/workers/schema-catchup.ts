/**
 * Schema catch-up: a streamed table follows a migration without waiting for a write to it.
 *
 * pgoutput sends a table's new columns (a Relation message) only with its next row change, and
 * says nothing of a label added to an enum. A quiet table would keep its old columns
 * indefinitely, so when a query or the launcher's periodic check (schema-watch.ts) finds the
 * catalog's columns differ from the copy's, the stream worker reads them from pg_attribute as a
 * Relation message would give them (names, type OIDs, typmods, key flags; attnums and enum
 * labels besides), then the source's WAL insert position T, and once the stream has processed
 * everything committing below T it applies them exactly as if a Relation message had brought
 * them (follow-relation.ts), at position T: an ADD COLUMN … DEFAULT is read by the rows
 * committed below T.
 *
 * Why that is exact. The read sees only committed DDL (a fresh snapshot), and its commit record
 * lies below T, read after. Any change of the table committed after the DDL comes with a
 * Relation message (the DDL invalidates pgoutput's entry for the table), so either one of them
 * was received and the stream followed it — the copy then has the catalog's columns already, or
 * the Relation message came from a transaction committing at or after T0, the insert position
 * read before the catalog, and describes columns at least as new: the catch-up reads again
 * rather than going back — or no change of the table lies between the DDL and T, and every row
 * the copy holds with a commit below T was written before the DDL. Rows of a transaction
 * committing at T or later hold their own values.
 */
import type pg from 'pg';
import { errorMessage } from '../errors.js';
import { nudgeSql } from '../query/wal-flush-nudge.js';
import { parseLsn, type RelationMessage, type ReplicaIdentity } from '../source/pgoutput/index.js';
import { enumLabels, followEnumLabels } from './enum-labels.js';
import { followRelation } from './follow-relation.js';
import type { StreamState } from './stream-state.js';
import type { StreamedTable } from './streamed-table.js';

/** A table's columns as the catalog has them. */
interface CatalogShape {
  relation: RelationMessage;
  attnums: ReadonlyMap<string, number>;
  /** Labels of the enum type of each column, in sort order (empty for other types). */
  labels: ReadonlyMap<string, readonly string[]>;
}

interface Pending {
  shape: CatalogShape;
  /** The insert position read before the catalog, and after it (the catch-up's position). */
  before: bigint;
  target: bigint;
}

export class SchemaCatchUp {
  readonly #state: StreamState;
  /** Tables whose catalog columns are to be read. */
  readonly #wanted = new Set<number>();
  /** Tables whose columns were read, waiting for the stream to reach their position. */
  readonly #pending = new Map<number, Pending>();
  /** Tables followed, waiting for the flush that records their columns in the catalog. */
  #flushing: { relid: number; at: bigint }[] = [];
  readonly #waiters = new Map<number, (() => void)[]>();
  /** Tables asked for again while their catch-up was under way. */
  readonly #again = new Set<number>();

  constructor(state: StreamState) {
    this.#state = state;
  }

  /** Resolves once the copies of `relids` have the catalog's columns, or cannot follow them here. */
  request(relids: readonly number[]): Promise<void> {
    const waits = relids.map(
      (relid) =>
        new Promise<void>((resolve) => {
          this.#waiters.set(relid, [...(this.#waiters.get(relid) ?? []), resolve]);
          // One under way is not re-read now (that would move its position on, and requests repeated
          // faster than the stream gets there would never see it applied); once it is done, the
          // catalog is read again, for a migration it may not have seen.
          if (this.#pending.has(relid) || this.#flushing.some((f) => f.relid === relid))
            this.#again.add(relid);
          else this.#wanted.add(relid);
        }),
    );
    return Promise.all(waits).then(() => undefined);
  }

  /** A catch-up waits for the stream to move: an idle stream asks for keepalives. */
  get busy(): boolean {
    return this.#wanted.size > 0 || this.#pending.size > 0;
  }

  /** Between transactions: reads what was asked for, and applies what the stream has reached. */
  async atBoundary(): Promise<void> {
    const state = this.#state;
    if (state.tx) return;
    for (const done of this.#flushing.filter((f) => state.flushed >= f.at)) this.#finish(done.relid);
    this.#flushing = this.#flushing.filter((f) => state.flushed < f.at);
    if (this.#wanted.size > 0) await this.#read();
    for (const [relid, pending] of [...this.#pending]) {
      if (state.received >= pending.target) await this.#apply(relid, pending);
    }
  }

  async #read(): Promise<void> {
    const state = this.#state;
    const wanted = [...this.#wanted];
    this.#wanted.clear();
    const relids = wanted.filter((relid) => this.#streaming(relid) || !this.#finish(relid));
    if (relids.length === 0) return;
    const before = await insertPosition(state.catalog);
    const shapes = await readShapes(state.catalog, relids);
    const target = await insertPosition(state.catalog);
    let waiting = false;
    for (const relid of relids) {
      const table = state.tables.get(relid)!;
      const shape = shapes.get(relid);
      if (
        !shape ||
        (sameColumns(table, shape) && sameAttnums(state, table, shape) && sameLabels(table, shape))
      ) {
        // Followed already (a relation message), but the catalog's spec, which queries read,
        // has the new columns only after the next flush.
        if (shape && table.schemaChanged) this.#flushing.push({ relid, at: state.received });
        else this.#finish(relid);
        continue;
      }
      this.#pending.set(relid, { shape, before, target });
      waiting = true;
    }
    // The walsender sends only flushed WAL: a transaction committed with synchronous_commit on
    // flushes everything up to T, so that even an idle stream gets there.
    if (waiting) {
      await state.catalog.query(nudgeSql).catch((error: unknown) => {
        state.log.debug('could not make the source flush its WAL', { error: errorMessage(error) });
      });
    }
  }

  async #apply(relid: number, pending: Pending): Promise<void> {
    const state = this.#state;
    this.#pending.delete(relid);
    const table = state.tables.get(relid);
    if (table?.phase !== 'streaming') {
      this.#finish(relid);
      return;
    }
    const seen = state.relationSeenAt.get(relid);
    const newer = seen !== undefined && seen >= pending.before && !sameColumns(table, pending.shape);
    // A copy made after T holds rows its position does not order: read again, past it.
    if (newer || table.watermark > pending.target) {
      this.#wanted.add(relid);
      return;
    }
    const { relation } = pending.shape;
    const followed = await followRelation(state, table, relation, { commit: pending.target, seq: 0n });
    if (followed && table.phase === 'streaming' && !sameLabels(table, pending.shape)) {
      const refused = await followEnumLabels(state, table, relation);
      if (refused) await state.recopy(table, `the labels of an enum type changed: ${refused}`);
    }
    if (table.schemaChanged && table.phase === 'streaming') {
      state.log.info('followed a schema change before any write to the table', { table: table.name });
      this.#flushing.push({ relid, at: state.received });
    } else {
      this.#finish(relid);
    }
  }

  #streaming(relid: number): boolean {
    return this.#state.tables.get(relid)?.phase === 'streaming';
  }

  /** Resolves the waiters of a table (or reads its catalog again first); false, for use in filters. */
  #finish(relid: number): false {
    if (this.#again.delete(relid)) {
      this.#wanted.add(relid);
      return false;
    }
    for (const resolve of this.#waiters.get(relid) ?? []) resolve();
    this.#waiters.delete(relid);
    return false;
  }
}

async function insertPosition(client: pg.ClientBase): Promise<bigint> {
  const { rows } = await client.query<{ lsn: string }>(
    'SELECT pg_catalog.pg_current_wal_insert_lsn()::text AS lsn',
  );
  return parseLsn(rows[0]!.lsn);
}

interface ShapeRow {
  relid: string;
  nspname: string;
  relname: string;
  replident: string;
  attnum: number;
  name: string;
  type_oid: string;
  type_modifier: number;
  is_key: boolean;
  labels: string[];
}

/**
 * The live columns of each table as pgoutput's Relation message gives them (the attribute's own
 * type, a domain's included; key flags of the replica identity), with attnums and enum labels
 * (of a domain's base type too: the copy reads a domain as its base type).
 */
const shapesSql = `
SELECT c.oid::bigint AS relid, n.nspname::text, c.relname::text, c.relreplident::text AS replident,
       a.attnum::int AS attnum, a.attname::text AS name, a.atttypid::bigint AS type_oid, a.atttypmod AS type_modifier,
       (c.relreplident = 'f' OR EXISTS (
          SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey)
             AND CASE c.relreplident WHEN 'd' THEN i.indisprimary WHEN 'i' THEN i.indisreplident ELSE false END)) AS is_key,
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
              WHERE e.enumtypid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END
              ORDER BY e.enumsortorder) AS labels
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
 WHERE c.oid = ANY ($1::oid[])
 ORDER BY c.oid, a.attnum`;

async function readShapes(
  client: pg.ClientBase,
  relids: readonly number[],
): Promise<Map<number, CatalogShape>> {
  const { rows } = await client.query<ShapeRow>(shapesSql, [relids]);
  const shapes = new Map<number, CatalogShape>();
  for (const row of rows) {
    const relid = Number(row.relid);
    let shape = shapes.get(relid);
    if (!shape) {
      const relation: RelationMessage = {
        type: 'relation',
        xid: undefined,
        relationId: relid,
        namespace: row.nspname,
        name: row.relname,
        replicaIdentity: row.replident as ReplicaIdentity,
        columns: [],
      };
      shape = { relation, attnums: new Map(), labels: new Map() };
      shapes.set(relid, shape);
    }
    shape.relation.columns.push({
      flags: row.is_key ? 1 : 0,
      isKey: row.is_key,
      name: row.name,
      typeOid: Number(row.type_oid),
      typeModifier: row.type_modifier,
    });
    (shape.attnums as Map<string, number>).set(row.name, row.attnum);
    (shape.labels as Map<string, readonly string[]>).set(row.name, row.labels);
  }
  return shapes;
}

/** The copy's live columns have the catalog's names and types, in its order. */
function sameColumns(table: StreamedTable, shape: CatalogShape): boolean {
  const now = shape.relation.columns;
  return (
    now.length === table.columns.length &&
    now.every(
      (c, i) =>
        c.name === table.columns[i]!.name &&
        c.typeOid === table.columns[i]!.pgTypeOid &&
        c.typeModifier === table.columns[i]!.pgTypeModifier,
    )
  );
}

/** No column of the copy was dropped and added again under its name (told apart by attnum). */
function sameAttnums(state: StreamState, table: StreamedTable, shape: CatalogShape): boolean {
  const known = state.attnums.get(table);
  if (!known) return true;
  return table.columns.every((c) => {
    const before = known.get(c.name);
    return before === undefined || before === shape.attnums.get(c.name);
  });
}

/** Every enum column of the copy knows its type's labels, in their order. */
function sameLabels(table: StreamedTable, shape: CatalogShape): boolean {
  return table.columns.every((c) => {
    const known = enumLabels(c.queryType);
    const now = shape.labels.get(c.name);
    return !known || !now || now.length === 0 || known.join('\u0000') === now.join('\u0000');
  });
}
