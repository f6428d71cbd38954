/**
 * Configuration: one defaults table, and one pure loadConfig(env, argv,
 * dbSettings). Precedence: command-line flags > environment > database settings
 * (`ALTER DATABASE d SET analytica.naptime = '2s'`, read with current_setting)
 * > defaults. Bad values are rejected at start, naming the key and the value.
 * The PostgreSQL connection itself follows libpq: DATABASE_URL, else PG*.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

type Kind =
  | 'duration'
  | 'integer'
  | 'bytes'
  | 'fraction'
  | 'string'
  | 'port'
  | 'optional-port'
  | 'level'
  | 'memory';

interface SettingSpec {
  /** Name inside PostgreSQL (custom GUC) and in analytica.settings; undefined if not a database setting. */
  guc?: string;
  env: string;
  flag: string;
  kind: Kind;
  default: string;
  min?: number;
}

/** Every setting the daemon knows, with its default (the one defaults table). */
export const settingSpecs = {
  naptimeMs: {
    guc: 'analytica.naptime',
    env: 'PG_ANALYTICA_NAPTIME',
    flag: 'naptime',
    kind: 'duration',
    default: '1s',
    min: 10,
  },
  chunkSize: {
    guc: 'analytica.chunk_size',
    env: 'PG_ANALYTICA_CHUNK_SIZE',
    flag: 'chunk-size',
    kind: 'integer',
    default: '1000000',
    min: 1,
  },
  // Not a database setting: the data directory bounds what the query engine may read and what
  // garbage collection deletes, so a database owner must not be able to choose it.
  dataDir: {
    env: 'PG_ANALYTICA_DATA_DIR',
    flag: 'data-dir',
    kind: 'string',
    default: '.analytica/data',
  },
  duckdbMemoryLimit: {
    guc: 'analytica.duckdb_memory_limit',
    env: 'PG_ANALYTICA_DUCKDB_MEMORY_LIMIT',
    flag: 'memory-limit',
    kind: 'memory',
    default: '4GB',
  },
  duckdbThreads: {
    guc: 'analytica.duckdb_threads',
    env: 'PG_ANALYTICA_DUCKDB_THREADS',
    flag: 'threads',
    kind: 'integer',
    default: '2',
    min: 1,
  },
  maxWaitMs: {
    guc: 'analytica.max_wait',
    env: 'PG_ANALYTICA_MAX_WAIT',
    flag: 'max-wait',
    kind: 'duration',
    default: '30s',
    min: 1,
  },
  maxRetainedWalBytes: {
    guc: 'analytica.max_retained_wal',
    env: 'PG_ANALYTICA_MAX_RETAINED_WAL',
    flag: 'max-retained-wal',
    kind: 'bytes',
    default: '1GB',
    min: 1,
  },
  maxDeltaBytes: {
    guc: 'analytica.max_delta_memory',
    env: 'PG_ANALYTICA_MAX_DELTA_MEMORY',
    flag: 'max-delta-memory',
    kind: 'bytes',
    default: '256MB',
    min: 1024 * 1024,
  },
  compactionTargetBytes: {
    guc: 'analytica.compaction_target_size',
    env: 'PG_ANALYTICA_COMPACTION_TARGET_SIZE',
    flag: 'compaction-target-size',
    kind: 'bytes',
    default: '128MB',
    min: 1024,
  },
  compactionMinSegments: {
    guc: 'analytica.compaction_min_segments',
    env: 'PG_ANALYTICA_COMPACTION_MIN_SEGMENTS',
    flag: 'compaction-min-segments',
    kind: 'integer',
    default: '8',
    min: 2,
  },
  compactionDeleteRatio: {
    guc: 'analytica.compaction_delete_ratio',
    env: 'PG_ANALYTICA_COMPACTION_DELETE_RATIO',
    flag: 'compaction-delete-ratio',
    kind: 'fraction',
    default: '0.1',
  },
  compactionMemoryLimit: {
    guc: 'analytica.compaction_memory_limit',
    env: 'PG_ANALYTICA_COMPACTION_MEMORY_LIMIT',
    flag: 'compaction-memory-limit',
    kind: 'memory',
    default: '1GB',
  },
  // Sessions start with it (SET statement_timeout overrides it per session): a runaway statement
  // would otherwise hold a share of the query engine's few threads from every session for good.
  statementTimeoutMs: {
    guc: 'analytica.statement_timeout',
    env: 'PG_ANALYTICA_STATEMENT_TIMEOUT',
    flag: 'statement-timeout',
    kind: 'duration',
    default: '1h',
  },
  host: { env: 'PG_ANALYTICA_HOST', flag: 'host', kind: 'string', default: '127.0.0.1' },
  port: { env: 'PG_ANALYTICA_PORT', flag: 'port', kind: 'port', default: '6433' },
  // Not database settings: what the daemon exposes over HTTP, and where, is the operator's call.
  // Off unless a port is given (0 picks a free one); loopback unless a host is given.
  metricsPort: { env: 'PG_ANALYTICA_METRICS_PORT', flag: 'metrics-port', kind: 'optional-port', default: '' },
  metricsHost: {
    env: 'PG_ANALYTICA_METRICS_HOST',
    flag: 'metrics-host',
    kind: 'string',
    default: '127.0.0.1',
  },
  maxConnections: {
    env: 'PG_ANALYTICA_MAX_CONNECTIONS',
    flag: 'max-connections',
    kind: 'integer',
    default: '100',
    min: 1,
  },
  // Not database settings: how much of the source's connections logins may hold is the operator's call.
  authTimeoutMs: {
    env: 'PG_ANALYTICA_AUTHENTICATION_TIMEOUT',
    flag: 'authentication-timeout',
    kind: 'duration',
    default: '10s',
    min: 100,
  },
  maxAuthRelays: {
    env: 'PG_ANALYTICA_MAX_AUTH_RELAYS',
    flag: 'max-auth-relays',
    kind: 'integer',
    default: '10',
    min: 1,
  },
  maxAuthRelaysPerHost: {
    env: 'PG_ANALYTICA_MAX_AUTH_RELAYS_PER_HOST',
    flag: 'max-auth-relays-per-host',
    kind: 'integer',
    default: '5',
    min: 1,
  },
  // Not database settings: who may connect from where is the daemon operator's choice.
  hbaFile: { env: 'PG_ANALYTICA_HBA_FILE', flag: 'hba-file', kind: 'string', default: '' },
  // TLS of the connection that has the source verify passwords (libpq's sslmode; see upstream-tls.ts).
  sourceSslMode: { env: 'PG_ANALYTICA_SOURCE_SSLMODE', flag: 'source-sslmode', kind: 'string', default: '' },
  sourceSslRootCert: {
    env: 'PG_ANALYTICA_SOURCE_SSLROOTCERT',
    flag: 'source-sslrootcert',
    kind: 'string',
    default: '',
  },
  // Not database settings: which key the server presents is the daemon operator's choice.
  tlsCertFile: { env: 'PG_ANALYTICA_TLS_CERT', flag: 'tls-cert', kind: 'string', default: '' },
  tlsKeyFile: { env: 'PG_ANALYTICA_TLS_KEY', flag: 'tls-key', kind: 'string', default: '' },
  embeddedDir: {
    env: 'PG_ANALYTICA_EMBEDDED_DIR',
    flag: 'embedded-dir',
    kind: 'string',
    default: '.analytica/postgres',
  },
  logLevel: { env: 'PG_ANALYTICA_LOG_LEVEL', flag: 'log-level', kind: 'level', default: 'info' },
} as const satisfies Record<string, SettingSpec>;

