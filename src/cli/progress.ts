/** A progress bar on a terminal; plain lines (every 10%) otherwise. */
export class Progress {
  readonly #label: string;
  readonly #tty: boolean;
  readonly #stream: NodeJS.WriteStream;
  readonly #started = performance.now();
  #lastDecile = -1;

  constructor(label: string, stream: NodeJS.WriteStream = process.stdout) {
    this.#label = label;
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  update(done: number, total: number): void {
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    const text = `${formatCount(done)} / ${formatCount(total)} rows, ${formatCount(rate)} rows/s`;
    if (this.#tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.#stream.write(
        `\r${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${text}   `,
      );
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile > this.#lastDecile) {
        this.#lastDecile = decile;
        this.#stream.write(`${this.#label}: ${decile * 10}% (${text})\n`);
      }
    }
  }

  done(message: string): void {
    if (this.#tty) this.#stream.write('\n');
    this.#stream.write(`${this.#label}: ${message}\n`);
  }
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
