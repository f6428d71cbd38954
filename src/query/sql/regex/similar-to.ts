/**
 * SQL's SIMILAR TO patterns rewritten as PostgreSQL rewrites them (similar_to_escape(), regexp.c)
 * into an ARE anchored at both ends, which pg-regex.ts then rewrites for RE2:
 *
 * | SIMILAR TO             | ARE                 | note                                              |
 * |------------------------|---------------------|---------------------------------------------------|
 * | %  _                   | .*  .               |                                                   |
 * | ( )                    | (?: )               | groups do not capture                             |
 * | \ . ^ $ (unescaped)    | \\ \. \^ \$         | literal characters                                |
 * | esc c                  | \c                  | any character may be escaped (`\d` stays a class)  |
 * | esc "  (twice)         | ){1,1}?(  ){1,1}(?: | the part substring(… SIMILAR …) returns           |
 * | [ … ]                  | [ … ]               | as is; `\` in it doubled, the escape still works  |
 * | | * + ? { } others     | themselves          |                                                   |
 *
 * The whole is `^(?:…)$`. The escape is `\` by default, none when '', and one character at most.
 */

/** What PostgreSQL raises for a pattern it cannot rewrite (its SQLSTATE and message). */
export class SimilarToError extends Error {
  constructor(
    readonly sqlState: '22025' | '2200C',
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The three parts a pattern's escape-double-quote separators cut it into (one when it has none). */
export interface SimilarParts {
  readonly parts: readonly string[];
}

/**
 * The ARE PostgreSQL matches for `pattern` with `escape` (undefined: the default `\`). Returned
 * as its parts between separators, each an ARE fragment; `similarRegex` joins them.
 */
export function similarParts(pattern: string, escapeText: string | undefined): SimilarParts {
  const escChars = [...(escapeText ?? '\\')];
  if (escChars.length > 1)
    throw new SimilarToError(
      '22025',
      'invalid escape string',
      'Escape string must be empty or one character.',
    );
  const state: State = { parts: [''], afterEscape: false, depth: 0, classPos: 0 };
  for (const c of pattern) {
    if (state.afterEscape) escaped(state, c);
    else if (escChars[0] !== undefined && c === escChars[0]) state.afterEscape = true;
    else if (state.depth > 0) inBracket(state, c);
    else if (c === '[') {
      emit(state, c);
      state.depth = 1;
      state.classPos = 1;
    } else emit(state, OUTSIDE[c] ?? c);
  }
  return { parts: state.parts };
}

interface State {
  readonly parts: string[];
  afterEscape: boolean;
  /** Bracket nesting. */
  depth: number;
  /** 1 right after '[', 2 after a leading '^', 3 past the first member. */
  classPos: number;
}

function emit(state: State, text: string): void {
  state.parts[state.parts.length - 1] += text;
}

/** The character after the escape: a separator (`"` outside brackets) or an escaped character. */
function escaped(state: State, c: string): void {
  state.afterEscape = false;
  if (c === '"' && state.depth < 1) {
    if (state.parts.length >= 3)
      throw new SimilarToError(
        '2200C',
        'SQL regular expression may not contain more than two escape-double-quote separators',
      );
    state.parts.push('');
    return;
  }
  emit(state, `\\${c}`);
  state.classPos = 3;
}

/** A character inside a bracket: kept (a backslash doubled), read far enough to find its end. */
function inBracket(state: State, c: string): void {
  emit(state, c === '\\' ? '\\\\' : c);
  if (c === ']' && state.classPos > 2) state.depth--;
  else if (c === '[') {
    state.depth++;
    state.classPos = 3;
  } else if (c === '^') state.classPos++;
  else state.classPos = 3;
}

const OUTSIDE: Readonly<Record<string, string>> = {
  '%': '.*',
  _: '.',
  '(': '(?:',
  '\\': '\\\\',
  '.': '\\.',
  '^': '\\^',
  $: '\\$',
};

/** The whole ARE, as similar_to_escape() writes it. */
export function similarRegex(parts: SimilarParts): string {
  const [first, second, third] = parts.parts;
  if (second === undefined) return `^(?:${first})$`;
  if (third === undefined) return `^(?:${first}){1,1}?(${second})$`;
  return `^(?:${first}){1,1}?(${second}){1,1}(?:${third})$`;
}
