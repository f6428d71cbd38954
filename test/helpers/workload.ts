/**
 * A randomized write workload on a table `items (id bigint PRIMARY KEY, v bigint, label text)`:
 * several writers, each running transactions of inserts, updates (also of the key), deletes,
 * savepoints rolled back, whole transactions rolled back, and now and then a TRUNCATE.
 * Deterministic for a seed (per writer), so a failure can be replayed.
 */
import pg from 'pg';
import { seededRandom } from '../pg-text-format-harness.js';

export { seededRandom };

export interface WorkloadOptions {
  writers: number;
  seed: number;
  /** Chance of a TRUNCATE per transaction (default 0). */
  truncateChance?: number;
}

export class Workload {
  readonly #clients: pg.Client[];
  readonly #options: WorkloadOptions;
  #running = false;
  #loops: Promise<void>[] = [];
  committed = 0;

  private constructor(clients: pg.Client[], options: WorkloadOptions) {
    this.#clients = clients;
    this.#options = options;
  }

  static async connect(config: pg.ClientConfig, options: WorkloadOptions): Promise<Workload> {
    const clients: pg.Client[] = [];
    for (let i = 0; i < options.writers; i++) {
      const client = new pg.Client(config);
      await client.connect();
      clients.push(client);
    }
    return new Workload(clients, options);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loops = this.#clients.map((client, i) =>
      this.#loop(client, seededRandom(this.#options.seed * 31 + i)),
    );
  }

  /** Lets the transactions in progress finish, then stops. */
  async pause(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }

  async close(): Promise<void> {
    await this.pause();
    await Promise.all(this.#clients.map((c) => c.end()));
  }

  async #loop(client: pg.Client, random: () => number): Promise<void> {
    while (this.#running) {
      try {
        await this.#transaction(client, random);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const code = (error as { code?: string }).code;
        // Writers collide: deadlocks, duplicate keys from moved rows, lock timeouts.
        if (!['40P01', '23505', '40001', '55P03'].includes(code ?? '')) throw error;
      }
    }
  }

  async #transaction(client: pg.Client, random: () => number): Promise<void> {
    const pick = () => 1 + Math.floor(random() * 60_000);
    await client.query('BEGIN');
    await client.query("SET LOCAL lock_timeout = '2s'");
    const statements = 1 + Math.floor(random() * 4);
    for (let s = 0; s < statements; s++) {
      const op = random();
      if (op < 0.3) {
        const n = 1 + Math.floor(random() * 40);
        await client.query(
          `INSERT INTO items SELECT nextval('item_ids'), g, 'ins ' || g FROM generate_series(1, $1::int) g`,
          [n],
        );
      } else if (op < 0.55) {
        const from = pick();
        await client.query(
          `UPDATE items SET v = v + 1, label = 'upd ' || v WHERE id BETWEEN $1 AND $1 + $2`,
          [from, Math.floor(random() * 30)],
        );
      } else if (op < 0.65) {
        await client.query(
          `UPDATE items SET id = nextval('item_ids'), label = 'moved' WHERE id = (SELECT min(id) FROM items WHERE id >= $1)`,
          [pick()],
        );
      } else if (op < 0.8) {
        const from = pick();
        await client.query('DELETE FROM items WHERE id BETWEEN $1 AND $1 + $2', [
          from,
          Math.floor(random() * 20),
        ]);
      } else if (op < 0.9) {
        await client.query('SAVEPOINT s');
        await client.query(`INSERT INTO items VALUES (nextval('item_ids'), -1, 'rolled back')`);
        await client.query(`DELETE FROM items WHERE id = $1`, [pick()]);
        await client.query('ROLLBACK TO SAVEPOINT s');
      } else if (random() < (this.#options.truncateChance ?? 0) * 10) {
        await client.query('TRUNCATE items');
      } else {
        await client.query(`UPDATE items SET label = NULL WHERE id = $1`, [pick()]);
      }
    }
    if (random() < 0.1) {
      await client.query('ROLLBACK');
      return;
    }
    await client.query('COMMIT');
    this.committed++;
  }
}
