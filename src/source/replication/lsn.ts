/**
 * LSN helpers of the replication client. Text ⇄ bigint conversion is the
 * pgoutput decoder's (`X/Y`, two hexadecimal 32-bit halves).
 * https://www.postgresql.org/docs/current/datatype-pg-lsn.html
 */
export { formatLsn, parseLsn } from '../pgoutput/index.js';

/** `InvalidXLogRecPtr`: PostgreSQL reads a zero position as "none". */
export const invalidLsn = 0n;

/** Math.max for LSNs (Math.max does not take bigint). */
export function laterLsn(a: bigint, b: bigint): bigint {
  return a >= b ? a : b;
}
