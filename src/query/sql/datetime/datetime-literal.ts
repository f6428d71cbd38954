/**
 * Date and timestamp literals as PostgreSQL reads them (datetime.c DecodeDateTime), for the
 * forms DuckDB's own cast does not read: times without seconds with a zone (`00:00+00`), `BC`,
 * compact dates (`19990108`), month names (`Jan 8, 1999`, `8 January 1999`), `epoch`. The literal
 * is rewritten in the one form DuckDB reads with the same meaning: ISO with an astronomical year
 * (1 BC is year 0) and a numeric UTC offset.
 *
 * A zone name (`Europe/Berlin`) gives the local time in that zone. Forms whose meaning depends on
 * a setting (`01/02/2000` and DateStyle), on the moment (`now`, `today`) or on the zone
 * abbreviations in effect (`PST`) fail with 0A000 rather than being read otherwise.
 */

import { quoteLiteral, unsupportedMarker } from '../sql-text.js';

export type DateTimeTarget = 'date' | 'timestamp' | 'timestamptz';

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

interface Parts {
  year: number;
  month: number;
  day: number;
  time?: { hour: number; minute: number; micros: number };
  /** Seconds east of UTC, when the literal gives a zone. */
  offset?: number;
  /** A time zone name (`Europe/Berlin`), when the literal gives one. */
  zoneName?: string;
}

/** The month of a name (`jan`, `January`, `sept`), 1-based; undefined for other words. */
function monthOf(word: string): number | undefined {
  // datetime.c's datetktbl: the three-letter abbreviation, the full name, and "sept".
  const w = word.toLowerCase();
  const i = MONTHS.findIndex(
    (name) => w === name || w === name.slice(0, 3) || (w === 'sept' && name === 'september'),
  );
  return i < 0 ? undefined : i + 1;
}

/** The date at the start of `text`: ISO, compact ISO, or with a month name. */
function readDate(text: string): { year: number; month: number; day: number; rest: string } | undefined {
  let m = /^(\d{4,7})-(\d{1,2})-(\d{1,2})(?=$|[T\s+-]|[Zz]$)/.exec(text);
  if (m) return { year: +m[1]!, month: +m[2]!, day: +m[3]!, rest: text.slice(m[0].length) };
  m = /^(\d{4})(\d{2})(\d{2})(?=$|[T\s])/.exec(text);
  if (m) return { year: +m[1]!, month: +m[2]!, day: +m[3]!, rest: text.slice(m[0].length) };
  // Mon D[,] YYYY · D Mon YYYY · YYYY-Mon-DD
  m = /^([A-Za-z]+)[\s-]+(\d{1,2}),?[\s-]+(\d{4,7})(?=$|\s)/.exec(text);
  if (m && monthOf(m[1]!))
    return { year: +m[3]!, month: monthOf(m[1]!)!, day: +m[2]!, rest: text.slice(m[0].length) };
  m = /^(\d{1,2})[\s-]+([A-Za-z]+)[\s-]+(\d{4,7})(?=$|\s)/.exec(text);
  if (m && monthOf(m[2]!))
    return { year: +m[3]!, month: monthOf(m[2]!)!, day: +m[1]!, rest: text.slice(m[0].length) };
  m = /^(\d{4,7})-([A-Za-z]+)-(\d{1,2})(?=$|\s)/.exec(text);
  if (m && monthOf(m[2]!))
    return { year: +m[1]!, month: monthOf(m[2]!)!, day: +m[3]!, rest: text.slice(m[0].length) };
  return undefined;
}

/** Fractional seconds rounded to microseconds as PostgreSQL rounds them (rint: half to even). */
function microsOf(fraction: string): number {
  const digits = `${fraction}000000`;
  let micros = Number(digits.slice(0, 6));
  const rest = digits.slice(6).replace(/0+$/, '');
  if (rest === '') return micros;
  const half = rest[0]! > '5' || (rest[0] === '5' && (rest.length > 1 || micros % 2 === 1));
  if (half) micros++;
  return micros;
}

/** HH:MM[:SS[.f]] at the start of `text`. */
function readTime(text: string): { time: Parts['time']; rest: string } | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?/.exec(text);
  if (!m) return undefined;
  const micros = Number(m[3] ?? 0) * 1_000_000 + microsOf(m[4] ?? '');
  return { time: { hour: +m[1]!, minute: +m[2]!, micros }, rest: text.slice(m[0].length) };
}

