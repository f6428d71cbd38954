/**
 * to_char(timestamp, template) → DuckDB SQL: each parsed field printed as
 * formatting.c DCH_to_char() prints it, from the local timestamp's integer
 * parts. Numbers are zero-padded to their width ("%0*d") unless FM is given
 * (MS, US and FF1-FF6 always are); month and day names are English and
 * blank-padded to 9 characters unless FM; TH/th add the ordinal suffix.
 * Fields this module does not print (time zones, TM, SP) are returned as
 * unsupported so the caller refuses them by name.
 */
import { quoteLiteral } from '../sql-text.js';
import type { PatternNode } from './datetime-pattern.js';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII'];

const list = (items: readonly string[]) => `[${items.map(quoteLiteral).join(', ')}]`;

/** The SQL of each part of a local TIMESTAMP `t` the fields print. */
function parts(t: string) {
  const year = `year(${t})`;
  const isoYear = `isoyear(${t})`;
  // ADJUST_YEAR: 1 BC (astronomical 0) prints as 1.
  const adjust = (y: string) => `(CASE WHEN ${y} <= 0 THEN -(${y} - 1) ELSE ${y} END)`;
  return {
    year: adjust(year),
    isoYear: adjust(isoYear),
    bc: `(${year} <= 0)`,
    month: `month(${t})`,
    day: `day(${t})`,
    hour: `hour(${t})`,
    minute: `minute(${t})`,
    second: `(microsecond(${t}) // 1000000)`,
    fsec: `(microsecond(${t}) % 1000000)`,
    dow: `dayofweek(${t})`,
    doy: `dayofyear(${t})`,
    isoWeek: `week(${t})`,
    isoDow: `isodow(${t})`,
    julian: `(CAST(${t} AS DATE) - DATE '1970-01-01' + 2440588)`,
    century: `(CASE WHEN ${year} > 0 THEN (${year} - 1) // 100 + 1 ELSE ${year} // 100 - 1 END)`,
  };
}

type Parts = ReturnType<typeof parts>;

/** "%0*d" with width `width` (0 under FM): C's zero padding counts the sign in the width. */
function number(value: string, width: number, fm: boolean): string {
  return fm || width <= 1 ? `CAST(${value} AS VARCHAR)` : `printf('%0${width}d', ${value})`;
}

/** Upper, capitalized or lower case as the keyword is spelled ('MONTH', 'Month', 'month'). */
function cased(key: string, sql: string): string {
  if (key === key.toUpperCase()) return `upper(${sql})`;
  if (key === key.toLowerCase()) return `lower(${sql})`;
  return sql;
}

/** A name from a list, blank-padded to 9 characters ("%-9s") unless FM. */
function name(key: string, names: string, index: string, fm: boolean, abbreviate: boolean): string {
  const text = cased(key, `list_extract(${names}, ${index})`);
  const shown = abbreviate ? `left(${text}, 3)` : text;
  return fm || abbreviate ? shown : `rpad(${shown}, CAST(greatest(9, length(${shown})) AS INTEGER), ' ')`;
}

function marker(key: string, p: Parts): string {
  const upper = key.toUpperCase();
  const isTime = upper === 'AM' || upper === 'PM' || upper === 'A.M.' || upper === 'P.M.';
  const dotted = key.includes('.');
  const [yes, no] = isTime
    ? dotted
      ? ['P.M.', 'A.M.']
      : ['PM', 'AM']
    : dotted
      ? ['B.C.', 'A.D.']
      : ['BC', 'AD'];
  const test = isTime ? `${p.hour} >= 12` : p.bc;
  const lower = key === key.toLowerCase();
  const [a, b] = lower ? [yes!.toLowerCase(), no!.toLowerCase()] : [yes!, no!];
  return `(CASE WHEN ${test} THEN ${quoteLiteral(a)} ELSE ${quoteLiteral(b)} END)`;
}

