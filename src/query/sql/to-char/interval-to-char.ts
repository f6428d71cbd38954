/**
 * to_char(interval, template), as formatting.c's interval_to_char prints it: the datetime
 * patterns (datetime-pattern.ts) over the interval's fields as interval2itm splits them — years
 * and months from the months (truncated toward zero, signs kept), the days as they are, hours,
 * minutes, seconds and microseconds from the time — with "day of year" counted as
 * (years × 12 + months) × 30 + days. Negative fields print with their sign inside C's zero
 * padding ("%02d" of -3 is "-3", widths grow by one for negative values where PostgreSQL says
 * so), years are not shifted for BC, and month, day-name, era and time zone fields fail with
 * PostgreSQL's 22007 ("intervals are not tied to specific calendar dates").
 *
 * Fields that PostgreSQL computes as if the interval were a date (IW, IDDD, the ISO years, J)
 * are not printed here: unsupportedIntervalKey() names them so that the emitter refuses them.
 */
import { PgError, SqlState } from '../../../errors.js';
import type { PatternNode } from './datetime-pattern.js';

type Field = Extract<PatternNode, { kind: 'field' }>;

interface IntervalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly fsec: number;
  readonly yday: number;
}

/** interval2itm: C's truncating division keeps every field's sign. */
export function intervalParts(months: number, days: number, micros: bigint): IntervalParts {
  const hour = micros / 3_600_000_000n;
  const rest = micros - hour * 3_600_000_000n;
  const minute = rest / 60_000_000n;
  const secondMicros = rest - minute * 60_000_000n;
  const year = Math.trunc(months / 12);
  const month = months % 12;
  return {
    year,
    month,
    day: days,
    hour: Number(hour),
    minute: Number(minute),
    second: Number(secondMicros / 1_000_000n),
    fsec: Number(secondMicros % 1_000_000n),
    yday: (year * 12 + month) * 30 + days,
  };
}

/** Keys computed as if the interval were a calendar date: refused (0A000) rather than imitated. */
const DATE_ONLY = new Set(['IW', 'IDDD', 'IYYY', 'IYY', 'IY', 'I', 'J']);

/** Keys PostgreSQL rejects for intervals (INVALID_FOR_INTERVAL). */
const INVALID = new Set([
  'TZ',
  'TZH',
  'TZM',
  'OF',
  'A.D.',
  'B.C.',
  'AD',
  'BC',
  'MONTH',
  'MON',
  'DAY',
  'DY',
  'D',
  'ID',
]);

/** The first field of the template this module does not print, by name, or undefined. */
export function unsupportedIntervalKey(nodes: readonly PatternNode[]): string | undefined {
  for (const node of nodes) {
    if (node.kind !== 'field') continue;
    if (node.suffix === 'SP') return `${node.key}SP`;
    if (DATE_ONLY.has(node.key.toUpperCase())) return node.key;
  }
  return undefined;
}

/** C's "%0*d": the minus sign counts in the width. */
function padded(value: number, width: number): string {
  const digits = String(Math.abs(value));
  if (value < 0) return `-${digits.padStart(width - 1, '0')}`;
  return digits.padStart(width, '0');
}

/** Width w for a non-negative value, w + 1 for a negative one, none under FM. */
function signed(value: number, width: number, fm: boolean): string {
  return padded(value, fm ? 0 : value >= 0 ? width : width + 1);
}

const ROMAN = ['XII', 'XI', 'X', 'IX', 'VIII', 'VII', 'VI', 'V', 'IV', 'III', 'II', 'I'];

/** RM of an interval: years-only intervals print XII (or I when negative), negative months count back from XII. */
function romanMonth(p: IntervalParts, node: Field): string {
  if (p.month === 0 && p.year === 0) return '';
  const index = p.month === 0 ? (p.year >= 0 ? 0 : 11) : p.month < 0 ? -(p.month + 1) : 12 - p.month;
  const text = node.key === 'rm' ? ROMAN[index]!.toLowerCase() : ROMAN[index]!;
  return node.fm ? text : text.padEnd(4, ' ');
}

function marker(key: string, p: IntervalParts): string {
  const pm = p.hour % 24 >= 12;
  const dotted = key.includes('.');
  const text = dotted ? (pm ? 'P.M.' : 'A.M.') : pm ? 'PM' : 'AM';
  return key === key.toLowerCase() ? text.toLowerCase() : text;
}