export type SettingName = keyof typeof settingSpecs;

export interface Config {
  readonly naptimeMs: number;
  readonly chunkSize: number;
  readonly dataDir: string;
  readonly duckdbMemoryLimit: string;
  readonly duckdbThreads: number;
  /** How long a query waits for the change stream to reach the WAL position of its start. */
  readonly maxWaitMs: number;
  /** WAL the replication slot may hold back before the daemon warns. */
  readonly maxRetainedWalBytes: number;
  /** Streamed changes held in the query engine's memory before a flush is forced. */
  readonly maxDeltaBytes: number;
  /** Compaction writes segments of about this size; data segments below half of it are merged. */
  readonly compactionTargetBytes: number;
  /** Small segments (or delete segments) of one table that start a compaction. */
  readonly compactionMinSegments: number;
  /** Deleted rows per stored row that start a compaction applying the deletes. */
  readonly compactionDeleteRatio: number;
  readonly compactionMemoryLimit: string;
  /** statement_timeout sessions of the query server start with; 0 = none. */
  readonly statementTimeoutMs: number;
  readonly host: string;
  readonly port: number;
  /** Port of the HTTP endpoint (/metrics, /healthz, /readyz, the status page /); undefined: not served. */
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  /** Query server connections at once (each login briefly holds one to the source server). */
  readonly maxConnections: number;
  /** Time a client has to send its startup packet and log in (PostgreSQL's authentication_timeout). */
  readonly authTimeoutMs: number;
  /** Connections to the source that logins may hold at once (each has the source verify a password). */
  readonly maxAuthRelays: number;
  /** Relay connections at once for one client address (4× that many logins may be in progress). */
  readonly maxAuthRelaysPerHost: number;
  /** The daemon's client address rules (pg_hba.conf format, allow/reject); undefined: every address. */
  readonly hbaFile: string | undefined;
  /** sslmode of the password-relay connection to the source; '' means the connection string's, else prefer. */
  readonly sourceSslMode: string;
  /** Root certificate file for --source-sslmode verify-ca/verify-full; '' means sslrootcert/PGSSLROOTCERT. */
  readonly sourceSslRootCert: string;
  /** PEM certificate (chain) and private key for TLS on the query server; both or neither. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  readonly embeddedDir: string;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The source database connection; undefined means "start the embedded PostgreSQL". */
  readonly connectionString: string | undefined;
  /** True when PG* variables name a server (node-postgres reads them itself). */
  readonly usePgEnvironment: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A flag of the command line: takes a value (`--port 7000`, `--port=7000`) or not (`--yes`). */
export interface FlagOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

/** Flags that are not settings: which database(s) to serve, and the source connection. */
export const connectionFlags = {
  'database-url': { type: 'string' },
  databases: { type: 'string' },
} as const satisfies Record<string, FlagOption>;

/** Every flag loadConfig reads: one per setting (all take a value), and the connection flags. */
export function configFlags(): Record<string, FlagOption> {
  const flags: Record<string, FlagOption> = { ...connectionFlags };
  for (const spec of Object.values(settingSpecs as Record<string, SettingSpec>))
    flags[spec.flag] = { type: 'string' };
  return flags;
}

export interface ParsedFlags {
  /** Flag name → value ('true' for a flag without one); later flags win. */
  flags: Map<string, string>;
  positional: string[];
  /** Flags not among `options`, as written (`--prot`). */
  unknown: string[];
  /** Flags of `options` that take a value but were given none. */
  missingValue: string[];
  /** Flags of `options` that take no value but were given one (`--yes=no`). */
  unexpectedValue: string[];
}

/**
 * The one tokenizer of the command line (node's util.parseArgs): `--name value`,
 * `--name=value`, `-h`, and `--` before positional arguments. A value may start
 * with a dash (`--threads -3` is the value -3, refused later by its setting, not
 * an unknown flag `-3`). It reports what it did not understand instead of
 * throwing, so each caller decides: the CLI refuses (src/cli/args.ts), loadConfig
 * reads only its own flags. An unknown flag followed by a positional takes it as
 * its value, as bench scripts that pass their own flags expect.
 */
export function parseFlags(
  argv: readonly string[],
  options: Readonly<Record<string, FlagOption>> = configFlags(),
): ParsedFlags {
  const { tokens } = parseArgs({
    args: [...argv],
    options: options as Record<string, FlagOption>,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const result: ParsedFlags = {
    flags: new Map(),
    positional: [],
    unknown: [],
    missingValue: [],
    unexpectedValue: [],
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'positional') result.positional.push(token.value);
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    let value = token.value;
    if (option === undefined) {
      result.unknown.push(token.rawName);
      const next = tokens[i + 1];
      if (value === undefined && next?.kind === 'positional' && next.index === token.index + 1) {
        value = next.value;
        i++;
      }
    } else if (option.type === 'string' && value === undefined) result.missingValue.push(token.rawName);
    else if (option.type === 'boolean' && token.inlineValue) result.unexpectedValue.push(token.rawName);
    result.flags.set(token.name, value ?? 'true');
  }
  return result;
}

export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[],
  dbSettings: Readonly<Record<string, string | undefined>> = {},
): Config {
  const { flags } = parseFlags(argv);
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(settingSpecs) as [SettingName, SettingSpec][]) {
    const fromDb = spec.guc ? dbSettings[spec.guc] : undefined;
    const raw = flags.get(spec.flag) ?? env[spec.env] ?? (fromDb === '' ? undefined : fromDb) ?? spec.default;
    const source = flags.has(spec.flag)
      ? `--${spec.flag}`
      : env[spec.env] !== undefined
        ? spec.env
        : (spec.guc ?? key);
    values[key] = parseValue(spec, raw, source);
  }
  const connectionString = flags.get('database-url') ?? env.DATABASE_URL;
  if (connectionString !== undefined) checkConnectionUrl(connectionString, flags.has('database-url'));
  const usePgEnvironment =
    connectionString === undefined &&
    (env.PGHOST !== undefined || env.PGDATABASE !== undefined || env.PGPORT !== undefined);
  Object.assign(values, tlsFiles(values.tlsCertFile as string, values.tlsKeyFile as string, flags));
  values.hbaFile = values.hbaFile === '' ? undefined : path.resolve(values.hbaFile as string);
  values.dataDir = path.resolve(values.dataDir as string);
  values.embeddedDir = path.resolve(values.embeddedDir as string);
  return Object.freeze({ ...values, connectionString, usePgEnvironment }) as Config;
}

