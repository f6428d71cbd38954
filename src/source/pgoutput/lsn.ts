/**
 * pg_lsn text form: two hexadecimal numbers, the high and low 32 bits, as
 * PostgreSQL prints them ('%X/%X', e.g. '16/B374D848'; PostgreSQL 19 pads
 * the low half to 8 digits, which parseLsn also accepts).
 * https://www.postgresql.org/docs/current/datatype-pg-lsn.html
 */
import { PgError, SqlState } from '../../errors.js';

const maxLsn = 0xffff_ffff_ffff_ffffn;
const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function formatLsn(lsn: bigint): string {
  if (lsn < 0n || lsn > maxLsn) {
    throw new PgError(SqlState.numericValueOutOfRange, `LSN ${lsn} is outside 0 … 2^64-1`);
  }
  const high = Number(lsn >> 32n);
  const low = Number(lsn & 0xffff_ffffn);
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** Throws 22P02 with PostgreSQL's message for text that is not a pg_lsn. */
export function parseLsn(text: string): bigint {
  const match = lsnPattern.exec(text);
  if (!match) {
    throw new PgError(SqlState.invalidTextRepresentation, `invalid input syntax for type pg_lsn: "${text}"`);
  }
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}
