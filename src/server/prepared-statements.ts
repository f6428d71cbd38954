/**
 * A session's prepared statements (the extended protocol's named and unnamed
 * statements). SQL DEALLOCATE and DISCARD ALL remove them too, which
 * postgres_fdw relies on after an error (`DEALLOCATE ALL`).
 */
import { PgError, SqlState } from '../errors.js';

export interface PreparedStatement {
  readonly sql: string;
  /** Declared types, extended to the highest $n used (0 = unspecified). */
  readonly paramTypes: readonly number[];
  /** The types PostgreSQL's Describe infers for the parameters, once asked (extended-query.ts). */
  inferredTypes?: readonly number[];
}

export class PreparedStatements {
  readonly #statements = new Map<string, PreparedStatement>();

  has(name: string): boolean {
    return this.#statements.has(name);
  }

  get(name: string): PreparedStatement {
    const prepared = this.#statements.get(name);
    if (prepared === undefined) {
      throw new PgError(SqlState.invalidSqlStatementName, `prepared statement "${name}" does not exist`);
    }
    return prepared;
  }

  set(name: string, statement: PreparedStatement): void {
    this.#statements.set(name, statement);
  }

  /** Protocol Close: closing a statement that does not exist is not an error. */
  delete(name: string): void {
    this.#statements.delete(name);
  }

  /** SQL DEALLOCATE name (26000 if unknown) or DEALLOCATE ALL (undefined). */
  deallocate(name: string | undefined): void {
    if (name === undefined) {
      this.#statements.clear();
      return;
    }
    this.get(name);
    this.#statements.delete(name);
  }
}
