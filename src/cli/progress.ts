/** A progress bar on a terminal; plain lines (every 10%) otherwise. */
export class Progress {
  readonly #label: string;
  readonly #tty: boolean;
  readonly #started = performance.now();
  #lastDecile = -1;

  constructor(label: string, stream: NodeJS.WriteStream = process.stdout) {
    this.#label = label;
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
      process.stdout.write(
        `\r${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(fraction * 100)}% ${text}   `,
      );
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile > this.#lastDecile) {
        this.#lastDecile = decile;
        console.log(`${this.#label}: ${decile * 10}% (${text})`);
      }
    }
  }

  done(message: string): void {
    if (this.#tty) process.stdout.write('\n');
    console.log(`${this.#label}: ${message}`);
  }
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
