/**
 * format(template, args…) with a constant template, as varlena.c's text_format reads it: %s (the
 * value's text as its output function writes it, NULL as nothing), %L (quote_literal, NULL as
 * NULL), %% (a percent sign), each with an optional argument position (`%2$s`), the `-` flag and
 * a width (`%-10s`, `%10L`: padded with blanks to that many characters). The template is read
 * while the statement is planned and the pieces joined in DuckDB; a template PostgreSQL rejects
 * fails when a row is formatted, as there (no row, no error). %I (quote_ident, which needs PostgreSQL's keyword list), a width taken from an argument
 * (`*`) and a computed template fail with 0A000.
 */
import type { FuncCall } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { quoteLiteral } from './sql-text.js';
import { pgTextOf } from './typing/text-output.js';
import { nodeLocation, operandType } from './typing/typed-operands.js';

type Piece = { literal: string } | { argument: number; conversion: 's' | 'L'; width?: number; left: boolean };

export function emitFormat(ctx: EmitContext, call: FuncCall, name: string): string | undefined {
  if (name !== 'format') return undefined;
  // Listing the tables: the SQL never runs, the arguments are visited.
  if (ctx.types === undefined) return `concat(${(call.args ?? []).map((a) => ctx.expr(a)).join(', ')})`;
  const [templateNode, ...argumentNodes] = call.args ?? [];
  if (templateNode === undefined) return undefined;
  const template =
    'A_Const' in templateNode && templateNode.A_Const.isnull !== true
      ? templateNode.A_Const.sval?.sval
      : undefined;
  if (template === undefined) {
    if ('A_Const' in templateNode && templateNode.A_Const.isnull === true) return 'CAST(NULL AS VARCHAR)';
    throw refused(ctx, call, 'format() with a template that is not a constant');
  }
  let pieces: Piece[];
  try {
    pieces = parseTemplate(ctx, call, template, argumentNodes.length);
  } catch (error) {
    // PostgreSQL reads the template when the function runs: no row, no error.
    if (error instanceof TemplateError) return `error(${quoteLiteral(`SQLSTATE 22023: ${error.message}`)})`;
    throw error;
  }
  const texts = argumentNodes.map(
    (node) =>
      `CAST(${pgTextOf(ctx, operandType(ctx, node), ctx.expr(node), 'output', nodeLocation(node))} AS VARCHAR)`,
  );
  const parts = pieces.map((piece) => {
    if ('literal' in piece) return quoteLiteral(piece.literal);
    const value = texts[piece.argument]!;
    const text = piece.conversion === 's' ? `coalesce(${value}, '')` : quotedLiteral(value);
    if (piece.width === undefined) return text;
    const pad = piece.left ? 'rpad' : 'lpad';
    return `(CASE WHEN length(${text}) >= ${piece.width} THEN ${text} ELSE ${pad}(${text}, ${piece.width}, ' ') END)`;
  });
  return parts.length === 0 ? "''" : `(${parts.join(' || ')})`;
}

/** quote_literal, and NULL as the word NULL (quote_nullable). */
function quotedLiteral(value: string): string {
  const doubled = `replace(${value}, '''', '''''')`;
  return `(CASE WHEN ${value} IS NULL THEN 'NULL' WHEN contains(${value}, '\\') THEN 'E''' || replace(${doubled}, '\\', '\\\\') || '''' ELSE '''' || ${doubled} || '''' END)`;
}

function parseTemplate(ctx: EmitContext, call: FuncCall, template: string, argumentCount: number): Piece[] {
  const pieces: Piece[] = [];
  let literal = '';
  let next = 0;
  let i = 0;
  const chars = [...template];
  while (i < chars.length) {
    const c = chars[i]!;
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    i++;
    if (i >= chars.length) throw invalid('unterminated format() type specifier');
    if (chars[i] === '%') {
      literal += '%';
      i++;
      continue;
    }
    // %[n$][-][width]type
    let argument: number | undefined;
    const digits = (from: number) => {
      let end = from;
      while (end < chars.length && /[0-9]/.test(chars[end]!)) end++;
      return end;
    };
    let end = digits(i);
    if (end > i && chars[end] === '$') {
      argument = Number(chars.slice(i, end).join('')) - 1;
      if (argument < 0) throw invalid('format specifies argument 0, but arguments are numbered from 1');
      i = end + 1;
    }
    let left = false;
    while (chars[i] === '-') {
      left = true;
      i++;
    }
    if (chars[i] === '*') throw refused(ctx, call, 'format() with a width taken from an argument (*)');
    end = digits(i);
    const width = end > i ? Number(chars.slice(i, end).join('')) : undefined;
    i = end;
    if (i >= chars.length) throw invalid('unterminated format() type specifier');
    const type = chars[i]!;
    i++;
    if (type === 'I') throw refused(ctx, call, 'format() with %I');
    if (type !== 's' && type !== 'L') throw invalid(`unrecognized format() type specifier "${type}"`);
    const index = argument ?? next;
    if (index >= argumentCount) throw invalid('too few arguments for format()');
    next = index + 1;
    if (literal !== '') pieces.push({ literal });
    literal = '';
    pieces.push({ argument: index, conversion: type, ...(width === undefined ? {} : { width }), left });
  }
  if (literal !== '') pieces.push({ literal });
  return pieces;
}

class TemplateError extends Error {}

/** A template PostgreSQL rejects: raised when a row is formatted (emitFormat). */
function invalid(message: string): TemplateError {
  return new TemplateError(message);
}

function refused(ctx: EmitContext, call: FuncCall, what: string) {
  return ctx.error(SqlState.featureNotSupported, `${what} is not supported by pg_analytica`, call.location);
}
