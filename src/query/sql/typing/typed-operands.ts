/**
 * The emit stage for comparisons: each operand is written so that DuckDB
 * compares what PostgreSQL compares, by the operand's PostgreSQL type.
 *
 * | type                         | emitted                                  | why                                              |
 * |------------------------------|------------------------------------------|--------------------------------------------------|
 * | bpchar (char(n))             | rtrim(x, ' ')                            | bpchar compares without trailing blanks (bpcharcmp), and a bpchar cast to text drops them |
 * | enum, untyped literal        | CAST('label' AS ENUM(…))                 | the literal becomes the enum (enum_in): compared by enumsortorder; an unknown label is 22P02 |
 * | numeric held as text         | exact DECIMAL(38,18) or 0A000            | compared by value, never as text (numeric-text.ts) |
 * | jsonb                        | pga_json_equality_key(x) / sort_key(x)   | jsonb compares values: 1.0 = 1, its own order    |
 * | json                         | 42883                                    | json has no comparison operators in PostgreSQL   |
 * | interval                     | its span (value-keys.ts)                 | '1 mon -1 day' = '29 days' (interval_cmp_value)  |
 *
 * An untyped literal takes its type from the other operands, as parse_oper.c
 * resolves `known op unknown`; with no known type it is emitted as before.
 */

import type { Node } from 'libpg-query';
import { PgError, SqlState } from '../../../errors.js';
import { jsonFunction } from '../../jsonb/duckdb-json-functions.js';
import { parseArrayLiteral } from '../array-literal.js';
import { dateTimeLiteralSql } from '../datetime/datetime-literal.js';
import { atLocation, type EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { byteaLiteral } from './bytea-values.js';
import { typeOf } from './expr-types.js';
import { jsonbKey, jsonbSortKey } from './jsonb-literal.js';
import { inetKey, isInet, isNetwork, networkLiteral } from './network-rules.js';
import { exactNumeric, exactNumericLiteral } from './numeric-text.js';
import { enumDisplayName, type PgType } from './pg-types.js';
import { isRange, rangeKey, rangeLiteralKey } from './range-rules.js';
import { textInputLiteral } from './text-input-casts.js';
import { pgTextOf } from './text-output.js';
import { citextKey, intervalArrayKey, intervalKey, isCitext, timetzKey } from './value-keys.js';

const EQUALITY = new Set(['=', '<>', '!=']);

/** The operand's type, when the context can type expressions (not in the table-listing pass). */
export function operandType(ctx: EmitContext, node: Node | undefined): PgType | undefined {
  return ctx.types === undefined ? undefined : typeOf(ctx.types, node);
}

/**
 * DuckDB SQL for the operands of one comparison (a op b, x IN (…), x BETWEEN a AND b, …).
 * `plain` emits an operand the way it was emitted before types were known.
 */
export function emitComparedOperands(
  ctx: EmitContext,
  nodes: readonly Node[],
  operator: string,
  plain: (node: Node) => string,
): string[] {
  // bpchar and numeric held as text are converted from their own SQL, not from `plain`'s.
  const special = (t: PgType | undefined) => t?.name === 'bpchar' || t?.heldAsText === true;
  const emitted = nodes.map((node) => {
    if (untypedLiteral(node) !== undefined) return undefined;
    return special(operandType(ctx, node)) ? ctx.expr(node) : plain(node);
  });
  // Typed after emitting: a subquery's output type is known once it is emitted (each is emitted once).
  const types = nodes.map((n) => operandType(ctx, n));
  const context = types.find((t) => t !== undefined && t.category !== 'X');
  if (types.some(isCitext)) {
    const citext = citextOperands(ctx, nodes, types, emitted, plain);
    if (citext !== undefined) return citext;
  }
  const numeric = textNumericComparison(types);
  if (numeric !== undefined)
    return nodes.map((node, i) => textNumericOperand(node, emitted[i] ?? plain(node), types[i], numeric));
  return nodes.map((node, i) => {
    const literal = untypedLiteral(node);
    if (context === undefined) return emitted[i] ?? plain(node);
    if (literal !== undefined) return typedLiteral(ctx, literal, context, operator, node);
    return typedOperand(emitted[i]!, types[i], operator, context);
  });
}

/**
 * A comparison with a citext operand. PostgreSQL compares citext with citext (or with an untyped
 * literal or parameter, which become citext) case-insensitively; with text or varchar it picks
 * text's operator, which is case-sensitive (undefined here: compared as text). An operand whose
 * type the front end does not know could be either: refused (0A000).
 */
function citextOperands(
  ctx: EmitContext,
  nodes: readonly Node[],
  types: readonly (PgType | undefined)[],
  emitted: readonly (string | undefined)[],
  plain: (node: Node) => string,
): string[] | undefined {
  if (types.some((t) => t !== undefined && t.category !== 'X' && !isCitext(t))) return undefined;
  const unknown = nodes.findIndex((n, i) => types[i] === undefined && untypedLiteral(n) === undefined);
  if (unknown >= 0) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'comparing citext with an expression of a type pg_analytica does not know is not supported',
      nodeLocation(nodes[unknown]!),
      'Cast the expression to citext or to text to say how it compares.',
    );
  }
  return nodes.map((node, i) => {
    const literal = untypedLiteral(node);
    return citextKey(literal !== undefined ? quoteLiteral(literal) : (emitted[i] ?? plain(node)));
  });
}

