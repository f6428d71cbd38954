/**
 * The DuckDB query that says which segments may hold a row passing a query's
 * segment filters, from the statistics in the catalog. It runs in DuckDB, on a
 * connection set to the session's time zone, so constants are cast and
 * compared exactly as in the query itself (time zones, decimals, byte-wise
 * strings); a statistic that is missing or does not cast means "may match".
 *
 * Soundness rests on one property: if a row value v passes `v op c`, then
 * the segment's bounds pass the corresponding test. That holds when DuckDB
 * compares v and c in an order-preserving way: both of the column's type, or
 * c converted to it, or v widened by a monotonic cast (integer to decimal or
 * double, date to timestamp). comparable() admits only such pairs; e.g. a
 * timestamp column against a timestamptz constant is converted through the
 * time zone, which is not monotonic across a DST gap, so it is not used.
 * Stored types only ever widen in order-preserving ways (see widens() in the
 * stream worker), so bounds of older segments are read as the current type.
 */
import type { ColumnSpec } from '../source/column-types.js';
import { quoteLiteral, storedName, valueTypeOf } from '../source/column-types.js';
import { hasRangeStatistics } from '../storage/segment-stats.js';
import type { SegmentFilter, SegmentTest } from './sql/segment-filters.js';
import type { SegmentInfo } from './table-resolver.js';

/** A table reference of the parse tree (a RangeVar), as segment-filters.ts keys filters. */
export type TableLeaf = NonNullable<SegmentFilter['peers']>[number];

/** A filter bound to a column of the table. */
export interface ColumnPredicate {
  /** The column's name in segments (and so in their statistics). */
  readonly stored: string;
  readonly storageType: string;
  readonly test: SegmentTest;
  /** DuckDB SQL of the constants. */
  readonly values: readonly string[];
  /** Their types as DuckDB binds them (FilterValue.type), one per value. */
  readonly valueTypes: readonly string[];
}

const NUMERIC_STORAGE = /^(SMALLINT|INTEGER|BIGINT|DECIMAL\(\d+,\d+\))$/;
const NUMERIC_CONSTANT = /^(NUMERIC_LITERAL|SMALLINT|INTEGER|BIGINT|DECIMAL(\(\d+,\d+\))?|REAL|DOUBLE)$/;

/** Pairs (column type, constant type) whose comparison in DuckDB preserves the column's order. */
export function comparable(storageType: string, constantType: string): boolean {
  // An untyped string literal is cast to the column's type.
  if (constantType === 'STRING_LITERAL' || constantType === storageType) return true;
  if (NUMERIC_STORAGE.test(storageType)) return NUMERIC_CONSTANT.test(constantType);
  switch (storageType) {
    case 'DATE':
      // The date becomes local midnight: still increasing, whatever the time zone.
      return constantType === 'TIMESTAMP' || constantType === 'TIMESTAMPTZ';
    case 'TIMESTAMP':
      return constantType === 'DATE';
    case 'TIMESTAMPTZ':
      // The constant is converted, the column is not.
      return constantType === 'DATE' || constantType === 'TIMESTAMP';
    default:
      return false;
  }
}

/**
 * Columns the query reads as stored (not enums, not intervals) and whose bounds are kept. Not
 * columns whose stored text orders differently from PostgreSQL's values: char(n) (compared
 * without trailing blanks), numeric held as text, json/jsonb (see src/query/sql/typing/).
 */
function prunable(column: ColumnSpec): boolean {
  // citext compares case-insensitively: its stored bytes' bounds say nothing of its order.
  if (column.citext === true) return false;
  if (TEXT_NOT_VALUE_ORDER.has(valueTypeOf(column).oid) && column.storageType === 'VARCHAR') return false;
  // A column added with a default: older rows read it, while segments' bounds hold their NULLs.
  if (column.missing) return false;
  return column.queryType === column.storageType && hasRangeStatistics(column);
}

/**
 * bpchar, numeric, json, jsonb, and inet, cidr, macaddr, macaddr8 and the ranges (held as their text, which
 * orders otherwise, and literals of which are written in other spellings) (pg_type.dat OIDs).
 */
const TEXT_NOT_VALUE_ORDER = new Set([
  1042, 1700, 114, 3802, 869, 650, 829, 774, 3904, 3926, 3912, 3906, 3908, 3910,
]);

/**
 * The filters that hold for this table's rows: the column exists, is read as stored, and
 * (when written without a table name) no other table of its level has a column of that name.
 * `tableOf` gives the resolved table of a reference, undefined for a CTE.
 */
export function bindFilters(
  filters: readonly SegmentFilter[],
  table: { readonly columns: readonly ColumnSpec[] },
  tableOf: (peer: TableLeaf) => { readonly columns: readonly ColumnSpec[] } | undefined,
): ColumnPredicate[] {
  const predicates: ColumnPredicate[] = [];
  for (const filter of filters) {
    const column = table.columns.find((c) => c.name === filter.column);
    if (column === undefined || !prunable(column)) continue;
    const unique = (filter.peers ?? []).every((peer) => {
      const other = tableOf(peer);
      return other === table || other?.columns.every((c) => c.name !== filter.column) === true;
    });
    if (!unique || !filter.values.every((v) => comparable(column.storageType, v.type))) continue;
    predicates.push({
      stored: storedName(column),
      storageType: column.storageType,
      test: filter.test,
      values: filter.values.map((v) => v.sql),
      valueTypes: filter.values.map((v) => v.type),
    });
  }
  return predicates;
}

/**
 * `SELECT i FROM (VALUES (i, rows, min, max, nulls, …), …) WHERE <may match>`, giving the
 * indexes in `segments` of those to read.
 */
