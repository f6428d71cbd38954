/**
 * A Map that keeps at most `limit` entries, dropping the least recently used: the query
 * engine's caches of answers that depend only on their key (pruning, source Describe).
 */
export class BoundedCache<K, V> {
  readonly #limit: number;
  readonly #entries = new Map<K, V>();
  readonly #evicted: ((value: V) => void) | undefined;

  /** `evicted` is called with each value the cache drops (to free what it holds). */
  constructor(limit: number, evicted?: (value: V) => void) {
    this.#limit = limit;
    this.#evicted = evicted;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    // Re-inserted: the Map's order is the recency order.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    const previous = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (previous !== undefined && previous !== value) this.#evicted?.(previous);
    for (const [oldest, dropped] of this.#entries) {
      if (this.#entries.size <= this.#limit) break;
      this.#entries.delete(oldest);
      this.#evicted?.(dropped);
    }
  }

  delete(key: K): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.#evicted?.(value);
  }

  /** Drops every entry. */
  clear(): void {
    const values = [...this.#entries.values()];
    this.#entries.clear();
    for (const value of values) this.#evicted?.(value);
  }

  get size(): number {
    return this.#entries.size;
  }
}
