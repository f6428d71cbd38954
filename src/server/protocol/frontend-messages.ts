/**
 * Frontend (client → server) messages after decoding.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Special "protocol versions" of the untyped startup-phase packets. */
export const RequestCode = {
  cancel: 80877102,
  ssl: 80877103,
  gssEncryption: 80877104,
} as const;

/** Protocol 3.0 as sent in StartupMessage: major in the high 16 bits. */
export const protocolVersion3 = 3 << 16;

/** Untyped messages of the startup phase: Int32 length, Int32 code, body. */
export type StartupPhaseMessage =
  | {
      readonly type: 'startup';
      readonly majorVersion: number;
      readonly minorVersion: number;
      /** user, database, options, application_name, GUCs and `_pq_.` protocol options. */
      readonly parameters: ReadonlyMap<string, string>;
    }
  | { readonly type: 'sslRequest' }
  | { readonly type: 'gssEncRequest' }
  | { readonly type: 'cancelRequest'; readonly processId: number; readonly secretKey: number };

export type DescribeTarget = 'S' | 'P';

/** Typed messages: a type byte, Int32 length (counting itself), body. */
export type TypedMessage =
  | { readonly type: 'query'; readonly sql: string }
  | {
      readonly type: 'parse';
      readonly statement: string;
      readonly sql: string;
      /** 0 means "unspecified, infer it". */
      readonly paramTypes: readonly number[];
    }
  | {
      readonly type: 'bind';
      readonly portal: string;
      readonly statement: string;
      /** Empty: all text; one entry: applies to all; else one per parameter (0 text, 1 binary). */
      readonly paramFormats: readonly number[];
      /** null is SQL NULL. */
      readonly params: readonly (Buffer | null)[];
      readonly resultFormats: readonly number[];
    }
  | { readonly type: 'describe'; readonly target: DescribeTarget; readonly name: string }
  | { readonly type: 'execute'; readonly portal: string; readonly maxRows: number }
  | { readonly type: 'close'; readonly target: DescribeTarget; readonly name: string }
  | { readonly type: 'sync' }
  | { readonly type: 'flush' }
  | { readonly type: 'terminate' }
  /** PasswordMessage, SASLInitialResponse and SASLResponse share type 'p'; meaning depends on the auth step. */
  | { readonly type: 'password'; readonly payload: Buffer }
  /** CopyData/CopyDone/CopyFail outside COPY are ignored by PostgreSQL; so are they here. */
  | { readonly type: 'copy'; readonly code: string }
  | { readonly type: 'functionCall' };

export type FrontendMessage = StartupPhaseMessage | TypedMessage;
