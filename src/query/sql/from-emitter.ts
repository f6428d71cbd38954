/**
 * FROM items → DuckDB. Tables go through the resolver and keep the query's
 * name as alias; table functions must be on the table-function allow-list;
 * TABLESAMPLE, ROWS FROM, WITH ORDINALITY and column definition lists are
 * refused rather than approximated.
 */

import type { Alias, JoinExpr, Node, RangeFunction, RangeSubselect, RangeTableSample } from 'libpg-query';
import { SqlState } from '../../errors.js';
import { type SelectContext, stringValue } from './emit-context.js';
import { resolveFunction } from './function-emitter.js';
import { emitJsonTableFunction } from './json-table-functions.js';
import { refuseMultiDim } from './multidim-arrays.js';
import { emitRegexpTableFunction } from './regex/regexp-sets.js';
import { aliasColumns } from './select-rewriter.js';
import { seriesArguments } from './series-functions.js';
import { quoteIdent } from './sql-text.js';
import { checkJoinColumns } from './typing/join-using.js';
import { arrayElementType } from './typing/json-types.js';
import { known } from './typing/pg-types.js';
import { operandType } from './typing/typed-operands.js';

const JOIN_KEYWORDS: Readonly<Record<string, string>> = {
  JOIN_INNER: 'INNER JOIN',
  JOIN_LEFT: 'LEFT JOIN',
  JOIN_FULL: 'FULL JOIN',
  JOIN_RIGHT: 'RIGHT JOIN',
};

export function emitFromItem(ctx: SelectContext, node: Node): string {
  if ('RangeVar' in node) {
    const range = node.RangeVar;
    // The implicit alias is the bare table name, as in PostgreSQL, so `events.col` keeps working.
    const alias = range.alias ?? { aliasname: range.relname ?? '' };
    const relation = ctx.rangeVar(range);
    ctx.addRange(alias.aliasname ?? '', relation.columns, aliasNames(alias));
    return `${relation.sql} AS ${aliasText(alias)}`;
  }
  if ('JoinExpr' in node) return emitJoin(ctx, node.JoinExpr);
  if ('RangeSubselect' in node) return emitSubselect(ctx, node.RangeSubselect);
  if ('RangeFunction' in node) return emitRangeFunction(ctx, node.RangeFunction);
  if ('RangeTableSample' in node) return emitTableSample(ctx, node.RangeTableSample);
  const tag = Object.keys(node)[0] ?? 'unknown';
  throw ctx.error(SqlState.featureNotSupported, `${tag} in FROM is not supported by pg_analytica`);
}

function aliasNames(alias: Alias | undefined): string[] {
  return (alias?.colnames ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : ''));
}

function aliasText(alias: Alias): string {
  return `${quoteIdent(alias.aliasname ?? '')}${aliasColumns(alias.colnames)}`;
}

function emitJoin(ctx: SelectContext, join: JoinExpr): string {
  if (join.larg === undefined || join.rarg === undefined)
    throw ctx.error(SqlState.syntaxError, 'join operand expected');
  if (join.alias !== undefined || join.join_using_alias !== undefined) {
    throw ctx.error(SqlState.featureNotSupported, 'aliases on joins are not supported by pg_analytica');
  }
  const start = ctx.types?.rangeCount() ?? 0;
  const left = emitFromItem(ctx, join.larg);
  const middle = ctx.types?.rangeCount() ?? 0;
  const right = emitFromItem(ctx, join.rarg);
  if (ctx.types !== undefined && (join.isNatural === true || join.usingClause !== undefined)) {
    const names = join.usingClause?.map((n) => ('String' in n ? (n.String.sval ?? '') : ''));
    const sides = [
      ctx.types.rangeColumns(start, middle),
      ctx.types.rangeColumns(middle, ctx.types.rangeCount()),
    ];
    checkJoinColumns(ctx, join.isNatural === true ? undefined : names, sides[0], sides[1], undefined);
  }
  const keyword = JOIN_KEYWORDS[join.jointype ?? 'JOIN_INNER'];
  if (keyword === undefined)
    throw ctx.error(SqlState.featureNotSupported, `${join.jointype} is not supported by pg_analytica`);
  if (join.isNatural === true) return `(${left} NATURAL ${keyword} ${right})`;
  if (join.usingClause !== undefined)
    return `(${left} ${keyword} ${right} USING ${aliasColumns(join.usingClause)})`;
  if (join.quals !== undefined) return `(${left} ${keyword} ${right} ON ${ctx.expr(join.quals)})`;
  return `(${left} CROSS JOIN ${right})`;
}

