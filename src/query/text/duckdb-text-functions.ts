/**
 * Text functions the SQL front end emits where DuckDB has no equivalent, registered under names
 * no client can call: pga_initcap_ascii, initcap() under a C ctype (str_initcap: a letter
 * after an ASCII letter or digit is lowered, any other letter raised; only ASCII letters change).
 */
import { type DuckDBConnection, VARCHAR } from '@duckdb/node-api';
import { registerScalarUdfs, type ScalarUdf } from '../duckdb-scalar-udfs.js';

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
};

export function registerTextFunctions(connection: DuckDBConnection): void {
  registerScalarUdfs(connection, '', UDFS);
}