export function pruningSql(segments: readonly SegmentInfo[], predicates: readonly ColumnPredicate[]): string {
  const columns = [...new Map(predicates.map((p) => [p.stored, p.storageType])).entries()];
  const index = new Map(columns.map(([stored], k) => [stored, k]));
  const rows = segments.map((segment, i) => {
    const cells = columns.flatMap(([stored]) => {
      const stats = segment.columnStats?.[stored];
      return [text(stats?.min), text(stats?.max), count(stats?.nulls)];
    });
    return `(${i}, ${segment.rowCount}, ${cells.join(', ')})`;
  });
  const names = columns.flatMap((_, k) => [`mn${k}`, `mx${k}`, `nl${k}`]);
  const typed = columns.flatMap(([, type], k) => [
    `TRY_CAST(mn${k} AS ${type}) AS mn${k}`,
    `TRY_CAST(mx${k} AS ${type}) AS mx${k}`,
    `TRY_CAST(nl${k} AS BIGINT) AS nl${k}`,
  ]);
  const conditions = predicates.map((p) => mayMatch(p, index.get(p.stored)!));
  return `SELECT i FROM (SELECT i, r, ${typed.join(', ')}
            FROM (VALUES ${rows.join(', ')}) AS s(i, r, ${names.join(', ')}))
          WHERE ${conditions.join(' AND ')}`;
}

function text(value: string | null | undefined): string {
  return typeof value === 'string' ? `${quoteLiteral(value)}::VARCHAR` : 'NULL::VARCHAR';
}

function count(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isSafeInteger(value) ? `${value}::BIGINT` : 'NULL::BIGINT';
}

/**
 * Whether segment k may hold a row passing the predicate. SQL's three-valued logic does the
 * bookkeeping: an unknown bound is NULL, so a test is false only if known bounds exclude
 * every value, and NULL becomes "may match". A segment of NULLs only holds no value to compare.
 */
function mayMatch(predicate: ColumnPredicate, k: number): string {
  const [mn, mx, nl] = [`mn${k}`, `mx${k}`, `nl${k}`];
  const [first = 'NULL', second = 'NULL'] = predicate.values;
  const within = (v: string) => `(${mn} <= ${v} AND ${mx} >= ${v})`;
  const check = (() => {
    switch (predicate.test) {
      case 'null':
        return `${nl} > 0`;
      case 'notnull':
        return `${nl} < r`;
      case 'eq':
        return within(first);
      case 'lt':
        return `${mn} < ${first}`;
      case 'le':
        return `${mn} <= ${first}`;
      case 'gt':
        return `${mx} > ${first}`;
      case 'ge':
        return `${mx} >= ${first}`;
      case 'between':
        return `(${mx} >= ${first} AND ${mn} <= ${second})`;
      case 'in':
        return `(${mn} IS NULL OR ${mx} IS NULL OR ${anyWithin(predicate, mn, mx)})`;
    }
  })();
  const comparison = predicate.test !== 'null' && predicate.test !== 'notnull';
  return comparison ? `(coalesce(${nl} < r, true) AND coalesce(${check}, true))` : `coalesce(${check}, true)`;
}

/**
 * `col IN (c1, …, cn)`: some constant lies within the bounds. The constants are one list per
 * kind, not an OR of n range tests: DuckDB plans a long OR chain in time growing with its length
 * (a 60,000-string IN list took 15 s), a list of constants in one pass. A list takes the common
 * type of its elements, so each list holds constants of one DuckDB type (integers of any width
 * widen exactly, decimals of one scale too), and each is compared as in the query: untyped
 * strings cast to the column's type, all at once.
 */
function anyWithin(predicate: ColumnPredicate, mn: string, mx: string): string {
  const lists = new Map<string, string[]>();
  predicate.values.forEach((sql, i) => {
    const kind = constantKind(sql, predicate.valueTypes[i] ?? sql);
    const list = lists.get(kind);
    if (list) list.push(sql);
    else lists.set(kind, [sql]);
  });
  const tests = [...lists].map(([kind, values]) => {
    const typed =
      kind === 'STRING_LITERAL'
        ? `CAST([${values.join(', ')}] AS ${predicate.storageType}[])`
        : listOf(values, kind);
    return `EXISTS (SELECT 1 FROM unnest(${typed}) AS c(v) WHERE ${mn} <= c.v AND ${mx} >= c.v)`;
  });
  return `(${tests.join(' OR ')})`;
}

/**
 * The constants as a list; string literals cast to one type (`'{1,2}'::bigint[]`, as postgres_fdw
 * sends an IN list, gives `CAST('1' AS BIGINT)`, …) as one cast of the list, which casts each
 * string alike, in a fraction of the time.
 */
function listOf(values: readonly string[], type: string): string {
  const cast = new RegExp(`^CAST\\(('(?:[^']|'')*') AS ${type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`);
  const literals = values.map((v) => cast.exec(v)?.[1]);
  if (literals.every((l) => l !== undefined)) return `CAST([${literals.join(', ')}] AS ${type}[])`;
  return `[${values.join(', ')}]`;
}

/** Constants of one kind have one DuckDB type, so a list of them compares each as itself. */
function constantKind(sql: string, type: string): string {
  if (type !== 'NUMERIC_LITERAL') return type;
  if (/^\(?-?\d{1,18}\)?$/.test(sql)) return 'integer';
  const decimal = /^\(?-?(\d*)\.(\d*)\)?$/.exec(sql);
  if (decimal && decimal[1]!.length + decimal[2]!.length <= 38) return `decimal(${decimal[2]!.length})`;
  // Exponents, integers wider than BIGINT: a list of its own.
  return sql;
}
