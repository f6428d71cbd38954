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
  const esc = escapeText ?? '\\';
  const escChars = [...esc];
  if (escChars.length > 1)
    throw new SimilarToError(
      '22025',
      'invalid escape string',
      'Escape string must be empty or one character.',
    );
  const e = escChars[0];
  const parts: string[] = [''];
  let afterEscape = false;
  let depth = 0; // bracket nesting
  let classPos = 0; // 1 right after '[', 2 after a leading '^', 3 past the first member
  const emit = (text: string) => {
    parts[parts.length - 1] += text;
  };
  for (const c of pattern) {
    if (afterEscape) {
      afterEscape = false;
      if (c === '"' && depth < 1) {
        if (parts.length >= 3)
          throw new SimilarToError(
            '2200C',
            'SQL regular expression may not contain more than two escape-double-quote separators',
          );
        parts.push('');
        continue;
      }
      emit(`\\${c}`);
      classPos = 3;
    } else if (e !== undefined && c === e) {
      afterEscape = true;
    } else if (depth > 0) {
      emit(c === '\\' ? '\\\\' : c);
      if (c === ']' && classPos > 2) depth--;
      else if (c === '[') {
        depth++;
        classPos = 3;
      } else if (c === '^') classPos++;
      else classPos = 3;
    } else if (c === '[') {
      emit(c);
      depth = 1;
      classPos = 1;
    } else emit(OUTSIDE[c] ?? c);
  }
  return { parts };
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
