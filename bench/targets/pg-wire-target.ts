/**
 * A target reached over the PostgreSQL protocol with `pg`, as a client
 * would: PostgreSQL itself, or pg_analytica's query server. Values are kept as
 * the text the server sent, so answers compare exactly.
 */
import pg from 'pg';
import type { QueryTarget, TargetId, TextRow } from './query-target.js';

/** Every value as PostgreSQL's text, exactly as sent on the wire. */
const rawText = { getTypeParser: () => (value: string) => value };

export class PgWireTarget implements QueryTarget {
  readonly id: TargetId;
  readonly #client: pg.Client;

  private constructor(id: TargetId, client: pg.Client) {
    this.id = id;
    this.#client = client;
  }

  /** Connects and runs `setup` statements (session settings) once. */
  static async connect(
    id: TargetId,
    config: pg.ClientConfig,
    setup: readonly string[] = [],
  ): Promise<PgWireTarget> {
    const client = new pg.Client({ ...config, types: rawText, application_name: `pg_analytica bench ${id}` });
    await client.connect();
    for (const sql of setup) await client.query(sql);
    return new PgWireTarget(id, client);
  }

  async run(sql: string): Promise<TextRow[]> {
    return (await this.#client.query<TextRow>({ text: sql, rowMode: 'array' })).rows;
  }

  async close(): Promise<void> {
    await this.#client.end();
  }
}
