/** pgoutput logical replication decoding: pure, no I/O. */
export { decodePgoutput } from './decode-pgoutput.js';
export { formatLsn, parseLsn } from './lsn.js';
export { pgEpochOffsetMicros } from './pgoutput-cursor.js';
export { PgoutputDecoder, type PgoutputDecoderOptions } from './pgoutput-decoder.js';
export * from './pgoutput-messages.js';
export { RelationCache } from './relation-cache.js';
