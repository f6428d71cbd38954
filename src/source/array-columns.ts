/**
 * Array columns by their declared number of dimensions (pg_attribute.attndims): a column declared
 * `integer[][]` is stored as a 2-deep DuckDB LIST (`{{1,2},{3,4}}` is `[[1,2],[3,4]]`), one
 * declared `integer[]` or with no dimensions (attndims 0, e.g. made by CREATE TABLE AS) as a LIST.
 *
 * PostgreSQL does not enforce the declaration: any array column can hold values of any number of
 * dimensions and any lower bounds. A LIST of fixed depth holds only values of the declared number
 * of dimensions starting at index 1, and the empty array (which has no dimensions: an empty
 * outer list); the copy and the stream refuse any other value, naming the column.
 */
import { PgError, SqlState } from '../errors.js';
import { quoteIdent, quoteLiteral } from './column-types.js';

/** The number of dimensions a column holds: 1 unless declared with more. */
export function declaredDims(spec: { ndims?: number }): number {
  return spec.ndims ?? 1;
}

/** Why a value cannot be held, and how to keep such values out of the table. */
export function arrayShapeMessage(column: string, ndims: number): string {
  const col = quoteIdent(column);
  const shape =
    ndims === 1
      ? 'an array of more than one dimension or not starting at index 1'
      : `an array whose dimensions are not the ${ndims} it is declared with, or not starting at index 1`;
  return (
    `column ${col} holds ${shape}, which pg_analytica cannot store; ` +
    `keep such values out with CHECK (pg_catalog.array_ndims(${col}) = ${ndims}) ` +
    '(and arrays starting at index 1), then resync the table'
  );
}

/**
 * The copy's expression for an array column `col`: NULL or the value as `json` (of the elements'
 * text, nested by dimension), or an error for a value the column cannot hold. array_ndims of the
 * empty array is NULL, so it passes.
 */
export function arrayCopyExpression(column: string, ndims: number, json: string): string {
  const col = quoteIdent(column);
  const lowers = Array.from(
    { length: ndims },
    (_, d) => ` OR pg_catalog.array_lower(${col}, ${d + 1}) <> 1`,
  ).join('');
  return (
    `CASE WHEN pg_catalog.array_ndims(${col}) <> ${ndims}${lowers} ` +
    `THEN analytica.copy_error(${quoteLiteral(arrayShapeMessage(column, ndims))}) ` +
    `ELSE ${json} END`
  );
}

/** DuckDB: the JSON text `v` of a column's elements as a nested VARCHAR list, each element converted. */
export function arrayLoadExpression(v: string, ndims: number, element: (x: string) => string): string {
  const list = `CAST(CAST(${v} AS JSON) AS VARCHAR${'[]'.repeat(ndims)})`;
  return nestedTransform(list, ndims, element);
}

/** list_transform at depth `ndims` (lambda parameters named by depth, so none shadows another). */
function nestedTransform(list: string, ndims: number, element: (x: string) => string, depth = 1): string {
  const x = `x${depth}`;
  const body = depth === ndims ? element(x) : nestedTransform(x, ndims, element, depth + 1);
  return `list_transform(${list}, lambda ${x}: ${body})`;
}

/** A parsed array value: its elements' text nested by dimension. */
export type NestedElements = (string | null | NestedElements)[];

/**
 * An array literal as array_out writes it (`{{"a b",NULL},{c,"x\"y"}}`): the elements' text nested
 * by dimension. Quoted elements keep their text (backslash escapes undone); an unquoted NULL is
 * SQL NULL. A value of other dimensions than `ndims` (but `{}`), or with a lower bound other than
 * 1 (array_out writes `[0:1]={…}`), is refused naming the column.
 */
export function parseNestedArray(column: string, ndims: number, literal: string): NestedElements {
  const refused = () => new PgError(SqlState.featureNotSupported, arrayShapeMessage(column, ndims));
  const malformed = () =>
    new PgError(SqlState.invalidTextRepresentation, `malformed array value for column ${quoteIdent(column)}`);
  if (literal.startsWith('[')) throw refused();
  if (literal === '{}') return [];
  let i = 0;
  const widths: number[] = [];
  const level = (depth: number): NestedElements => {
    if (literal[i] !== '{') throw malformed();
    i++;
    const items: NestedElements = [];
    for (;;) {
      if (literal[i] === '{') {
        if (depth === ndims) throw refused();
        items.push(level(depth + 1));
      } else {
        if (depth !== ndims) throw refused();
        items.push(element());
      }
      const next = literal[i++];
      if (next === '}') break;
      if (next !== ',') throw malformed();
    }
    // array_out writes only rectangular arrays; anything else is not its text.
    widths[depth] ??= items.length;
    if (widths[depth] !== items.length) throw malformed();
    return items;
  };
  const element = (): string | null => {
    if (literal[i] === '"') {
      let value = '';
      for (i++; i < literal.length && literal[i] !== '"'; i++) {
        if (literal[i] === '\\') i++;
        value += literal[i] ?? '';
      }
      i++; // closing quote
      return value;
    }
    const start = i;
    while (i < literal.length && literal[i] !== ',' && literal[i] !== '}') i++;
    const value = literal.slice(start, i);
    return value === 'NULL' ? null : value;
  };
  const value = level(1);
  if (i !== literal.length) throw malformed();
  return value;
}
