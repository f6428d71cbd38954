/**
 * The exact numeric operations of pg-numeric.ts and numeric-division.ts as DuckDB functions
 * pga_numeric_* on PostgreSQL's numeric text (through duckdb-scalar-udfs.ts: strict, errors
 * carrying their SQLSTATE). The SQL front end (sql/typing/numeric-exact.ts) emits calls to them
 * for numerics whose display scale varies by value: a few bytes of SQL per operation, where
 * the same arithmetic written in SQL took kilobytes and DuckDB long to plan.
 */
import { BOOLEAN, DOUBLE, type DuckDBConnection, INTEGER, VARCHAR } from '@duckdb/node-api';
import { registerScalarUdfs, type ScalarUdf, type UdfArg } from '../duckdb-scalar-udfs.js';
import { divide, modulo, squareRoot } from './numeric-division.js';
import {
  absolute,
  addSubtract,
  ceilFloor,
  formatNumeric,
  fromSumParts,
  multiply,
  negate,
  numericInput,
  type PgNumeric,
  parseNumeric,
  roundAt,
  sign,
} from './pg-numeric.js';
import { widthBucketFloat, widthBucketNumeric } from './width-bucket.js';

/** The prefix of every function registered here. */
export const NUMERIC_FUNCTION_PREFIX = 'pga_numeric_';

const num = (value: UdfArg | undefined) => parseNumeric(value as string);
const out = (value: PgNumeric | null) => (value === null ? null : formatNumeric(value));

const unary = (f: (a: PgNumeric) => PgNumeric): ScalarUdf => ({
  parameters: [VARCHAR],
  returns: VARCHAR,
  run: ([a]) => out(f(num(a))),
});
const binary = (f: (a: PgNumeric, b: PgNumeric) => PgNumeric): ScalarUdf => ({
  parameters: [VARCHAR, VARCHAR],
  returns: VARCHAR,
  run: ([a, b]) => out(f(num(a), num(b))),
});
const rounding = (mode: 'round' | 'trunc'): ScalarUdf => ({
  parameters: [VARCHAR, INTEGER],
  returns: VARCHAR,
  run: ([a, n]) => out(roundAt(num(a), n as number, mode)),
});

const UDFS = {
  add: binary((a, b) => addSubtract(a, b, '+')),
  sub: binary((a, b) => addSubtract(a, b, '-')),
  mul: binary(multiply),
  mod: binary(modulo),
  // The third argument: NULL rather than 22012 for a zero divisor (avg() of no rows).
  div: {
    parameters: [VARCHAR, VARCHAR, BOOLEAN],
    returns: VARCHAR,
    run: ([a, b, zeroIsNull]) => out(divide(num(a), num(b), zeroIsNull === true)),
  },
  // numeric_in of text (text::numeric), printed as numeric_out prints it.
  in: { parameters: [VARCHAR], returns: VARCHAR, run: ([a]) => numericInput(a as string) },
  neg: unary(negate),
  abs: unary(absolute),
  ceil: unary((a) => ceilFloor(a, 'ceil')),
  floor: unary((a) => ceilFloor(a, 'floor')),
  sign: unary(sign),
  sqrt: unary(squareRoot),
  // sum() of numeric text from its HUGEINT parts (sumText): integers, fractions at 30 decimals, scale.
  sum_parts: {
    parameters: [VARCHAR, VARCHAR, INTEGER],
    returns: VARCHAR,
    run: ([integers, fractions, scale]) =>
      out(fromSumParts(integers as string, fractions as string, scale as number)),
  },
  round: rounding('round'),
  trunc: rounding('trunc'),
  width_bucket: {
    parameters: [VARCHAR, VARCHAR, VARCHAR, INTEGER],
    returns: INTEGER,
    run: ([x, b1, b2, count]) => widthBucketNumeric(num(x), num(b1), num(b2), count as number),
  },
  // The fifth argument: the source server's formula (source-behaviour.ts).
  width_bucket_float: {
    parameters: [DOUBLE, DOUBLE, DOUBLE, INTEGER, BOOLEAN],
    returns: INTEGER,
    run: ([x, b1, b2, count, dividesFirst]) =>
      widthBucketFloat(x as number, b1 as number, b2 as number, count as number, dividesFirst === true),
  },
} satisfies Record<string, ScalarUdf>;

export type NumericFunctionName = keyof typeof UDFS;

/** The DuckDB name of a numeric function of this file (`div` → pga_numeric_div). */
export function numericFunction(name: NumericFunctionName): string {
  return NUMERIC_FUNCTION_PREFIX + name;
}

export function registerNumericFunctions(connection: DuckDBConnection): void {
  registerScalarUdfs(connection, NUMERIC_FUNCTION_PREFIX, UDFS);
}
