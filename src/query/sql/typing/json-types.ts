/**
 * Result types of the json/jsonb and array operators and functions (pg_operator.dat,
 * pg_proc.dat) for the type stage.
 */
import { known, type PgType } from './pg-types.js';

/** Operators returning boolean whatever their operands (containment, key existence, overlap). */
export const JSON_BOOLEAN_OPERATORS = new Set(['@>', '<@', '?', '?|', '?&', '&&']);

/** -> and #> keep the document's type (json or jsonb); ->> and #>> give text. */
export function jsonOperatorType(op: string, left: PgType | undefined): PgType | undefined {
  if (left?.name !== 'json' && left?.name !== 'jsonb') return undefined;
  if (op === '->' || op === '#>') return left;
  if (op === '->>' || op === '#>>') return known('text');
  return undefined;
}

const FUNCTION_RESULTS: Readonly<Record<string, 'json' | 'jsonb' | 'text' | 'int4' | 'record'>> = {
  jsonb_extract_path: 'jsonb',
  jsonb_extract_path_text: 'text',
  json_extract_path: 'json',
  json_extract_path_text: 'text',
  jsonb_array_length: 'int4',
  jsonb_typeof: 'text',
  jsonb_array_elements: 'jsonb',
  jsonb_array_elements_text: 'text',
  jsonb_object_keys: 'text',
  // In a select list; in FROM they are tables of (key, value).
  jsonb_each: 'record',
  jsonb_each_text: 'record',
  array_length: 'int4',
  cardinality: 'int4',
  array_position: 'int4',
  array_to_string: 'text',
  // Constructors and aggregates (sql/json-constructors.ts).
  to_json: 'json',
  array_to_json: 'json',
  json_build_object: 'json',
  json_build_array: 'json',
  json_agg: 'json',
  json_object_agg: 'json',
  row_to_json: 'json',
  to_jsonb: 'jsonb',
  jsonb_build_object: 'jsonb',
  jsonb_build_array: 'jsonb',
  jsonb_agg: 'jsonb',
  jsonb_object_agg: 'jsonb',
};

export function jsonFunctionType(name: string): PgType | undefined {
  const result = FUNCTION_RESULTS[name];
  return result === undefined ? undefined : known(result);
}

/** format_type() names of array elements → typname, for the element types arrays are read as. */
const ELEMENT_NAMES: Readonly<Record<string, string>> = {
  smallint: 'int2',
  integer: 'int4',
  bigint: 'int8',
  text: 'text',
  boolean: 'bool',
  real: 'float4',
  'double precision': 'float8',
  date: 'date',
  uuid: 'uuid',
  jsonb: 'jsonb',
  json: 'json',
  inet: 'inet',
  cidr: 'cidr',
  macaddr: 'macaddr',
  macaddr8: 'macaddr8',
  'time with time zone': 'timetz',
  interval: 'interval',
};

/** The element type of an array type, when it is one named above. */
export function arrayElementType(type: PgType | undefined): PgType | undefined {
  if (type?.category !== 'A' || !type.name.endsWith('[]')) return undefined;
  const name = ELEMENT_NAMES[type.name.slice(0, -2)];
  return name === undefined ? undefined : known(name as 'text');
}

/** a[i] is the element type, a[l:u] the array's own. */
export function subscriptType(array: PgType | undefined, slice: boolean): PgType | undefined {
  return slice ? (array?.category === 'A' ? array : undefined) : arrayElementType(array);
}

/** jsonb[] and json[] (pg_type.dat), the results of array_agg and ARRAY[…] over json values. */
export function jsonArrayType(element: PgType | undefined): PgType | undefined {
  if (element?.name === 'jsonb') return { name: 'jsonb[]', oid: 3807, typmod: -1, category: 'A' };
  if (element?.name === 'json') return { name: 'json[]', oid: 199, typmod: -1, category: 'A' };
  return undefined;
}