/** A numeric field's text, or undefined when the key is not numeric. */
function numericField(upper: string, p: Parts, fm: boolean): string | undefined {
  const hour12 = `(CASE WHEN ${p.hour} % 12 = 0 THEN 12 ELSE ${p.hour} % 12 END)`;
  const fields: Record<string, () => string> = {
    HH: () => number(hour12, 2, fm),
    HH12: () => number(hour12, 2, fm),
    HH24: () => number(p.hour, 2, fm),
    MI: () => number(p.minute, 2, fm),
    SS: () => number(p.second, 2, fm),
    MS: () => number(`${p.fsec} // 1000`, 3, false),
    US: () => number(p.fsec, 6, false),
    SSSS: () => number(`${p.hour} * 3600 + ${p.minute} * 60 + ${p.second}`, 0, true),
    SSSSS: () => number(`${p.hour} * 3600 + ${p.minute} * 60 + ${p.second}`, 0, true),
    'Y,YYY': () => `(CAST(${p.year} // 1000 AS VARCHAR) || ',' || printf('%03d', ${p.year} % 1000))`,
    YYYY: () => number(p.year, 4, fm),
    YYY: () => number(`${p.year} % 1000`, 3, fm),
    YY: () => number(`${p.year} % 100`, 2, fm),
    Y: () => number(`${p.year} % 10`, 1, fm),
    IYYY: () => number(p.isoYear, 4, fm),
    IYY: () => number(`${p.isoYear} % 1000`, 3, fm),
    IY: () => number(`${p.isoYear} % 100`, 2, fm),
    I: () => number(`${p.isoYear} % 10`, 1, fm),
    MM: () => number(p.month, 2, fm),
    DDD: () => number(p.doy, 3, fm),
    IDDD: () => number(`(${p.isoWeek} - 1) * 7 + ${p.isoDow}`, 3, fm),
    DD: () => number(p.day, 2, fm),
    D: () => number(`${p.dow} + 1`, 1, fm),
    ID: () => number(p.isoDow, 1, fm),
    WW: () => number(`(${p.doy} - 1) // 7 + 1`, 2, fm),
    IW: () => number(p.isoWeek, 2, fm),
    W: () => number(`(${p.day} - 1) // 7 + 1`, 1, fm),
    Q: () => number(`(${p.month} - 1) // 3 + 1`, 1, fm),
    J: () => number(p.julian, 0, true),
    CC: () =>
      fm
        ? number(p.century, 0, true)
        : `(CASE WHEN ${p.century} BETWEEN -99 AND 99 THEN printf(CASE WHEN ${p.century} >= 0 THEN '%02d' ELSE '%03d' END, ${p.century}) ELSE CAST(${p.century} AS VARCHAR) END)`,
  };
  const digits = /^FF([1-6])$/.exec(upper)?.[1];
  if (digits !== undefined)
    return number(`${p.fsec} // ${10 ** (6 - Number(digits))}`, Number(digits), false);
  return fields[upper]?.();
}

/** The ordinal suffix of a printed number (get_th): 11th-13th, else by the last digit. */
function ordinal(text: string, upper: boolean): string {
  const suffix = `(CASE WHEN length(${text}) > 1 AND substr(${text}, -2, 1) = '1' THEN 'th' WHEN right(${text}, 1) = '1' THEN 'st' WHEN right(${text}, 1) = '2' THEN 'nd' WHEN right(${text}, 1) = '3' THEN 'rd' ELSE 'th' END)`;
  return `(${text} || ${upper ? `upper(${suffix})` : suffix})`;
}

/** One field's SQL, or undefined for a field this module does not print. */
function fieldSql(node: Extract<PatternNode, { kind: 'field' }>, p: Parts): string | undefined {
  if (node.tm || node.suffix === 'SP') return undefined;
  const upper = node.key.toUpperCase();
  if (upper === 'FX') return "''";
  if (['AM', 'PM', 'A.M.', 'P.M.', 'AD', 'BC', 'A.D.', 'B.C.'].includes(upper)) return marker(node.key, p);
  if (upper === 'MONTH' || upper === 'MON')
    return name(node.key, list(MONTHS), p.month, node.fm, upper === 'MON');
  if (upper === 'DAY' || upper === 'DY')
    return name(node.key, list(DAYS), `${p.dow} + 1`, node.fm, upper === 'DY');
  if (upper === 'RM') {
    const roman = cased(node.key, `list_extract(${list(ROMAN)}, ${p.month})`);
    return node.fm ? roman : `rpad(${roman}, 4, ' ')`;
  }
  const numeric = numericField(upper, p, node.fm);
  if (numeric === undefined) return undefined;
  return node.suffix === undefined ? numeric : ordinal(numeric, node.suffix === 'TH');
}

/**
 * DuckDB SQL printing local TIMESTAMP `t` by the template, or the first keyword that cannot be
 * printed exactly (time zone fields, TM, SP).
 */
export function dateTimeToChar(
  nodes: readonly PatternNode[],
  t: string,
): { sql: string } | { unsupported: string } {
  const p = parts(t);
  const pieces: string[] = [];
  for (const node of nodes) {
    if (node.kind === 'text') {
      pieces.push(quoteLiteral(node.text));
      continue;
    }
    const sql = fieldSql(node, p);
    if (sql === undefined) return { unsupported: `${node.tm ? 'TM' : ''}${node.key}${node.suffix ?? ''}` };
    pieces.push(sql);
  }
  return { sql: pieces.length === 0 ? "''" : `(${pieces.join(' || ')})` };
}
