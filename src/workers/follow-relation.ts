/**
 * A streamed table follows the columns a relation describes: the Relation message the stream
 * sent with a change (stream-apply.ts), or the catalog's columns read by a schema catch-up
 * (schema-catchup.ts), which this treats exactly alike.
 */
import type { RelationMessage, TupleData } from '../source/pgoutput/index.js';
import { followEnumLabels, hasUnknownLabel } from './enum-labels.js';
import { type ChangePosition, evolveSchema, readdedColumns } from './schema-evolution.js';
import type { StreamState } from './stream-state.js';
import type { StreamedTable } from './streamed-table.js';

/**
 * False when the table's columns changed in a way the copy cannot follow in place (it is copied
 * again). `at`: where in the stream the relation was found (rows written before it lack a column
 * it adds); `row`: the new row of the change, whose enum labels the copy may not know yet.
 */
export async function followRelation(
  state: StreamState,
  table: StreamedTable,
  relation: RelationMessage,
  at: ChangePosition,
  row?: TupleData,
): Promise<boolean> {
  const labels = async () => {
    const refused =
      row && hasUnknownLabel(table.columns, row) ? await followEnumLabels(state, table, relation) : null;
    if (refused) await state.recopy(table, `the labels of an enum type changed: ${refused}`);
    return !refused;
  };
  if (table.matches(relation)) return await labels();
  // A column dropped and added again can look unchanged, or like a rename: columns are told
  // apart by attnum (readdedColumns, evolveSchema).
  const mismatch = table.schemaMismatch(relation);
  const reason = mismatch
    ? await evolveSchema(state, table, relation, at)
    : await readdedColumns(state, table);
  if (reason) {
    await state.recopy(table, `${mismatch ?? `the columns of ${table.name} changed`}: ${reason}`);
    return false;
  }
  return await labels();
}
