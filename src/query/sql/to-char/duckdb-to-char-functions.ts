/**
 * Registers to_char of numbers and intervals in DuckDB under names no client can call (the
 * function allow-list admits only PostgreSQL names): pga_to_char_exact(kind, text, template) for
 * integers and numerics given as their exact text, pga_to_char_float(kind, double, template) for
 * real and double precision given as the double itself (number-to-char.ts), and
 * pga_to_char_interval(interval, template) (interval-to-char.ts). The emitter
 * (to-char-emitter.ts) writes the calls. All are strict: a NULL argument gives NULL. An error for
 * a row is reported as "SQLSTATE xxxxx: message", which duckdb-errors.ts turns back into that
 * SQLSTATE.
 */
import {
  DOUBLE,
  type DuckDBConnection,
  type DuckDBIntervalValue,
  DuckDBScalarFunction,
  type DuckDBType,
  INTERVAL,
  VARCHAR,
} from '@duckdb/node-api';
import { PgError } from '../../../errors.js';
import { type PatternNode, parseDateTimePattern } from './datetime-pattern.js';
import { intervalToChar } from './interval-to-char.js';
import { type ExactKind, exactToChar, type FloatKind, floatToChar } from './number-to-char.js';

export const TO_CHAR_EXACT = 'pga_to_char_exact';
export const TO_CHAR_FLOAT = 'pga_to_char_float';
export const TO_CHAR_INTERVAL = 'pga_to_char_interval';

const intervalTemplates = new Map<string, PatternNode[]>();

/** Parsed interval templates, kept: a query prints many rows with one template. */
function intervalTemplate(template: string): PatternNode[] {
  let found = intervalTemplates.get(template);
  if (found === undefined) {
    found = parseDateTimePattern(template);
    if (intervalTemplates.size >= 256) intervalTemplates.clear();
    intervalTemplates.set(template, found);
  }
  return found;
}

interface Udf {
  readonly name: string;
  readonly parameters: readonly DuckDBType[];
  readonly run: (args: unknown[]) => string;
}

const UDFS: readonly Udf[] = [
  {
    name: TO_CHAR_EXACT,
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    run: ([kind, value, template]) => exactToChar(kind as ExactKind, value as string, template as string),
  },
  {
    name: TO_CHAR_FLOAT,
    parameters: [VARCHAR, DOUBLE, VARCHAR],
    run: ([kind, value, template]) => floatToChar(kind as FloatKind, value as number, template as string),
  },
  {
    name: TO_CHAR_INTERVAL,
    parameters: [INTERVAL, VARCHAR],
    run: ([value, template]) => {
      const { months, days, micros } = value as DuckDBIntervalValue;
      return intervalToChar(intervalTemplate(template as string), months, days, micros);
    },
  },
];

export function registerToCharFunctions(connection: DuckDBConnection): void {
  for (const udf of UDFS) {
    connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: udf.name,
        parameterTypes: udf.parameters,
        returnType: VARCHAR,
        mainFunction: (info, input, output) => {
          const columns = udf.parameters.map((_, i) => input.getColumnVector(i));
          for (let row = 0; row < input.rowCount; row++) {
            const args = columns.map((c) => c.getItem(row));
            if (args.some((a) => a === null)) {
              output.setItem(row, null);
              continue;
            }
            try {
              output.setItem(row, udf.run(args));
            } catch (error) {
              info.setError(errorText(error));
              return;
            }
          }
          output.flush();
        },
      }),
    );
  }
}

/** duckdb-errors.ts reads the SQLSTATE back from this form. */
function errorText(error: unknown): string {
  if (error instanceof PgError) return `SQLSTATE ${error.code}: ${error.message}`;
  return `SQLSTATE XX000: ${error instanceof Error ? error.message : String(error)}`;
}
