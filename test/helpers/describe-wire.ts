/**
 * What a server's Describe of a statement answers, read with node-postgres at the
 * protocol level: Parse (unnamed, with the given parameter types) + Describe 'S' +
 * Sync, never Bind or Execute. Used to compare the daemon's ParameterDescription and
 * RowDescription with PostgreSQL's field for field.
 */
import type pg from 'pg';

/** One RowDescription field: name, table OID, column number, type OID, type size, typmod. */
export type FieldTuple = readonly [string, number, number, number, number, number];

export type Description =
  | { readonly parameterTypes: readonly number[]; readonly columns: readonly FieldTuple[] | null }
  | { readonly error: string; readonly message: string };

interface RawField {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
}

export function fieldTuples(fields: readonly RawField[]): FieldTuple[] {
  return fields.map((f) => [f.name, f.tableID, f.columnID, f.dataTypeID, f.dataTypeSize, f.dataTypeModifier]);
}

interface Connection {
  parse(q: { text: string; types: readonly number[] }): void;
  describe(m: { type: 'S'; name: string }): void;
  sync(): void;
  once(event: 'parameterDescription', listener: (m: { dataTypeIDs: number[] }) => void): void;
  removeAllListeners(event: 'parameterDescription'): void;
}

/** Parse/Describe of `sql` on `client`; an error is returned as its SQLSTATE and message. */
export function describeStatement(
  client: pg.Client,
  sql: string,
  types: readonly number[] = [],
): Promise<Description> {
  return new Promise((resolve) => {
    let parameterTypes: number[] = [];
    let columns: FieldTuple[] | null = null;
    let connection: Connection | undefined;
    const submittable = {
      submit(c: unknown) {
        connection = c as Connection;
        connection.once('parameterDescription', (m) => {
          parameterTypes = [...m.dataTypeIDs];
        });
        connection.parse({ text: sql, types });
        connection.describe({ type: 'S', name: '' });
        connection.sync();
      },
      handleRowDescription(m: { fields: RawField[] }) {
        columns = fieldTuples(m.fields);
      },
      handleError(error: pg.DatabaseError) {
        connection?.removeAllListeners('parameterDescription');
        resolve({ error: error.code ?? 'none', message: error.message });
      },
      handleReadyForQuery() {
        resolve({ parameterTypes, columns });
      },
      handleDataRow() {},
      handleCommandComplete() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
    };
    client.query(submittable as unknown as pg.Submittable);
  });
}

/** The RowDescription of running `sql` (simple Query), or its error. */
export async function executedFields(
  client: pg.Client,
  sql: string,
): Promise<{ columns: FieldTuple[] } | { error: string; message: string }> {
  try {
    const result = await client.query({ text: sql, rowMode: 'array' });
    return { columns: fieldTuples(result.fields as unknown as RawField[]) };
  } catch (error) {
    const e = error as pg.DatabaseError;
    return { error: e.code ?? 'none', message: e.message };
  }
}
