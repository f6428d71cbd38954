import type { Logger } from '../log.js';
import { Daemon } from '../main.js';

/** pg-analytica start: runs the daemon until SIGINT/SIGTERM. */
export async function start(argv: readonly string[], log: Logger): Promise<void> {
  // A stray rejection is a bug, but it must not take every table and client down with it.
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled rejection (kept running)', {
      error: reason instanceof Error ? reason.stack : String(reason),
    });
  });
  const daemon = await Daemon.start({ env: process.env, argv, log });
  const embedded = daemon.source.embedded;
  const database = daemon.databases[0];
  console.error(
    `pg-analytica is serving ${daemon.databases.join(', ')} on 127.0.0.1:${daemon.port}; connect with your PostgreSQL role and password:\n` +
      `  psql "host=127.0.0.1 port=${daemon.port} dbname=${database} user=${embedded ? embedded.user : '<role>'}"` +
      (embedded
        ? `\n  (embedded PostgreSQL on port ${embedded.port}; password in ${embedded.dir}/superuser.password)`
        : ''),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log.info('shutting down');
  await daemon.close();
}
