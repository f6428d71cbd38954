/**
 * Transaction block emulation. The engine is read-only and every SELECT runs
 * on its own snapshot, so a "transaction" here is bookkeeping that must still
 * behave exactly like PostgreSQL on the wire: ReadyForQuery status letters,
 * command tags, warnings and errors, and rolling back SETs.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-READYFORQUERY
 */
import { PgError, SqlState } from '../errors.js';
import { warning } from './error-fields.js';
import type { TransactionAction } from './parsed-statement-kinds.js';
import type { NoticeFields, TransactionStatus } from './protocol/index.js';
import type { SessionSettings, SettingsSnapshot } from './session-settings.js';

export interface TransactionOutcome {
  readonly tag: string;
  readonly notice?: NoticeFields;
}

export class TransactionBlock {
  readonly #settings: SessionSettings;
  #state: 'idle' | 'open' | 'failed' = 'idle';
  #start: SettingsSnapshot | undefined;
  #savepoints: { name: string; settings: SettingsSnapshot }[] = [];

  constructor(settings: SessionSettings) {
    this.#settings = settings;
  }

  get status(): TransactionStatus {
    return this.#state === 'idle' ? 'I' : this.#state === 'open' ? 'T' : 'E';
  }

  /** Inside BEGIN … COMMIT, failed or not. */
  get inBlock(): boolean {
    return this.#state !== 'idle';
  }

  get failed(): boolean {
    return this.#state === 'failed';
  }

  /** An error inside a block aborts it: until ROLLBACK only exits are accepted. */
  fail(): void {
    if (this.#state === 'open') this.#state = 'failed';
  }

  /** Whether a statement may run in the current state (PostgreSQL's 25P02 rule). */
  allows(action: TransactionAction | undefined): boolean {
    return !this.failed || action === 'commit' || action === 'rollback' || action === 'rollback_to';
  }

  apply(action: TransactionAction, savepoint: string | undefined): TransactionOutcome {
    switch (action) {
      case 'begin':
        return this.#begin();
      case 'commit':
        return this.#end(this.#state === 'failed' ? 'ROLLBACK' : 'COMMIT');
      case 'rollback':
        return this.#end('ROLLBACK');
      case 'savepoint':
        this.#requireBlock('SAVEPOINT');
        this.#savepoints.push({ name: savepoint ?? '', settings: this.#settings.snapshot() });
        return { tag: 'SAVEPOINT' };
      case 'release':
        this.#requireBlock('RELEASE SAVEPOINT');
        this.#savepoints.length = this.#find(savepoint);
        return { tag: 'RELEASE' };
      case 'rollback_to':
        return this.#rollbackTo(savepoint);
    }
  }

  #begin(): TransactionOutcome {
    if (this.#state !== 'idle') {
      return {
        tag: 'BEGIN',
        notice: warning(SqlState.activeSqlTransaction, 'there is already a transaction in progress'),
      };
    }
    this.#state = 'open';
    this.#start = this.#settings.snapshot();
    return { tag: 'BEGIN' };
  }

  /** COMMIT keeps session SETs, ROLLBACK (and COMMIT of a failed block) restores them; SET LOCAL always lapses. */
  #end(tag: 'COMMIT' | 'ROLLBACK'): TransactionOutcome {
    if (this.#state === 'idle') {
      return { tag, notice: warning(SqlState.noActiveSqlTransaction, 'there is no transaction in progress') };
    }
    if (tag === 'ROLLBACK' && this.#start !== undefined) this.#settings.restore(this.#start);
    this.#settings.clearLocal();
    this.#state = 'idle';
    this.#start = undefined;
    this.#savepoints = [];
    return { tag };
  }

  #rollbackTo(savepoint: string | undefined): TransactionOutcome {
    this.#requireBlock('ROLLBACK TO SAVEPOINT');
    const keep = this.#find(savepoint) + 1;
    const target = this.#savepoints[keep - 1];
    this.#savepoints.length = keep;
    if (target !== undefined) this.#settings.restore(target.settings);
    this.#state = 'open';
    return { tag: 'ROLLBACK' };
  }

  /** Index of the newest savepoint with this name; 3B001 if none. */
  #find(savepoint: string | undefined): number {
    for (let i = this.#savepoints.length - 1; i >= 0; i--) {
      if (this.#savepoints[i]?.name === savepoint) return i;
    }
    throw new PgError(
      SqlState.invalidSavepointSpecification,
      `savepoint "${savepoint ?? ''}" does not exist`,
    );
  }

  #requireBlock(command: string): void {
    if (this.#state === 'idle') {
      throw new PgError(SqlState.noActiveSqlTransaction, `${command} can only be used in transaction blocks`);
    }
  }
}
