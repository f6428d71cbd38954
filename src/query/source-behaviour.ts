/**
 * What a source database does that the engine must do alike and that is fixed for the
 * database: how its default ctype maps case (typing/case-folding.ts), and which of
 * PostgreSQL's two float width_bucket() formulas its server runs. Read once per pool and kept
 * (a database's LC_CTYPE and locale provider are fixed when it is created; the server's
 * version for as long as the daemon's connections to it).
 */
import type pg from 'pg';
import { type CaseFolding, caseFoldingOf } from './sql/typing/case-folding.js';

export interface SourceBehaviour {
  readonly caseFolding: CaseFolding;
  /**
   * width_bucket(float8, …) computes count * ((x - b1) / (b2 - b1)) (newer servers) rather than
   * (count * (x - b1)) / (b2 - b1): the two round differently at bucket edges. Asked of the
   * server itself with a value where they differ, not inferred from its version number.
   */
  readonly widthBucketDividesFirst: boolean;
}

const known = new WeakMap<pg.Pool, Promise<SourceBehaviour>>();

export function sourceBehaviour(pool: pg.Pool): Promise<SourceBehaviour> {
  let behaviour = known.get(pool);
  if (behaviour === undefined) {
    behaviour = pool
      .query<{ ctype: string; provider: string; divides_first: boolean }>(
        `SELECT d.datctype AS ctype, coalesce(pg_catalog.to_jsonb(d) ->> 'datlocprovider', 'c') AS provider,
                pg_catalog.width_bucket(96.6::pg_catalog.float8, 19, 116, 10) = 8 AS divides_first
           FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`,
      )
      .then(({ rows }) => ({
        caseFolding: caseFoldingOf(rows[0]?.ctype ?? '', rows[0]?.provider ?? ''),
        widthBucketDividesFirst: rows[0]?.divides_first === true,
      }));
    // A failed read (the source restarting) is read again by the next statement.
    behaviour.catch(() => known.delete(pool));
    known.set(pool, behaviour);
  }
  return behaviour;
}
