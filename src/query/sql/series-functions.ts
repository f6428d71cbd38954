/**
 * generate_series(start, stop[, step]) with PostgreSQL's argument resolution
 * (parse_func.c): untyped literals and dates with an interval step are
 * timestamptz (the preferred date/time type), typed timestamps stay
 * timestamp, integers keep their type (DuckDB's series is always bigint).
 * In the select list PostgreSQL returns one row per value; DuckDB's scalar
 * generate_series returns a list, so it is unnested there.
 */
import type { FuncCall } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { known, type PgType } from './typing/pg-types.js';
import { operandType } from './typing/typed-operands.js';

/** The PostgreSQL type of the values (the function's result type), or undefined when not supported here. */
export function seriesType(types: readonly (PgType | undefined)[]): PgType | undefined {
  const [start, stop, step] = types;
  if (start === undefined || stop === undefined) return undefined;
  const typed = [start, stop].filter((t) => t.category !== 'X');
  if (step?.name === 'interval') {
    if (typed.every((t) => t.name === 'timestamp') && typed.length > 0) return known('timestamp');
    return typed.every((t) => t.name === 'timestamptz' || t.name === 'date')
      ? known('timestamptz')
      : undefined;
  }
  const names = [...typed, ...(step === undefined ? [] : [step])].map((t) => t.name);
  if (names.length === 0 || names.some((n) => n !== 'int4' && n !== 'int8')) return undefined;
  return names.includes('int8') ? known('int8') : known('int4');
}

const DUCK_TYPES: Readonly<Record<string, string>> = {
  int4: 'INTEGER',
  int8: 'BIGINT',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
};

/** The arguments cast to the series' type, and the DuckDB type of its values. */
export function seriesArguments(ctx: EmitContext, call: FuncCall): { args: string[]; duckType: string } {
  const nodes = call.args ?? [];
  const type =
    ctx.types === undefined || nodes.length < 2 || nodes.length > 3
      ? undefined
      : seriesType(nodes.map((n) => operandType(ctx, n)));
  if (type === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'generate_series is supported by pg_analytica for integers, and for timestamps or dates with an interval step',
      call.location,
    );
  }
  const duckType = DUCK_TYPES[type.name]!;
  const args = nodes.map((n, i) => (i < 2 ? `CAST(${ctx.expr(n)} AS ${duckType})` : ctx.expr(n)));
  return { args, duckType };
}

/** generate_series(…) in the select list: one row per value, of the series' type. */
export function emitSeriesInSelectList(ctx: EmitContext, call: FuncCall): string {
  const { args, duckType } = seriesArguments(ctx, call);
  return `CAST(unnest(generate_series(${args.join(', ')})) AS ${duckType})`;
}