/**
 * node-postgres reads anything as a URL: `postgres//db` becomes a host named "base", and the
 * user sees "getaddrinfo ENOTFOUND base". Say what is wrong with the URL instead.
 */
function checkConnectionUrl(url: string, fromFlag: boolean): void {
  if (/^(postgres|postgresql|socket):\/\/./i.test(url.trim())) return;
  const shown = url.replace(/:[^:@/]*@/, ':***@');
  throw new ConfigError(
    `${fromFlag ? '--database-url' : 'DATABASE_URL'} is not a PostgreSQL URL: ${JSON.stringify(shown)}\n` +
      'write it as postgresql://user:password@host:5432/database (or unset it and use PGHOST, PGPORT, PGUSER, PGDATABASE)',
  );
}

/** The TLS certificate and key paths, resolved; one without the other is an error. */
function tlsFiles(
  cert: string,
  key: string,
  flags: ReadonlyMap<string, string>,
): { tlsCertFile: string | undefined; tlsKeyFile: string | undefined } {
  if ((cert === '') !== (key === '')) {
    const name = (spec: SettingSpec) => (flags.has(spec.flag) ? `--${spec.flag}` : spec.env);
    const [given, missing] =
      cert === ''
        ? [settingSpecs.tlsKeyFile, settingSpecs.tlsCertFile]
        : [settingSpecs.tlsCertFile, settingSpecs.tlsKeyFile];
    throw new ConfigError(
      `${name(given)} is set but --${missing.flag} (${missing.env}) is not: TLS needs both a certificate and its private key`,
    );
  }
  return {
    tlsCertFile: cert === '' ? undefined : path.resolve(cert),
    tlsKeyFile: key === '' ? undefined : path.resolve(key),
  };
}

