/**
 * PostgreSQL's regexp_* functions (regexp.c) → DuckDB, the pattern rewritten for RE2
 * (regexp-pattern.ts). Matches are enumerated as PostgreSQL enumerates them: after a match the
 * search goes on at its end, after an empty match one character further (RE2's
 * regexp_extract_all does the same). A split ignores PostgreSQL's "degenerate" matches, the empty
 * ones at either end of the value or right after another match (regexp-sets.ts).
 *
 * | PostgreSQL                                   | DuckDB                                          |
 * |----------------------------------------------|-------------------------------------------------|
 * | regexp_like(s, p [, flags])                  | regexp_matches                                  |
 * | regexp_match(s, p [, flags]) → text[]        | [regexp_extract(…, k) for each group], or NULL  |
 * | regexp_count(s, p [, start [, flags]])       | len(regexp_extract_all(…))                      |
 * | regexp_substr(s, p [, start, n, flags, k])   | regexp_extract_all(…, k)[n]                     |
 * | regexp_instr(s, p [, start, n, end, flags])  | length of the text before the match + 1         |
 *
 * `start` (a constant) searches from that character; where the pattern holds an anchor or a word
 * boundary, which see the text before `start`, it is refused. regexp_instr finds a match's whole
 * extent (subexpression 0); the n-th past the first only of a pattern that cannot match empty.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import type { EmitContext } from '../emit-context.js';
import { canMatchEmpty } from './nullable.js';
import { refused } from './regex-rules.js';
import { type PatternUse, type PreparedPattern, preparePattern } from './regexp-pattern.js';
import { emitRegexpSet } from './regexp-sets.js';
import { regexpFunctionType } from './regexp-types.js';

/** The call's DuckDB SQL, or undefined when it is no regexp_* function this file emits. */
export function emitRegexpFunction(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const args = call.args ?? [];
  const arity = (min: number, max: number) => checkArity(ctx, call, name, min, max);
  // The functions are strict: a NULL pattern, flag or position gives NULL (no row for a set).
  if (REGEXP_FUNCTIONS.has(name) && args.slice(1).some(isNullConstant)) return typedNull(name);
  switch (name) {
    case 'regexp_like': {
      arity(2, 3);
      const p = preparePattern(ctx, call, name, 'match', { index: 2, allowGlobal: false });
      return `regexp_matches(${p.value}, ${p.match}, '${p.options}')`;
    }
    case 'regexp_match': {
      arity(2, 3);
      const p = preparePattern(ctx, call, name, 'groups', { index: 2, allowGlobal: false });
      return `(CASE WHEN regexp_matches(${p.value}, ${p.match}, '${p.options}') THEN ${matchGroups(p, 'regexp_extract')} END)`;
    }
    case 'regexp_count':
      arity(2, 4);
      return emitCount(ctx, call, name);
    case 'regexp_substr':
      arity(2, 6);
      return emitSubstr(ctx, call, name);
    case 'regexp_instr':
      arity(2, 7);
      return emitInstr(ctx, call, name);
    default:
      return emitRegexpSet(ctx, call, name);
  }
}

const REGEXP_FUNCTIONS = new Set([
  'regexp_like',
  'regexp_match',
  'regexp_count',
  'regexp_substr',
  'regexp_instr',
]);

/** PostgreSQL's 42883 for a call no signature of the function takes. */
export function checkArity(ctx: EmitContext, call: FuncCall, name: string, min: number, max: number): void {
  const count = call.args?.length ?? 0;
  if (count >= min && count <= max) return;
  throw ctx.error(
    SqlState.undefinedFunction,
    `function ${name}() of ${count} arguments does not exist`,
    call.location,
    'No function matches the given name and argument types. You might need to add explicit type casts.',
  );
}

export function isNullConstant(node: Node | undefined): boolean {
  return node !== undefined && 'A_Const' in node && node.A_Const.isnull === true;
}

/** A NULL of the function's result type, in DuckDB's spelling. */
function typedNull(name: string): string {
  const type = regexpFunctionType(name);
  const duck =
    type?.name === 'bool'
      ? 'BOOLEAN'
      : type?.name === 'int4'
        ? 'INTEGER'
        : type?.category === 'A'
          ? 'VARCHAR[]'
          : 'VARCHAR';
  return `CAST(NULL AS ${duck})`;
}

