/**
 * Progress on stderr, one line when a phase starts and one when it ends, with
 * the time since the benchmark started: stdout stays free for the report.
 */
const benchStarted = performance.now();

function stamp(): string {
  return `[${((performance.now() - benchStarted) / 1000).toFixed(1).padStart(6)} s]`;
}

export function note(message: string): void {
  process.stderr.write(`${stamp()} ${message}\n`);
}

export async function phase<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  note(`${label}…`);
  const result = await work();
  note(`${label}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}
