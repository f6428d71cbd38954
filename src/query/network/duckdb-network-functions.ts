/**
 * The inet/cidr functions the SQL front end emits (typing/network-rules.ts), registered in
 * DuckDB under names no client can call: pga_inet_key (network_cmp's order as a string) and
 * pga_inet_rel (the containment operators). Both are strict: NULL in, NULL out. The copy holds
 * PostgreSQL's own text of each value, which parseInet reads.
 */
import {
  BOOLEAN,
  type DuckDBConnection,
  DuckDBScalarFunction,
  type DuckDBType,
  VARCHAR,
} from '@duckdb/node-api';
import { PgError } from '../../errors.js';
import {
  containsElement,
  containsRange,
  elementValue,
  overlaps,
  parseRange,
  type RangeKind,
  rangeSortKey,
} from '../ranges/range-value.js';
import { inetRelation, inetSortKey, parseInet } from './inet-value.js';

interface NetworkUdf {
  readonly parameters: readonly DuckDBType[];
  readonly returns: DuckDBType;
  readonly run: (args: string[]) => string | boolean;
}

const UDFS: Readonly<Record<string, NetworkUdf>> = {
  pga_inet_key: { parameters: [VARCHAR], returns: VARCHAR, run: ([a]) => inetSortKey(parseInet(a!)) },
  pga_inet_rel: {
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([a, b, op]) => inetRelation(parseInet(a!), parseInet(b!), op!),
  },
  // Ranges (ranges/range-value.ts): the kind is 'int4', 'int8' or 'date'.
  pga_range_key: {
    parameters: [VARCHAR, VARCHAR],
    returns: VARCHAR,
    run: ([r, k]) => rangeSortKey(parseRange(kind(k), r!)),
  },
  pga_range_has: {
    parameters: [VARCHAR, VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([r, e, k]) => containsElement(parseRange(kind(k), r!), elementValue(kind(k), e!)),
  },
  pga_range_rel: {
    parameters: [VARCHAR, VARCHAR, VARCHAR, VARCHAR],
    returns: BOOLEAN,
    run: ([a, b, op, k]) => {
      const [x, y] = [parseRange(kind(k), a!), parseRange(kind(k), b!)];
      return op === '&&' ? overlaps(x, y) : op === '@>' ? containsRange(x, y) : containsRange(y, x);
    },
  },
};

const kind = (k: string | undefined) => k as RangeKind;

export function registerNetworkFunctions(connection: DuckDBConnection): void {
  for (const [name, udf] of Object.entries(UDFS)) {
    connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name,
        parameterTypes: udf.parameters,
        returnType: udf.returns,
        mainFunction: (info, input, output) => {
          const columns = udf.parameters.map((_, i) => input.getColumnVector(i));
          for (let row = 0; row < input.rowCount; row++) {
            const args = columns.map((c) => c.getItem(row));
            if (args.some((a) => a === null)) {
              output.setItem(row, null);
              continue;
            }
            try {
              output.setItem(row, udf.run(args.map(String)) as never);
            } catch (error) {
              // duckdb-errors.ts reads the SQLSTATE back from this form.
              info.setError(
                error instanceof PgError
                  ? `SQLSTATE ${error.code}: ${error.message}`
                  : `SQLSTATE XX000: ${String(error)}`,
              );
              return;
            }
          }
          output.flush();
        },
      }),
    );
  }
}
