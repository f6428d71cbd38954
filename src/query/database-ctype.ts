/**
 * How a database's default ctype maps case (typing/case-folding.ts). A database's LC_CTYPE and
 * locale provider are fixed when it is created, so each is read once per pool and kept.
 */
import type pg from 'pg';
import { type CaseFolding, caseFoldingOf } from './sql/typing/case-folding.js';

const known = new WeakMap<pg.Pool, Promise<CaseFolding>>();

export function databaseCaseFolding(pool: pg.Pool): Promise<CaseFolding> {
  let folding = known.get(pool);
  if (folding === undefined) {
    folding = pool
      .query<{ ctype: string; provider: string }>(
        `SELECT d.datctype AS ctype, coalesce(pg_catalog.to_jsonb(d) ->> 'datlocprovider', 'c') AS provider
           FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`,
      )
      .then(({ rows }) => caseFoldingOf(rows[0]?.ctype ?? '', rows[0]?.provider ?? ''));
    // A failed read (the source restarting) is read again by the next statement.
    folding.catch(() => known.delete(pool));
    known.set(pool, folding);
  }
  return folding;
}
