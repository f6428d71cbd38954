import pg from 'pg';
import {
  alterForeignServerSql,
  type ForeignServerTarget,
  reachableHost,
  readForeignServer,
} from '../catalog/foreign-server.js';
import { connectionFlags } from '../config.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { Daemon } from '../main.js';
import type { ParsedArgs } from './args.js';
import { type Command, connectionDetails, settingOptions } from './flags.js';

/** pg-analytica start: runs the daemon until SIGINT/SIGTERM. */
export const start: Command = {
  spec: {
    name: 'start',
    summary: 'Run the daemon: sync workers and the query server (127.0.0.1:6433 by default) until Ctrl-C.',
    options: {
      'database-url': {
        ...connectionFlags['database-url'],
        value: 'url',
        description: 'the source database',
      },
      databases: {
        ...connectionFlags.databases,
        value: 'db1,db2',
        description: "databases to serve (default: the connection's database)",
      },
      ...settingOptions(),
    },
    details:
      `${connectionDetails}\nEach setting is read from its flag, else its environment variable, else the database\n` +
      "(ALTER DATABASE db SET analytica.naptime = '2s'), else its default. Once listening, start points the\n" +
      "postgres_fdw server pg_analytica (columnar.*) at the daemon's address, or prints the statement to do so.",
  },
  run: runStart,
};

async function runStart(args: ParsedArgs, log: Logger): Promise<void> {
  // A stray rejection is a bug, but it must not take every table and client down with it.
  process.on('unhandledRejection', (reason) => {
    log.error('unhandled rejection (kept running)', {
      error: reason instanceof Error ? reason.stack : String(reason),
    });
  });
  const daemon = await Daemon.start({ env: process.env, argv: args.argv, log });
  const embedded = daemon.source.embedded;
  const database = daemon.databases[0];
  for (const name of daemon.databases) {
    const config = { ...daemon.source.config, database: name };
    const lines = await checkDatabase(config, { host: daemon.config.host, port: daemon.port }).catch(
      (error: unknown) => [
        `pg-analytica: could not check the foreign server of ${name}: ${errorMessage(error)}`,
      ],
    );
    for (const line of lines) console.error(line);
  }
  console.error(
    `pg-analytica is serving ${daemon.databases.join(', ')} on ${reachableHost(daemon.config.host)}:${daemon.port}; connect with your PostgreSQL role and password:\n` +
      `  psql "host=${reachableHost(daemon.config.host)} port=${daemon.port} dbname=${database} user=${embedded ? embedded.user : '<role>'}"` +
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

/**
 * Once the server listens: the foreign server of columnar.* must point at it (install may have
 * pointed it at the default port, or the daemon moved), and a missing wal_level=logical is said
 * in two lines rather than found later in a table's last_error. Returns the lines to print.
 */
async function checkDatabase(config: pg.ClientConfig, listening: ForeignServerTarget): Promise<string[]> {
  const client = new pg.Client({ ...config, application_name: 'pg_analytica start' });
  await client.connect();
  try {
    const name = client.database ?? '';
    const walLevel = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
    const lines =
      walLevel === 'logical'
        ? []
        : [
            `pg-analytica: wal_level is ${walLevel}, not logical: tables of ${name} are re-copied when they change instead of streamed`,
            '  to stream changes, run ALTER SYSTEM SET wal_level = logical as a superuser and restart PostgreSQL',
          ];
    return [...lines, ...(await pointForeignServer(client, listening))];
  } finally {
    await client.end();
  }
}

/** Points the pg_analytica foreign server at `listening` if it exists and points elsewhere; returns what to say. */
export async function pointForeignServer(
  client: pg.Client,
  listening: ForeignServerTarget,
): Promise<string[]> {
  const name = client.database ?? '';
  const server = await readForeignServer(client);
  const host = reachableHost(listening.host);
  if (!server || (server.host === host && server.port === listening.port)) return [];
  const was = `${server.host}:${server.port}`;
  const statement = alterForeignServerSql(client, listening);
  if (server.mayAlter) {
    await client.query(statement);
    return [
      `pg-analytica: foreign server pg_analytica of ${name} now points at ${host}:${listening.port} (was ${was})`,
    ];
  }
  return [
    `pg-analytica: foreign server pg_analytica of ${name} points at ${was}, not at this daemon, so columnar.* queries fail`,
    `  its owner (or a superuser) should run in ${name}: ${statement};`,
  ];
}
