/**
 * Validation and normalisation of the values a session may SET, matching
 * PostgreSQL's messages. Output-affecting settings accept only what the query
 * engine can honour (ISO dates, postgres intervals, UTF8).
 */
import { PgError, SqlState } from '../errors.js';

export type Normalizer = (value: string, name: string) => string;

export function invalidValue(name: string, value: string, hint?: string): PgError {
  return new PgError(
    SqlState.invalidParameterValue,
    `invalid value for parameter "${name}": "${value}"`,
    hint === undefined ? {} : { hint },
  );
}

export const anyValue: Normalizer = (value) => value;

export const booleanValue: Normalizer = (value, name) => {
  const v = value.trim().toLowerCase();
  if (['on', 'true', 'yes', '1', 't', 'y'].includes(v)) return 'on';
  if (['off', 'false', 'no', '0', 'f', 'n'].includes(v)) return 'off';
  throw new PgError(SqlState.invalidParameterValue, `parameter "${name}" requires a Boolean value`);
};

export const onlyOn: Normalizer = (value, name) => {
  const v = booleanValue(value, name);
  if (v !== 'on') {
    throw new PgError(SqlState.featureNotSupported, `pg_analytica only supports ${name} = on`);
  }
  return v;
};

export function integerIn(min: number, max: number): Normalizer {
  return (value, name) => {
    const v = value.trim();
    if (!/^[+-]?\d+$/.test(v)) {
      throw new PgError(SqlState.invalidParameterValue, `invalid value for parameter "${name}": "${value}"`);
    }
    const n = Number(v);
    if (n < min || n > max) {
      throw new PgError(
        SqlState.invalidParameterValue,
        `${n} is outside the valid range for parameter "${name}" (${min} .. ${max})`,
      );
    }
    return String(n);
  };
}

export function oneOf(values: readonly string[]): Normalizer {
  return (value, name) => {
    const v = value.trim().toLowerCase();
    if (values.includes(v)) return v;
    throw invalidValue(name, value, `Available values: ${values.join(', ')}.`);
  };
}

const durationUnitsMs: Record<string, number> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Time settings in milliseconds ("5000", "5s", "1min"), shown with the largest exact unit as PostgreSQL does. */
export const durationMs: Normalizer = (value, name) => {
  const match = /^\s*([+-]?\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/.exec(value);
  if (!match) {
    throw invalidValue(
      name,
      value,
      'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".',
    );
  }
  const ms = Math.round(Number(match[1]) * (durationUnitsMs[match[2] ?? 'ms'] ?? 1));
  if (ms < 0 || ms > 2_147_483_647) {
    throw new PgError(
      SqlState.invalidParameterValue,
      `${ms} ms is outside the valid range for parameter "${name}" (0 .. 2147483647)`,
    );
  }
  return formatDurationMs(ms);
};

export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function parseDurationMs(shown: string): number {
  const match = /^(\d+)(ms|s|min|h|d)?$/.exec(shown);
  return match ? Number(match[1]) * (durationUnitsMs[match[2] ?? 'ms'] ?? 1) : 0;
}

/** TimeZone: IANA names and abbreviations Intl knows, or a numeric hour offset. */
export const timeZoneValue: Normalizer = (value, name) => {
  const v = value.trim();
  if (/^[+-]?\d{1,2}(\.\d+)?$/.test(v)) return v;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return v;
  } catch {
    throw invalidValue(name, value);
  }
};

const dateOrders: Record<string, string> = {
  mdy: 'MDY',
  us: 'MDY',
  noneuropean: 'MDY',
  dmy: 'DMY',
  euro: 'DMY',
  european: 'DMY',
  ymd: 'YMD',
};

/**
 * DateStyle is "output style, field order". Only ISO output is possible
 * because the engine prints dates in ISO; the order only affects input.
 */
export function dateStyleValue(current: string): Normalizer {
  return (value, name) => {
    let order = current.split(',')[1]?.trim() ?? 'MDY';
    for (const token of value.split(/[\s,]+/).filter(Boolean)) {
      const t = token.toLowerCase();
      if (t in dateOrders) {
        order = dateOrders[t] ?? order;
      } else if (['sql', 'postgres', 'german'].includes(t)) {
        throw new PgError(
          SqlState.featureNotSupported,
          `DateStyle output format "${token}" is not supported; pg_analytica prints dates in ISO format only`,
          { hint: "Use SET datestyle = 'ISO, MDY' (or DMY / YMD)." },
        );
      } else if (t !== 'iso' && t !== 'default') {
        throw invalidValue(name, value);
      }
    }
    return `ISO, ${order}`;
  };
}

export const intervalStyleValue: Normalizer = (value, name) => {
  const v = oneOf(['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'])(value, name);
  if (v !== 'postgres') {
    throw new PgError(
      SqlState.featureNotSupported,
      `IntervalStyle "${v}" is not supported; pg_analytica prints intervals in the postgres style only`,
    );
  }
  return v;
};

const otherEncodings =
  /^(sql_ascii|latin\d+|win\d+|euc_\w+|iso_?8859_\d+|koi8\w*|big5|gbk|sjis|shift_jis_2004|gb18030|uhc|johab|mule_internal)$/i;

export const clientEncodingValue: Normalizer = (value, name) => {
  const v = value.trim();
  if (/^(utf-?8|unicode)$/i.test(v)) return 'UTF8';
  if (otherEncodings.test(v)) {
    throw new PgError(SqlState.featureNotSupported, `client_encoding "${v}" is not supported; use UTF8`);
  }
  throw invalidValue(name, value);
};
