/**
 * Wires the daemon together: the source connection (or an embedded
 * PostgreSQL), the control schema, one launcher per database, the DuckDB query
 * engine and the query server. Nothing else constructs these.
 */
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { readDatabaseSettings } from './catalog/database-settings.js';
import { installSchema } from './catalog/schema-installer.js';
import { LocalCluster } from './cluster/local-cluster.js';
import { type Config, loadConfig, parseFlags } from './config.js';
import type { Logger } from './log.js';
import { DaemonMetrics, type MetricsDatabase } from './observability/daemon-metrics.js';
import { CatalogClient } from './query/catalog-client.js';
import { DuckDbEngine } from './query/duckdb-engine.js';
import { QueryEngine } from './query/query-engine.js';
import { initSqlParser, parseStatements } from './query/sql/statement-parser.js';
import { loadHbaFile } from './server/hba-rules.js';
import { MetricsServer } from './server/metrics-server.js';
import { QueryServer } from './server/query-server.js';
import { mirrorSourceServerVersion, mirrorSourceTimeZone } from './server/setting-definitions.js';
import { StatusPage } from './server/status-page/status-page.js';
import { loadTlsContext } from './server/tls-context.js';
import { resolveUpstreamTls } from './server/upstream-tls.js';
import { sourceConnectionConfig } from './source/source-config.js';
import { privateDataDirectory } from './storage/data-directory.js';
import { SegmentWriter } from './storage/segment-writer.js';
import { Launcher } from './workers/launcher.js';

export interface DaemonOptions {
  env: Readonly<Record<string, string | undefined>>;
  argv: readonly string[];
  log: Logger;
  /** Start the launcher loops (default true); tests may drive launchers with runOnce(). */
  runLaunchers?: boolean;
}

export interface SourceConnection {
  config: pg.ClientConfig;
  /** Set when the daemon started its own PostgreSQL. */
  embedded: LocalCluster | undefined;
}

/** The source connection: DATABASE_URL, else PG* variables, else the embedded PostgreSQL. */
export async function connectSource(config: Config, log: Logger): Promise<SourceConnection> {
  if (config.connectionString)
    return { config: { connectionString: config.connectionString }, embedded: undefined };
  if (config.usePgEnvironment) return { config: {}, embedded: undefined };
  const embedded = await LocalCluster.start({ dir: config.embeddedDir, persistent: true, log });
  return { config: embedded.clientConfig('postgres'), embedded };
}

/** Host, port and database of the source server, as libpq resolves them; the query server relays authentication there. */
function upstreamAddress(
  config: pg.ClientConfig,
  env: Readonly<Record<string, string | undefined>>,
): { host: string; port: number; database: string; sslmode?: string; sslrootcert?: string } {
  const parsed: Partial<ReturnType<typeof parseConnectionString>> = config.connectionString
    ? parseConnectionString(config.connectionString)
    : {};
  const host = (parsed.host || config.host) ?? env.PGHOST ?? 'localhost';
  const port = Number(parsed.port ?? config.port ?? env.PGPORT ?? 5432);
  const user = parsed.user ?? config.user ?? env.PGUSER ?? 'postgres';
  const database = parsed.database ?? config.database ?? env.PGDATABASE ?? user;
  const sslmode = (parsed as { sslmode?: string }).sslmode;
  const sslrootcert = (parsed as { sslrootcert?: string }).sslrootcert ?? env.PGSSLROOTCERT;
  return { host, port, database, ...(sslmode ? { sslmode } : {}), ...(sslrootcert ? { sslrootcert } : {}) };
}

export class Daemon {
  readonly config: Config;
  readonly source: SourceConnection;
  readonly databases: readonly string[];
  readonly launchers: ReadonlyMap<string, Launcher>;
  readonly server: QueryServer;
  /** The query engine behind the server (its pruningStats say how much data queries read). */
  readonly queryEngine: QueryEngine;
  /** The HTTP endpoint (/metrics, /healthz, /readyz, the status page), when --metrics-port is set. */
  readonly metricsServer: MetricsServer | undefined;
  readonly #closers: (() => Promise<void> | void)[];

  private constructor(init: {
    config: Config;
    source: SourceConnection;
    databases: string[];
    launchers: Map<string, Launcher>;
    server: QueryServer;
    queryEngine: QueryEngine;
    metricsServer: MetricsServer | undefined;
    closers: (() => Promise<void> | void)[];
  }) {
    this.config = init.config;
    this.source = init.source;
    this.databases = init.databases;
    this.launchers = init.launchers;
    this.server = init.server;
    this.queryEngine = init.queryEngine;
    this.metricsServer = init.metricsServer;
    this.#closers = init.closers;
  }

