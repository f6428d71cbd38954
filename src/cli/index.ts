#!/usr/bin/env node
/** The pg-analytica command line: one file per command. */
import { ConfigError, loadConfig } from '../config.js';
import { errorMessage, PgError } from '../errors.js';
import { Logger } from '../log.js';
import { bench } from './bench.js';
import { demo } from './demo.js';
import { install } from './install.js';
import { register } from './register.js';
import { start } from './start.js';
import { status } from './status.js';
import { uninstall } from './uninstall.js';

const commands: Record<string, (argv: readonly string[], log: Logger) => Promise<void>> = {
  start,
  install,
  status,
  register,
  demo,
  bench,
  uninstall,
};

const usage = `usage: pg-analytica <command> [flags]

commands:
  start      run the daemon (sync workers + query server on 127.0.0.1:6433)
  install    install or upgrade the control schema, and the postgres_fdw server for columnar.* tables
  register   register a table: pg-analytica register public.events [--order-by ts]
  status     show registered tables
  demo       start an embedded PostgreSQL and the daemon, copy a sample table, compare query times
  bench      the benchmark: generated data, every query on the heap, through the daemon and on DuckDB
             alone, checked against PostgreSQL (--rows 1000000; headline: --rows 10000000)
  uninstall  remove the control schema, foreign server, slots, publications and segment files of the database
             (the daemon must be stopped; asks first unless --yes)

The source database comes from DATABASE_URL or the PG* variables; without them an
embedded PostgreSQL is started under .analytica/postgres. Flags: --port, --host,
--data-dir, --naptime, --chunk-size, --memory-limit, --threads, --log-level, --databases,
--tls-cert and --tls-key (TLS for clients that ask for it), --hba-file (client address rules),
--source-sslmode, --max-auth-relays, --max-auth-relays-per-host, --authentication-timeout.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? commands[command] : undefined;
  if (!run) {
    console.error(usage);
    return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
  const level = (() => {
    try {
      return loadConfig(process.env, rest).logLevel;
    } catch {
      return 'info' as const;
    }
  })();
  const log = new Logger({
    level: command === 'demo' || command === 'bench' ? 'warn' : level,
    pretty: process.stderr.isTTY === true,
  });
  try {
    await run(rest, log);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) console.error(`pg-analytica: ${error.message}`);
    else if (error instanceof PgError)
      console.error(
        `pg-analytica: ERROR ${error.code}: ${error.message}${error.hint ? `\nHINT: ${error.hint}` : ''}`,
      );
    else if (
      error instanceof Error &&
      'code' in error &&
      typeof error.code === 'string' &&
      /^[0-9A-Z]{5}$/.test(error.code)
    ) {
      const pgError = error as Error & { hint?: string };
      console.error(
        `pg-analytica: ERROR ${error.code}: ${error.message}${pgError.hint ? `\nHINT: ${pgError.hint}` : ''}`,
      );
    } else console.error(`pg-analytica: ${errorMessage(error)}`);
    if (level === 'debug' && error instanceof Error) console.error(error.stack);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
