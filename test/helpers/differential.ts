/**
 * The fixture of the differential suites: a throw-away PostgreSQL with the suite's tables, a
 * daemon serving them, and one client on each side — the heap (PostgreSQL itself) and the
 * columnar copy (the daemon) — so that each statement can be run on both and compared.
 */
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../../src/catalog/foreign-server.js';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import type { Daemon } from '../../src/main.js';
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
}

/** Runs `setup`, starts a daemon, registers `tables` and waits until each is in sync. */
export async function startDifferential(
  setup: string,
  tables: readonly string[],
  options: DifferentialOptions = {},
): Promise<Differential> {
  const cluster = await startTestCluster();
  await cluster.exec(setup);
  const daemon = await startDaemon(cluster);
  const heap = await rawClient(cluster.clientConfig());
  if (options.foreignServer) {
    await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
    await createUserMapping(heap, cluster.user, cluster.password);
  }
  for (const table of tables) {
    await heap.query('SELECT analytica.register_table($1)', [table]);
    await heap.query('SELECT analytica.wait_for_sync($1)', [table]);
  }
  const columnar = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  return { cluster, daemon, heap, columnar };
}

/** Ends what startDifferential started (whatever part of it did start). */
export async function stopDifferential(fixture: Partial<Differential> | undefined): Promise<void> {
  await fixture?.heap?.end();
  await fixture?.columnar?.end();
  await fixture?.daemon?.close();
  await fixture?.cluster?.close();
}
