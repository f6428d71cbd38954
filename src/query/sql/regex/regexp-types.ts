/** The result types of the regexp_* functions (pg_proc.dat), for the type stage (typing/expr-types.ts). */
import { known, type PgType } from '../typing/pg-types.js';

const TEXT_ARRAY: PgType = { name: 'text[]', oid: 1009, typmod: -1, category: 'A' };

/** regexp_* → its PostgreSQL result type (of each row for a set-returning one), or undefined. */
export function regexpFunctionType(name: string): PgType | undefined {
  switch (name) {
    case 'regexp_like':
      return known('bool');
    case 'regexp_count':
    case 'regexp_instr':
      return known('int4');
    case 'regexp_substr':
    case 'regexp_split_to_table':
      return known('text');
    case 'regexp_match':
    case 'regexp_matches':
    case 'regexp_split_to_array':
      return TEXT_ARRAY;
    default:
      return undefined;
  }
}
