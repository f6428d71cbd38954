/**
 * `a AND b`, `a OR b` where b can fail: PostgreSQL evaluates a BoolExpr's arguments in order and
 * stops at the first that decides it (ExecEvalAnd/ExecEvalOr), so `n > 0 AND 10 / n > 1` answers
 * for n = 0; DuckDB's AND in a select list or FILTER computes both sides for every row and fails
 * with division by zero. Where a later argument holds a division or a cast of a computed value
 * (what fails on the rows an earlier argument rules out), the connective is written as a CASE,
 * which DuckDB evaluates row by row in order:
 *
 *   a AND b  →  CASE WHEN a IS FALSE THEN false ELSE (a AND b) END
 *   a OR b   →  CASE WHEN a IS TRUE THEN true ELSE (a OR b) END
 *
 * Other connectives stay plain, so DuckDB can still push their conjuncts into scans. An argument
 * holding a subquery is never written twice (its tables would be resolved again).
 */
import type { BoolExpr, Node } from 'libpg-query';

function mayFail(node: Node): boolean {
  const text = JSON.stringify(node);
  if (text.includes('"SubLink"')) return false;
  return /"sval":"[/%]"/.test(text) || /"TypeCast":\{"arg":\{"(?!A_Const)/.test(text);
}

export function emitOrderedLogic(bool: BoolExpr, emit: (node: Node) => string): string | undefined {
  const args = bool.args ?? [];
  if (bool.boolop === 'NOT_EXPR' || args.length < 2) return undefined;
  if (args.some((a) => JSON.stringify(a).includes('"SubLink"'))) return undefined;
  if (!args.slice(1).some(mayFail)) return undefined;
  const and = bool.boolop === 'AND_EXPR';
  const joined = (parts: readonly string[]) => `(${parts.join(and ? ' AND ' : ' OR ')})`;
  // Left to right: each argument decides alone when it is false (AND) or true (OR).
  let text = emit(args.at(-1)!);
  for (let i = args.length - 2; i >= 0; i--) {
    const first = emit(args[i]!);
    text = `(CASE WHEN ${first} IS ${and ? 'FALSE' : 'TRUE'} THEN ${and ? 'false' : 'true'} ELSE ${joined([first, text])} END)`;
  }
  return text;
}
