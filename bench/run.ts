/**
 * Entry point of `npm run bench` (see bench-main.ts):
 *
 *   npm run bench                          # 1 M events rows: a few minutes on 2 cores
 *   npm run bench -- --rows 10000000       # the headline run
 *
 * Exits 1 when an answer differs from PostgreSQL's, never because of a timing.
 */
import { runBench } from './bench-main.js';
import { note } from './lib/phase.js';

try {
  const report = await runBench(process.argv.slice(2));
  for (const failure of report.failures) note(`FAILED: ${failure}`);
  process.exitCode = report.failures.length > 0 ? 1 : 0;
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
}
