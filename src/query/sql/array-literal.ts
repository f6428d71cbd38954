/**
 * PostgreSQL array literals ('{US,DE}', '{1,NULL,"a b"}') decoded into their
 * elements, so the rewriter can hand DuckDB a list instead of a string DuckDB
 * cannot cast (postgres_fdw deparses every IN list as `= ANY ('{…}'::text[])`).
 * Format: https://www.postgresql.org/docs/current/arrays.html#ARRAYS-IO
 * Only one-dimensional arrays without explicit bounds are decoded.
 */

/** Elements of a one-dimensional array literal (null = SQL NULL), or undefined if not one. */
export function parseArrayLiteral(text: string): (string | null)[] | undefined {
  const body = text.trim();
  if (!body.startsWith('{') || !body.endsWith('}')) return undefined;
  const inner = body.slice(1, -1);
  if (inner.trim() === '') return [];
  const elements: (string | null)[] = [];
  let index = 0;
  for (;;) {
    const element = readElement(inner, index);
    if (element === undefined) return undefined;
    elements.push(element.value);
    index = skipSpaces(inner, element.end);
    if (index >= inner.length) return elements;
    if (inner[index] !== ',') return undefined;
    index += 1;
  }
}

interface Element {
  readonly value: string | null;
  readonly end: number;
}

function skipSpaces(text: string, index: number): number {
  let i = index;
  while (i < text.length && /\s/.test(text[i] ?? '')) i += 1;
  return i;
}

function readElement(text: string, start: number): Element | undefined {
  const index = skipSpaces(text, start);
  const first = text[index];
  if (first === '{' || first === '}') return undefined; // nested arrays are not decoded
  return first === '"' ? readQuoted(text, index + 1) : readUnquoted(text, index);
}

function readQuoted(text: string, start: number): Element | undefined {
  let value = '';
  for (let i = start; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\') {
      i += 1;
      value += text[i] ?? '';
    } else if (ch === '"') {
      return { value, end: i + 1 };
    } else {
      value += ch;
    }
  }
  return undefined;
}

function readUnquoted(text: string, start: number): Element | undefined {
  let value = '';
  let i = start;
  let escaped = false;
  for (; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    if (ch === ',' || ch === '"' || ch === '{' || ch === '}') break;
    if (ch === '\\') {
      i += 1;
      value += text[i] ?? '';
      escaped = true;
    } else {
      value += ch;
    }
  }
  // Unquoted whitespace around an element is not part of it; an unquoted NULL is SQL NULL.
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (!escaped && trimmed.toUpperCase() === 'NULL') return { value: null, end: i };
  return { value: trimmed, end: i };
}