/**
 * A comparison where a numeric of varying scale (held as text) takes part: by exact keys when
 * every other operand is an integer, a numeric or a literal; in double precision when one is a
 * float (PostgreSQL casts numeric to float8 there). undefined: no such operand.
 */
function textNumericComparison(types: readonly (PgType | undefined)[]): 'key' | 'double' | undefined {
  if (!types.some((t) => t?.heldAsText === true)) return undefined;
  return types.some((t) => t?.name === 'float4' || t?.name === 'float8') ? 'double' : 'key';
}

function textNumericOperand(
  node: Node,
  sql: string,
  type: PgType | undefined,
  mode: 'key' | 'double',
): string {
  const literal = untypedLiteral(node);
  if (mode === 'double') return type?.heldAsText === true ? `CAST(${sql} AS DOUBLE)` : sql;
  if (literal !== undefined) return exactNumericLiteral(literal);
  if ('A_Const' in node && node.A_Const.fval !== undefined)
    return exactNumericLiteral(node.A_Const.fval.fval ?? '0');
  return exactNumeric(type?.heldAsText === true ? sql : `CAST(${sql} AS VARCHAR)`);
}

/** The text of an untyped string literal ('x'); NULL has no text and needs no conversion. */
function untypedLiteral(node: Node): string | undefined {
  return 'A_Const' in node && node.A_Const.isnull !== true ? node.A_Const.sval?.sval : undefined;
}

/** An untyped literal read as the context's type. */
function typedLiteral(ctx: EmitContext, text: string, type: PgType, operator: string, node: Node): string {
  const location = 'A_Const' in node ? node.A_Const.location : undefined;
  switch (type.category) {
    case 'S':
      // bpchar_in without a length keeps the blanks, which the comparison then ignores.
      return quoteLiteral(type.name === 'bpchar' ? text.replace(/ +$/, '') : text);
    case 'E':
      if (!(type.enumLabels ?? []).includes(text)) {
        throw ctx.error(
          SqlState.invalidTextRepresentation,
          `invalid input value for enum ${enumDisplayName(type)}: "${text}"`,
          location,
        );
      }
      return `CAST(${quoteLiteral(text)} AS ${type.duckType})`;
    case 'N':
      if (type.heldAsText === true) return exactNumericLiteral(text);
      return type.name === 'numeric' ? numericLiteral(text) : quoteLiteral(text);
    case 'A':
      return type.name === 'interval[]'
        ? intervalArrayKey(arrayLiteral(ctx, text, type, location))
        : arrayLiteral(ctx, text, type, location);
    case 'I':
      return networkLiteral(ctx, text, type, location);
    case 'R':
      return rangeLiteralKey(ctx, text, type, location);
    default:
      if (isNetwork(type)) return networkLiteral(ctx, text, type, location);
      if (type.name === 'jsonb') return quoteLiteral(jsonbOperand(ctx, text, operator, location));
      if (type.name === 'json') throw noJsonComparison(ctx, operator, location);
      if (type.name === 'interval') return intervalKey(`CAST(${quoteLiteral(text)} AS INTERVAL)`);
      if (type.name === 'timetz') return timetzLiteral(ctx, text, location);
      if (type.name === 'bytea') return byteaLiteral(ctx, text, location);
      if (type.name === 'bool') return atLocation(ctx, location, () => textInputLiteral(text, 'bool')!);
      if (type.name === 'time') return timeLiteral(ctx, text, location);
      return dateTimeLiteralSql(type.name, text) ?? quoteLiteral(text);
  }
}

