/**
 * ALTER TYPE … ADD VALUE of an enum a streamed table uses. The copy stores enum values as their
 * labels and reads them as a DuckDB ENUM of the labels in PostgreSQL's sort order (the column's
 * queryType), so a new label, wherever it sorts (BEFORE or AFTER an existing one), needs no
 * stored value changed: the column's type is replaced by the one with the labels as they are
 * now. The change stream says nothing of it (the relation is unchanged), so the first row
 * holding a label the copy does not know makes the stream read the labels again.
 * ALTER TYPE … RENAME VALUE changes labels the copy holds: the table is copied again.
 */
import { PgError, SqlState } from '../errors.js';
import type { IngestColumn } from '../source/column-types.js';
import { ingestColumn } from '../source/column-types.js';
import type { RelationMessage, TupleData } from '../source/pgoutput/index.js';
import { readSourceTable } from '../source/table-schema.js';
import { replaceColumns } from './schema-evolution.js';
import type { StreamState } from './stream-state.js';
import type { StreamedTable } from './streamed-table.js';

/** The labels of each enum column (undefined for the others), per columns list. */
const labelsOf = new WeakMap<readonly IngestColumn[], (ReadonlySet<string> | undefined)[]>();

/** The labels of an enum column's DuckDB type `ENUM('a', 'b')`, in order; undefined for other types. */
export function enumLabels(queryType: string): string[] | undefined {
  if (!queryType.startsWith('ENUM(')) return undefined;
  return [...queryType.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replaceAll("''", "'"));
}

/** Whether the row holds an enum label the copy's columns do not know (cheap: on every row). */
export function hasUnknownLabel(columns: readonly IngestColumn[], tuple: TupleData): boolean {
  let labels = labelsOf.get(columns);
  if (!labels) {
    labels = columns.map((c) => {
      const known = enumLabels(c.queryType);
      return known ? new Set(known) : undefined;
    });
    labelsOf.set(columns, labels);
  }
  for (const [i, known] of labels.entries()) {
    const value = tuple[i];
    if (known && typeof value === 'string' && !known.has(value)) return true;
  }
  return false;
}

/**
 * The enum columns of the copy take their types' labels as they are now. Returns why not when
 * a label the copy holds is gone (renamed), the table is then copied again.
 */
export async function followEnumLabels(
  state: StreamState,
  table: StreamedTable,
  relation: RelationMessage,
): Promise<string | null> {
  if (table.phase !== 'streaming') return 'a copy in progress cannot follow it';
  let source: Awaited<ReturnType<typeof readSourceTable>>;
  try {
    source = await readSourceTable(state.catalog, table.relid);
  } catch (error) {
    // A column added since that the copy cannot hold: the copy made again says so.
    if (error instanceof PgError && error.code === SqlState.featureNotSupported) return error.message;
    throw error;
  }
  const next: IngestColumn[] = [];
  for (const old of table.columns) {
    const known = enumLabels(old.queryType);
    const current = source.columns.find((c) => c.name === old.name);
    if (!known || !current) {
      next.push(old);
      continue;
    }
    if (current.typeOid !== old.pgTypeOid || current.typeModifier !== old.pgTypeModifier) {
      return `column ${old.name} changed type from ${old.pgType} to ${current.typeName}`;
    }
    const labels = current.enumLabels ?? [];
    const gone = known.filter((l) => !labels.includes(l));
    if (gone.length > 0) {
      return `label ${gone.join(', ')} of type ${old.pgType} (column ${old.name}) was renamed`;
    }
    next.push(old.missing ? { ...ingestColumn(current), missing: old.missing } : ingestColumn(current));
  }
  await replaceColumns(state, table, next);
  // The relation still matches the copy: later changes with it need no check.
  table.schemaMismatch(relation);
  state.log.info('followed new labels of an enum type', { table: table.name });
  return null;
}
