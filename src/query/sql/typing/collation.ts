/**
 * Text order under collations. DuckDB orders text by its bytes, as PostgreSQL's "C" collation
 * does. Under any other collation (a database created with LC_COLLATE en_US.UTF-8, an ICU
 * collation, a column declared COLLATE "de-x-icu") PostgreSQL orders text by the locale's
 * rules, which the engine does not have: ordering such text — ORDER BY, <, >, BETWEEN, min/max,
 * greatest/least, percentile_disc, window and aggregate ORDER BY — is refused with 0A000 rather
 * than answered in byte order. Equality, GROUP BY, DISTINCT, LIKE and joins are byte-wise in
 * PostgreSQL too (deterministic collations compare equal only identical strings) and are kept.
 *
 * A statement is held to order text by a locale when the database's default collation is not
 * byte-wise, or when it reads a column whose own collation is not. An operand written with
 * COLLATE "C" (or "POSIX", the only collations the engine accepts, see expr-emitter.ts) is
 * ordered by bytes in PostgreSQL as well, so it is served.
 */
import type { Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { typeOf } from './expr-types.js';
import type { PgType } from './pg-types.js';

/** Types whose order depends on the collation: text types, jsonb (its strings), arrays of text. */
function orderedByCollation(type: PgType | undefined): boolean {
  if (type === undefined) return false;
  if (type.category === 'S' || type.name === 'jsonb') return true;
  return type.category === 'A' && /^(text|character|varchar|bpchar|name|jsonb)\b/.test(type.name);
}

/**
 * Refuses to order `nodes` (the operands of one comparison, or one sort key) when the statement
 * may order text by a locale and none of them says COLLATE "C". `what` names the operation.
 */
export function refuseLocaleOrder(
  ctx: EmitContext,
  nodes: readonly (Node | undefined)[],
  what: string,
  location?: number,
): void {
  const types = ctx.types;
  if (types?.sortsTextByLocale?.() !== true) return;
  if (nodes.some((n) => n !== undefined && 'CollateClause' in n)) return;
  // Text takes its collation from what it is made of (a column's, through functions,
  // subqueries and CTEs alike), so once the statement reads text under a locale, any text it
  // orders may be under it: only an explicit COLLATE "C" says otherwise.
  const type = nodes.map((n) => (n === undefined ? undefined : typeOf(types, n))).find(orderedByCollation);
  if (type === undefined) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `${what} on ${type.name} values under a collation other than "C" is not supported by pg_analytica`,
    location,
    'The columnar engine orders text by its bytes, as the "C" collation does. Write COLLATE "C" after the value to order it so, or run the query in PostgreSQL.',
  );
}
