/**
 * String and arithmetic functions whose DuckDB namesake answers otherwise at the edges, emitted
 * as PostgreSQL computes them (varlena.c, oracle_compat.c, int.c):
 *
 * | PostgreSQL                     | DuckDB's namesake                   | emitted                                 |
 * |--------------------------------|-------------------------------------|-----------------------------------------|
 * | substring(s, -1, 3) = 'h'      | counts a start ≤ 0 from the end: 'o' | positions before 1 are cut off           |
 * | substring(s, 1, -1): 22011     | ''                                  | the error                               |
 * | substring(s from 'e(l+)')      | a positional substring              | regexp_extract, pattern rewritten        |
 * | substring(s similar 'a#"b#"%' escape '#') | (none)                   | regexp_extract, pattern rewritten        |
 * | split_part(s, ',', 0): 22023   | the whole string                    | the error                               |
 * | mod(5, 0): 22012               | NULL                                | the error                               |
 * | chr(0): 54000                  | a NUL character                     | the error                               |
 * | lpad(s, n), rpad(s, n)         | no such function                    | padded with blanks                      |
 * | lpad(s, 5, '') = left(s, 5)    | fails                               | cut to n characters                     |
 * | string_to_array('', ',') = {}  | string_split gives ['']             | '' is {}, a NULL delimiter splits chars |
 * | to_hex(-1) = 'ffffffff'        | 64-bit two's complement, upper case | an integer's own 32 bits, lower case     |
 * | num_nulls(a, b), num_nonnulls  | no such function                    | a sum of IS NULL tests                   |
 *
 * Arguments arrive emitted (function-emitter.ts's typed arguments: a char(n) as text).
 */
import type { FuncCall, Node } from 'libpg-query';
import { SqlState } from '../../errors.js';
import type { EmitContext } from './emit-context.js';
import { DIVISION_BY_ZERO_MESSAGE } from './operator-rules.js';
import { emitRegexSubstring } from './regex/regex-rules.js';
import { emitSimilarSubstring } from './regex/similar-rules.js';
import { quoteLiteral } from './sql-text.js';
import { INTEGER_TYPES } from './type-names.js';
import { operandType } from './typing/typed-operands.js';

/** The messages of the errors raised here, which duckdb-errors.ts maps to PostgreSQL's SQLSTATEs. */
export const NEGATIVE_SUBSTRING_LENGTH = 'negative substring length not allowed';
export const FIELD_POSITION_ZERO = 'field position must not be zero';
export const NULL_CHARACTER = 'null character not permitted';

const raise = (message: string) => `error(${quoteLiteral(message)})`;

export function emitStringFunction(
  ctx: EmitContext,
  call: FuncCall,
  name: string,
  args: readonly string[],
): string | undefined {
  switch (name) {
    case 'substring':
    case 'substr':
      return emitSubstring(ctx, call, name, args);
    case 'split_part':
      return args.length === 3
        ? `(CASE WHEN ${args[2]} = 0 THEN ${raise(FIELD_POSITION_ZERO)} ELSE split_part(${args.join(', ')}) END)`
        : undefined;
    case 'mod':
      return args.length === 2
        ? `mod(${args[0]}, (CASE WHEN ${args[1]} = 0 THEN ${raise(DIVISION_BY_ZERO_MESSAGE)} ELSE ${args[1]} END))`
        : undefined;
    case 'chr':
      return args.length === 1
        ? `(CASE WHEN ${args[0]} = 0 THEN ${raise(NULL_CHARACTER)} ELSE chr(${args[0]}) END)`
        : undefined;
    case 'string_to_array':
      return emitStringToArray(args);
    case 'to_hex':
      return emitToHex(ctx, call, args);
    case 'num_nulls':
    case 'num_nonnulls': {
      const test = name === 'num_nulls' ? 'IS NULL' : 'IS NOT NULL';
      return `CAST(${args.map((a) => `(CASE WHEN ${a} ${test} THEN 1 ELSE 0 END)`).join(' + ') || '0'} AS INTEGER)`;
    }
    case 'lpad':
    case 'rpad': {
      // An empty fill only cuts the value to n characters (lpad in oracle_compat.c); DuckDB fails.
      const [value, length, fill = "' '"] = args as [string, string, string?];
      return `(CASE WHEN ${fill} = '' THEN left(${value}, greatest(${length}, 0)) ELSE ${name}(${value}, ${length}, ${fill}) END)`;
    }
    default:
      return undefined;
  }
}