function parseValue(spec: SettingSpec, raw: string, source: string): number | string | undefined {
  const fail = (why: string): never => {
    throw new ConfigError(`invalid value for ${source}: ${JSON.stringify(raw)} (${why})`);
  };
  switch (spec.kind) {
    case 'duration': {
      const ms = parseDurationMs(raw);
      if (ms === undefined) fail('expected a duration such as 500ms, 2s or 1min');
      if (spec.min !== undefined && ms! < spec.min) fail(`must be at least ${spec.min}ms`);
      return ms!;
    }
    case 'integer': {
      const range = `a whole number${spec.min !== undefined ? ` of at least ${spec.min}` : ''}; the default is ${spec.default}`;
      if (!/^\d+$/.test(raw.trim())) fail(`expected ${range}`);
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min)
        fail(`must be at least ${spec.min}; the default is ${spec.default}`);
      return n;
    }
    case 'memory':
      // DuckDB's memory_limit syntax; checked here, or DuckDB only says "Failed to set config".
      if (!/^\s*\d+(?:\.\d+)?\s*(?:B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.test(raw))
        fail(`expected a size such as 512MB or 4GB; the default is ${spec.default}`);
      return raw.trim();
    case 'bytes': {
      const bytes = parseBytes(raw);
      if (bytes === undefined) fail('expected a size such as 64MB or 1GB');
      if (spec.min !== undefined && bytes! < spec.min) fail(`must be at least ${spec.min} bytes`);
      return bytes!;
    }
    case 'fraction': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1)
        fail('expected a number above 0, at most 1');
      return n;
    }
    case 'optional-port':
      if (raw.trim() === '') return undefined;
      return parseValue({ ...spec, kind: 'port' }, raw, source);
    case 'port': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 65535) fail('expected a TCP port from 0 to 65535');
      return n;
    }
    case 'level':
      if (!['debug', 'info', 'warn', 'error'].includes(raw)) fail('expected debug, info, warn or error');
      return raw;
    case 'string':
      return raw;
  }
}

/** '500ms', '2s', '1min', '1h'; a bare number is seconds, as for autovacuum_naptime. */
export function parseDurationMs(raw: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$/.exec(raw);
  if (!match) return undefined;
  const factor = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * factor);
}

/** '64MB', '1GB', '512kB' (PostgreSQL's units, base 1024); a bare number is bytes. */
export function parseBytes(raw: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?\s*$/i.exec(raw);
  if (!match) return undefined;
  const exponent = ['b', 'kb', 'mb', 'gb', 'tb'].indexOf((match[2] ?? 'b').toLowerCase());
  return Math.round(Number(match[1]) * 1024 ** exponent);
}

/** The custom settings to read from each database, for loadConfig's dbSettings. */
export const databaseSettingNames: readonly string[] = Object.values(
  settingSpecs as Record<string, SettingSpec>,
)
  .map((spec) => spec.guc)
  .filter((name): name is string => name !== undefined);
