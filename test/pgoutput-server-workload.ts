/**
 * The workload for the real-server pgoutput test: one session runs every kind
 * of change pgoutput can send, recording each transaction's xid, while four
 * logical slots (created before it) watch with protocol versions 1–4.
 */
import pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';

export const toastedNote = '0123456789'.repeat(1000);
export const bigRows = 2000;

/** Origin timestamp before 2000-01-01: the decoded commit time is this, negative on the wire. */
export const originTimestamp = '1999-12-31 23:59:59.987654+00';
export const originTimestampMicros = BigInt(Date.UTC(1999, 11, 31, 23, 59, 59)) * 1000n + 987_654n;
export const originLsnText = '1/ABCDEF';

/** Transaction ids of the workload, by name, in the order the transactions ran. */
export type WorkloadXids = Record<(typeof transactionNames)[number], number>;

export const transactionNames = [
  'inserted',
  'multiStatement',
  'rolledBack',
  'toasted',
  'unchangedToast',
  'keyChanged',
  'identityFull',
  'afterAddColumn',
  'transactionalMessage',
  'fromOrigin',
  'bigStreamed',
  'bigRolledBack',
  'preparedCommitted',
  'preparedRolledBack',
  'bigPrepared',
  'truncated',
] as const;

export interface Slot {
  name: string;
  options: string[];
}

export const slots = {
  v1: { name: 's1', options: ['proto_version', '1', 'publication_names', 'pub', 'messages', 'true'] },
  v2: {
    name: 's2',
    options: ['proto_version', '2', 'publication_names', 'pub', 'messages', 'true', 'streaming', 'on'],
  },
  v3: {
    name: 's3',
    options: [
      ...['proto_version', '3', 'publication_names', 'pub', 'messages', 'true'],
      ...['streaming', 'on', 'two_phase', 'on'],
    ],
  },
  v4: {
    name: 's4',
    options: ['proto_version', '4', 'publication_names', 'pub', 'messages', 'true', 'streaming', 'parallel'],
  },
} as const satisfies Record<string, Slot>;

export async function setUpSchema(cluster: LocalCluster): Promise<void> {
  await cluster.exec(`
    CREATE TYPE mood AS ENUM ('sad', 'happy');
    CREATE TABLE items (id int PRIMARY KEY, name text, note text, m mood);
    ALTER TABLE items ALTER COLUMN note SET STORAGE EXTERNAL;
    CREATE TABLE full_rows (a int, b text);
    ALTER TABLE full_rows REPLICA IDENTITY FULL;
    CREATE TABLE big (id int, payload text);
    CREATE PUBLICATION pub FOR ALL TABLES;
    SELECT pg_replication_origin_create('upstream');`);
  // A slot cannot be created in a transaction that has written, so one statement each.
  await cluster.exec("SELECT pg_create_logical_replication_slot('s1', 'pgoutput')");
  await cluster.exec("SELECT pg_create_logical_replication_slot('s2', 'pgoutput')");
  await cluster.exec("SELECT pg_create_logical_replication_slot('s3', 'pgoutput', false, true)");
  await cluster.exec("SELECT pg_create_logical_replication_slot('s4', 'pgoutput')");
}

/** Runs `sql` as one explicit transaction and returns its xid. */
async function txn(client: pg.Client, sql: string, end = 'COMMIT'): Promise<number> {
  const results = (await client.query(
    `BEGIN; ${sql}; SELECT pg_current_xact_id()::text AS xid; ${end}`,
  )) as unknown as pg.QueryResult[];
  const row = results.find((r) => r.fields?.[0]?.name === 'xid')?.rows[0] as { xid: string };
  return Number(row.xid);
}

export async function runWorkload(cluster: LocalCluster): Promise<WorkloadXids> {
  const client = new pg.Client(cluster.clientConfig());
  await client.connect();
  try {
    return await statements(client);
  } finally {
    await client.end();
  }
}

