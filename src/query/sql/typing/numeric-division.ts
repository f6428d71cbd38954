/**
 * numeric division and avg() as PostgreSQL computes them: exactly, rounded
 * (half away from zero) to the scale select_div_scale() in numeric.c picks
 * from the operands' values — at least 16 significant digits
 * (NUMERIC_MIN_SIG_DIGITS), never fewer decimals than either operand's display
 * scale, at most 1000 — and avg(x) is sum(x) / count(x) that way (numeric_avg).
 *
 * DuckDB has no type whose scale varies by row, so the quotient is computed on
 * the operands' exact decimal text with HUGEINT arithmetic and returned as
 * PostgreSQL's text of the numeric; the type stage marks it numeric held as
 * text (described as numeric, compared through exactNumeric()). Operands too
 * large for 38 digits at that scale fail in DuckDB instead of being rounded.
 *
 * Only select-list items use this (a quotient inside a larger expression is
 * still computed in double precision: docs/types.md "Known differences"), and
 * only when each operand is itself exact (columns, literals, + - *, sum/min/max).
 */
import type { FuncCall, Node } from 'libpg-query';
import type { EmitContext } from '../emit-context.js';
import { stringValue } from '../emit-context.js';
import { DIVISION_BY_ZERO_MESSAGE } from '../operator-rules.js';
import { typeOf } from './expr-types.js';

const EXACT_TYPES = new Set(['int2', 'int4', 'int8', 'numeric']);
const EXACT_FUNCTIONS = new Set(['sum', 'min', 'max', 'abs', 'count']);

/** The operands of an exact numeric quotient `node` (a / b, avg(x)), or undefined. */
export function exactQuotient(
  ctx: EmitContext,
  node: Node,
): { kind: 'divide' | 'avg'; args: Node[] } | undefined {
  if (ctx.types === undefined) return undefined;
  if ('FuncCall' in node) {
    const call = node.FuncCall;
    const arg = call.args?.[0];
    if (stringValue(call.funcname?.at(-1)) !== 'avg' || !plainAggregate(call) || arg === undefined)
      return undefined;
    return exactOperand(ctx, arg) ? { kind: 'avg', args: [arg] } : undefined;
  }
  if (!('A_Expr' in node) || node.A_Expr.kind !== 'AEXPR_OP' || stringValue(node.A_Expr.name?.at(-1)) !== '/')
    return undefined;
  const { lexpr, rexpr } = node.A_Expr;
  if (lexpr === undefined || rexpr === undefined || !exactOperand(ctx, lexpr) || !exactOperand(ctx, rexpr))
    return undefined;
  // integer / integer is integer division.
  const numeric = [lexpr, rexpr].some((n) => typeOf(ctx.types!, n)?.name === 'numeric');
  return numeric ? { kind: 'divide', args: [lexpr, rexpr] } : undefined;
}

function plainAggregate(call: FuncCall): boolean {
  return (
    call.over === undefined &&
    call.agg_distinct !== true &&
    (call.agg_order ?? []).length === 0 &&
    call.args?.length === 1
  );
}

/** An expression DuckDB computes exactly, of an integer or numeric type not held as text. */
function exactOperand(ctx: EmitContext, node: Node): boolean {
  const type = typeOf(ctx.types!, node);
  if (type === undefined || !EXACT_TYPES.has(type.name) || type.heldAsText === true) return false;
  // A literal past 38 digits is a DOUBLE in DuckDB.
  if ('A_Const' in node) return (node.A_Const.fval?.fval ?? '').replace(/\D/g, '').length <= 38;
  if ('ColumnRef' in node) return true;
  if ('TypeCast' in node) return node.TypeCast.arg !== undefined && exactOperand(ctx, node.TypeCast.arg);
  if ('FuncCall' in node) {
    const call = node.FuncCall;
    const name = stringValue(call.funcname?.at(-1)) ?? '';
    return (
      EXACT_FUNCTIONS.has(name) &&
      call.over === undefined &&
      (call.args ?? []).every((a) => exactOperand(ctx, a))
    );
  }
  if ('A_Expr' in node && node.A_Expr.kind === 'AEXPR_OP') {
    const op = stringValue(node.A_Expr.name?.at(-1)) ?? '';
    const { lexpr, rexpr } = node.A_Expr;
    return (
      ['+', '-', '*'].includes(op) &&
      (lexpr === undefined || exactOperand(ctx, lexpr)) &&
      rexpr !== undefined &&
      exactOperand(ctx, rexpr)
    );
  }
  if ('CaseExpr' in node) {
    const results = (node.CaseExpr.args ?? []).map((w) => ('CaseWhen' in w ? w.CaseWhen.result : undefined));
    return [...results, node.CaseExpr.defresult].every((r) => r === undefined || exactOperand(ctx, r));
  }
  return false;
}

