/**
 * Log sequence numbers: 64-bit WAL positions, written by PostgreSQL as two
 * hexadecimal halves `X/Y` (high 32 bits / low 32 bits), e.g. `16/B374D848`.
 * https://www.postgresql.org/docs/current/datatype-pg-lsn.html
 *
 * Private to the replication client; the pgoutput decoder may export its own.
 */
const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** `InvalidXLogRecPtr`: PostgreSQL reads a zero position as "none". */
export const invalidLsn = 0n;

export function parseLsn(text: string): bigint {
  const match = lsnPattern.exec(text);
  if (!match)
    throw new TypeError(`invalid LSN "${text}": expected two hexadecimal numbers as in 16/B374D848`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  if (lsn < 0n || lsn > 0xffff_ffff_ffff_ffffn) throw new RangeError(`LSN ${lsn} is outside 0 … 2^64-1`);
  const high = (lsn >> 32n).toString(16).toUpperCase();
  const low = (lsn & 0xffff_ffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

/** Math.max for LSNs (Math.max does not take bigint). */
export function laterLsn(a: bigint, b: bigint): bigint {
  return a >= b ? a : b;
}
