/**
 * interval[] columns: a LIST of the STRUCT(months, days, micros) scalar intervals are stored as
 * (column-types.ts), so every element keeps its three fields. The copy writes a JSON array of
 * each element's fields as "<months> months <days> days <micros> microseconds" (the stream's
 * iso_8601 element texts are turned into the same by output-text.ts), which DuckDB splits into
 * the struct; reading turns each back into an INTERVAL.
 */
import { arrayShapeMessage } from './array-columns.js';
import {
  intervalCopyExpression,
  intervalStorageType,
  quoteIdent,
  quoteLiteral,
  unescapeCopyText,
} from './column-types.js';

export function intervalArrayColumn(column: string) {
  const col = quoteIdent(column);
  const refused = arrayShapeMessage(column, 1);
  const fields = (x: string) =>
    `CASE WHEN ${x} IS NOT NULL THEN {'months': CAST(split_part(${x}, ' ', 1) AS INTEGER), ` +
    `'days': CAST(split_part(${x}, ' ', 3) AS INTEGER), 'micros': CAST(split_part(${x}, ' ', 5) AS BIGINT)} END`;
  return {
    storageType: `${intervalStorageType}[]`,
    queryType: 'INTERVAL[]',
    copyExpression:
      `CASE WHEN ${col} IS NULL THEN NULL ` +
      `WHEN pg_catalog.array_ndims(${col}) > 1 OR pg_catalog.array_lower(${col}, 1) <> 1 ` +
      `THEN analytica.copy_error(${quoteLiteral(refused)}) ` +
      `ELSE COALESCE((SELECT pg_catalog.json_agg(${intervalCopyExpression('u.e')} ORDER BY u.o) ` +
      `FROM pg_catalog.unnest(${col}) WITH ORDINALITY AS u(e, o)), '[]')::pg_catalog.text END`,
    csvType: 'VARCHAR',
    outputText: 'interval-array' as const,
    load: (v: string) =>
      `list_transform(CAST(CAST(${unescapeCopyText(v)} AS JSON) AS VARCHAR[]), lambda x: ${fields('x')})`,
  };
}