/**
 * An untyped literal compared with time: the form hh:mm[:ss[.ffffff]] is read alike by time_in and
 * DuckDB; others (`10:30 AM`, `1030`, `allballs`) PostgreSQL reads and the engine refuses.
 */
function timeLiteral(ctx: EmitContext, text: string, location?: number): string {
  if (!TIME_OF_DAY.test(text)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `time literal "${text}" in a form other than hh:mm[:ss[.ffffff]] is not supported by pg_analytica`,
      location,
    );
  }
  return `CAST(${quoteLiteral(text.trim())} AS TIME)`;
}

const TIME_OF_DAY = /^\s*\d{1,2}:\d{2}(?::[0-5]\d(?:\.\d{1,6})?)?\s*$/;

/** hh:mm[:ss[.ffffff]] with a numeric UTC offset ±hh[:mm[:ss]]. */
const TIMETZ_WITH_OFFSET =
  /^\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?\s*[+-]\d{1,2}(?::\d{2}(?::\d{2})?)?\s*$/;

/**
 * An untyped literal compared with timetz. Without an offset PostgreSQL's timetz_in takes the
 * session time zone's offset on the current date (and zone names likewise), which the engine
 * does not reproduce: only a literal with a numeric offset is read.
 */
function timetzLiteral(ctx: EmitContext, text: string, location?: number): string {
  if (!TIMETZ_WITH_OFFSET.test(text)) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `time with time zone literal "${text}" without a numeric UTC offset is not supported by pg_analytica`,
      location,
      "Write the offset, as in '10:30:00+02'.",
    );
  }
  return timetzKey(`CAST(${quoteLiteral(text.trim())} AS TIMETZ)`);
}

/**
 * An untyped literal compared with numeric(p,s) is numeric without a typmod in PostgreSQL, so it
 * keeps all its digits: '-1023.0004' must not become the column's DECIMAL(10,3) (-1023.000, which
 * would match). A plain decimal is written as a DECIMAL of its own scale; anything else (an
 * exponent, NaN) is left to DuckDB's cast, which fails rather than rounds.
 */
function numericLiteral(text: string): string {
  const m = /^\s*[+-]?(\d*)(?:\.(\d*))?\s*$/.exec(text);
  if (m === null || (m[1] === '' && (m[2] ?? '') === '')) return quoteLiteral(text);
  const integerDigits = m[1]!.replace(/^0+/, '').length;
  const scale = (m[2] ?? '').length;
  const precision = Math.max(integerDigits + scale, scale, 1);
  if (precision > 38) return quoteLiteral(text);
  return `CAST(${quoteLiteral(text.trim())} AS DECIMAL(${precision}, ${scale}))`;
}

/** An untyped literal compared with an array: PostgreSQL's array text read as the array's type. */
function arrayLiteral(ctx: EmitContext, text: string, type: PgType, location?: number): string {
  const elements = parseArrayLiteral(text);
  if (elements === undefined)
    throw ctx.error(SqlState.invalidTextRepresentation, `malformed array literal: "${text}"`, location);
  if (type.duckType === undefined) return quoteLiteral(text);
  return `CAST([${elements.map((e) => (e === null ? 'NULL' : quoteLiteral(e))).join(', ')}] AS ${type.duckType})`;
}

/**
 * jsonb compares values: = and <> through the equality key (1.0 = 1), ordering operators through
 * the sort key, whose byte order is jsonb's (jsonb-ops.ts). The literal's key is computed here.
 */
function jsonbOperand(ctx: EmitContext, text: string, operator: string, location?: number): string {
  return atLocation(ctx, location, () => (EQUALITY.has(operator) ? jsonbKey(text) : jsonbSortKey(text)));
}

const jsonbKeyFunction = (operator: string) =>
  jsonFunction(EQUALITY.has(operator) ? 'equality_key' : 'sort_key');

