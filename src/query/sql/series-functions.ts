/**
 * generate_series(start, stop[, step]) with PostgreSQL's argument resolution
 * (parse_func.c): untyped literals and dates with an interval step are
 * timestamptz (the preferred date/time type), typed timestamps stay
 * timestamp, an untyped step beside a date/time is an interval, integers keep their type (DuckDB's series is always bigint).
 * In the select list PostgreSQL returns one row per value; DuckDB's scalar
 * generate_series returns a list, so it is unnested there.
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { known, type PgType } from './typing/pg-types.js';
import { operandType } from './typing/typed-operands.js';

/** The PostgreSQL type of the values (the function's result type), or undefined when not supported here. */
export function seriesType(types: readonly (PgType | undefined)[]): PgType | undefined {
  const [start, stop, step] = types;
  if (start === undefined || stop === undefined) return undefined;
  const typed = [start, stop].filter((t) => t.category !== 'X');
  const temporal = typed.length > 0 && typed.every((t) => TEMPORAL.has(t.name));
  // An untyped step beside a date or timestamp can only be the interval of the date/time forms.
  if (step?.name === 'interval' || (temporal && step?.category === 'X')) {
    if (!typed.every((t) => TEMPORAL.has(t.name))) return undefined;
    // Most exact matches win (func_select_candidate); on a tie, or for dates (which both
    // forms take by an implicit cast), the preferred type of the date/time category.
    const names = new Set(typed.map((t) => t.name));
    return names.has('timestamp') && !names.has('timestamptz') ? known('timestamp') : known('timestamptz');
  }
  // Untyped arguments beside integers take the integers' type.
  const names = [...typed, ...(step === undefined || step.category === 'X' ? [] : [step])].map((t) => t.name);
  if (names.length === 0 || names.some((n) => n !== 'int4' && n !== 'int8')) return undefined;
  return names.includes('int8') ? known('int8') : known('int4');
}

const TEMPORAL = new Set(['date', 'timestamp', 'timestamptz']);

const DUCK_TYPES: Readonly<Record<string, string>> = {
  int4: 'INTEGER',
  int8: 'BIGINT',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
};

/**
 * The arguments cast to the series' type, that type and its DuckDB name. Each argument is
 * emitted once, before typing: a scalar subquery's type is known once it is emitted.
 */
export function seriesArguments(
  ctx: EmitContext,
  call: FuncCall,
): { args: string[]; type: PgType; duckType: string } {
  const nodes = call.args ?? [];
  const typed = ctx.types !== undefined && nodes.length >= 2 && nodes.length <= 3;
  const emitted = nodes.map((n) => (!typed || isUntypedString(n) ? undefined : ctx.expr(n)));
  const type = typed ? seriesType(nodes.map((n) => operandType(ctx, n))) : undefined;
  if (type === undefined) {
    throw ctx.error(
      SqlState.featureNotSupported,
      'generate_series is supported by pg_analytica for integers, and for timestamps or dates with an interval step',
      call.location,
    );
  }
  const duckType = DUCK_TYPES[type.name]!;
  // Untyped literals are read as the argument type PostgreSQL resolved (its input function's rules).
  const argumentType = (i: number) => (i < 2 || type.category === 'N' ? type.name : 'interval');
  const args = nodes.map((n, i) => {
    const sql = emitted[i] ?? ctx.expr(castNode(n, argumentType(i)));
    return i < 2 ? `CAST(${sql} AS ${duckType})` : sql;
  });
  return { args, type, duckType };
}

/** generate_series(…) in the select list: one row per value, of the series' type. */
export function emitSeriesInSelectList(ctx: EmitContext, call: FuncCall): string {
  const { args, duckType } = seriesArguments(ctx, call);
  return `CAST(unnest(generate_series(${args.join(', ')})) AS ${duckType})`;
}

function isUntypedString(node: Node): boolean {
  return 'A_Const' in node && node.A_Const.sval !== undefined;
}

/** `node::pg_catalog.<typeName>`, as the parser writes a cast. */
function castNode(node: Node, typeName: string): Node {
  const names = ['pg_catalog', typeName].map((sval) => ({ String: { sval } }));
  return { TypeCast: { arg: node, typeName: { names, typemod: -1 } } };
}
