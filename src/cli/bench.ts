/**
 * pg-analytica bench: the benchmark harness of bench/ (the same entry point as
 * `npm run bench`), loaded only when asked for. It starts its own PostgreSQL
 * and daemon; the report goes to stdout and bench/results/.
 */
import type { Logger } from '../log.js';

export async function bench(argv: readonly string[], _log: Logger): Promise<void> {
  const { runBench } = await import('../../bench/bench-main.js');
  const report = await runBench(argv);
  if (report.failures.length > 0)
    throw new Error(
      `${report.failures.length} answers differ from PostgreSQL's:\n  ${report.failures.join('\n  ')}`,
    );
}
