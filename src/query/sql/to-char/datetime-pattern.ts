/**
 * to_char's date/time template, parsed as PostgreSQL's formatting.c
 * parse_format() does: at each position an optional FM/TM prefix, then the
 * first keyword of DCH_keywords that the text starts with (the table lists
 * longer names first, and case matters: 'Month' and 'MONTH' differ), then an
 * optional TH/th/SP suffix; anything else is literal text, with "…" quoting
 * (backslash escapes inside) and \" giving a quote outside.
 *
 * A prefix with no keyword after it is dropped, as in PostgreSQL ('FMxyz'
 * prints 'x4z': y is the year's last digit).
 */

export type PatternNode =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'field';
      readonly key: string;
      readonly fm: boolean;
      readonly tm: boolean;
      readonly suffix?: 'TH' | 'th' | 'SP';
    };

/** DCH_keywords in PostgreSQL's order (formatting.c); lower-case spellings of numeric fields mean the same. */
const KEYWORDS = [
  'A.D.',
  'A.M.',
  'AD',
  'AM',
  'B.C.',
  'BC',
  'CC',
  'DAY',
  'DDD',
  'DD',
  'DY',
  'Day',
  'Dy',
  'D',
  'FF1',
  'FF2',
  'FF3',
  'FF4',
  'FF5',
  'FF6',
  'FX',
  'HH24',
  'HH12',
  'HH',
  'IDDD',
  'ID',
  'IW',
  'IYYY',
  'IYY',
  'IY',
  'I',
  'J',
  'MI',
  'MM',
  'MONTH',
  'MON',
  'MS',
  'Month',
  'Mon',
  'OF',
  'P.M.',
  'PM',
  'Q',
  'RM',
  'SSSSS',
  'SSSS',
  'SS',
  'TZH',
  'TZM',
  'TZ',
  'US',
  'WW',
  'W',
  'Y,YYY',
  'YYYY',
  'YYY',
  'YY',
  'Y',
  'a.d.',
  'a.m.',
  'ad',
  'am',
  'b.c.',
  'bc',
  'cc',
  'day',
  'ddd',
  'dd',
  'dy',
  'd',
  'ff1',
  'ff2',
  'ff3',
  'ff4',
  'ff5',
  'ff6',
  'fx',
  'hh24',
  'hh12',
  'hh',
  'iddd',
  'id',
  'iw',
  'iyyy',
  'iyy',
  'iy',
  'i',
  'j',
  'mi',
  'mm',
  'month',
  'mon',
  'ms',
  'of',
  'p.m.',
  'pm',
  'q',
  'rm',
  'sssss',
  'ssss',
  'ss',
  'tzh',
  'tzm',
  'tz',
  'us',
  'ww',
  'w',
  'y,yyy',
  'yyyy',
  'yyy',
  'yy',
  'y',
];

function keywordAt(text: string, at: number): string | undefined {
  return KEYWORDS.find((k) => text.startsWith(k, at));
}

export function parseDateTimePattern(text: string): PatternNode[] {
  const nodes: PatternNode[] = [];
  const literal = (ch: string) => {
    const last = nodes.at(-1);
    if (last?.kind === 'text') nodes[nodes.length - 1] = { kind: 'text', text: last.text + ch };
    else nodes.push({ kind: 'text', text: ch });
  };
  let i = 0;
  while (i < text.length) {
    const prefix = text.slice(i, i + 2);
    const fm = prefix === 'FM' || prefix === 'fm';
    const tm = prefix === 'TM' || prefix === 'tm';
    if (fm || tm) i += 2;
    const key = i < text.length ? keywordAt(text, i) : undefined;
    if (key !== undefined) {
      i += key.length;
      const after = text.slice(i, i + 2);
      const suffix = after === 'TH' || after === 'th' || after === 'SP' ? after : undefined;
      if (suffix !== undefined) i += 2;
      nodes.push({ kind: 'field', key, fm, tm, ...(suffix === undefined ? {} : { suffix }) });
      continue;
    }
    if (i >= text.length) break;
    i = literalAt(text, i, literal);
  }
  return nodes;
}

/** One literal character, or a whole "…" quoted string; returns the next position. */
export function literalAt(text: string, start: number, literal: (ch: string) => void): number {
  let i = start;
  if (text[i] === '"') {
    i++;
    while (i < text.length) {
      if (text[i] === '"') return i + 1;
      if (text[i] === '\\' && i + 1 < text.length) i++;
      const ch = String.fromCodePoint(text.codePointAt(i)!);
      literal(ch);
      i += ch.length;
    }
    return i;
  }
  if (text[i] === '\\' && text[i + 1] === '"') i++;
  const ch = String.fromCodePoint(text.codePointAt(i)!);
  literal(ch);
  return i + ch.length;
}
