/** Flags several commands share, described once for --help. */
import { settingSpecs } from '../config.js';
import type { Logger } from '../log.js';
import type { CommandSpec, OptionSpec, ParsedArgs } from './args.js';

export interface Command {
  readonly spec: CommandSpec;
  run(args: ParsedArgs, log: Logger): Promise<void>;
}

/** How one-shot commands reach the source database (besides DATABASE_URL and PG*). */
export const connectionOptions = {
  'database-url': {
    type: 'string',
    value: 'url',
    description: 'the source database (default: DATABASE_URL, else the PG* variables, else embedded)',
  },
  'embedded-dir': {
    type: 'string',
    value: 'dir',
    description: `the embedded PostgreSQL used without DATABASE_URL/PG* (default ${settingSpecs.embeddedDir.default})`,
  },
  'log-level': {
    type: 'string',
    value: 'level',
    description: 'debug | info | warn | error (default info)',
  },
} as const satisfies Record<string, OptionSpec>;

/** Every setting of config.ts's settingSpecs as a flag of `start`, described from the table itself. */
export function settingOptions(): Record<string, OptionSpec> {
  const options: Record<string, OptionSpec> = {};
  for (const spec of Object.values(settingSpecs) as {
    flag: string;
    env: string;
    guc?: string;
    kind: string;
    default: string;
  }[]) {
    const sources = [spec.env, spec.guc].filter(Boolean).join(', ');
    const fallback = spec.kind === 'optional-port' ? 'off' : '(none)';
    options[spec.flag] = {
      type: 'string',
      value: 'value',
      description: `default ${spec.default === '' ? fallback : spec.default}; also ${sources}`,
    };
  }
  return options;
}

export const tableArgument = {
  name: 'table',
  description: 'a registered table, as schema.table (or a name on the search_path)',
};

/** The help text's common paragraph on how the source database is found. */
export const connectionDetails =
  'The source database comes from --database-url, DATABASE_URL or the PG* variables (PGHOST, PGPORT,\n' +
  'PGUSER, PGPASSWORD, PGDATABASE); without them the embedded PostgreSQL under .analytica/postgres is used.';