function emitSubselect(ctx: SelectContext, range: RangeSubselect): string {
  const sub = range.subquery;
  if (sub === undefined || !('SelectStmt' in sub)) throw ctx.error(SqlState.syntaxError, 'subquery expected');
  const lateral = range.lateral === true ? 'LATERAL ' : '';
  const alias = range.alias === undefined ? '' : ` AS ${aliasText(range.alias)}`;
  const text = `${lateral}(${ctx.select(sub.SelectStmt)})${alias}`;
  ctx.addRange(
    range.alias?.aliasname ?? '',
    ctx.types?.selectOutput(sub.SelectStmt),
    aliasNames(range.alias),
  );
  return text;
}

/**
 * generate_series(…) / unnest(x) in FROM. A function returning a scalar names
 * its one column after the alias (or the function) in PostgreSQL, while
 * DuckDB keeps the function name, so the column name is always spelled out.
 */
function emitRangeFunction(ctx: SelectContext, range: RangeFunction): string {
  const items = range.functions ?? [];
  const first = items[0];
  const inner = first !== undefined && 'List' in first ? (first.List.items ?? []) : [];
  const call = inner[0];
  // The second list item is a column definition list (`AS (a int)`), an empty node when absent.
  const coldefs = inner[1] !== undefined && Object.keys(inner[1]).length > 0;
  // regexp_matches / regexp_split_to_table, WITH ORDINALITY too (regex/regexp-sets.ts).
  const regex =
    items.length === 1 &&
    inner.length <= 2 &&
    !coldefs &&
    range.is_rowsfrom !== true &&
    call &&
    'FuncCall' in call
      ? emitRegexpTableFunction(ctx, range, call.FuncCall)
      : undefined;
  if (regex !== undefined) return regex;
  const unsupported =
    items.length !== 1 ||
    inner.length > 2 ||
    coldefs ||
    (range.ordinality === true && !isUnnestOfOne(inner[0])) ||
    range.is_rowsfrom === true;
  if (unsupported || call === undefined || !('FuncCall' in call) || (range.coldeflist?.length ?? 0) > 0) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'this form of function in FROM is not supported by pg_analytica',
    );
  }
  const json = emitJsonTableFunction(ctx, range, call.FuncCall);
  if (json !== undefined) return json;
  const duckName = resolveFunction(ctx, call.FuncCall, 'table');
  if (duckName === 'unnest' && (call.FuncCall.args ?? []).length !== 1) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'unnest with several arrays is not supported by pg_analytica',
      call.FuncCall.location,
    );
  }
  const aliasName = range.alias?.aliasname ?? duckName;
  const columns = range.alias?.colnames?.length
    ? aliasColumns(range.alias.colnames)
    : `(${quoteIdent(aliasName)})`;
  const lateral = range.lateral === true ? 'LATERAL ' : '';
  if (duckName === 'generate_series' && ctx.types !== undefined) {
    // Typed: arguments resolved as PostgreSQL resolves them, values cast to the series' type.
    const { args: typedArgs, type, duckType } = seriesArguments(ctx, call.FuncCall);
    const column = stringValue(range.alias?.colnames?.[0]) ?? aliasName;
    ctx.addRange(aliasName, [{ name: column, type }]);
    const series = `(SELECT CAST("generate_series" AS ${duckType}) FROM generate_series(${typedArgs.join(', ')}))`;
    return `${lateral}${series} AS ${quoteIdent(aliasName)}${columns}`;
  }
  if (range.ordinality === true) return emitUnnestWithOrdinality(ctx, range, call.FuncCall.args![0]!);
  const args = (call.FuncCall.args ?? []).map((a) => ctx.expr(a));
  ctx.addRange(aliasName, undefined);
  return `${lateral}${duckName}(${args.join(', ')}) AS ${quoteIdent(aliasName)}${columns}`;
}

