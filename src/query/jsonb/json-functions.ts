/**
 * The json and jsonb operators and functions pg_analytica runs, as plain functions of the
 * stored text (the copy holds each json value as written and each jsonb value as jsonb_out
 * printed it). DuckDB's json extension prints numbers as doubles, compacts spacing and escapes
 * differently, so these run in JavaScript (registered by duckdb-json-functions.ts) and print
 * exactly what PostgreSQL prints. A null result is SQL NULL.
 *
 * Errors carry PostgreSQL's SQLSTATE and message (jsonfuncs.c).
 */
import { PgError, SqlState } from '../../errors.js';
import { type JsonValue, parseJson } from './json-value.js';
import { contains, equalityKey, hasKey, printJsonb, sortKey, toJsonb } from './jsonb-ops.js';

export type JsonKind = 'json' | 'jsonb';

/** The stored text parsed as its type: jsonb in jsonb's key order, json as written. */
export function readJson(kind: JsonKind, text: string): JsonValue {
  const value = parseJson(text, kind);
  return kind === 'jsonb' ? toJsonb(value) : value;
}

/** A value's text as its type prints it: jsonb_out, or for json the input's own text of it. */
function printed(kind: JsonKind, source: string, value: JsonValue): string {
  return kind === 'jsonb' ? printJsonb(value) : source.slice(value.start, value.end);
}

/** ->> and #>>: a string's own text, JSON null as SQL NULL, anything else printed. */
function asText(kind: JsonKind, source: string, value: JsonValue): string | null {
  if (value.kind === 'string') {
    // json may hold \u0000 (jsonb may not); text cannot, so ->> fails as in PostgreSQL.
    if (value.value.includes('\u0000')) {
      throw new PgError(SqlState.untranslatableCharacter, 'unsupported Unicode escape sequence', {
        detail: '\\u0000 cannot be converted to text.',
      });
    }
    return value.value;
  }
  if (value.kind === 'null') return null;
  return printed(kind, source, value);
}

function result(kind: JsonKind, source: string, value: JsonValue | undefined, text: boolean): string | null {
  if (value === undefined) return null;
  return text ? asText(kind, source, value) : printed(kind, source, value);
}

function field(value: JsonValue, key: string): JsonValue | undefined {
  if (value.kind !== 'object') return undefined;
  // json may hold a key twice: its operators take the last one, as jsonb keeps it.
  for (let i = value.entries.length - 1; i >= 0; i--)
    if (value.entries[i]![0] === key) return value.entries[i]![1];
  return undefined;
}

/** A jsonb scalar at the top level is a one-element array to -> n and #> (a "raw scalar"). */
function rootArray(kind: JsonKind, value: JsonValue): JsonValue {
  if (kind === 'json' || value.kind === 'array' || value.kind === 'object') return value;
  return { kind: 'array', items: [value], start: value.start, end: value.end };
}

function element(value: JsonValue, index: number): JsonValue | undefined {
  if (value.kind !== 'array') return undefined;
  const at = index < 0 ? value.items.length + index : index;
  return value.items[at];
}

/** doc -> key / doc ->> key. */
export function jsonField(kind: JsonKind, doc: string, key: string, text: boolean): string | null {
  return result(kind, doc, field(readJson(kind, doc), key), text);
}

/** doc -> n / doc ->> n: an array element, negative counting from the end. */
export function jsonElement(kind: JsonKind, doc: string, index: number, text: boolean): string | null {
  return result(kind, doc, element(rootArray(kind, readJson(kind, doc)), index), text);
}

/** doc #> path / doc #>> path (jsonb_extract_path[_text]): keys, or integers within arrays. */
export function jsonPath(
  kind: JsonKind,
  doc: string,
  path: readonly (string | null)[],
  text: boolean,
): string | null {
  if (path.some((step) => step === null)) return null;
  const root = readJson(kind, doc);
  let value: JsonValue | undefined = path.length === 0 ? root : rootArray(kind, root);
  for (const step of path as string[]) {
    if (value?.kind === 'array') {
      // strtoint() as jsonb_get_element uses it: optional blanks and sign, then digits only.
      const index = /^\s*[+-]?\d+$/.test(step) ? Number(step) : Number.NaN;
      value = Number.isSafeInteger(index) ? element(value, index) : undefined;
    } else {
      value = value === undefined ? undefined : field(value, step);
    }
    if (value === undefined) return null;
  }
  return result(kind, doc, value, text);
}

const jsonbCheck = (doc: string) => readJson('jsonb', doc);

/** a @> b on jsonb. */
export function jsonbContains(a: string, b: string): boolean {
  return contains(jsonbCheck(a), jsonbCheck(b));
}

/** doc ? key, doc ?| keys, doc ?& keys (NULL keys are skipped, as jsonb_exists_any/all do). */
export function jsonbExists(
  doc: string,
  keys: readonly (string | null)[],
  mode: 'one' | 'any' | 'all',
): boolean {
  const value = jsonbCheck(doc);
  const present = keys.filter((k) => k !== null).map((k) => hasKey(value, k));
  return mode === 'all' ? present.every(Boolean) : present.some(Boolean);
}

function kindError(message: string): PgError {
  return new PgError(SqlState.invalidParameterValue, message);
}

export function jsonbArrayLength(doc: string): number {
  const value = jsonbCheck(doc);
  if (value.kind === 'array') return value.items.length;
  throw kindError(
    value.kind === 'object'
      ? 'cannot get array length of a non-array'
      : 'cannot get array length of a scalar',
  );
}

export function jsonbTypeof(doc: string): string {
  return jsonbCheck(doc).kind;
}

/** jsonb_array_elements[_text]. */
export function jsonbElements(doc: string, text: boolean): (string | null)[] {
  const value = jsonbCheck(doc);
  if (value.kind !== 'array')
    throw kindError(`cannot extract elements from ${value.kind === 'object' ? 'an object' : 'a scalar'}`);
  return value.items.map((item) => (text ? asText('jsonb', doc, item) : printJsonb(item)));
}

/** jsonb_each[_text]: (key, value) pairs in jsonb's key order. */
export function jsonbEach(doc: string, text: boolean): { key: string; value: string | null }[] {
  const value = jsonbCheck(doc);
  if (value.kind !== 'object')
    throw kindError(`cannot call ${text ? 'jsonb_each_text' : 'jsonb_each'} on a non-object`);
  return value.entries.map(([key, item]) => ({
    key,
    value: text ? asText('jsonb', doc, item) : printJsonb(item),
  }));
}

export function jsonbObjectKeys(doc: string): string[] {
  const value = jsonbCheck(doc);
  if (value.kind === 'object') return value.entries.map(([key]) => key);
  throw kindError(`cannot call jsonb_object_keys on ${value.kind === 'array' ? 'an array' : 'a scalar'}`);
}

/** text::jsonb and json::jsonb: the value as jsonb_out prints it. */
export function toJsonbText(text: string): string {
  return printJsonb(readJson('jsonb', text));
}

/** text::json: json keeps its text; the input is only checked. */
export function checkJsonText(text: string): string {
  parseJson(text, 'json');
  return text;
}

/** A string equal for equal jsonb values (1.0 = 1), for = and <> on jsonb. */
export function jsonbEqualityKey(doc: string): string {
  return equalityKey(jsonbCheck(doc));
}

/** A string sorting as jsonb sorts (ORDER BY on jsonb). */
export function jsonbSortKey(doc: string): string {
  return sortKey(jsonbCheck(doc));
}
