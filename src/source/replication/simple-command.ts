/**
 * One replication command over the simple query protocol: Query, then
 * RowDescription/DataRow/CommandComplete (or ErrorResponse) up to
 * ReadyForQuery — or CopyBothResponse, after which START_REPLICATION streams.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY
 */
import { serialize } from 'pg-protocol';
import { PgError, SqlState } from '../../errors.js';
import { serverError } from './server-error.js';
import type { WireMessage, WireSocket } from './wire-socket.js';

/** A result row as text, keyed by column name. */
export type Row = Readonly<Record<string, string | null>>;

export interface CommandResult {
  readonly rows: Row[];
  /** The server switched to CopyBoth mode (START_REPLICATION succeeded). */
  readonly copyBoth: boolean;
}

export async function runCommand(
  wire: WireSocket,
  command: string,
  expectCopyBoth: boolean,
): Promise<CommandResult> {
  const verb = command.split(' ', 1)[0] ?? command;
  wire.write(serialize.query(command));
  const rows: Row[] = [];
  let columns: string[] = [];
  let failure: PgError | undefined;
  for (;;) {
    const message = await wire.next(`while running ${verb}`);
    switch (message.name) {
      case 'rowDescription':
        columns = (message.fields ?? []).map((f) => (f as { name: string }).name);
        break;
      case 'dataRow':
        rows.push(toRow(columns, message));
        break;
      case 'replicationStart':
        if (expectCopyBoth) return { rows, copyBoth: true };
        throw unexpected(message, verb);
      case 'error':
        failure ??= serverError(message as WireMessage & { message: string }, `${verb} failed`);
        break;
      case 'readyForQuery':
        if (failure) throw failure;
        return { rows, copyBoth: false };
      case 'commandComplete':
      case 'notice':
      case 'parameterStatus':
      case 'emptyQuery':
        break;
      default:
        throw unexpected(message, verb);
    }
  }
}

function toRow(columns: string[], message: WireMessage): Row {
  const row: Record<string, string | null> = {};
  const values = (message.fields ?? []) as Array<string | null>;
  columns.forEach((name, index) => {
    row[name] = values[index] ?? null;
  });
  return row;
}

function unexpected(message: WireMessage, verb: string): PgError {
  return new PgError(SqlState.protocolViolation, `unexpected "${message.name}" message in reply to ${verb}`);
}
