/**
 * The regexp functions that return a set or split a value (regexp.c): regexp_matches (one row
 * per match, a text[] of its groups; every match with 'g', the first without),
 * regexp_split_to_table and regexp_split_to_array. In the select list a set is DuckDB's unnest
 * of a list, which runs beside other set-returning functions in lockstep, padded with NULLs, as
 * PostgreSQL's do; in FROM it is a lateral subquery of that unnest.
 *
 * A split cuts the value at its matches but, as PostgreSQL, ignores "degenerate" ones: an empty
 * match at the start or end of the value or right after another match. RE2's global replace
 * marks each match (NUL, 'M', the match, NUL — NUL cannot occur in PostgreSQL's text; RE2
 * itself never reports an empty match right after another), the degenerate empty marks are
 * dropped, and the value is split at the remaining ones.
 */
import type { FuncCall, RangeFunction } from 'libpg-query';
import { type EmitContext, type SelectContext, stringValue } from '../emit-context.js';
import { quoteIdent } from '../sql-text.js';
import { known } from '../typing/pg-types.js';
import { checkArity, isNullConstant, matchGroups, refuseEnumeratedAssertion } from './regexp-functions.js';
import { preparePattern } from './regexp-pattern.js';
import { regexpFunctionType } from './regexp-types.js';

const SET_FUNCTIONS = new Set(['regexp_matches', 'regexp_split_to_table']);

/** regexp_matches, regexp_split_to_table (select list) or regexp_split_to_array; undefined for others. */
export function emitRegexpSet(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const list = regexpSetList(ctx, call, name);
  if (list === undefined) return undefined;
  return SET_FUNCTIONS.has(name) ? `unnest(${list})` : list;
}

/**
 * The list whose elements are the rows of regexp_matches or regexp_split_to_table, or the
 * array of regexp_split_to_array; undefined for other functions.
 */
export function regexpSetList(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (name !== 'regexp_matches' && name !== 'regexp_split_to_table' && name !== 'regexp_split_to_array')
    return undefined;
  checkArity(ctx, call, name, 2, 3);
  // Strict: a NULL pattern or flags give no row (a NULL array).
  if ((call.args ?? []).slice(1).some(isNullConstant))
    return name === 'regexp_matches' ? 'CAST(NULL AS VARCHAR[][])' : 'CAST(NULL AS VARCHAR[])';
  if (name === 'regexp_matches') return matchesList(ctx, call);
  const p = preparePattern(ctx, call, name, 'extent', { index: 2, allowGlobal: false });
  const nul = 'chr(0)';
  const marked = `regexp_replace(${p.value}, ${p.re2}, ${nul} || 'M\\0' || ${nul}, '${p.options}g')`;
  const noDegenerate = `regexp_replace(regexp_replace(${marked}, '(^|\\x00)\\x00M\\x00', '\\1', 'g'), '\\x00M\\x00$', '')`;
  return `string_split(regexp_replace(${noDegenerate}, '\\x00M[^\\x00]*\\x00', ${nul}, 'g'), ${nul})`;
}

/** regexp_matches: the list of matches, each the list of its groups (its text without groups). */
function matchesList(ctx: EmitContext, call: FuncCall): string {
  const p = preparePattern(ctx, call, 'regexp_matches', 'groups', { index: 2, allowGlobal: true });
  if (!p.global)
    return `(CASE WHEN regexp_matches(${p.value}, ${p.match}, '${p.options}') THEN [${matchGroups(p, 'regexp_extract')}] ELSE [] END)`;
  refuseEnumeratedAssertion(ctx, 'regexp_matches', p, call.location);
  if (p.groups === 0)
    return `list_transform(regexp_extract_all(${p.value}, ${p.re2}, 0, '${p.options}'), lambda pga_m: [pga_m])`;
  // Each group's values over all matches, zipped: the i-th match's groups (a NULL value gives []).
  const perGroup = matchGroups(p, 'regexp_extract_all').slice(1, -1);
  const fields = Array.from({ length: p.groups }, (_, k) => `pga_z[${k + 1}]`).join(', ');
  return `list_transform(list_zip(${perGroup}), lambda pga_z: [${fields}])`;
}

/**
 * regexp_matches(…) or regexp_split_to_table(…) in FROM: one column, named after the alias (or
 * the function), of text[] or text, and WITH ORDINALITY a bigint "ordinality" numbering the
 * rows from 1; undefined for other functions.
 */
export function emitRegexpTableFunction(
  ctx: SelectContext,
  range: RangeFunction,
  call: FuncCall,
): string | undefined {
  const name = stringValue(call.funcname?.at(-1)) ?? '';
  if (!SET_FUNCTIONS.has(name) || (range.coldeflist?.length ?? 0) > 0) return undefined;
  const list = regexpSetList(ctx, call, name)!;
  const aliasName = range.alias?.aliasname ?? name;
  const names = (range.alias?.colnames ?? []).map((n) => stringValue(n) ?? '');
  const columns = [{ name: names[0] ?? aliasName, type: regexpFunctionType(name) }];
  if (range.ordinality === true) columns.push({ name: names[1] ?? 'ordinality', type: known('int8') });
  ctx.addRange(aliasName, columns);
  const numbered = range.ordinality === true ? ', generate_subscripts(pga_l, 1)' : '';
  const body = `SELECT unnest(pga_l)${numbered} FROM (SELECT ${list} AS pga_l)`;
  return `LATERAL (${body}) AS ${quoteIdent(aliasName)}(${columns.map((c) => quoteIdent(c.name)).join(', ')})`;
}