/** The groups of a match as a list (the whole match when the pattern has none); `fn` extracts one. */
export function matchGroups(p: PreparedPattern, fn: 'regexp_extract' | 'regexp_extract_all'): string {
  const groups = p.groups === 0 ? [0] : Array.from({ length: p.groups }, (_, k) => k + 1);
  return `[${groups.map((k) => `${fn}(${p.value}, ${p.re2}, ${k}, '${p.options}')`).join(', ')}]`;
}

/** A constant integer argument (its default when absent), checked as PostgreSQL checks it. */
function integerArgument(
  ctx: EmitContext,
  call: FuncCall,
  at: { index: number; name: string; fn: string; min: number; max?: number; fallback: number },
): number {
  const node: Node | undefined = call.args?.[at.index];
  if (node === undefined) return at.fallback;
  const value = constantInteger(node);
  if (value === undefined)
    throw refused(
      ctx,
      `${at.fn}() with a ${at.name} that is not an integer constant`,
      call.location,
      'Write it as a constant.',
    );
  if (value < at.min || (at.max !== undefined && value > at.max))
    throw ctx.error(
      SqlState.invalidParameterValue,
      `invalid value for parameter "${at.name}": ${value}`,
      call.location,
    );
  return value;
}

const INTEGER_TYPES = new Set(['int2', 'int4', 'int8', 'integer', 'smallint', 'bigint']);

/** An integer literal, or one cast to an integer type (as a bound parameter arrives); else undefined. */
function constantInteger(node: Node): number | undefined {
  if ('A_Const' in node) return node.A_Const.ival === undefined ? undefined : (node.A_Const.ival.ival ?? 0);
  if (!('TypeCast' in node) || node.TypeCast.arg === undefined) return undefined;
  const type = node.TypeCast.typeName?.names?.at(-1);
  if (type === undefined || !('String' in type) || !INTEGER_TYPES.has(type.String.sval ?? ''))
    return undefined;
  const arg = node.TypeCast.arg;
  if (
    'A_Const' in arg &&
    arg.A_Const.sval?.sval !== undefined &&
    /^[+-]?\d+$/.test(arg.A_Const.sval.sval.trim())
  )
    return Number(arg.A_Const.sval.sval);
  return constantInteger(arg);
}

/**
 * The pattern prepared for a search from character `start`: the value cut there. An anchor or a
 * word boundary sees the characters before `start` in PostgreSQL, so such a pattern is refused.
 */
function fromStart(
  ctx: EmitContext,
  call: FuncCall,
  name: string,
  use: PatternUse,
  flags: { index: number; enumerates: boolean },
): { p: PreparedPattern; start: number } {
  const start = integerArgument(ctx, call, { index: 2, name: 'start', fn: name, min: 1, fallback: 1 });
  const anchorsRefused = flags.enumerates || start > 1;
  const p = preparePattern(ctx, call, name, use, { index: flags.index, allowGlobal: false, anchorsRefused });
  if (start === 1) return { p, start };
  if (hasAssertion(p.text))
    throw refused(
      ctx,
      `${name}() with a start position and an anchor or word boundary in the pattern`,
      call.location,
    );
  return { p: { ...p, value: `substring(${p.value}, ${start})` }, start };
}

/** Whether an RE2 pattern holds ^, $, \A, \z, \b or \B outside a bracket. */
export function hasAssertion(text: string): boolean {
  let inBracket = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      if (!inBracket && 'AzbB'.includes(text[i + 1] ?? '')) return true;
      i++;
    } else if (inBracket) {
      if (c === ']') inBracket = false;
    } else if (c === '[') {
      inBracket = true;
      if (text[i + 1] === '^') i++;
      if (text[i + 1] === ']') i++;
    } else if (c === '^' || c === '$') return true;
  }
  return false;
}

/**
 * DuckDB's regexp_extract_all reports an empty match twice when its search found it past where
 * the search began (`$` in 'abc': ['', '']), which only an anchor or a word boundary makes
 * happen to a pattern that can match empty; those are refused where every match counts.
 */
export function refuseEnumeratedAssertion(
  ctx: EmitContext,
  name: string,
  p: PreparedPattern,
  location?: number,
) {
  if (hasAssertion(p.text) && canMatchEmpty(p.text))
    throw refused(
      ctx,
      `${name}() counting every match of a pattern with an anchor or word boundary that can match an empty string`,
      location,
    );
}

