/**
 * JOIN … USING and NATURAL JOIN: DuckDB joins the named columns by its own equality of their
 * values as stored, where PostgreSQL resolves `=` on their types. Both agree when the two sides
 * have one type compared as stored; where they differ — a char(n) beside text (PostgreSQL
 * compares the text without the trailing blanks) or char(n) of another length, a numeric whose
 * values keep each their own scale (held as text: '1.50' = '1.5'), any type compared by a key
 * (jsonb, citext, inet, intervals…) — the join is refused with 0A000, naming the column; an ON
 * clause compares them as PostgreSQL does.
 */
import { SqlState } from '../../../errors.js';
import type { SelectContext } from '../emit-context.js';
import { formatTypeName, type PgType } from './pg-types.js';
import type { TypedColumn } from './type-scope.js';
import { groupsByKey } from './value-keys.js';

/** Checks the join columns of `names` (undefined: NATURAL, the names both sides have). */
export function checkJoinColumns(
  ctx: SelectContext,
  names: readonly string[] | undefined,
  left: readonly TypedColumn[] | undefined,
  right: readonly TypedColumn[] | undefined,
  location: number | undefined,
): void {
  if (left === undefined || right === undefined) return;
  const joined = names ?? left.map((c) => c.name).filter((n) => right.some((c) => c.name === n));
  for (const name of joined) {
    const a = only(left, name);
    const b = only(right, name);
    if (a === undefined || b === undefined || comparedAsStored(a, b)) continue;
    throw ctx.error(
      SqlState.featureNotSupported,
      `joining column "${name}" of types ${formatTypeName(a.name)} and ${formatTypeName(b.name)} with USING or NATURAL is not supported by pg_analytica`,
      location,
      `write the join condition with ON, e.g. ON l.${name} = r.${name}`,
    );
  }
}

/** The type of the one column called `name`; undefined when there is none, or several. */
function only(columns: readonly TypedColumn[], name: string): PgType | undefined {
  const found = columns.filter((c) => c.name === name);
  return found.length === 1 ? found[0]?.type : undefined;
}

function comparedAsStored(a: PgType, b: PgType): boolean {
  if (a.heldAsText === true || b.heldAsText === true || groupsByKey(a) || groupsByKey(b)) return false;
  if (a.name === 'bpchar' || b.name === 'bpchar') return a.name === b.name && a.typmod === b.typmod;
  return true;
}
