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
import { DOUBLE, type DuckDBConnection, type DuckDBIntervalValue, INTERVAL, VARCHAR } from '@duckdb/node-api';
import { registerScalarUdfs, type ScalarUdf } from '../../duckdb-scalar-udfs.js';
import { type PatternNode, parseDateTimePattern } from './datetime-pattern.js';
import { intervalToChar } from './interval-to-char.js';
import { type ExactKind, exactToChar, type FloatKind, floatToChar } from './number-to-char.js';

const TO_CHAR_PREFIX = 'pga_to_char_';
export const TO_CHAR_EXACT = `${TO_CHAR_PREFIX}exact`;
export const TO_CHAR_FLOAT = `${TO_CHAR_PREFIX}float`;
export const TO_CHAR_INTERVAL = `${TO_CHAR_PREFIX}interval`;

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

const UDFS: Readonly<Record<string, ScalarUdf>> = {
  exact: {
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    returns: VARCHAR,
    run: ([kind, value, template]) => exactToChar(kind as ExactKind, value as string, template as string),
  },
  float: {
    parameters: [VARCHAR, DOUBLE, VARCHAR],
    returns: VARCHAR,
    run: ([kind, value, template]) => floatToChar(kind as FloatKind, value as number, template as string),
  },
  interval: {
    parameters: [INTERVAL, VARCHAR],
    returns: VARCHAR,
    run: ([value, template]) => {
      const { months, days, micros } = value as unknown as DuckDBIntervalValue;
      return intervalToChar(intervalTemplate(template as string), months, days, micros);
    },
  },
};

export function registerToCharFunctions(connection: DuckDBConnection): void {
  registerScalarUdfs(connection, TO_CHAR_PREFIX, UDFS);
}
