/**
 * A `replication=database` connection to PostgreSQL: the walsender's
 * replication commands (IDENTIFY_SYSTEM, CREATE/DROP_REPLICATION_SLOT) and
 * START_REPLICATION of a pgoutput slot, whose CopyBoth stream is a
 * ReplicationStream. One raw protocol connection serves both, because a
 * temporary slot and its exported snapshot live only as long as the
 * connection that created them (the backfill → stream handoff needs that), and
 * node-postgres's Client cannot run CopyBoth.
 * https://www.postgresql.org/docs/current/protocol-replication.html
 */
import type pg from 'pg';
import { serialize } from 'pg-protocol';
import { PgError, SqlState } from '../../errors.js';
import { sourceConnectionConfig } from '../source-config.js';
import { parseLsn } from './lsn.js';
import { resolveConnectionParameters } from './pg-internals.js';
import type { PgoutputOptions } from './replication-sql.js';
import {
  type CreateSlotOptions,
  createSlotCommand,
  dropSlotCommand,
  quoteIdentifier,
  startReplicationCommand,
} from './replication-sql.js';
import { ReplicationStream, type ReplicationStreamOptions } from './replication-stream.js';
import { type Row, runCommand } from './simple-command.js';
import { WireSocket } from './wire-socket.js';
import { startReplicationSession } from './wire-startup.js';

export interface ReplicationConnectionOptions {
  /** Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Session settings (DateStyle, TimeZone, …), which shape the text of decoded values. */
  readonly settings?: Readonly<Record<string, string>>;
}

export interface SystemIdentification {
  readonly systemId: string;
  readonly timeline: number;
  /** Current WAL flush location: where a new slot would start. */
  readonly xlogPos: bigint;
  readonly dbName: string | null;
}

export interface CreatedSlot {
  readonly slotName: string;
  /** LSN from which the slot streams: everything committed after the snapshot. */
  readonly consistentPoint: bigint;
  /** For SET TRANSACTION SNAPSHOT; valid until this connection runs another command or closes. */
  readonly snapshotName: string | null;
  readonly outputPlugin: string;
}

export interface StartReplicationOptions extends PgoutputOptions, ReplicationStreamOptions {
  readonly slot: string;
  /** Default 0/0: the server starts at the slot's confirmed_flush_lsn (it never goes before it). */
  readonly startLsn?: bigint;
}

export class ReplicationConnection implements AsyncDisposable {
  readonly #wire: WireSocket;
  readonly #parameters: ReadonlyMap<string, string>;
  #stream: ReplicationStream | undefined;
  #streamed = false;
  #busy = false;
  #closed = false;

  private constructor(wire: WireSocket, parameters: ReadonlyMap<string, string>) {
    this.#wire = wire;
    this.#parameters = parameters;
  }

  /** Connects and authenticates (SCRAM-SHA-256, MD5 or cleartext) with pg.Client's defaults. */
  static async open(
    config: pg.ClientConfig,
    options: ReplicationConnectionOptions = {},
  ): Promise<ReplicationConnection> {
    const params = resolveConnectionParameters(sourceConnectionConfig(config));
    if (params.ssl) {
      throw new PgError(SqlState.featureNotSupported, 'the replication client does not support TLS yet', {
        hint: 'Connect over loopback or a Unix socket without ssl.',
      });
    }
    const wire = await WireSocket.connect(params, options.connectTimeoutMs ?? 10_000);
    try {
      return new ReplicationConnection(wire, await startReplicationSession(wire, params, options.settings));
    } catch (error) {
      wire.destroy();
      if (error instanceof PgError) throw error;
      throw new PgError(
        SqlState.invalidAuthorizationSpecification,
        `replication connection failed: ${(error as Error).message}`,
        { severity: 'FATAL', cause: error },
      );
    }
  }

  /** ParameterStatus values reported at startup (server_version, …). */
  get parameters(): ReadonlyMap<string, string> {
    return this.#parameters;
  }

