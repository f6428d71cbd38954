/**
 * lag(value, offset, default) and lead(…): PostgreSQL resolves value and default to their
 * common type (anycompatible), so `lag(id, 1, 0.5)` is numeric and gives 0.5, and
 * `lag(amount, 1, 0)` of a numeric(10,2) prints the default as 0, not 0.00. DuckDB would cast
 * the default to the value's type (0.5 to the integer 1) or print it at the column's scale. The
 * result type comes from the type stage (expr-types.ts); both are emitted as that type: exact
 * numeric text for a numeric of varying scale, the wider number otherwise.
 */
import type { FuncCall, Node } from 'libpg-query';
import type { EmitContext } from './emit-context.js';
import { numericOperandText } from './typing/numeric-emit.js';
import { operandType } from './typing/typed-operands.js';

const DUCK_NUMBERS: Readonly<Record<string, string>> = {
  int2: 'SMALLINT',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float4: 'REAL',
  float8: 'DOUBLE',
};

function isNullConstant(node: Node): boolean {
  return 'A_Const' in node && node.A_Const.isnull === true;
}

/** The call with its value and default as their common type; undefined when DuckDB's own is PostgreSQL's. */
export function emitLagLeadDefault(
  ctx: EmitContext,
  call: FuncCall,
  name: string,
  over: string,
): string | undefined {
  const [value, offset, fallback] = call.args ?? [];
  if ((name !== 'lag' && name !== 'lead') || fallback === undefined || ctx.types === undefined)
    return undefined;
  const result = operandType(ctx, { FuncCall: call });
  const valueType = operandType(ctx, value);
  let emit: (node: Node) => string;
  if (result?.heldAsText === true) {
    emit = (node) => (isNullConstant(node) ? 'CAST(NULL AS VARCHAR)' : numericOperandText(ctx, node));
  } else {
    const duck = result === undefined ? undefined : DUCK_NUMBERS[result.name];
    const defaultType = operandType(ctx, fallback);
    if (duck === undefined || (valueType?.name === result?.name && defaultType?.name === result?.name))
      return undefined;
    emit = (node) => `CAST(${ctx.expr(node)} AS ${duck})`;
  }
  return `${name}(${emit(value!)}, ${ctx.expr(offset!)}, ${emit(fallback)})${over}`;
}