  get port(): number {
    return this.server.port;
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { env, argv, log } = options;
    const closers: (() => Promise<void> | void)[] = [];
    try {
      const bootConfig = loadConfig(env, argv);
      // Read before anything starts, so a bad certificate fails fast.
      const tls =
        bootConfig.tlsCertFile !== undefined && bootConfig.tlsKeyFile !== undefined
          ? await loadTlsContext({ certFile: bootConfig.tlsCertFile, keyFile: bootConfig.tlsKeyFile })
          : undefined;
      const hba = bootConfig.hbaFile === undefined ? undefined : await loadHbaFile(bootConfig.hbaFile);
      const source = await connectSource(bootConfig, log);
      if (source.embedded) closers.push(() => source.embedded?.close());
      const upstream = upstreamAddress(source.config, env);
      const upstreamTls = await resolveUpstreamTls({
        flagMode: bootConfig.sourceSslMode,
        connectionMode: upstream.sslmode,
        envMode: env.PGSSLMODE,
        rootCertFile: bootConfig.sourceSslRootCert || upstream.sslrootcert,
      });
      const { flags } = parseFlags(argv);
      const databases = (flags.get('databases') ?? upstream.database)
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean);

      const dbConfigs = new Map<string, pg.ClientConfig>();
      let config = bootConfig;
      for (const database of databases) {
        const dbConfig = sourceConnectionConfig({ ...source.config, database });
        dbConfigs.set(database, dbConfig);
        const settings = await prepareDatabase(dbConfig, log.child({ database }));
        if (database === databases[0]) config = loadConfig(env, argv, settings);
      }

      await initSqlParser();
      await privateDataDirectory(config.dataDir);
      const writer = await SegmentWriter.create({
        threads: config.duckdbThreads,
        memoryLimit: config.duckdbMemoryLimit,
      });
      closers.push(() => writer.close());
      const duckdb = await DuckDbEngine.create({
        dataDir: config.dataDir,
        threads: config.duckdbThreads,
        memoryLimit: config.duckdbMemoryLimit,
      });
      closers.push(() => duckdb.close());
      const { pools, catalogPools } = createSourcePools(dbConfigs, log, closers);
      await mirrorServerVersion(pools.get(databases[0] ?? '')!);
      const launchers = new Map<string, Launcher>();
      for (const [database, dbConfig] of dbConfigs) {
        const launcher = await Launcher.start(
          {
            database,
            sourceConfig: dbConfig,
            dataDir: config.dataDir,
            naptimeMs: config.naptimeMs,
            chunkSize: config.chunkSize,
            writer,
            pinnedPaths: () => duckdb.pinnedPaths(),
            compaction: {
              targetBytes: config.compactionTargetBytes,
              minSegments: config.compactionMinSegments,
              deleteRatio: config.compactionDeleteRatio,
              memoryLimit: config.compactionMemoryLimit,
              // One thread: a merge never takes both cores from the queries.
              threads: 1,
            },
            stream: {
              delta: duckdb.delta,
              lowestWatermarkInUse: (relid, generation) =>
                duckdb.lowestWatermarkInUse(database, relid, generation),
              maxWaitMs: config.maxWaitMs,
              maxDeltaBytes: config.maxDeltaBytes,
              maxRetainedWalBytes: config.maxRetainedWalBytes,
            },
            log: log.child({ worker: 'launcher', database }),
          },
          options.runLaunchers ?? true,
        );
        launchers.set(database, launcher);
        closers.push(() => launcher.close());
      }
      const metrics = config.metricsPort === undefined ? undefined : createMetrics(launchers, pools, log);
      // The status page is served with the metrics, on the same port.
      const statusPage = metrics && new StatusPage();
      if (statusPage) closers.push(() => statusPage.close());
      const engine = new QueryEngine({
        duckdb,
        pools,
        catalogPools,
        log: log.child({ worker: 'query' }),
        freshness: {
          waitForApplied: async (database, lsn, signal) => {
            const launcher = launchers.get(database);
            if (!launcher) throw new Error(`database ${database} has no launcher`);
            await launcher.waitForApplied(lsn, signal);
          },
          followSchema: async (database, relids, waitMs) => {
            await launchers.get(database)?.followSchema(relids, waitMs);
          },
        },
      });
      const server = await QueryServer.start({
        host: config.host,
        port: config.port,
        maxConnections: config.maxConnections,
        authTimeoutMs: config.authTimeoutMs,
        maxAuthRelays: config.maxAuthRelays,
        maxAuthRelaysPerHost: config.maxAuthRelaysPerHost,
        statementTimeoutMs: config.statementTimeoutMs,
        tls,
        hba,
        databases,
        upstream: { host: upstream.host, port: upstream.port, tls: upstreamTls },
        parseStatements,
        executor: engine,
        observer: metrics && statusPage?.observer(metrics),
        log: log.child({ worker: 'server' }),
      });
      closers.push(() => server.close());
      const metricsServer =
        metrics && (await startMetricsServer(config, { metrics, statusPage }, server, launchers, log));
      if (metricsServer) closers.push(() => metricsServer.close());
      log.info('pg-analytica is running', { port: server.port, databases, dataDir: config.dataDir });
      return new Daemon({
        config,
        source,
        databases,
        launchers,
        server,
        queryEngine: engine,
        metricsServer,
        closers,
      });
    } catch (error) {
      for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The daemon's metrics: table figures are read through each database's own (resolution) pool. */
function createMetrics(
  launchers: ReadonlyMap<string, Launcher>,
  pools: ReadonlyMap<string, pg.Pool>,
  log: Logger,
): DaemonMetrics {
  const databases = new Map<string, MetricsDatabase>();
  for (const [database, launcher] of launchers) {
    databases.set(database, {
      activity: launcher.activity,
      get notReadyReason() {
        return launcher.notReadyReason;
      },
      pool: pools.get(database)!,
    });
  }
  return new DaemonMetrics({ databases, log: log.child({ worker: 'metrics' }) });
}

/** Serves /metrics, /healthz, /readyz and the status page once the query server listens. */
async function startMetricsServer(
  config: Config,
  { metrics, statusPage }: { metrics: DaemonMetrics; statusPage: StatusPage | undefined },
  server: QueryServer,
  launchers: ReadonlyMap<string, Launcher>,
  log: Logger,
): Promise<MetricsServer> {
  metrics.attachServer(server);
  const routes = await statusPage?.routes({
    read: () => metrics.tableStatuses(),
    workerActivities: new Map([...launchers].map(([database, launcher]) => [database, launcher.activity])),
    sessions: () => server.activities.rows(),
    listenHost: config.metricsHost,
    log: log.child({ worker: 'status-page' }),
  });
  const metricsServer = await MetricsServer.start({
    routes,
    host: config.metricsHost,
    port: config.metricsPort ?? 0,
    metrics: async () => ({ body: await metrics.render(), contentType: metrics.contentType }),
    notReadyReason: () => {
      if (!server.listening) return 'the query server is not listening';
      for (const [database, launcher] of launchers) {
        const reason = launcher.notReadyReason;
        if (reason !== undefined) return `database ${database}: ${reason}`;
      }
      return undefined;
    },
    log: log.child({ worker: 'metrics' }),
  });
  const host = metricsServer.host.includes(':') ? `[${metricsServer.host}]` : metricsServer.host;
  log.info('status page', { url: `http://${host}:${metricsServer.port}/` });
  return metricsServer;
}

/** Connections to the source a query server session may make the daemon use, per database. */
const catalogPoolSize = 8;
/** The daemon's own connections: table resolution and cancel requests. */
const resolutionPoolSize = 4;

/**
 * Two pools per database: one for the daemon's own work (resolving a query's tables,
 * cancelling), one for clients' catalog queries, so that clients running long catalog
 * queries cannot hold every connection and stall every other query. Their connections
 * are CatalogClients, which bound what the source may send (catalog-client.ts).
 */
function createSourcePools(
  dbConfigs: ReadonlyMap<string, pg.ClientConfig>,
  log: Logger,
  closers: (() => Promise<void> | void)[],
): { pools: Map<string, pg.Pool>; catalogPools: Map<string, pg.Pool> } {
  const pools = new Map<string, pg.Pool>();
  const catalogPools = new Map<string, pg.Pool>();
  for (const [database, dbConfig] of dbConfigs) {
    for (const [map, max, name] of [
      [pools, resolutionPoolSize, 'pg_analytica query'],
      [catalogPools, catalogPoolSize, 'pg_analytica catalog'],
    ] as const) {
      const pool = new pg.Pool({ ...dbConfig, max, application_name: name, Client: CatalogClient });
      pool.on('error', (error) =>
        log.warn('idle source connection failed', { database, error: error.message }),
      );
      map.set(database, pool);
      closers.push(() => pool.end());
    }
  }
  return { pools, catalogPools };
}

/** Sessions report the source's version (catalog queries, shaped by clients for it, run there) and start in its TimeZone. */
async function mirrorServerVersion(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ version: string; num: number; zone: string }>(
    "SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS num, current_setting('TimeZone') AS zone",
  );
  mirrorSourceServerVersion(rows[0]!.version, rows[0]!.num);
  mirrorSourceTimeZone(rows[0]!.zone);
}

/** Installs or upgrades the control schema and reads the database's analytica.* settings. */
async function prepareDatabase(
  config: pg.ClientConfig,
  log: Logger,
): Promise<Record<string, string | undefined>> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    const result = await installSchema(client);
    if (result.applied.length > 0)
      log.info('control schema installed', { from: result.from ?? null, to: result.to });
    return await readDatabaseSettings(client);
  } finally {
    await client.end();
  }
}
