/**
 * A jsonb literal as PostgreSQL prints it (jsonb_out), and the key jsonb equality compares:
 * the copy holds each jsonb value in its printed form, and = on jsonb compares numbers by
 * value (1.0 = 1), so both sides of = and <> are compared through jsonbEqualityKey.
 */
import { jsonbEqualityKey, jsonbSortKey as sortKeyOf, toJsonbText } from '../../jsonb/json-functions.js';

/** The printed jsonb form of `text`; throws 22P02 for invalid JSON. */
export function canonicalJsonb(text: string): string {
  return toJsonbText(text);
}

/** The value's equality key (numbers without trailing fractional zeros); 22P02 for invalid JSON. */
export function jsonbKey(text: string): string {
  return jsonbEqualityKey(text);
}

/** The value's sort key (jsonb's order as byte order); 22P02 for invalid JSON. */
export function jsonbSortKey(text: string): string {
  return sortKeyOf(text);
}
