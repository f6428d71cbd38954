/**
 * The inet/cidr functions the SQL front end emits (typing/network-rules.ts), registered in
 * DuckDB under names no client can call: pga_inet_key (network_cmp's order as a string) and
 * pga_inet_rel (the containment operators). Both are strict: NULL in, NULL out. The copy holds
 * PostgreSQL's own text of each value, which parseInet reads.
 */
import { BOOLEAN, type DuckDBConnection, VARCHAR } from '@duckdb/node-api';
import { registerScalarUdfs, type ScalarUdf, type UdfArg } from '../duckdb-scalar-udfs.js';
import {
  boundMicros,
  containsElement,
  containsRange,
  elementValue,
  overlaps,
  parseRange,
  type RangeKind,
  rangeSortKey,
} from '../ranges/range-value.js';
import { inetRelation, inetSortKey, parseInet } from './inet-value.js';

// Every argument is VARCHAR: each is read as a string.
const s = (value: UdfArg | undefined) => value as string;

const UDFS: Readonly<Record<string, ScalarUdf>> = {
  pga_inet_key: { parameters: [VARCHAR], returns: VARCHAR, run: ([a]) => inetSortKey(parseInet(s(a))) },
  pga_inet_rel: {
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([a, b, op]) => inetRelation(parseInet(s(a)), parseInet(s(b)), s(op)),
  },
  // Ranges (ranges/range-value.ts): the kind is 'int4', 'int8', 'date', 'num', 'ts' or 'tstz'.
  pga_range_key: {
    parameters: [VARCHAR, VARCHAR],
    returns: VARCHAR,
    run: ([r, k]) => rangeSortKey(parseRange(kind(k), s(r))),
  },
  pga_range_has: {
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([r, e, k]) => containsElement(parseRange(kind(k), s(r)), elementValue(kind(k), s(e))),
  },
  // A timestamp element as the text of its µs since 1970 (of its UTC instant for timestamptz).
  pga_range_has_us: {
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([r, e, k]) => containsElement(parseRange(kind(k), s(r)), BigInt(s(e))),
  },
  pga_range_bound_us: {
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    returns: VARCHAR,
    run: ([r, which, k]) => boundMicros(kind(k), s(r), which === 'upper'),
  },
  pga_range_rel: {
    parameters: [VARCHAR, VARCHAR, VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([a, b, op, k]) => {
      const [x, y] = [parseRange(kind(k), s(a)), parseRange(kind(k), s(b))];
      return op === '&&' ? overlaps(x, y) : op === '@>' ? containsRange(x, y) : containsRange(y, x);
    },
  },
};

const kind = (k: UdfArg | undefined) => k as RangeKind;

export function registerNetworkFunctions(connection: DuckDBConnection): void {
  registerScalarUdfs(connection, '', UDFS);
}
