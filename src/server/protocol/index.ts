/** The PostgreSQL wire codec: bytes ⇄ messages, no I/O. */
export * from './backend-auth.js';
export * from './backend-notice.js';
export * from './backend-results.js';
export * from './backend-session.js';
export { UnsupportedProtocolError } from './decode-startup.js';
export * from './frontend-messages.js';
export * from './frontend-reader.js';
export { emptyMessage, MessageWriter } from './message-writer.js';
