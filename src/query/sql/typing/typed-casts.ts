/**
 * Casts whose meaning depends on PostgreSQL types (the emit stage): interval
 * literals with a field, casts to an enum the statement's columns use, jsonb
 * literals, char(n), bpchar to text (which drops the trailing blanks), and
 * integers and numerics to unconstrained numeric (the same value). Other casts
 * are left to expr-emitter.ts (undefined).
 */

import type { Node, TypeCast } from 'libpg-query';
import { SqlState } from '../../../errors.js';
import { numericFunction } from '../../numeric/duckdb-numeric-functions.js';
import { emitDateTimeCast } from '../datetime/datetime-casts.js';
import { dateTimeLiteralSql } from '../datetime/datetime-literal.js';
import { atLocation, type EmitContext } from '../emit-context.js';
import { emitIntervalWithFields, intervalFields } from '../interval-literal.js';
import { emitJsonbScalarCast } from '../json-rules.js';
import { quoteLiteral } from '../sql-text.js';
import { baseTypeName, duckDbType } from '../type-names.js';
import { byteaLiteral } from './bytea-values.js';
import { typeOf } from './expr-types.js';
import { emitJsonCast } from './json-casts.js';
import { emitNetworkCast } from './network-rules.js';
import { floatNumericText } from './numeric-text.js';
import { builtIn, castTargetType, enumDisplayName, type PgType } from './pg-types.js';
import { emitRangeCast } from './range-rules.js';
import { isTextInputTarget, textInputCast, textInputLiteral } from './text-input-casts.js';
import { pgTextOf } from './text-output.js';

/** DECIMAL holding every value of an integer type, as numeric prints it (no fraction). */
const INTEGER_DECIMALS: Readonly<Record<string, string>> = {
  int2: 'DECIMAL(5,0)',
  int4: 'DECIMAL(10,0)',
  int8: 'DECIMAL(19,0)',
};

const TEXT_OUTPUT = new Set(['float8', 'float4', 'interval', 'date', 'timestamp', 'timestamptz', 'bytea']);

export function emitTypedCast(ctx: EmitContext, cast: TypeCast, arg: Node): string | undefined {
  const typeName = cast.typeName!;
  const isNull = 'A_Const' in arg && arg.A_Const.isnull === true;
  const text = 'A_Const' in arg && !isNull ? arg.A_Const.sval?.sval : undefined;
  const name = baseTypeName(typeName);
  const typmods = typeName.typmods ?? [];
  if ((typeName.arrayBounds?.length ?? 0) > 0) return undefined;
  const fields = name === 'interval' ? intervalFields(typmods) : undefined;
  if (fields !== undefined && text !== undefined)
    return emitIntervalWithFields(ctx, text, fields, cast.location);
  if ((name === 'jsonb' || name === 'json') && typmods.length === 0)
    return emitJsonCast(ctx, cast, arg, name);
  const network = emitNetworkCast(ctx, cast, arg) ?? emitRangeCast(ctx, cast, arg);
  if (network !== undefined) return network;
  // Listing the tables runs before any type is known; the typed pass decides (and refuses).
  if (ctx.listingOnly === true && (name === 'bpchar' || name === 'numeric' || builtIn(name) === undefined))
    return ctx.expr(arg);
  if (name === 'bpchar') return emitBpcharCast(ctx, cast, arg, text);
  if (name === 'bytea' && text !== undefined) return byteaLiteral(ctx, text, cast.location);
  if (name === 'varchar' && typmods.length === 1) return emitVarcharCast(ctx, cast, arg, text);
  const temporalLiteral = text === undefined ? undefined : dateTimeLiteralSql(name, text);
  if (temporalLiteral !== undefined) return temporalLiteral;
  if (typmods.length === 0 && ctx.types !== undefined && typeOf(ctx.types, arg)?.name === 'jsonb') {
    const scalar = emitJsonbScalarCast(ctx.expr(arg), name);
    if (scalar !== undefined) return scalar;
  }
  // Text read by the target's input function (int4in, boolin, time_in, byteain).
  if (isTextInputTarget(name) && typmods.length === 0 && !isNull) {
    const from =
      text === undefined ? (ctx.types === undefined ? undefined : typeOf(ctx.types, arg)) : undefined;
    const literal =
      text === undefined ? undefined : atLocation(ctx, cast.location, () => textInputLiteral(text, name));
    if (literal !== undefined) return literal;
    if (text !== undefined || from?.category === 'S') {
      const value =
        text !== undefined
          ? quoteLiteral(text)
          : from?.name === 'bpchar' && name !== 'bytea'
            ? `rtrim(${ctx.expr(arg)}, ' ')`
            : ctx.expr(arg);
      const cast = textInputCast(value, name);
      if (cast !== undefined) return cast;
    }
  }
  // A NULL of unconstrained numeric (postgres_fdw's `null::numeric` for a parameter it estimates).
  if (isNull && name === 'numeric' && typmods.length === 0) return 'CAST(NULL AS DECIMAL(38,18))';
  if (ctx.types === undefined) return undefined;
  const target = castTargetType(typeName, ctx.types.enumTypes());
  if (target?.category === 'E') return emitEnumCast(ctx, cast, arg, text, target);
  if (name === 'numeric' && typmods.length === 0 && !('A_Const' in arg))
    return emitNumericCast(ctx, cast, arg);
  const source = typeOf(ctx.types, arg);
  const temporal = typmods.length === 0 ? emitDateTimeCast(() => ctx.expr(arg), source, name) : undefined;
  if (temporal !== undefined) return temporal;
  // float → numeric(p,s): through float8_numeric's digits, then rounded to s as numeric does.
  const decimal = duckDbType(typeName);
  if (name === 'numeric' && (source?.name === 'float8' || source?.name === 'float4') && decimal !== undefined)
    return `CAST(${floatNumericText(ctx.expr(arg), source.name === 'float4')} AS ${decimal})`;
  if (source?.name === 'bpchar' && (name === 'text' || name === 'varchar') && typmods.length === 0)
    return `rtrim(${ctx.expr(arg)}, ' ')`;
  // To text: the types DuckDB writes otherwise than PostgreSQL's output functions (text-output.ts).
  const printed = TEXT_OUTPUT.has(source?.name ?? '') || source?.category === 'A';
  if (printed && (name === 'text' || name === 'varchar') && typmods.length === 0)
    return pgTextOf(ctx, source, ctx.expr(arg), 'cast', cast.location);
  return undefined;
}

