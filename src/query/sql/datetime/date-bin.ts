/**
 * date_bin(stride, source, origin) as timestamp.c's timestamp_bin/timestamptz_bin compute it:
 * the start of the bin of `stride` (days and time only) holding `source`, bins counted from
 * `origin` in absolute microseconds (no time zone arithmetic: a day is 24 hours here), rounded
 * towards -infinity. An infinite source is returned as it is; PostgreSQL's errors for a stride
 * with months, a stride not above zero and an infinite origin.
 *
 * Resolution (pg_proc.dat has both forms): timestamp when the source is a timestamp, timestamptz
 * otherwise (a date or an untyped literal takes the preferred type); untyped arguments are read
 * as the resolved types.
 */
import type { FuncCall, Node } from 'libpg-query';
import type { EmitContext } from '../emit-context.js';
import { quoteLiteral } from '../sql-text.js';
import { operandType } from '../typing/typed-operands.js';
import { intervalParts, withValues } from './interval-parts.js';

function sqlError(code: string, message: string): string {
  return `error(${quoteLiteral(`SQLSTATE ${code}: ${message}`)})`;
}

function isUntypedString(node: Node): boolean {
  return 'A_Const' in node && node.A_Const.sval !== undefined;
}

/** `node::pg_catalog.<typeName>`, as the parser writes a cast. */
function castNode(node: Node, typeName: string): Node {
  const names = ['pg_catalog', typeName].map((sval) => ({ String: { sval } }));
  return { TypeCast: { arg: node, typeName: { names, typemod: -1 } } };
}

export function emitDateBin(ctx: EmitContext, call: FuncCall): string | undefined {
  const args = call.args ?? [];
  if (args.length !== 3) return undefined;
  const [stride, source, origin] = args as [Node, Node, Node];
  const strideType = operandType(ctx, stride);
  const sourceType = operandType(ctx, source);
  const originType = operandType(ctx, origin);
  if (strideType?.name !== 'interval' && !isUntypedString(stride)) return undefined;
  // Most exact matches (parse_func.c), and on a tie the preferred type.
  const names = [sourceType?.name, originType?.name];
  const typeName =
    names.includes('timestamp') && !names.includes('timestamptz') ? 'timestamp' : 'timestamptz';
  const accepted = new Set(['date', 'timestamp', 'timestamptz']);
  for (const [node, type] of [
    [source, sourceType],
    [origin, originType],
  ] as const) {
    if (!isUntypedString(node) && (type === undefined || !accepted.has(type.name))) return undefined;
  }
  const duck = typeName === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
  const asType = (node: Node, name: string) =>
    isUntypedString(node) ? ctx.expr(castNode(node, name)) : `CAST(${ctx.expr(node)} AS ${duck})`;
  const values = [
    ctx.expr(isUntypedString(stride) ? castNode(stride, 'interval') : stride),
    asType(source, typeName),
    asType(origin, typeName),
  ];
  return withValues(values, ([s, x, o]) => {
    const parts = intervalParts(s!);
    const usecs = `(CAST(${parts.days} AS BIGINT) * 86400000000 + ${parts.micros})`;
    const diff = `(epoch_us(${x}) - epoch_us(${o}))`;
    const modulo = `(${diff} % ${usecs})`;
    const delta = `(${diff} - ${modulo} - CASE WHEN ${modulo} < 0 THEN ${usecs} ELSE 0 END)`;
    return `CASE WHEN NOT isfinite(${x}) THEN ${x}
      WHEN NOT isfinite(${o}) THEN ${sqlError('22008', 'origin out of range')}
      WHEN ${parts.months} <> 0 THEN ${sqlError('0A000', 'timestamps cannot be binned into intervals containing months or years')}
      WHEN ${usecs} <= 0 THEN ${sqlError('22008', 'stride must be greater than zero')}
      ELSE ${o} + to_microseconds(${delta}) END`;
  });
}