const bigInsert = (from: number, letter: string) =>
  `INSERT INTO big SELECT g, repeat('${letter}', 100) FROM generate_series(${from}, ${from + bigRows - 1}) g`;

async function statements(c: pg.Client): Promise<WorkloadXids> {
  const x: Partial<WorkloadXids> = {};
  x.inserted = await txn(c, "INSERT INTO items VALUES (1, 'Zoë', 'short', 'happy'), (2, NULL, '', 'sad')");
  x.multiStatement = await txn(
    c,
    "INSERT INTO items VALUES (3, 'three', NULL, NULL); UPDATE items SET name = 'Zoé 😀' WHERE id = 1; DELETE FROM items WHERE id = 2",
  );
  x.rolledBack = await txn(c, "INSERT INTO items VALUES (99, 'ghost', NULL, NULL)", 'ROLLBACK');
  x.toasted = await txn(c, `INSERT INTO items VALUES (4, 'toast', '${toastedNote}', 'sad')`);
  x.unchangedToast = await txn(c, "UPDATE items SET name = 'toasted' WHERE id = 4");
  x.keyChanged = await txn(c, 'UPDATE items SET id = 30 WHERE id = 3');
  x.identityFull = await txn(
    c,
    "INSERT INTO full_rows VALUES (1, 'a'); UPDATE full_rows SET b = 'b'; DELETE FROM full_rows",
  );
  await c.query('ALTER TABLE items ADD COLUMN extra int');
  x.afterAddColumn = await txn(c, "INSERT INTO items VALUES (5, 'five', NULL, 'happy', 42)");
  x.transactionalMessage = await txn(c, "SELECT pg_logical_emit_message(true, 'pga', 'transactional ü')");
  await c.query("SELECT pg_logical_emit_message(false, 'pga', 'not transactional')");
  await c.query("SELECT pg_replication_origin_session_setup('upstream')");
  x.fromOrigin = await txn(
    c,
    `SELECT pg_replication_origin_xact_setup('${originLsnText}', '${originTimestamp}');
     INSERT INTO items VALUES (6, 'from origin', NULL, NULL, NULL)`,
  );
  await c.query('SELECT pg_replication_origin_session_reset()');
  x.bigStreamed = await txn(c, bigInsert(1, 'x'));
  x.bigRolledBack = await txn(c, bigInsert(1, 'y'), 'ROLLBACK');
  const insert7 = "INSERT INTO items VALUES (7, 'prepared', NULL, NULL, NULL)";
  x.preparedCommitted = await txn(c, insert7, "PREPARE TRANSACTION 'gx'");
  await c.query("COMMIT PREPARED 'gx'");
  const insert8 = "INSERT INTO items VALUES (8, 'never', NULL, NULL, NULL)";
  x.preparedRolledBack = await txn(c, insert8, "PREPARE TRANSACTION 'gy'");
  await c.query("ROLLBACK PREPARED 'gy'");
  x.bigPrepared = await txn(c, bigInsert(bigRows + 1, 'z'), "PREPARE TRANSACTION 'gz'");
  await c.query("COMMIT PREPARED 'gz'");
  x.truncated = await txn(c, 'TRUNCATE full_rows, big RESTART IDENTITY CASCADE');
  return x as WorkloadXids;
}

export interface ChangeRow {
  lsn: string;
  xid: string;
  data: Buffer;
}

export async function readChanges(
  cluster: LocalCluster,
  slot: Slot,
  mode: 'get' | 'peek' = 'get',
  extra: string[] = [],
): Promise<ChangeRow[]> {
  const client = new pg.Client(cluster.clientConfig());
  await client.connect();
  try {
    const result = await client.query<ChangeRow>(
      `SELECT lsn::text, xid::text, data FROM pg_logical_slot_${mode}_binary_changes($1, NULL, NULL, VARIADIC $2::text[])`,
      [slot.name, [...slot.options, ...extra]],
    );
    return result.rows;
  } finally {
    await client.end();
  }
}