function emitSubstring(ctx: EmitContext, call: FuncCall, name: string, args: readonly string[]): string {
  const nodes = call.args ?? [];
  if (ctx.listingOnly === true) return `substring(${args.join(', ')})`;
  const positional = isInteger(ctx, nodes[1]);
  const startType = operandType(ctx, nodes[1]);
  if (!positional && name === 'substring' && nodes.length === 2 && startType?.category !== 'N')
    return emitRegexSubstring(ctx, call, args[0]!);
  if (!positional && name === 'substring' && nodes.length === 3 && startType?.category !== 'N')
    return emitSimilarSubstring(ctx, call, args[0]!);
  if (
    !positional ||
    nodes.length < 2 ||
    nodes.length > 3 ||
    (nodes[2] !== undefined && !isInteger(ctx, nodes[2]))
  ) {
    throw ctx.error(
      SqlState.featureNotSupported,
      `${name}() with these arguments is not supported by pg_analytica`,
      call.location,
      'Give the start and length as integers.',
    );
  }
  const [value, start, count] = args;
  const from = `greatest(CAST(${start} AS BIGINT), 1)`;
  if (count === undefined) return `substring(${value}, ${from})`;
  // Characters from `start` up to `start + count`, those before the first cut off.
  const length = `greatest(CAST(${start} AS BIGINT) + CAST(${count} AS BIGINT) - ${from}, 0)`;
  return `(CASE WHEN ${count} < 0 THEN ${raise(NEGATIVE_SUBSTRING_LENGTH)} ELSE substring(${value}, ${from}, ${length}) END)`;
}

/** An integer argument: typed so, or an integer literal where nothing is typed. */
function isInteger(ctx: EmitContext, node: Node | undefined): boolean {
  if (ctx.types === undefined)
    return node !== undefined && 'A_Const' in node && node.A_Const.ival !== undefined;
  const type = operandType(ctx, node);
  return type !== undefined && INTEGER_TYPES.has(type.name);
}

/**
 * string_to_array(s, delimiter [, null_string]) as text_to_array: '' is an empty array, a NULL
 * delimiter gives each character, an empty delimiter the whole string, and elements equal to
 * null_string are NULL.
 */
function emitStringToArray(args: readonly string[]): string | undefined {
  if (args.length !== 2 && args.length !== 3) return undefined;
  const [value, delimiter, nullString] = args as [string, string, string | undefined];
  const parts = `(CASE WHEN ${value} IS NULL THEN NULL WHEN ${value} = '' THEN CAST([] AS VARCHAR[]) WHEN ${delimiter} IS NULL THEN string_split(${value}, '') WHEN ${delimiter} = '' THEN [${value}] ELSE string_split(${value}, ${delimiter}) END)`;
  if (nullString === undefined) return parts;
  return `list_transform(${parts}, lambda part: CASE WHEN part = ${nullString} THEN NULL ELSE part END)`;
}

/** to_hex(integer) prints its 32 bits (two's complement for a negative), to_hex(bigint) its 64. */
function emitToHex(ctx: EmitContext, call: FuncCall, args: readonly string[]): string | undefined {
  const [value] = args;
  if (value === undefined || args.length !== 1) return undefined;
  const type = operandType(ctx, call.args?.[0])?.name;
  if (type === 'int2') {
    // PostgreSQL has to_hex(integer) and to_hex(bigint) and cannot choose for a smallint.
    throw ctx.error(
      SqlState.ambiguousFunction,
      'function to_hex(smallint) is not unique',
      call.location,
      'Could not choose a best candidate function. You might need to add explicit type casts.',
    );
  }
  if (type === 'int8') return `lower(hex(${value}))`;
  if (type !== 'int4') return undefined;
  return `lower(hex(CAST(${value} AS BIGINT) & 4294967295))`;
}