/** The parts of a decimal text `x` (DuckDB's VARCHAR of a DECIMAL or integer) select_div_scale needs. */
function decimalParts(x: string): string {
  const m = `ltrim(${x}, '-')`;
  const ip = `ltrim(split_part(${m}, '.', 1), '0')`;
  const fp = `split_part(${m}, '.', 2)`;
  const sig = `ltrim(split_part(${m}, '.', 1) || ${fp}, '0')`;
  // floor(log10(|x|)): digits before the point, or the zeros after it.
  const log10 = `(CASE WHEN length(${ip}) > 0 THEN length(${ip}) - 1 ELSE length(ltrim(${fp}, '0')) - length(${fp}) - 1 END)`;
  const weight = `CAST(floor(${log10} / 4.0) AS INTEGER)`;
  const group = `CAST(${log10} - 4 * ${weight} + 1 AS INTEGER)`;
  return `{'scale': length(${fp}),
    'digits': CAST(replace(${x}, '.', '') AS HUGEINT),
    'weight': CASE WHEN ${sig} = '' THEN 0 ELSE ${weight} END,
    'first': CASE WHEN ${sig} = '' THEN 0 ELSE CAST(rpad(left(${sig}, ${group}), ${group}, '0') AS INTEGER) END}`;
}

/** 10^k as HUGEINT (exact; k past 38 fails in DuckDB). */
function powerOfTen(k: string): string {
  return `CAST('1' || repeat('0', ${k}) AS HUGEINT)`;
}

/**
 * DuckDB SQL for the quotient of two exact DuckDB values (their SQL), as PostgreSQL's
 * numeric text. NULL operands give NULL; a zero divisor raises PostgreSQL's 22012.
 */
export function exactQuotientSql(dividend: string, divisor: string, zeroIsNull: boolean): string {
  const checked = zeroIsNull
    ? `NULLIF(${divisor}, 0)`
    : `(CASE WHEN ${divisor} = 0 THEN error('${DIVISION_BY_ZERO_MESSAGE}') ELSE ${divisor} END)`;
  const parts = `[{'a': CAST(${dividend} AS VARCHAR), 'b': CAST(${checked} AS VARCHAR)}]`;
  const operands = `list_transform(${parts}, lambda s: {'a': ${decimalParts('s.a')}, 'b': ${decimalParts('s.b')}, 'null': s.a IS NULL OR s.b IS NULL})`;
  // select_div_scale: qweight = weight1 - weight2, one less when the first digits do not show a ≥ b.
  const qweight = `(o.a.weight - o.b.weight - CASE WHEN o.a.first <= o.b.first THEN 1 ELSE 0 END)`;
  const rscale = `least(greatest(16 - 4 * ${qweight}, o.a.scale, o.b.scale, 0), 1000)`;
  const scaled = `list_transform(${operands}, lambda o: {'r': ${rscale}, 'k': ${rscale} - o.a.scale + o.b.scale, 'a': o.a.digits, 'b': o.b.digits, 'null': o.null})`;
  const num = `(q.a * CASE WHEN q.k >= 0 THEN ${powerOfTen('q.k')} ELSE 1 END)`;
  const den = `(q.b * CASE WHEN q.k < 0 THEN ${powerOfTen('-q.k')} ELSE 1 END)`;
  const rounded = `list_transform(${scaled}, lambda q: {'r': q.r, 'null': q.null, 'v': CASE WHEN q.null THEN NULL ELSE
    ${num} // ${den} + CASE WHEN 2 * abs(${num} % ${den}) >= abs(${den}) THEN sign(${num}) * sign(${den}) ELSE 0 END END})`;
  // DuckDB's lpad also cuts longer text: only pad.
  const plain = `CAST(abs(t.v) AS VARCHAR)`;
  const digits = `(CASE WHEN length(${plain}) > t.r THEN ${plain} ELSE lpad(${plain}, CAST(t.r + 1 AS INTEGER), '0') END)`;
  const text = `CASE WHEN t.null THEN NULL ELSE (CASE WHEN t.v < 0 THEN '-' ELSE '' END) ||
    CASE WHEN t.r = 0 THEN ${digits} ELSE left(${digits}, length(${digits}) - t.r) || '.' || right(${digits}, t.r) END END`;
  return `list_transform(${rounded}, lambda t: ${text})[1]`;
}

/** DuckDB SQL for an exact quotient whose operands are emitted by `emit`. */
export function emitExactQuotient(
  quotient: { kind: 'divide' | 'avg'; args: Node[] },
  emit: (node: Node) => string,
  filter: string,
): string {
  if (quotient.kind === 'avg') {
    const x = emit(quotient.args[0]!);
    return exactQuotientSql(`sum(${x})${filter}`, `count(${x})${filter}`, true);
  }
  return exactQuotientSql(emit(quotient.args[0]!), emit(quotient.args[1]!), false);
}
