/**
 * pg-analytica bench: the benchmark harness of bench/ (the same entry point as
 * `npm run bench`), loaded only when asked for. It starts its own PostgreSQL
 * and daemon; the report goes to stdout and bench/results/.
 */
import type { OptionSpec } from './args.js';
import type { Command } from './flags.js';

const whole = (description: string): OptionSpec => ({ type: 'string', value: 'n', description });

export const bench: Command = {
  spec: {
    name: 'bench',
    summary:
      'The benchmark: every query on the heap, through the daemon and on DuckDB alone.\n' +
      'Generated data, answers checked against PostgreSQL (headline: --rows 10000000); it starts its\n' +
      'own PostgreSQL and daemon.',
    options: {
      rows: whole('rows of the events table (default 1000000)'),
      'lineitem-rows': whole('rows of lineitem (default rows/2)'),
      repetitions: whole('timed runs per query and target (default 5)'),
      'stream-rows': whole('rows of the streamed INSERT and UPDATE (default min(1000000, rows/5))'),
      'load-seconds': whole('seconds of write load while latency is probed (default 15)'),
      'load-rate': whole('rows per second of that load (default 1000)'),
      threads: whole('DuckDB threads (default 2)'),
      out: { type: 'string', value: 'dir', description: 'where reports go (default bench/results)' },
      keep: { type: 'boolean', description: 'keep the temporary cluster and data directory' },
    },
  },
  run: async (args) => {
    const { runBench } = await import('../../bench/bench-main.js');
    const report = await runBench(args.argv);
    if (report.failures.length > 0)
      throw new Error(
        `${report.failures.length} answers differ from PostgreSQL's:\n  ${report.failures.join('\n  ')}`,
      );
  },
};