/** A zone: Z, UTC, GMT, or a numeric offset ±HH[[:]MM[[:]SS]]; seconds east of UTC. */
function readZone(text: string): { offset: number; rest: string } | undefined {
  let m = /^\s*(z|utc|gmt)(?=$|\s)/i.exec(text);
  if (m) return { offset: 0, rest: text.slice(m[0].length) };
  m = /^\s*([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?(?=$|\s)/.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return { offset: m[1] === '-' ? -seconds : seconds, rest: text.slice(m[0].length) };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !leap(year) ? 1 : 0);
}

function leap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function parse(input: string): Parts | undefined {
  let text = input.trim();
  let bc = false;
  const era = /\s+(bc|ad)$/i.exec(text);
  if (era) {
    bc = era[1]!.toLowerCase() === 'bc';
    text = text.slice(0, era.index);
  }
  const date = readDate(text);
  if (!date) return undefined;
  const parts: Parts = { year: date.year, month: date.month, day: date.day };
  let rest = date.rest;
  const afterDate = /^(?:T|\s+)/.exec(rest);
  if (afterDate) {
    const time = readTime(rest.slice(afterDate[0].length));
    if (time) {
      parts.time = time.time;
      rest = time.rest;
    }
  }
  const zone = readZone(rest);
  const named = /^\s+([A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)+)$/.exec(rest);
  if (zone) {
    parts.offset = zone.offset;
    rest = zone.rest;
  } else if (named) {
    parts.zoneName = named[1];
    rest = '';
  }
  if (rest.trim() !== '') return undefined;
  if (parts.year < 1 || parts.month < 1 || parts.month > 12) return undefined;
  // Astronomical year: 1 BC is year 0.
  if (bc) parts.year = 1 - parts.year;
  if (parts.day < 1 || parts.day > daysIn(parts.year, parts.month)) return undefined;
  const t = parts.time;
  if (t && (t.minute > 59 || t.micros > 60_000_000 || t.hour > 24)) return undefined;
  if (t && t.hour === 24 && (t.minute > 0 || t.micros > 0)) return undefined;
  return parts;
}

/** 24:00:00 and a 60th second carry into the next day or minute, as PostgreSQL's tm2timestamp adds them up. */
function carried(p: Parts): Parts {
  const t = p.time;
  if (t === undefined || (t.hour < 24 && t.micros < 60_000_000)) return p;
  const day = new Date(0);
  day.setUTCFullYear(p.year, p.month - 1, p.day);
  const extra = Math.floor(t.micros / 60_000_000);
  const minutes = t.hour * 60 + t.minute + extra;
  day.setUTCDate(day.getUTCDate() + Math.floor(minutes / 1440));
  const inDay = minutes % 1440;
  return {
    ...p,
    year: day.getUTCFullYear(),
    month: day.getUTCMonth() + 1,
    day: day.getUTCDate(),
    time: { hour: Math.floor(inDay / 60), minute: inDay % 60, micros: t.micros % 60_000_000 },
  };
}

const pad = (n: number, width: number) => String(Math.abs(n)).padStart(width, '0');

function isoDate(p: Parts): string {
  return `${p.year < 0 ? '-' : ''}${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}`;
}

function isoTime(time: NonNullable<Parts['time']>): string {
  const seconds = Math.floor(time.micros / 1_000_000);
  const micros = time.micros % 1_000_000;
  return `${pad(time.hour, 2)}:${pad(time.minute, 2)}:${pad(seconds, 2)}.${pad(micros, 6)}`;
}

function isoOffset(offset: number): string {
  const a = Math.abs(offset);
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(a / 3600), 2)}:${pad(Math.floor((a % 3600) / 60), 2)}:${pad(a % 60, 2)}`;
}

/**
 * The literal in the form DuckDB reads as PostgreSQL reads `text` for `target`, or undefined
 * when this module does not read it (DuckDB's cast then decides). A timestamp without time zone
 * ignores a zone in its literal, as PostgreSQL does.
 */
export function dateTimeLiteral(text: string, target: DateTimeTarget): string | undefined {
  const special = text.trim().toLowerCase();
  if (special === 'epoch')
    return target === 'date'
      ? '1970-01-01'
      : target === 'timestamp'
        ? '1970-01-01 00:00:00'
        : '1970-01-01 00:00:00+00';
  if (special === 'infinity' || special === '+infinity' || special === '-infinity')
    return special.replace('+', '');
  const parsed = parse(text);
  if (!parsed) return undefined;
  if (target === 'date') return isoDate(parsed);
  const parts = carried(parsed);
  const t = parts.time;
  const local = `${isoDate(parts)} ${t ? isoTime(t) : '00:00:00.000000'}`;
  if (target === 'timestamp' || parts.offset === undefined) return local;
  return `${local}${isoOffset(parts.offset)}`;
}

const DUCK_TYPES: Readonly<Record<DateTimeTarget, string>> = {
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ',
};

/** `CAST('…' AS type)` of a literal read as PostgreSQL reads it, or undefined (see dateTimeLiteral). */
export function dateTimeLiteralSql(typeName: string, text: string): string | undefined {
  if (typeName !== 'date' && typeName !== 'timestamp' && typeName !== 'timestamptz') return undefined;
  const zoned = typeName === 'timestamptz' ? zonedLiteral(text) : undefined;
  if (zoned !== undefined) return zoned;
  const literal = dateTimeLiteral(text, typeName);
  // Refused when run, not while the statement is planned: PostgreSQL's Describe comes first, so
  // text PostgreSQL rejects fails with PostgreSQL's own error.
  if (literal === undefined)
    return `CAST(error(${quoteLiteral(`${unsupportedMarker}the ${typeName} literal "${text}"; write it as YYYY-MM-DD HH:MM:SS with an optional UTC offset or zone name (forms that depend on DateStyle, the current time or zone abbreviations are not read)`)}) AS ${DUCK_TYPES[typeName]})`;
  return `CAST(${quoteLiteral(literal)} AS ${DUCK_TYPES[typeName]})`;
}

/** A timestamptz literal naming its zone (`2000-01-01 00:00 Europe/Berlin`): its local time there. */
function zonedLiteral(text: string): string | undefined {
  const parts = parse(text);
  if (parts?.zoneName === undefined) return undefined;
  const local = dateTimeLiteral(text.trim().slice(0, -parts.zoneName.length), 'timestamp');
  if (local === undefined) return undefined;
  return `timezone(${quoteLiteral(parts.zoneName)}, CAST(${quoteLiteral(local)} AS TIMESTAMP))`;
}
