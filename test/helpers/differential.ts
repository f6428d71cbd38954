/**
 * The fixture of the differential suites: a throw-away PostgreSQL with the suite's tables, a
 * daemon serving them, and one client on each side — the heap (PostgreSQL itself) and the
 * columnar copy (the daemon) — so that each statement can be run on both and compared.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../../src/catalog/foreign-server.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import type { Daemon } from '../../src/main.js';
import { sameRowsAndTypes } from './assertions.js';
import { startTestCluster } from './cluster.js';
import { rawClient, startDaemon } from './daemon.js';

export interface Differential {
  readonly cluster: LocalCluster;
  readonly daemon: Daemon;
  readonly heap: pg.Client;
  readonly columnar: pg.Client;
}

export interface DifferentialOptions {
  /** Also create the pg_analytica foreign server, so registering makes columnar.<table>. */
  readonly foreignServer?: boolean;
  /** PostgreSQL server binaries other than the default ones (another major version). */
  readonly binDir?: string;
  /** Run on both clients once connected (SET TimeZone …). */
  readonly sessionSql?: string;
}

/** Runs `setup`, starts a daemon, registers `tables` and waits until each is in sync. */
export async function startDifferential(
  setup: string,
  tables: readonly string[],
  options: DifferentialOptions = {},
): Promise<Differential> {
  // What has started is stopped if a later step fails (a setup error would leave a cluster behind).
  const started: { -readonly [K in keyof Differential]?: Differential[K] } = {};
  try {
    const cluster =
      options.binDir === undefined
        ? await startTestCluster()
        : await LocalCluster.start({
            dir: await mkdtemp(path.join(tmpdir(), 'pga-test-')),
            binDir: options.binDir,
          });
    started.cluster = cluster;
    await cluster.exec(setup);
    const daemon = await startDaemon(cluster);
    started.daemon = daemon;
    const heap = await rawClient(cluster.clientConfig());
    started.heap = heap;
    if (options.foreignServer) {
      await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
      await createUserMapping(heap, cluster.user, cluster.password);
    }
    for (const table of tables) {
      await heap.query('SELECT analytica.register_table($1)', [table]);
      await heap.query('SELECT analytica.wait_for_sync($1)', [table]);
    }
    const columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    started.columnar = columnar;
    if (options.sessionSql !== undefined) {
      await heap.query(options.sessionSql);
      await columnar.query(options.sessionSql);
    }
    return { cluster, daemon, heap, columnar };
  } catch (error) {
    await stopDifferential(started);
    throw error;
  }
}

/**
 * A suite of statements each run on the heap and through the daemon, compared row for row and
 * type for type; `more` adds tests of its own on the same fixture.
 */
export function describeDifferential(
  title: string,
  fixture: { setup: string; tables: readonly string[]; options?: DifferentialOptions },
  queries: readonly string[],
  more?: (f: () => Differential) => void,
): void {
  describe(title, () => {
    let f: Differential | undefined;
    before(async () => {
      f = await startDifferential(fixture.setup, fixture.tables, fixture.options);
    });
    after(async () => {
      await stopDifferential(f);
    });
    const current = () => {
      if (f === undefined) throw new Error('the differential fixture did not start');
      return f;
    };
    for (const sql of queries) test(sql, () => sameRowsAndTypes(current().heap, current().columnar, sql));
    more?.(current);
  });
}

/** Ends what startDifferential started (whatever part of it did start). */
export async function stopDifferential(fixture: Partial<Differential> | undefined): Promise<void> {
  await fixture?.heap?.end();
  await fixture?.columnar?.end();
  await fixture?.daemon?.close();
  await fixture?.cluster?.close();
}
