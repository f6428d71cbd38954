/**
 * jsonb's semantics over parsed JSON (json-value.ts), as PostgreSQL implements them in
 * src/backend/utils/adt/jsonb*.c: the printed form (jsonb_out), numbers by value, key order,
 * containment (JsonbDeepContains) and key existence.
 *
 * jsonb_out prints objects with keys ordered by length, then bytes (lengthCompareJsonbString),
 * `"k": v` and `, ` separators, strings escaped by escape_json (", \, \b \f \n \r \t, other
 * control characters as \u00xx — what JSON.stringify does), numbers through numeric_out.
 */
import type { JsonValue } from './json-value.js';

/** jsonb's value: an object's keys sorted and unique (the last duplicate wins, as jsonb keeps it). */
export function toJsonb(value: JsonValue): JsonValue {
  if (value.kind === 'array') return { ...value, items: value.items.map(toJsonb) };
  if (value.kind !== 'object') return value;
  const byKey = new Map<string, JsonValue>();
  for (const [key, item] of value.entries) byKey.set(key, toJsonb(item));
  const entries = [...byKey.entries()].sort(([a], [b]) => compareKeys(a, b));
  return { ...value, entries };
}

function compareKeys(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length - y.length || Buffer.compare(x, y);
}

/** jsonb_out of a value already in jsonb's order (toJsonb). */
export function printJsonb(value: JsonValue): string {
  switch (value.kind) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(value.value);
    case 'number':
      return numericText(value.raw);
    case 'string':
      return JSON.stringify(value.value);
    case 'array':
      return `[${value.items.map(printJsonb).join(', ')}]`;
    case 'object':
      return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}: ${printJsonb(v)}`).join(', ')}}`;
  }
}

/**
 * A JSON number as numeric_in reads it and numeric_out prints it: the exponent applied, the
 * display scale max(0, fraction digits − exponent), no negative zero ("1e2" → "100",
 * "1.50" → "1.50", "2.5E-3" → "0.0025", "-0.0" → "0.0").
 */
export function numericText(raw: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (match === null) return raw;
  const fraction = match[3] ?? '';
  const exponent = Number(match[4] ?? '0');
  const digits = `${match[2]}${fraction}`;
  const scale = Math.max(0, fraction.length - exponent);
  const point = (match[2] ?? '').length + exponent;
  const padded =
    point <= 0 ? '0'.repeat(1 - point) + digits : digits + '0'.repeat(Math.max(0, point - digits.length));
  const integerEnd = Math.max(point, 1);
  const integer = padded.slice(0, integerEnd).replace(/^0+(?=\d)/, '');
  const fractionDigits = padded.slice(integerEnd).padEnd(scale, '0').slice(0, scale);
  const text = scale > 0 ? `${integer}.${fractionDigits}` : integer;
  return match[1] === '-' && /[1-9]/.test(text) ? `-${text}` : text;
}

/** A number's value as text without trailing fractional zeros: equal numbers give equal keys. */
function numberKey(raw: string): string {
  const text = numericText(raw);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** jsonb's value as a string that is equal exactly when the jsonb values are equal (= in jsonb). */
export function equalityKey(value: JsonValue): string {
  switch (value.kind) {
    case 'number':
      return numberKey(value.raw);
    case 'array':
      return `[${value.items.map(equalityKey).join(', ')}]`;
    case 'object':
      return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}: ${equalityKey(v)}`).join(', ')}}`;
    default:
      return printJsonb(value);
  }
}

function scalarEquals(a: JsonValue, b: JsonValue): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'number' && b.kind === 'number') return numberKey(a.raw) === numberKey(b.raw);
  if (a.kind === 'string' && b.kind === 'string') return a.value === b.value;
  if (a.kind === 'boolean' && b.kind === 'boolean') return a.value === b.value;
  return a.kind === 'null';
}

const isContainer = (v: JsonValue) => v.kind === 'array' || v.kind === 'object';

/**
 * a @> b (JsonbDeepContains): a scalar at the top level is a one-element raw-scalar array, so a
 * top-level array contains a scalar it holds, and a scalar contains only an equal scalar.
 */