function emitCount(ctx: EmitContext, call: FuncCall, name: string): string {
  const { p } = fromStart(ctx, call, name, 'extent', { index: 3, enumerates: true });
  refuseEnumeratedAssertion(ctx, name, p, call.location);
  return `CAST(len(regexp_extract_all(${p.value}, ${p.re2}, 0, '${p.options}')) AS INTEGER)`;
}

function emitSubstr(ctx: EmitContext, call: FuncCall, name: string): string {
  const n = integerArgument(ctx, call, { index: 3, name: 'n', fn: name, min: 1, fallback: 1 });
  const group = integerArgument(ctx, call, { index: 5, name: 'subexpr', fn: name, min: 0, fallback: 0 });
  const { p } = fromStart(ctx, call, name, group > 0 ? 'groups' : 'extent', { index: 4, enumerates: n > 1 });
  // A group the pattern does not have gives NULL, as in PostgreSQL.
  if (group > p.groups) return `CAST(NULL AS VARCHAR)`;
  if (n > 1) refuseEnumeratedAssertion(ctx, name, p, call.location);
  return `regexp_extract_all(${p.value}, ${p.re2}, ${group}, '${p.options}')[${n}]`;
}

function emitInstr(ctx: EmitContext, call: FuncCall, name: string): string {
  const n = integerArgument(ctx, call, { index: 3, name: 'n', fn: name, min: 1, fallback: 1 });
  const end = integerArgument(ctx, call, {
    index: 4,
    name: 'endoption',
    fn: name,
    min: 0,
    max: 1,
    fallback: 0,
  });
  const group = integerArgument(ctx, call, { index: 6, name: 'subexpr', fn: name, min: 0, fallback: 0 });
  if (group !== 0)
    throw refused(
      ctx,
      `${name}() of a subexpression`,
      call.location,
      'Use regexp_substr(), or run the query in PostgreSQL.',
    );
  if (n > 1) return emitNthInstr(ctx, call, { name, n, end });
  const { p, start } = fromStart(ctx, call, name, 'extent', { index: 5, enumerates: false });
  // The text before the first match: a lazy prefix stops where the leftmost match starts.
  const before = `regexp_extract(${p.value}, ${p.around('^((?s:.*?))(?:', ')')}, 1, '${p.options}')`;
  const extent = end === 1 ? ` + length(regexp_extract(${p.value}, ${p.re2}, 0, '${p.options}'))` : '';
  // A NULL value gives NULL, no match 0.
  return `CAST(CASE regexp_matches(${p.value}, ${p.match}, '${p.options}') WHEN true THEN length(${before})${extent} + ${start} WHEN false THEN 0 END AS INTEGER)`;
}

/**
 * regexp_instr of the n-th match: each match is marked by RE2's global replace (NUL, the match,
 * NUL — NUL cannot occur in PostgreSQL's text), so the value splits into text and matches in
 * turn and the n-th match starts after the first 2n-1 pieces. RE2's global replace skips an
 * empty match right after another, which PostgreSQL counts, so the pattern must not match empty.
 */
function emitNthInstr(
  ctx: EmitContext,
  call: FuncCall,
  at: { name: string; n: number; end: number },
): string {
  const { p, start } = fromStart(ctx, call, at.name, 'extent', { index: 5, enumerates: true });
  if (p.computed || canMatchEmpty(p.text))
    throw refused(
      ctx,
      `${at.name}() of a match other than the first, of a pattern that ${p.computed ? 'is not a constant' : 'can match an empty string'}`,
      call.location,
      p.computed ? 'Use a constant pattern.' : undefined,
    );
  const pieces = `string_split(regexp_replace(${p.value}, ${p.re2}, chr(0) || '\\0' || chr(0), '${p.options}g'), chr(0))`;
  const before = `length(array_to_string(pga_p[1:${2 * at.n - 1}], ''))`;
  const extent = at.end === 1 ? ` + length(pga_p[${2 * at.n}])` : '';
  const position = `CASE WHEN pga_p IS NULL THEN NULL WHEN len(pga_p) > ${2 * at.n} THEN ${before}${extent} + ${start} ELSE 0 END`;
  return `CAST(list_transform([${pieces}], lambda pga_p: ${position})[1] AS INTEGER)`;
}