function emitEnumCast(
  ctx: EmitContext,
  cast: TypeCast,
  arg: Node,
  text: string | undefined,
  target: PgType,
): string {
  if (text !== undefined && !(target.enumLabels ?? []).includes(text)) {
    throw ctx.error(
      SqlState.invalidTextRepresentation,
      `invalid input value for enum ${enumDisplayName(target)}: "${text}"`,
      cast.location,
    );
  }
  const source = ctx.types === undefined ? undefined : typeOf(ctx.types, arg);
  return source?.oid === target.oid ? ctx.expr(arg) : `CAST(${ctx.expr(arg)} AS ${target.duckType})`;
}

/**
 * numeric and integers to unconstrained numeric keep their value: a numeric as it is, an
 * integer as a DECIMAL of scale 0. The operand is emitted first, so that a subquery's output
 * is typed. Anything else (a float's 15 significant digits, text) would need a DECIMAL scale
 * DuckDB cannot choose exactly; comparisons of float::numeric are handled in operator-rules.ts.
 */
function emitNumericCast(ctx: EmitContext, cast: TypeCast, arg: Node): string {
  const sql = ctx.expr(arg);
  const source = ctx.types === undefined ? undefined : typeOf(ctx.types, arg);
  if (source?.name === 'numeric') return sql;
  const decimal = INTEGER_DECIMALS[source?.name ?? ''];
  if (decimal !== undefined) return `CAST(${sql} AS ${decimal})`;
  if (source?.name === 'float8' || source?.name === 'float4')
    return floatNumericText(sql, source.name === 'float4');
  // Text read by numeric_in keeps each value's own display scale: numeric text (numeric-text.ts).
  if (source?.category === 'S')
    return `${numericFunction('in')}(CAST(${source.name === 'bpchar' ? `rtrim(${sql}, ' ')` : sql} AS VARCHAR))`;
  throw ctx.error(
    SqlState.featureNotSupported,
    'numeric without precision and scale is not supported by pg_analytica here',
    cast.location,
    'DuckDB would round it to 3 decimal places; cast to numeric(p,s) instead.',
  );
}

/**
 * varchar(n): an explicit cast cuts the text to n characters (varchar(varchar, int, true)); a
 * char(n) value is text first, without its trailing blanks.
 */
function emitVarcharCast(
  ctx: EmitContext,
  cast: TypeCast,
  arg: Node,
  text: string | undefined,
): string | undefined {
  const first = cast.typeName?.typmods?.[0];
  const length = first !== undefined && 'A_Const' in first ? first.A_Const.ival?.ival : undefined;
  if (ctx.listingOnly === true) return ctx.expr(arg);
  if (length === undefined || length < 1) return undefined;
  if ('A_Const' in arg && arg.A_Const.isnull === true) return 'CAST(NULL AS VARCHAR)';
  if (text !== undefined) return quoteLiteral([...text].slice(0, length).join(''));
  const source = ctx.types === undefined ? undefined : typeOf(ctx.types, arg);
  if (source?.category !== 'S') return undefined;
  const value = source.name === 'bpchar' ? `rtrim(${ctx.expr(arg)}, ' ')` : ctx.expr(arg);
  return `left(${value}, ${length})`;
}

/**
 * char(n) / bpchar: a literal is blank-padded to n characters (bpchar_input; longer text is
 * cut only where the rest is blanks); a string without a length keeps its value.
 */
function emitBpcharCast(ctx: EmitContext, cast: TypeCast, arg: Node, text: string | undefined): string {
  const typmods = cast.typeName?.typmods ?? [];
  const first = typmods[0];
  const length = first !== undefined && 'A_Const' in first ? first.A_Const.ival?.ival : undefined;
  if ('A_Const' in arg && arg.A_Const.isnull === true) return 'CAST(NULL AS VARCHAR)';
  // An explicit cast cuts what passes the length and pads to it (bpchar(bpchar, int, true)).
  if (text !== undefined && typmods.length <= 1 && (typmods.length === 0 || length !== undefined)) {
    if (length === undefined) return quoteLiteral(text);
    const kept = [...text].slice(0, length);
    return quoteLiteral(kept.join('') + ' '.repeat(length - kept.length));
  }
  const source = ctx.types === undefined ? undefined : typeOf(ctx.types, arg);
  if (typmods.length === 0 && source?.category === 'S') return ctx.expr(arg);
  if (typmods.length === 1 && length !== undefined && length > 0 && source?.category === 'S')
    return `rpad(left(${ctx.expr(arg)}, ${length}), ${length}, ' ')`;
  throw ctx.error(
    SqlState.featureNotSupported,
    `type bpchar${typmods.length > 0 ? ' with a modifier' : ''} is not supported by pg_analytica here`,
    cast.location,
  );
}