/** A numeric field's text, or undefined when the key is not one. */
function numeric(upper: string, p: IntervalParts, fm: boolean): string | undefined {
  const hour12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  const century = Math.trunc(p.year / 100);
  const millennium = Math.trunc(p.year / 1000);
  const fields: Record<string, () => string> = {
    // The width follows the hours' sign, not the printed value's: -24 hours print "012".
    HH: () => padded(hour12, fm ? 0 : p.hour >= 0 ? 2 : 3),
    HH12: () => padded(hour12, fm ? 0 : p.hour >= 0 ? 2 : 3),
    HH24: () => signed(p.hour, 2, fm),
    MI: () => signed(p.minute, 2, fm),
    SS: () => signed(p.second, 2, fm),
    MS: () => padded(Math.trunc(p.fsec / 1000), 3),
    US: () => padded(p.fsec, 6),
    SSSS: () => String(p.hour * 3600 + p.minute * 60 + p.second),
    SSSSS: () => String(p.hour * 3600 + p.minute * 60 + p.second),
    MM: () => signed(p.month, 2, fm),
    DDD: () => padded(p.yday, fm ? 0 : 3),
    DD: () => padded(p.day, fm ? 0 : 2),
    WW: () => padded(Math.trunc((p.yday - 1) / 7) + 1, fm ? 0 : 2),
    W: () => String(Math.trunc((p.day - 1) / 7) + 1),
    Q: () => (p.month === 0 ? '' : String(Math.trunc((p.month - 1) / 3) + 1)),
    CC: () => (century <= 99 && century >= -99 ? signed(century, 2, fm) : String(century)),
    'Y,YYY': () => `${millennium},${padded(p.year - millennium * 1000, 3)}`,
    YYYY: () => signed(p.year, 4, fm),
    YYY: () => signed(p.year % 1000, 3, fm),
    YY: () => signed(p.year % 100, 2, fm),
    Y: () => String(p.year % 10),
  };
  const digits = /^FF([1-6])$/.exec(upper)?.[1];
  if (digits !== undefined) return padded(Math.trunc(p.fsec / 10 ** (6 - Number(digits))), Number(digits));
  return fields[upper]?.();
}

/** str_numth: the ordinal suffix after the printed number; Q of no month prints nothing to suffix. */
function withOrdinal(text: string, suffix: Field['suffix']): string {
  if (suffix !== 'TH' && suffix !== 'th') return text;
  const last = text.at(-1) ?? '';
  if (!/[0-9]/.test(last)) throw new PgError(SqlState.invalidTextRepresentation, `"${text}" is not a number`);
  const teen = text.length > 1 && text.at(-2) === '1';
  const ending = teen ? 'th' : ({ '1': 'st', '2': 'nd', '3': 'rd' }[last] ?? 'th');
  return text + (suffix === 'TH' ? ending.toUpperCase() : ending);
}

function fieldText(node: Field, p: IntervalParts): string {
  const upper = node.key.toUpperCase();
  if (INVALID.has(upper)) {
    throw new PgError(SqlState.invalidDatetimeFormat, 'invalid format specification for an interval value', {
      hint: 'Intervals are not tied to specific calendar dates.',
    });
  }
  if (upper === 'FX') return '';
  if (['AM', 'PM', 'A.M.', 'P.M.'].includes(upper)) return marker(node.key, p);
  if (upper === 'RM') return romanMonth(p, node);
  const text = numeric(upper, p, node.fm);
  if (text === undefined)
    throw new PgError(SqlState.featureNotSupported, `to_char pattern "${node.key}" is not supported`);
  // Q prints nothing for an interval without months, and DCH_Q then skips its suffix too.
  if (upper === 'Q' && text === '') return '';
  return withOrdinal(text, node.suffix);
}

/** to_char's text for an interval (months, days, microseconds) and its parsed template. */
export function intervalToChar(
  nodes: readonly PatternNode[],
  months: number,
  days: number,
  micros: bigint,
): string {
  const p = intervalParts(months, days, micros);
  return nodes.map((node) => (node.kind === 'text' ? node.text : fieldText(node, p))).join('');
}
