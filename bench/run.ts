/**
 * Entry point of `npm run bench` (see bench-main.ts):
 *
 *   npm run bench                          # 1 M events rows: a few minutes on 2 cores
 *   npm run bench -- --rows 10000000       # the headline run
 *
 * Exits 1 when an answer differs from PostgreSQL's, never because of a timing.
 */
import { runBench } from './bench-main.js';
import { benchUsage } from './lib/bench-options.js';
import { note } from './lib/phase.js';
import { runOverhead } from './query-overhead.js';

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  // Answers without starting anything.
  process.stdout.write(
    'Runs the analytic and sync benchmark against PostgreSQL and DuckDB on the same files (exit 1 if an answer differs).\n' +
      `${benchUsage}\n`,
  );
} else if (argv.includes('--overhead')) {
  // Where a small query's time goes, per phase (query-overhead.ts).
  await runOverhead(argv);
} else {
  await run();
}

async function run(): Promise<void> {
  try {
    const report = await runBench(argv);
    for (const failure of report.failures) note(`FAILED: ${failure}`);
    process.exitCode = report.failures.length > 0 ? 1 : 0;
  } catch (error) {
    // A usage error says what to pass; anything else keeps its stack for a bug report.
    const usage = error instanceof Error && error.message.includes('usage: npm run bench');
    const text =
      error instanceof Error ? (usage ? error.message : (error.stack ?? error.message)) : String(error);
    process.stderr.write(`bench: ${text}\n`);
    process.exitCode = 2;
  }
}
