/**
 * What the command line prints when a command fails: one line saying what
 * happened and one saying what to do, never a stack trace (--log-level debug
 * adds it). Connection failures of node-postgres and Node's sockets are
 * translated here, at the edge, because their own messages ("connect
 * ECONNREFUSED 127.0.0.1:5432", "getaddrinfo ENOTFOUND db") name no way out.
 */
import { ConfigError } from '../config.js';
import { errorMessage } from '../errors.js';
import { UsageError } from './args.js';

export interface Failure {
  readonly what: string;
  readonly todo: string | undefined;
  /** 2: the command line or configuration is wrong (nothing was done); 1: the command failed. */
  readonly exitCode: 1 | 2;
}

const whereFrom = 'DATABASE_URL (or PGHOST, PGPORT)';

export function describeFailure(error: unknown, command: string): Failure {
  if (error instanceof UsageError || error instanceof ConfigError) {
    const [what, todo] = error.message.split('\n', 2);
    return { what: what!, todo: todo ?? `see pg-analytica ${command} --help`, exitCode: 2 };
  }
  const cause = firstCause(error);
  const code = (cause as { code?: unknown }).code;
  const message = errorMessage(cause);
  const hint = (cause as { hint?: unknown }).hint;
  const fail = (what: string, todo: string | undefined): Failure => ({ what, todo, exitCode: 1 });
  switch (code) {
    case 'ECONNREFUSED':
      return fail(
        `cannot connect to PostgreSQL at ${address(cause)}: connection refused`,
        `start PostgreSQL there, or point ${whereFrom} at a running server`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(
        `cannot connect to PostgreSQL: host ${JSON.stringify((cause as { hostname?: string }).hostname ?? '?')} not found`,
        `correct the host in ${whereFrom}`,
      );
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return fail(
        `cannot connect to PostgreSQL at ${address(cause)}: ${code}`,
        `check the host and port in ${whereFrom}, and that a firewall lets the connection through`,
      );
    case '28P01':
      return fail(message, 'correct the password in DATABASE_URL or PGPASSWORD (or ~/.pgpass)');
    case '28000':
      return fail(message, "ask the server's administrator to allow this role and host in pg_hba.conf");
    case '3D000':
      return fail(message, 'create the database, or name an existing one in DATABASE_URL or PGDATABASE');
  }
  // The control schema is missing: relation/function/schema "analytica…" does not exist.
  if ((code === '42P01' || code === '42883' || code === '3F000') && /"analytica[".]/.test(message))
    return fail(
      `${message}: pg_analytica is not installed in this database`,
      'run pg-analytica install (or pg-analytica start, which installs it) against this database',
    );
  if (/client password must be a string/.test(message))
    return fail(
      'PostgreSQL asks for a password and none was given',
      'put it in DATABASE_URL (postgresql://user:password@host/db), PGPASSWORD or ~/.pgpass',
    );
  const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? `ERROR ${code}: ` : '';
  return fail(`${sqlstate}${message}`, typeof hint === 'string' && hint !== '' ? `HINT: ${hint}` : undefined);
}

/** Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError. */
function firstCause(error: unknown): unknown {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors[0];
  return error;
}

function address(error: unknown): string {
  const { address: host, port } = error as { address?: string; port?: number };
  return host === undefined ? 'the configured address' : `${host}${port === undefined ? '' : `:${port}`}`;
}

export function printFailure(failure: Failure): void {
  console.error(`pg-analytica: ${failure.what}`);
  if (failure.todo) console.error(`  ${failure.todo}`);
}
