/**
 * The contract between the query server (src/server) and the query engine
 * (src/query). The server owns sessions and the wire; the engine owns SQL
 * parsing, table resolution, DuckDB and the PostgreSQL text output format.
 */

/** What a statement needs to know about the session that runs it. */
export interface SessionContext {
  /** The name the client logged in with ("$user", display); privileges go by roleOid. */
  readonly role: string;
  /**
   * The OID of the authenticated role, pinned at login: tables are shown only
   * if this role may SELECT the source, whatever its name is now (a rename and
   * a new role of the old name do not change whom the session acts for).
   */
  readonly roleOid: number;
  readonly database: string;
  /** Schemas searched for unqualified table names, in order, "$user" already expanded. */
  readonly searchPath: readonly string[];
  /** The session's TimeZone setting (IANA name or offset), used to print timestamptz. */
  readonly timeZone: string;
  /** The session's extra_float_digits; undefined: PostgreSQL's default, 1 (shortest exact digits). */
  readonly extraFloatDigits?: number;
  /** False when the session turned segment pruning off (SET analytica.segment_pruning = off). */
  readonly segmentPruning?: boolean;
  /** Inside a transaction block: the table versions its statements read (see TableSnapshot). */
  readonly snapshot?: TableSnapshot;
  /** The client session, as an opaque key for per-session limits (source connections, open results). */
  readonly session?: object;
}

/**
 * The versions of tables a transaction block has read, so that every later
 * statement of the block reads the same ones (postgres_fdw runs each local
 * query in one REPEATABLE READ transaction and expects one snapshot across its
 * cursors). The engine pins what it records here until the block ends.
 */
export interface TableSnapshot {
  /** The table as the block first read it, if it did. */
  get(database: string, relid: number): unknown;
  /** Records a table's version and how to unpin it when the block ends. */
  keep(database: string, relid: number, table: unknown, release: () => Promise<void>): void;
}

/** A statement as Parse received it. */
export interface PreparedText {
  readonly sql: string;
  /** 0: unspecified, PostgreSQL infers the type. */
  readonly parameterTypes: readonly number[];
  /**
   * The bound statement again with each unspecified parameter's literal cast to the type
   * PostgreSQL inferred for it (`jb = $1` makes it jsonb); undefined when nothing changes.
   * Absent where no values are bound (Describe of a statement).
   */
  readonly retype?: (inferred: readonly number[]) => Extract<ParsedStatement, { kind: 'select' }> | undefined;
}

/** What Describe of a prepared SELECT answers. */
export interface SelectDescription {
  readonly columns: readonly ResultColumn[];
  /** PostgreSQL's type of each $n (those Parse left unspecified inferred); absent: not known. */
  readonly parameterTypes?: readonly number[];
}

/** One column of a RowDescription. */
export interface ResultColumn {
  readonly name: string;
  /** The table a plain column reference reads (pg_class OID) and its attnum; 0 or absent otherwise. */
  readonly tableOid?: number;
  readonly columnNumber?: number;
  readonly typeOid: number;
  /** pg_type.typlen: -1 for variable length. */
  readonly typeSize: number;
  /** atttypmod, -1 when none. */
  readonly typeModifier: number;
}

/** A result with rows already in PostgreSQL's text output format (null = SQL NULL). */
export interface QueryResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
  /** e.g. "SELECT 3". */
  readonly commandTag: string;
}

/** One statement of a query string, classified; produced by parseStatements(). */
export type ParsedStatement =
  | {
      readonly kind: 'select';
      readonly sql: string;
      readonly ast: unknown;
      /**
       * A prepared statement's text with its $n placeholders and Parse's parameter types: what
       * PostgreSQL's Describe is asked about (sql holds the values substituted as literals).
       */
      readonly prepared?: PreparedText;
    }
  | {
      readonly kind: 'set';
      /** Lower-cased setting name (e.g. "timezone", "search_path"). */
      readonly name: string;
      /** The value as PostgreSQL would store it; undefined for RESET / SET … TO DEFAULT. */
      readonly value: string | undefined;
      readonly isLocal: boolean;
    }
  | { readonly kind: 'reset_all' }
  | { readonly kind: 'show'; readonly name: string }
  | {
      readonly kind: 'transaction';
      readonly action: 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollback_to';
      readonly savepoint?: string;
    }
  | {
      readonly kind: 'declare';
      /** The cursor's name, as written (quoted identifiers keep their case). */
      readonly name: string;
      readonly select: Extract<ParsedStatement, { kind: 'select' }>;
      /** WITH HOLD: the cursor outlives the transaction that declared it. */
      readonly hold: boolean;
    }
  | {
      readonly kind: 'fetch';
      readonly name: string;
      /** MOVE: position the cursor without returning rows. */
      readonly move: boolean;
      /** forward n (n = Infinity for ALL; 0 re-reads the current row), backward ALL (rewind), absolute/relative n. */
      readonly direction: 'forward' | 'backward' | 'absolute' | 'relative';
      readonly count: number;
    }
  | { readonly kind: 'close' /** undefined: CLOSE ALL. */; readonly name: string | undefined }
  | {
      readonly kind: 'explain';
      readonly select: Extract<ParsedStatement, { kind: 'select' }>;
      /** EXPLAIN (COSTS off) leaves out the cost figures. */
      readonly costs: boolean;
    }
  | { readonly kind: 'deallocate' /** undefined: DEALLOCATE ALL. */; readonly name: string | undefined }
  | { readonly kind: 'discard_all' }
  | { readonly kind: 'empty' };

/** One row in PostgreSQL's text output format (null = SQL NULL). */
export type TextRow = readonly (string | null)[];

/**
 * The rows of one running SELECT, read on demand (cursors, Execute with a row
 * limit). It holds what the query reads (views, a DuckDB connection) until
 * closed, so every read sees the snapshot the query started on.
 */
export interface RowStream {
  readonly columns: readonly ResultColumn[];
  /** Up to `maxRows` further rows (all remaining when maxRows <= 0); fewer than asked means the end. */
  read(maxRows: number, signal?: AbortSignal): Promise<TextRow[]>;
  /** Starts again from the first row, on the same snapshot (MOVE BACKWARD ALL). */
  rewind(): Promise<void>;
  /** Releases what the stream holds; safe to call twice. */
  close(): Promise<void>;
}

export interface QueryExecutor {
  /** Starts a SELECT whose rows are read later, in portions; the caller must close() it. */
  openSelect(
    statement: Extract<ParsedStatement, { kind: 'select' }>,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<RowStream>;
  /** The columns and parameter types of a SELECT, without running it (Describe of a prepared statement). */
  describeSelect(
    statement: Extract<ParsedStatement, { kind: 'select' }>,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<SelectDescription>;
  /** The plan of a SELECT without running it: PostgreSQL's EXPLAIN text, one line per row. */
  explainSelect(
    statement: Extract<ParsedStatement, { kind: 'select' }>,
    context: SessionContext,
    signal?: AbortSignal,
  ): Promise<string[]>;
}
