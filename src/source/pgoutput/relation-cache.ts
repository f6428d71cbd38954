/**
 * RelationCache: the latest Relation (and Type) message per OID. pgoutput
 * sends a Relation message before the first change to a table in a session
 * and again after any schema change (ALTER TABLE …, a new column list), so
 * the newest message always describes the tuples that follow it. Like
 * PostgreSQL's LogicalRepRelMap, entries are replaced, never merged.
 */
import { PgError, SqlState } from '../../errors.js';
import type { PgoutputMessage, RelationColumn, RelationMessage, TypeMessage } from './pgoutput-messages.js';

export class RelationCache {
  readonly #relations = new Map<number, RelationMessage>();
  readonly #types = new Map<number, TypeMessage>();

  /** Records Relation and Type messages; returns true when the message was one of them. */
  observe(message: PgoutputMessage): boolean {
    if (message.type === 'relation') {
      this.#relations.set(message.relationId, message);
      return true;
    }
    if (message.type === 'type') {
      this.#types.set(message.typeOid, message);
      return true;
    }
    return false;
  }

  get(relationId: number): RelationMessage | undefined {
    return this.#relations.get(relationId);
  }

  /** The relation a change refers to; a change before its Relation message is a protocol violation. */
  require(relationId: number): RelationMessage {
    const relation = this.#relations.get(relationId);
    if (relation === undefined) {
      throw new PgError(
        SqlState.protocolViolation,
        `pgoutput change for relation OID ${relationId} arrived before its Relation message`,
        { hint: 'restart decoding from the slot so the server sends Relation messages again' },
      );
    }
    return relation;
  }

  columns(relationId: number): readonly RelationColumn[] {
    return this.require(relationId).columns;
  }

  /** A user-defined type announced by a Type message (built-in types are never announced). */
  type(typeOid: number): TypeMessage | undefined {
    return this.#types.get(typeOid);
  }

  /** "schema.name" for messages and logs. */
  qualifiedName(relationId: number): string {
    const relation = this.require(relationId);
    return relation.namespace === '' ? relation.name : `${relation.namespace}.${relation.name}`;
  }

  get size(): number {
    return this.#relations.size;
  }

  clear(): void {
    this.#relations.clear();
    this.#types.clear();
  }
}
