/**
 * Peak resident set size of this process, sampled on a timer. The benchmark
 * runs the daemon in-process, so this is the daemon's RSS plus the harness's
 * (its pg clients and the DuckDB instance of the ceiling while that is open).
 */
export class RssSampler {
  #peakBytes = process.memoryUsage().rss;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 250) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    // Sampling must never keep the process alive on its own.
    this.#timer.unref();
  }

  sample(): void {
    this.#peakBytes = Math.max(this.#peakBytes, process.memoryUsage().rss);
  }

  get peakBytes(): number {
    return this.#peakBytes;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
