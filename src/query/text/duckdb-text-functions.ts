/**
 * Text functions the SQL front end emits where DuckDB has no equivalent, registered under names
 * no client can call: pga_initcap_ascii, initcap() under a C ctype (str_initcap: a letter
 * after an ASCII letter or digit is lowered, any other letter raised; only ASCII letters change);
 * pga_text_interval/date/timestamp, a value's text as PostgreSQL's output function writes it
 * (format-datetime.ts, which the wire server prints rows with): DuckDB's own cast writes
 * '1 year 2 months' and '0044-03-15 (BC)' where PostgreSQL writes '1 year 2 mons' and
 * '0044-03-15 BC'; pga_bytea_in, byteain (bytea-input.ts).
 */
import {
  BLOB,
  blobValue,
  DATE,
  DOUBLE,
  type DuckDBConnection,
  type DuckDBDateValue,
  type DuckDBIntervalValue,
  type DuckDBTimestampValue,
  FLOAT,
  INTEGER,
  INTERVAL,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';
import { byteaInput } from '../bytea-input.js';
import { registerScalarUdfs, type ScalarUdf } from '../duckdb-scalar-udfs.js';
import { formatDate, formatInterval, formatTimestamp } from '../format-datetime.js';
import { formatFloat4, formatFloat8 } from '../format-numbers.js';

const ALNUM = /[A-Za-z0-9]/;

export function initcapAscii(text: string): string {
  let out = '';
  let afterAlnum = false;
  for (const c of text) {
    out += afterAlnum
      ? c >= 'A' && c <= 'Z'
        ? c.toLowerCase()
        : c
      : c >= 'a' && c <= 'z'
        ? c.toUpperCase()
        : c;
    afterAlnum = ALNUM.test(c);
  }
  return out;
}

const UDFS: Readonly<Record<string, ScalarUdf>> = {
  pga_initcap_ascii: { parameters: [VARCHAR], returns: VARCHAR, run: ([a]) => initcapAscii(a as string) },
  // float8out/float4out under the session's extra_float_digits (the second argument), as the
  // wire server prints rows.
  pga_text_float8: {
    parameters: [DOUBLE, INTEGER],
    returns: VARCHAR,
    run: ([a, digits]) => formatFloat8(a as number, digits as number),
  },
  pga_text_float4: {
    parameters: [FLOAT, INTEGER],
    returns: VARCHAR,
    run: ([a, digits]) => formatFloat4(a as number, digits as number),
  },
  // byteain of a text value (text::bytea): DuckDB's cast reads '\x01' per byte.
  pga_bytea_in: { parameters: [VARCHAR], returns: BLOB, run: ([a]) => blobValue(byteaInput(a as string)) },
  pga_text_interval: {
    parameters: [INTERVAL],
    returns: VARCHAR,
    run: ([a]) => formatInterval(a as unknown as DuckDBIntervalValue),
  },
  pga_text_date: {
    parameters: [DATE],
    returns: VARCHAR,
    run: ([a]) => formatDate((a as unknown as DuckDBDateValue).days),
  },
  pga_text_timestamp: {
    parameters: [TIMESTAMP],
    returns: VARCHAR,
    run: ([a]) => formatTimestamp((a as unknown as DuckDBTimestampValue).micros),
  },
};

export function registerTextFunctions(connection: DuckDBConnection): void {
  registerScalarUdfs(connection, '', UDFS);
}