/** A typed operand: SQL already emitted, adjusted for its type. */
function typedOperand(sql: string, type: PgType | undefined, operator: string, context: PgType): string {
  if (type?.name === 'bpchar') return `rtrim(${sql}, ' ')`;
  if (type?.heldAsText === true) return exactNumeric(sql);
  if (type?.name === 'interval') return intervalKey(sql);
  if (type?.name === 'interval[]') return intervalArrayKey(sql);
  if (type?.name === 'timetz') return timetzKey(sql);
  if (isInet(type)) return inetKey(sql);
  if (isRange(type)) return rangeKey(type!, sql);
  if (type?.name === 'json' || context.name === 'json')
    throw new PgError(SqlState.undefinedFunction, `operator does not exist: json ${operator} json`);
  // An operand of no known type here (a parameter) is read as jsonb, as PostgreSQL types it
  // from the other side.
  if (type?.name === 'jsonb') return `${jsonbKeyFunction(operator)}(${sql})`;
  if (context.name === 'jsonb' && (type === undefined || type.category === 'X'))
    return `${jsonbKeyFunction(operator)}(CAST(${sql} AS VARCHAR))`;
  return sql;
}

function noJsonComparison(ctx: EmitContext, operator: string, location?: number): PgError {
  return ctx.error(
    SqlState.undefinedFunction,
    `operator does not exist: json ${operator} unknown`,
    location,
    'No operator matches the given name and argument types. You might need to add explicit type casts.',
  );
}

/**
 * A value whose PostgreSQL meaning is its text (an argument of a text function, `||`, a cast
 * to text): bpchar loses its trailing blanks there, as its cast to text does.
 */
export function asText(ctx: EmitContext, node: Node, sql: string): string {
  return pgTextOf(ctx, operandType(ctx, node), sql, 'cast', nodeLocation(node));
}

/** Refuses arithmetic on numeric held as text: DuckDB would compute on the text or round it. */
export function checkArithmeticOperand(ctx: EmitContext, node: Node | undefined, operator: string): void {
  if (node === undefined || operandType(ctx, node)?.heldAsText !== true) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `operator ${operator} on a column declared numeric without precision is not supported by pg_analytica`,
    nodeLocation(node),
    'the copy holds such values as exact text; declare the column numeric(p,s) with p <= 38 to compute on it',
  );
}

/** The location of an expression node, when its parse node carries one. */
export function nodeLocation(node: Node): number | undefined {
  const body = Object.values(node)[0] as { location?: unknown } | undefined;
  return typeof body?.location === 'number' ? body.location : undefined;
}

/**
 * `x op ANY/ALL (SELECT c …)` and `x IN (SELECT c …)`: when x or c is bpchar or numeric held as
 * text, both sides are converted as a comparison converts them, the subquery's column by
 * reading the subquery as a derived table.
 */
export function typedSubqueryOperands(
  ctx: EmitContext,
  test: Node,
  testSql: string,
  output: PgType | undefined,
  query: string,
): { left: string; query: string } {
  const left = operandType(ctx, test);
  const keyed = left?.heldAsText === true || output?.heldAsText === true;
  const folded = citextSubquery(ctx, test, left, output);
  const convert = (type: PgType | undefined, sql: string) =>
    folded
      ? citextKey(sql)
      : type?.name === 'timetz'
        ? timetzKey(sql)
        : isInet(type)
          ? inetKey(sql)
          : isRange(type)
            ? rangeKey(type!, sql)
            : type?.name === 'bpchar'
              ? `rtrim(${sql}, ' ')`
              : type?.heldAsText === true
                ? exactNumeric(sql)
                : type?.name === 'jsonb'
                  ? `${jsonFunction('sort_key')}(${sql})`
                  : type?.name === 'interval'
                    ? intervalKey(sql)
                    : keyed && type?.category === 'N'
                      ? exactNumeric(`CAST(${sql} AS VARCHAR)`)
                      : sql;
  if (convert(left, 'x') === 'x' && convert(output, 'x') === 'x') return { left: testSql, query };
  const column = convert(output, '"pga_sub"."c"');
  return {
    left: convert(left, testSql),
    query: `SELECT ${column} FROM (${query}) AS "pga_sub"("c")`,
  };
}

/**
 * A subquery comparison with citext on one side: case-insensitive when both sides are citext,
 * case-sensitive (text's operator) when the other is another known type; refused when the other
 * side's type is not known.
 */
function citextSubquery(
  ctx: EmitContext,
  test: Node,
  left: PgType | undefined,
  output: PgType | undefined,
): boolean {
  if (!isCitext(left) && !isCitext(output)) return false;
  if (isCitext(left) && isCitext(output)) return true;
  if (left !== undefined && output !== undefined) return false;
  throw ctx.error(
    SqlState.featureNotSupported,
    'comparing citext with an expression of a type pg_analytica does not know is not supported',
    nodeLocation(test),
    'Cast the expression to citext or to text to say how it compares.',
  );
}
