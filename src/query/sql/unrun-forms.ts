/**
 * Forms of allowed functions that PostgreSQL has and the engine does not run: the function is
 * run for other argument types, and DuckDB has no such form or computes another answer. Each
 * is refused with 0A000 naming the form, before DuckDB could answer with an error of its own.
 */
import type { FuncCall } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { operandType } from './typing/typed-operands.js';

/** Functions whose bytea forms (bytea.c) are not run: DuckDB's take strings only. */
const STRING_ONLY = new Set(['substring', 'substr', 'btrim', 'ltrim', 'rtrim', 'position', 'strpos']);

/** Functions whose numeric forms (numeric.c) are not run: DuckDB's take integers only. */
const INTEGER_ONLY = new Set(['gcd', 'lcm']);

export function refuseUnrunForm(ctx: EmitContext, call: FuncCall, name: string): void {
  if (ctx.types === undefined) return;
  const types = (call.args ?? []).map((arg) => operandType(ctx, arg)?.name);
  const refused =
    (STRING_ONLY.has(name) && types.includes('bytea') && 'bytea') ||
    (INTEGER_ONLY.has(name) && types.includes('numeric') && 'numeric') ||
    (name === 'isfinite' && types[0] === 'interval' && 'interval');
  if (refused === false) return;
  throw ctx.error(
    SqlState.featureNotSupported,
    `${name}() of ${refused} is not supported by pg_analytica`,
    call.location,
    'run this query on the source table in PostgreSQL',
  );
}
