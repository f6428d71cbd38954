/**
 * jsonb's || and - (jsonfuncs.c: jsonb_concat, jsonb_delete, jsonb_delete_array,
 * jsonb_delete_idx) over the stored text, printing jsonb_out's text of the result.
 *
 * A scalar at the top level is a one-element array to ||, as in PostgreSQL (a "raw scalar"):
 * '1' || '2' is [1, 2]. Two objects merge (the right one's keys win), two arrays join, and an
 * object beside an array becomes one element of it; - removes an object's keys, or an array's
 * string elements equal to the key, or the element at an index (negative from the end).
 */
import { PgError, SqlState } from '../../errors.js';
import { readJson } from './json-functions.js';
import type { JsonValue } from './json-value.js';
import { printJsonb, toJsonb } from './jsonb-ops.js';

const read = (doc: string) => readJson('jsonb', doc);

function asArrayItems(value: JsonValue): JsonValue[] {
  return value.kind === 'array' ? value.items : [value];
}

/** a || b on jsonb. */
export function jsonbConcat(a: string, b: string): string {
  const left = read(a);
  const right = read(b);
  if (left.kind === 'object' && right.kind === 'object') {
    const merged: JsonValue = { ...left, entries: [...left.entries, ...right.entries] };
    return printJsonb(toJsonb(merged));
  }
  const items = [...asArrayItems(left), ...asArrayItems(right)];
  return printJsonb({ kind: 'array', items, start: 0, end: 0 });
}

function cannotDelete(message: string): PgError {
  return new PgError(SqlState.invalidParameterValue, message);
}

/** doc - key and doc - keys (NULL keys are skipped, as jsonb_delete_array skips them). */
export function jsonbDeleteKeys(doc: string, keys: readonly (string | null)[]): string {
  const value = read(doc);
  if (value.kind !== 'object' && value.kind !== 'array') throw cannotDelete('cannot delete from scalar');
  const removed = new Set(keys.filter((k): k is string => k !== null));
  if (value.kind === 'object') {
    return printJsonb({ ...value, entries: value.entries.filter(([key]) => !removed.has(key)) });
  }
  const items = value.items.filter((item) => item.kind !== 'string' || !removed.has(item.value));
  return printJsonb({ ...value, items });
}

/** doc - index: the array without that element; an index out of range leaves it whole. */
export function jsonbDeleteIndex(doc: string, index: number): string {
  const value = read(doc);
  if (value.kind === 'object') throw cannotDelete('cannot delete from object using integer index');
  if (value.kind !== 'array') throw cannotDelete('cannot delete from scalar');
  const count = value.items.length;
  const at = index < 0 ? count + index : index;
  if (at < 0 || at >= count) return printJsonb(value);
  return printJsonb({ ...value, items: value.items.filter((_, i) => i !== at) });
}