export function contains(a: JsonValue, b: JsonValue): boolean {
  const left = isContainer(a) ? a : undefined;
  const right = isContainer(b) ? b : undefined;
  if (left === undefined && right === undefined) return scalarEquals(a, b);
  if (left === undefined) return false;
  if (right === undefined)
    return left.kind === 'array' && deepContains(left, { ...b, kind: 'array', items: [b] } as JsonValue);
  return deepContains(left, right);
}

function deepContains(a: JsonValue, b: JsonValue): boolean {
  if (a.kind === 'object' && b.kind === 'object') {
    if (b.entries.length > a.entries.length) return false;
    const lhs = new Map(a.entries);
    return b.entries.every(([key, value]) => {
      const found = lhs.get(key);
      if (found === undefined || found.kind !== value.kind) return false;
      return isContainer(value) ? deepContains(found, value) : scalarEquals(found, value);
    });
  }
  if (a.kind === 'array' && b.kind === 'array') {
    return b.items.every((value) =>
      isContainer(value)
        ? a.items.some((item) => item.kind === value.kind && deepContains(item, value))
        : a.items.some((item) => !isContainer(item) && scalarEquals(item, value)),
    );
  }
  return false;
}

/** jsonb ? key: a top-level key of an object, or a string element of an array (or the string scalar). */
export function hasKey(value: JsonValue, key: string): boolean {
  if (value.kind === 'object') return value.entries.some(([k]) => k === key);
  if (value.kind === 'array') return value.items.some((item) => item.kind === 'string' && item.value === key);
  return value.kind === 'string' && value.value === key;
}

/** jsonb_typeof / json_typeof. */
export function typeName(value: JsonValue): string {
  return value.kind;
}

/**
 * A string whose byte order is jsonb's sort order (compareJsonbContainers in jsonb_util.c), for
 * ORDER BY: null < string < number < boolean < array < object; arrays by element count, then a
 * top-level scalar (a one-element "raw scalar" array) before a real array, then element by
 * element; objects by pair count, then key and value pairs in jsonb's key order; numbers by
 * value; strings by their bytes (PostgreSQL uses the database collation: equal under C).
 * Every part is self-delimiting, so comparing the concatenation compares element by element.
 */
export function sortKey(value: JsonValue): string {
  if (value.kind === 'array' || value.kind === 'object') return elementKey(value);
  return `e${count(1)}0${elementKey(value)}`;
}

const count = (n: number) => n.toString(16).padStart(8, '0');

function elementKey(value: JsonValue): string {
  switch (value.kind) {
    case 'null':
      return 'a';
    case 'string':
      return `b${Buffer.from(value.value).toString('hex')}.`;
    case 'number':
      return `c${numberSortKey(value.raw)}`;
    case 'boolean':
      return value.value ? 'd1' : 'd0';
    case 'array':
      return `e${count(value.items.length)}1${value.items.map(elementKey).join('')}`;
    case 'object':
      return `f${count(value.entries.length)}${value.entries.map(([k, v]) => `b${Buffer.from(k).toString('hex')}.${elementKey(v)}`).join('')}`;
  }
}

/**
 * A number as 0.d1d2… × 10^e (d1 ≠ 0): 'o' for zero; 'p', e + 200000 in six digits, the digits
 * and '.' for a positive number; 'n', the exponent and digits complemented and '~' (sorting
 * above every digit) for a negative one, so larger magnitudes sort lower.
 */
function numberSortKey(raw: string): string {
  const text = numericText(raw);
  const negative = text.startsWith('-');
  const [integer = '', fraction = ''] = text.replace('-', '').split('.');
  const digits = `${integer}${fraction}`.replace(/0+$/, '');
  const leading = digits.search(/[1-9]/);
  if (leading < 0) return 'o';
  const exponent = integer.length - leading + 200000;
  const significant = digits.slice(leading);
  if (!negative) return `p${String(exponent).padStart(6, '0')}${significant}.`;
  const flip = (s: string) => s.replace(/\d/g, (d) => String(9 - Number(d)));
  return `n${flip(String(exponent).padStart(6, '0'))}${flip(significant)}~`;
}
