/**
 * width_bucket(operand, low, high, count) → the pga_numeric_width_bucket functions
 * (numeric/width-bucket.ts). PostgreSQL resolves the call (parse_func.c) to its float8 form
 * when an operand is a float or every operand an integer or untyped literal (float8 is the
 * numeric category's preferred type), and to its numeric form when an operand is a numeric.
 * The float8 form follows the source server's own formula (source-behaviour.ts). Other forms
 * (the array-of-thresholds one, operands of other types) are left to the function allow-list,
 * which refuses them.
 */
import type { FuncCall, Node } from 'libpg-query';
import { numericFunction } from '../numeric/duckdb-numeric-functions.js';
import type { EmitContext } from './emit-context.js';
import { numericOperandText } from './typing/numeric-emit.js';
import type { PgType } from './typing/pg-types.js';
import { operandType } from './typing/typed-operands.js';

const INTEGERS = new Set(['int2', 'int4', 'int8']);
const FLOATS = new Set(['float4', 'float8']);

function isUntyped(type: PgType): boolean {
  return type.category === 'X';
}

export function emitWidthBucket(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  const args = call.args ?? [];
  if (name !== 'width_bucket' || ctx.types === undefined || args.length !== 4) return undefined;
  const types = args.map((a) => operandType(ctx, a));
  const count = types[3];
  // count is int4 (int2 widens to it; int8 does not, and PostgreSQL finds no function).
  if (count === undefined || !(count.name === 'int2' || count.name === 'int4' || isUntyped(count)))
    return undefined;
  const operands = types.slice(0, 3);
  if (
    operands.some(
      (t) =>
        t === undefined ||
        !(t.name === 'numeric' || INTEGERS.has(t.name) || FLOATS.has(t.name) || isUntyped(t)),
    )
  )
    return undefined;
  const countSql = `CAST(${ctx.expr(args[3]!)} AS INTEGER)`;
  const isFloat = operands.some((t) => FLOATS.has(t!.name)) || !operands.some((t) => t!.name === 'numeric');
  if (!isFloat) {
    const texts = args.slice(0, 3).map((a) => numericOperandText(ctx, a));
    return `${numericFunction('width_bucket')}(${texts.join(', ')}, ${countSql})`;
  }
  if (ctx.widthBucketDividesFirst === undefined) return undefined;
  const doubles = args.slice(0, 3).map((a: Node) => `CAST(${ctx.expr(a)} AS DOUBLE)`);
  return `${numericFunction('width_bucket_float')}(${doubles.join(', ')}, ${countSql}, ${ctx.widthBucketDividesFirst})`;
}