  /** 170006 for "17.6", as server_version_num. */
  get serverVersionNum(): number {
    const [major = '0', minor = '0'] = (this.#parameters.get('server_version') ?? '0').split(/[.\s]/);
    return Number.parseInt(major, 10) * 10_000 + (Number.parseInt(minor, 10) || 0);
  }

  /** SHOW <setting> (a replication command): the value this session runs with. */
  async show(setting: string): Promise<string> {
    const [row] = await this.#run(`SHOW ${quoteIdentifier(setting)}`);
    return Object.values(row ?? {})[0] ?? '';
  }

  async identifySystem(): Promise<SystemIdentification> {
    const [row] = await this.#run('IDENTIFY_SYSTEM');
    return {
      systemId: field(row, 'systemid'),
      timeline: Number(field(row, 'timeline')),
      xlogPos: parseLsn(field(row, 'xlogpos')),
      dbName: row?.dbname ?? null,
    };
  }

  /**
   * CREATE_REPLICATION_SLOT <slot> [TEMPORARY] LOGICAL pgoutput (SNAPSHOT '…').
   * With snapshot 'export' the snapshot stays importable only until the next
   * command on this connection, START_REPLICATION included: finish the
   * snapshot reads (or at least their SET TRANSACTION SNAPSHOT) first.
   */
  async createReplicationSlot(slot: string, options: CreateSlotOptions = {}): Promise<CreatedSlot> {
    const [row] = await this.#run(createSlotCommand(slot, options, this.serverVersionNum));
    return {
      slotName: field(row, 'slot_name'),
      consistentPoint: parseLsn(field(row, 'consistent_point')),
      snapshotName: row?.snapshot_name ?? null,
      outputPlugin: field(row, 'output_plugin'),
    };
  }

  /** With `wait`, waits for the slot to become inactive instead of failing with 55006. */
  async dropReplicationSlot(slot: string, options: { readonly wait?: boolean } = {}): Promise<void> {
    await this.#run(dropSlotCommand(slot, options.wait ?? false));
  }

  /**
   * START_REPLICATION SLOT <slot> LOGICAL <lsn> (pgoutput options). Resolves
   * once the server entered CopyBoth mode; until the stream is closed this
   * connection runs no other command. One stream per connection: PostgreSQL
   * (17 at least) answers a second START_REPLICATION LOGICAL on the same
   * connection with an immediate CopyDone, so a restart needs a new connection.
   */
  async startReplication(options: StartReplicationOptions): Promise<ReplicationStream> {
    if (this.#streamed) {
      throw new PgError(
        SqlState.objectNotInPrerequisiteState,
        'this replication connection has already streamed; open a new connection to start replication again',
      );
    }
    const command = startReplicationCommand(options.slot, options.startLsn ?? 0n, options);
    await this.#run(command, true);
    this.#streamed = true;
    const stream = new ReplicationStream(this.#wire, options, (reusable) => {
      this.#stream = undefined;
      this.#busy = false;
      if (reusable) this.#wire.setListener(undefined);
    });
    this.#stream = stream;
    return stream;
  }

  /** Ends a running stream (CopyDone), sends Terminate and closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#stream?.close();
    await this.#wire.end(this.#wire.closed ? undefined : serialize.end());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs one command; with `copyBoth`, leaves the connection busy in CopyBoth mode on success. */
  async #run(command: string, copyBoth = false): Promise<Row[]> {
    if (this.#closed || this.#wire.closed) {
      throw new PgError(SqlState.connectionFailure, 'the replication connection is closed', {
        hint: 'Open a new ReplicationConnection.',
      });
    }
    if (this.#busy) {
      throw new PgError(
        SqlState.objectNotInPrerequisiteState,
        this.#stream
          ? 'the replication connection is streaming; close the stream before running another command'
          : 'the replication connection runs one command at a time',
      );
    }
    this.#busy = true;
    let enteredCopyBoth = false;
    try {
      const result = await runCommand(this.#wire, command, copyBoth);
      enteredCopyBoth = result.copyBoth;
      return result.rows;
    } finally {
      this.#busy = enteredCopyBoth;
    }
  }
}

function field(row: Row | undefined, name: string): string {
  const value = row?.[name];
  if (value === undefined || value === null) {
    throw new PgError(SqlState.protocolViolation, `the server's reply has no ${name} column`);
  }
  return value;
}
