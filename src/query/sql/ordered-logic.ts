/**
 * `a AND b`, `a OR b` where b can fail: PostgreSQL evaluates a BoolExpr's arguments in order and
 * stops at the first that decides it (ExecEvalAnd/ExecEvalOr), so `n > 0 AND 10 / n > 1` answers
 * for n = 0; DuckDB's AND in a select list or FILTER computes both sides for every row and fails
 * with division by zero. An argument that holds a division or a cast of a computed value (what
 * fails on the rows an earlier argument rules out) is computed only where the arguments before
 * it have not decided the result:
 *
 *   a AND b  →  a AND (CASE WHEN a IS FALSE THEN false ELSE b END)
 *   a OR b   →  a OR (CASE WHEN a IS TRUE THEN true ELSE b END)
 *
 * The connective and its first arguments stay as they are, so DuckDB still pushes them into
 * scans. An argument holding a subquery is never written twice (its tables would be resolved
 * again): such a connective stays plain.
 */
import type { BoolExpr, Node } from 'libpg-query';

function mayFail(node: Node): boolean {
  const text = JSON.stringify(node);
  // An operator named / or % (a string constant's sval is nested under A_Const), or a cast of
  // anything but a constant.
  return /"String":\{"sval":"[/%]"\}/.test(text) || /"TypeCast":\{"arg":\{"(?!A_Const)/.test(text);
}

export function emitOrderedLogic(bool: BoolExpr, emit: (node: Node) => string): string | undefined {
  const args = bool.args ?? [];
  if (bool.boolop === 'NOT_EXPR' || args.length < 2) return undefined;
  if (args.some((a) => JSON.stringify(a).includes('"SubLink"'))) return undefined;
  if (!args.slice(1).some(mayFail)) return undefined;
  const and = bool.boolop === 'AND_EXPR';
  const joiner = and ? ' AND ' : ' OR ';
  const written: string[] = [];
  for (const [i, arg] of args.entries()) {
    const sql = emit(arg);
    if (i === 0 || !mayFail(arg)) {
      written.push(sql);
      continue;
    }
    const before = `(${written.join(joiner)})`;
    written.push(
      and
        ? `(CASE WHEN ${before} IS FALSE THEN false ELSE ${sql} END)`
        : `(CASE WHEN ${before} IS TRUE THEN true ELSE ${sql} END)`,
    );
  }
  return `(${written.join(joiner)})`;
}
