/**
 * Which ALTER COLUMN … SET DATA TYPE changes the copy follows in place. PostgreSQL rewrites the
 * column (the rewrite is not streamed), so the copy keeps the values it has and reads them at
 * the new type (segments and the delta are cast on read, compaction casts them when it merges).
 * That is right only where the cast of every stored value gives exactly what PostgreSQL's
 * conversion gave, compared and printed as PostgreSQL does; anything else is copied again.
 */
import type { IngestColumn } from '../source/column-types.js';

const integers = ['SMALLINT', 'INTEGER', 'BIGINT'];
const decimal = /^DECIMAL\((\d+),(\d+)\)$/;
const numericOid = 1700;

/** Whether the values stored for `old` read, cast to `next`'s storage, as PostgreSQL converted them. */
export function followsInPlace(old: IngestColumn, next: IngestColumn): boolean {
  if (old.outputText !== 'plain' || next.outputText !== 'plain') return false;
  const from = old.storageType;
  const to = next.storageType;
  if (integers.includes(from)) {
    // smallint → integer → bigint.
    if (integers.includes(to)) return integers.indexOf(to) >= integers.indexOf(from);
    // Integers → numeric: PostgreSQL refused the change if a value did not fit, so every one
    // is exact at the new scale (5 → 5.00); unconstrained numeric is stored as its text ("5").
    if (next.pgTypeOid === numericOid)
      return decimal.test(to) || (to === 'VARCHAR' && next.pgTypeModifier === -1);
    // smallint and integer are exact in double precision (bigint may round).
    return to === 'DOUBLE' && from !== 'BIGINT';
  }
  if (from === 'FLOAT' && to === 'DOUBLE') return true;
  if (textual(old) && textual(next)) return unlimited(next) || (limit(old) ?? Infinity) <= (limit(next) ?? 0);
  // numeric(p,s) → numeric(p2,s), p2 ≥ p: the same values at the same scale.
  const a = decimal.exec(from);
  const b = decimal.exec(to);
  return !!a && !!b && a[2] === b[2] && Number(b[1]) >= Number(a[1]);
}

/** text and varchar (not char(n), whose padding and comparison differ). */
function textual(c: IngestColumn): boolean {
  return /^(character varying|text)\b/.test(c.pgType);
}

/** text or varchar without a length: any stored text fits unchanged. */
function unlimited(c: IngestColumn): boolean {
  return c.pgType === 'text' || c.pgType === 'character varying';
}

/**
 * The length of varchar(n). A shorter limit is copied again: PostgreSQL accepts a longer value
 * whose excess is blanks, cutting them, which the copy would keep.
 */
function limit(c: IngestColumn): number | undefined {
  const match = /^character varying\((\d+)\)$/.exec(c.pgType);
  return match ? Number(match[1]) : undefined;
}
