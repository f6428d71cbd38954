/**
 * JSON text parsed the way PostgreSQL's json parser reads it (src/common/jsonapi.c), keeping
 * what json and jsonb need to print exactly as PostgreSQL does: each number's digits as
 * written (jsonb prints them through numeric_out, json keeps them), and each value's span in
 * the input (json operators return the input's own text of a value).
 *
 * Errors carry PostgreSQL's SQLSTATE (22P02 for invalid input, 22P05 for \u0000 in jsonb).
 */
import { PgError, SqlState } from '../../errors.js';

export type JsonValue =
  | { readonly kind: 'null'; readonly start: number; readonly end: number }
  | { readonly kind: 'boolean'; readonly value: boolean; readonly start: number; readonly end: number }
  | { readonly kind: 'number'; readonly raw: string; readonly start: number; readonly end: number }
  | { readonly kind: 'string'; readonly value: string; readonly start: number; readonly end: number }
  | { readonly kind: 'array'; readonly items: JsonValue[]; readonly start: number; readonly end: number }
  | {
      readonly kind: 'object';
      readonly entries: [string, JsonValue][];
      readonly start: number;
      readonly end: number;
    };

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** json_errsave_error says "type json" for jsonb input too. */
function invalid(_type: string, detail: string): PgError {
  return new PgError(SqlState.invalidTextRepresentation, 'invalid input syntax for type json', { detail });
}

/** Parses JSON text; `type` names the type in error messages (json or jsonb). */
export function parseJson(text: string, type: 'json' | 'jsonb' = 'jsonb'): JsonValue {
  const parser = new Parser(text, type);
  const value = parser.value();
  parser.skipSpace();
  if (parser.pos < text.length)
    throw invalid(type, `Expected end of input, but found "${text[parser.pos]}".`);
  return value;
}

class Parser {
  pos = 0;
  constructor(
    readonly text: string,
    readonly type: 'json' | 'jsonb',
  ) {}

  skipSpace(): void {
    while (WHITESPACE.has(this.text[this.pos] ?? '')) this.pos++;
  }

  value(): JsonValue {
    this.skipSpace();
    const start = this.pos;
    const ch = this.text[this.pos];
    if (ch === undefined) throw invalid(this.type, 'The input string ended unexpectedly.');
    if (ch === '{') return this.object(start);
    if (ch === '[') return this.array(start);
    if (ch === '"') {
      const value = this.string();
      return { kind: 'string', value, start, end: this.pos };
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(start));
      if (match === null) throw invalid(this.type, `Token "${this.token()}" is invalid.`);
      this.pos += match[0].length;
      if (/[A-Za-z0-9_.]/.test(this.text[this.pos] ?? ''))
        throw invalid(this.type, `Token "${this.token(start)}" is invalid.`);
      return { kind: 'number', raw: match[0], start, end: this.pos };
    }
    for (const [word, node] of WORDS) {
      if (this.text.startsWith(word, start) && !/[A-Za-z0-9_]/.test(this.text[start + word.length] ?? '')) {
        this.pos += word.length;
        return { ...node, start, end: this.pos } as JsonValue;
      }
    }
    throw invalid(this.type, `Token "${this.token()}" is invalid.`);
  }

  token(from = this.pos): string {
    const match = /^[A-Za-z0-9_.+-]*/.exec(this.text.slice(from));
    return match?.[0] || (this.text[from] ?? '');
  }

  expect(ch: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== ch) {
      const found = this.text[this.pos];
      throw invalid(
        this.type,
        found === undefined
          ? 'The input string ended unexpectedly.'
          : `Expected "${ch}", but found "${found}".`,
      );
    }
    this.pos++;
  }

  object(start: number): JsonValue {
    this.pos++;
    const entries: [string, JsonValue][] = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', entries, start, end: this.pos };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') throw invalid(this.type, 'Expected string or "}".');
      const key = this.string();
      this.expect(':');
      entries.push([key, this.value()]);
      this.skipSpace();
      const next = this.text[this.pos++];
      if (next === '}') return { kind: 'object', entries, start, end: this.pos };
      if (next !== ',') throw invalid(this.type, 'Expected "," or "}".');
    }
  }

  array(start: number): JsonValue {
    this.pos++;
    const items: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items, start, end: this.pos };
    }
    for (;;) {
      items.push(this.value());
      this.skipSpace();
      const next = this.text[this.pos++];
      if (next === ']') return { kind: 'array', items, start, end: this.pos };
      if (next !== ',') throw invalid(this.type, 'Expected "," or "]".');
    }
  }

  /** A string token, the opening quote at pos; escapes decoded as json_lex_string does. */
  string(): string {
    let out = '';
    for (let i = this.pos + 1; i < this.text.length; i++) {
      const ch = this.text[i]!;
      if (ch === '"') {
        this.pos = i + 1;
        return out;
      }
      if (ch.charCodeAt(0) < 0x20)
        throw invalid(
          this.type,
          `Character with value 0x${ch.charCodeAt(0).toString(16).padStart(2, '0')} must be escaped.`,
        );
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const next = this.text[++i] ?? '';
      if (next === 'u') {
        const code = this.unicode(i + 1);
        out += code.text;
        i += code.length;
        continue;
      }
      const decoded = ESCAPES[next];
      if (decoded === undefined) throw invalid(this.type, `Escape sequence "\\${next}" is invalid.`);
      out += decoded;
    }
    throw invalid(this.type, 'The input string ended unexpectedly.');
  }

  /** \uXXXX (a surrogate pair as one character); `at` is the first hex digit. */
  unicode(at: number): { text: string; length: number } {
    const hex = this.text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(hex))
      throw invalid(this.type, '"\\u" must be followed by four hexadecimal digits.');
    const code = Number.parseInt(hex, 16);
    if (code === 0 && this.type === 'jsonb') {
      throw new PgError(SqlState.untranslatableCharacter, 'unsupported Unicode escape sequence', {
        detail: '\\u0000 cannot be converted to text.',
      });
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = /^\\u([Dd][C-Fc-f][0-9A-Fa-f]{2})/.exec(this.text.slice(at + 4));
      if (low === null) throw invalid(this.type, 'Unicode low surrogate must follow a high surrogate.');
      return { text: String.fromCharCode(code, Number.parseInt(low[1]!, 16)), length: 10 };
    }
    if (code >= 0xdc00 && code <= 0xdfff)
      throw invalid(this.type, 'Unicode low surrogate must follow a high surrogate.');
    return { text: String.fromCharCode(code), length: 4 };
  }
}

const WORDS: [string, { kind: string; value?: boolean }][] = [
  ['true', { kind: 'boolean', value: true }],
  ['false', { kind: 'boolean', value: false }],
  ['null', { kind: 'null' }],
];
