/**
 * DuckDB text reaches JavaScript through @duckdb/node-api's one shared TextDecoder, made with
 * the defaults, which drop a leading U+FEFF (byte order mark) from every string: a text value
 * that begins with U+FEFF would come back one character short ('\uFEFFx' as 'x'), in results
 * and in the arguments of the engine's JavaScript functions. PostgreSQL keeps the character, so
 * the decoder is replaced, once per process, by one that keeps it. The library reads the
 * decoder from its module's exports at each call (lib/vectors/dataAccessors.js, exported as
 * `textDecoder`); test/text-byte-order-mark.test.ts fails if that stops being so.
 */
import { createRequire } from 'node:module';

const accessors = createRequire(import.meta.url)('@duckdb/node-api/lib/vectors/dataAccessors.js') as {
  textDecoder: { decode(bytes: Uint8Array): string; readonly ignoreBOM: boolean };
};

if (!accessors.textDecoder.ignoreBOM) accessors.textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