function isUnnestOfOne(call: Node | undefined): boolean {
  if (call === undefined || !('FuncCall' in call)) return false;
  const name = call.FuncCall.funcname?.map((n) => stringValue(n)).at(-1);
  return name === 'unnest' && call.FuncCall.args?.length === 1;
}

/**
 * unnest(array) WITH ORDINALITY: the elements with their 1-based positions (bigint), named
 * after the alias's columns, or the alias (the function) and "ordinality". Two unnests in one
 * DuckDB select list run in step, as PostgreSQL's ROWS FROM does.
 */
function emitUnnestWithOrdinality(ctx: SelectContext, range: RangeFunction, arg: Node): string {
  refuseMultiDim(ctx, arg, 'unnest … WITH ORDINALITY');
  const array = ctx.expr(arg);
  const aliasName = range.alias?.aliasname ?? 'unnest';
  const names = (range.alias?.colnames ?? []).map((n) => stringValue(n) ?? '');
  const value = names[0] ?? aliasName;
  const ordinality = names[1] ?? 'ordinality';
  if (names.length > 2) {
    throw ctx.error(
      SqlState.invalidColumnReference,
      `table "${aliasName}" has 2 columns available but ${names.length} columns specified`,
    );
  }
  ctx.addRange(aliasName, [
    { name: value, type: arrayElementType(operandType(ctx, arg)) },
    { name: ordinality, type: known('int8') },
  ]);
  const rows = `SELECT unnest(${array}), unnest(range(1, len(${array}) + 1))`;
  return `LATERAL (${rows}) AS ${quoteIdent(aliasName)}(${quoteIdent(value)}, ${quoteIdent(ordinality)})`;
}

/**
 * TABLESAMPLE BERNOULLI(p) / SYSTEM(p) [REPEATABLE (seed)]: PostgreSQL's
 * argument is a percentage, which DuckDB reads as a row count unless it is
 * written `p%`. postgres_fdw's ANALYZE samples large foreign tables this way.
 */
function emitTableSample(ctx: SelectContext, sample: RangeTableSample): string {
  const method = (sample.method ?? []).map((n) => ('String' in n ? (n.String.sval ?? '') : '')).at(-1) ?? '';
  if (method !== 'bernoulli' && method !== 'system') {
    throw ctx.error(
      SqlState.featureNotSupported,
      `tablesample method ${method} is not supported by pg_analytica`,
      sample.location,
    );
  }
  const percent = sample.args?.length === 1 ? constantNumber(sample.args[0]!) : undefined;
  if (percent === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'TABLESAMPLE needs a constant percentage in pg_analytica',
      sample.location,
    );
  }
  if (!(percent >= 0 && percent <= 100)) {
    throw ctx.error(
      SqlState.invalidTablesampleArgument,
      'sample percentage must be between 0 and 100',
      sample.location,
    );
  }
  let text = `${emitFromItem(ctx, sample.relation!)} TABLESAMPLE ${method}(${percent}%)`;
  if (sample.repeatable !== undefined) {
    const seed = constantNumber(sample.repeatable);
    if (seed === undefined || !Number.isInteger(seed)) {
      throw ctx.error(
        SqlState.featureNotSupported,
        'REPEATABLE needs a constant integer seed in pg_analytica',
        sample.location,
      );
    }
    text += ` REPEATABLE (${seed})`;
  }
  return text;
}

/** A numeric literal (possibly cast, as postgres_fdw writes `3.000000` or `0.5::double precision`). */
function constantNumber(node: Node): number | undefined {
  if ('TypeCast' in node && node.TypeCast.arg !== undefined) return constantNumber(node.TypeCast.arg);
  if (!('A_Const' in node)) return undefined;
  const constant = node.A_Const;
  if (constant.ival !== undefined) return Number(constant.ival.ival ?? 0);
  if (constant.fval !== undefined) return Number(constant.fval.fval);
  return undefined;
}
