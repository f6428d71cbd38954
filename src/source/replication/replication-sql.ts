/**
 * Text of the replication commands, with identifiers and option values
 * quoted for the walsender's own command grammar (repl_gram.y), which accepts
 * double-quoted identifiers and single-quoted literals with '' escapes (no
 * backslash escapes).
 * https://www.postgresql.org/docs/current/protocol-replication.html
 */
import { PgError, SqlState } from '../../errors.js';
import { formatLsn } from './lsn.js';

export type StreamingMode = 'off' | 'on' | 'parallel';

/** pgoutput options of START_REPLICATION; names follow the docs' option names. */
export interface PgoutputOptions {
  /** 1 (PG10+), 2 (streaming of large transactions, PG14+), 3 (two-phase, PG15+), 4 (parallel, PG16+). */
  readonly protoVersion: 1 | 2 | 3 | 4;
  readonly publicationNames: readonly string[];
  /** Default 'off'. 'on' needs protoVersion ≥ 2, 'parallel' ≥ 4. */
  readonly streaming?: StreamingMode;
  /** Binary column values (PG14+); default false (text). */
  readonly binary?: boolean;
  /** Also send pg_logical_emit_message() messages; default false. */
  readonly messages?: boolean;
}

/** What CREATE_REPLICATION_SLOT does with the snapshot at the slot's consistent point. */
export type SnapshotAction = 'export' | 'nothing';

export interface CreateSlotOptions {
  /** Dropped when the connection ends (or on error); default false. */
  readonly temporary?: boolean;
  /** 'export' returns a snapshot name usable by SET TRANSACTION SNAPSHOT; default 'nothing'. */
  readonly snapshot?: SnapshotAction;
}

const maxNameBytes = 63; // NAMEDATALEN - 1

/**
 * Slot names are restricted by PostgreSQL (ReplicationSlotValidateName) to
 * lower-case letters, digits and underscores, at most 63 characters; checking
 * here gives a clear error before any command is sent.
 */
export function validateSlotName(name: string): void {
  if (!/^[a-z0-9_]+$/.test(name) || name.length > maxNameBytes) {
    throw new PgError(SqlState.invalidParameterValue, `replication slot name "${name}" is invalid`, {
      hint: 'Slot names may contain only lower case letters, numbers and the underscore character, at most 63 of them.',
    });
  }
}

export function quoteIdentifier(name: string): string {
  rejectNul(name, 'identifier');
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  rejectNul(value, 'option value');
  return `'${value.replaceAll("'", "''")}'`;
}

function rejectNul(text: string, what: string): void {
  if (text.includes('\0')) {
    throw new PgError(SqlState.invalidParameterValue, `${what} must not contain a NUL character`);
  }
}

export function createSlotCommand(
  slot: string,
  options: CreateSlotOptions,
  serverVersionNum: number,
): string {
  validateSlotName(slot);
  const temporary = options.temporary ? ' TEMPORARY' : '';
  const snapshot = options.snapshot ?? 'nothing';
  const head = `CREATE_REPLICATION_SLOT ${quoteIdentifier(slot)}${temporary} LOGICAL pgoutput`;
  // PostgreSQL 15 introduced the parenthesized option list; older servers
  // only know the keyword form, which 15+ still accept.
  if (serverVersionNum < 150000) {
    return `${head} ${snapshot === 'export' ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`;
  }
  return `${head} (SNAPSHOT ${quoteLiteral(snapshot)})`;
}

export function dropSlotCommand(slot: string, wait: boolean): string {
  validateSlotName(slot);
  return `DROP_REPLICATION_SLOT ${quoteIdentifier(slot)}${wait ? ' WAIT' : ''}`;
}

export function startReplicationCommand(slot: string, startLsn: bigint, options: PgoutputOptions): string {
  validateSlotName(slot);
  const pairs = pgoutputOptionPairs(options);
  const list = pairs.map(([name, value]) => `${quoteIdentifier(name)} ${quoteLiteral(value)}`).join(', ');
  return `START_REPLICATION SLOT ${quoteIdentifier(slot)} LOGICAL ${formatLsn(startLsn)} (${list})`;
}

/**
 * pgoutput's option values are strings; publication_names is itself a
 * comma-separated identifier list (parsed by SplitIdentifierString), so each
 * name is double-quoted inside the single-quoted literal.
 * https://www.postgresql.org/docs/current/protocol-logical-replication.html
 */
function pgoutputOptionPairs(options: PgoutputOptions): Array<[string, string]> {
  const streaming = options.streaming ?? 'off';
  const minimumVersion = { off: 1, on: 2, parallel: 4 }[streaming];
  if (options.protoVersion < minimumVersion) {
    throw new PgError(
      SqlState.invalidParameterValue,
      `streaming '${streaming}' needs proto_version ${minimumVersion} or later, not ${options.protoVersion}`,
    );
  }
  if (options.publicationNames.length === 0) {
    throw new PgError(
      SqlState.invalidParameterValue,
      'START_REPLICATION needs at least one publication name',
    );
  }
  const pairs: Array<[string, string]> = [
    ['proto_version', String(options.protoVersion)],
    ['publication_names', options.publicationNames.map(quoteIdentifier).join(',')],
  ];
  // Only sent when asked for: servers before 14 reject unknown options.
  if (options.streaming !== undefined) pairs.push(['streaming', streaming]);
  if (options.binary !== undefined) pairs.push(['binary', String(options.binary)]);
  if (options.messages !== undefined) pairs.push(['messages', String(options.messages)]);
  return pairs;
}
