/**
 * A background writer for the migration suite: inserts, updates and deletes random rows of
 * `orders (id, customer, qty, …)` on its own connection, through every migration, using only
 * columns no migration renames or drops.
 */
import type pg from 'pg';
import { seededRandom } from './workload.js';

/** Writes orders all the time on its own connection: inserts, updates and deletes of random rows. */
export class Writer {
  readonly #client: pg.Client;
  readonly #random = seededRandom(13);
  #running: Promise<void> | undefined;
  #stop = false;
  writes = 0;
  /** Why the writer stopped, if a write failed. */
  failure: unknown;

  constructor(client: pg.Client) {
    this.#client = client;
  }

  start(): void {
    this.#stop = false;
    this.#running = this.#loop();
  }

  async pause(): Promise<void> {
    this.#stop = true;
    await this.#running;
  }

  async close(): Promise<void> {
    await this.pause();
    await this.#client.end();
  }

  async #loop(): Promise<void> {
    try {
      await this.#write();
    } catch (error) {
      this.failure = error;
    }
  }

  async #write(): Promise<void> {
    while (!this.#stop) {
      const id = 1 + Math.floor(this.#random() * 3500);
      const op = this.#random();
      if (op < 0.5) {
        await this.#client.query(
          `INSERT INTO orders (customer, qty) VALUES ('writer ' || $1::int, $1::int % 17)`,
          [id],
        );
      } else if (op < 0.85) {
        await this.#client.query('UPDATE orders SET qty = qty + 1 WHERE id = $1', [id]);
      } else {
        await this.#client.query('DELETE FROM orders WHERE id = $1', [id]);
      }
      this.writes++;
    }
  }
}
