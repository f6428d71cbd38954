import assert from 'node:assert/strict';
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { defaultVersion, installSchema, sqlDirectory } from '../src/catalog/schema-installer.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import { startTestCluster } from './helpers/cluster.js';

let cluster: LocalCluster;
before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster?.close();
});

async function freshDatabase(name: string): Promise<pg.Client> {
  await cluster.createDatabase(name);
  const client = new pg.Client(cluster.clientConfig(name));
  await client.connect();
  return client;
}

/** A description of every object in the analytica schema, to compare installs. */
async function schemaShape(client: pg.Client): Promise<string> {
  const { rows } = await client.query(`
    SELECT c.relname || ':' || c.relkind::text || ':' || coalesce(string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum), '') AS o
      FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relnamespace = 'analytica'::regnamespace GROUP BY c.relname, c.relkind
    UNION ALL
    SELECT p.proname || '(' || pg_get_function_arguments(p.oid) || ') ' || pg_get_function_result(p.oid) || md5(p.prosrc)
      FROM pg_proc p WHERE p.pronamespace = 'analytica'::regnamespace
     ORDER BY 1`);
  return rows.map((r) => r.o).join('\n');
}

describe('control schema', () => {
  test('installs on an empty database, and installing again is a no-op', async () => {
    const client = await freshDatabase('install_fresh');
    try {
      const first = await installSchema(client);
      assert.equal(first.from, undefined);
      assert.equal(first.to, await defaultVersion());
      assert.deepEqual(first.applied, [
        'pg_analytica--0.1.sql',
        'pg_analytica--0.1--0.2.sql',
        'pg_analytica--0.2--0.3.sql',
        'pg_analytica--0.3--0.4.sql',
        'pg_analytica--0.4--0.5.sql',
        'pg_analytica--0.5--0.6.sql',
        'pg_analytica--0.6--0.7.sql',
        'pg_analytica--0.7--0.8.sql',
        'pg_analytica--0.8--0.9.sql',
      ]);
      const shape = await schemaShape(client);
      const second = await installSchema(client);
      assert.deepEqual(second.applied, []);
      assert.equal(second.from, first.to);
      assert.equal(await schemaShape(client), shape);
    } finally {
      await client.end();
    }
  });

  test('upgrades from the previous version, keeping registrations', async () => {
    const client = await freshDatabase('install_upgrade');
    try {
      await installSchema(client, '0.1');
      await client.query('CREATE TABLE kept (id int PRIMARY KEY, v text)');
      await client.query(`SELECT analytica.register_table('kept')`);
      await assert.rejects(client.query(`SELECT analytica.wait_for_sync('kept', '1ms')`), /does not exist/);
      const upgraded = await installSchema(client);
      assert.deepEqual(upgraded, {
        from: '0.1',
        to: '0.9',
        applied: [
          'pg_analytica--0.1--0.2.sql',
          'pg_analytica--0.2--0.3.sql',
          'pg_analytica--0.3--0.4.sql',
          'pg_analytica--0.4--0.5.sql',
          'pg_analytica--0.5--0.6.sql',
          'pg_analytica--0.6--0.7.sql',
          'pg_analytica--0.7--0.8.sql',
          'pg_analytica--0.8--0.9.sql',
        ],
        extension: false,
      });
      // A registration made before streaming existed keeps re-copying (mode refresh).
      const { rows } = await client.query('SELECT table_name, mode, state, order_by FROM analytica.status');
      assert.deepEqual(rows, [
        { table_name: 'public.kept', mode: 'refresh', state: 'pending', order_by: ['id'] },
      ]);
      // wait_for_sync exists now; no daemon runs here, so it times out with 57014.
      await assert.rejects(client.query(`SELECT analytica.wait_for_sync('kept', '50ms')`), { code: '57014' });
      const fresh = await freshDatabase('install_compare');
      try {
        await installSchema(fresh);
        assert.equal(await schemaShape(client), await schemaShape(fresh));
      } finally {
        await fresh.end();
      }
    } finally {
      await client.end();
    }
  });

  test('installs with CREATE EXTENSION from the same files, and the installer follows it', async () => {
    const client = await freshDatabase('install_extension');
    try {
      const { rows } = await client.query(`SELECT setting FROM pg_config WHERE name = 'SHAREDIR'`);
      const extensionDir = path.join(rows[0].setting, 'extension');
      for (const file of (await readdir(sqlDirectory)).filter((f) => f.startsWith('pg_analytica'))) {
        await copyFile(path.join(sqlDirectory, file), path.join(extensionDir, file));
      }
      await client.query(`CREATE EXTENSION pg_analytica VERSION '0.1'`);
      const result = await installSchema(client);
      assert.deepEqual(result, {
        from: '0.1',
        to: '0.9',
        applied: [`ALTER EXTENSION pg_analytica UPDATE TO '0.9'`],
        extension: true,
      });
      const version = await client.query(
        `SELECT extversion FROM pg_extension WHERE extname = 'pg_analytica'`,
      );
      assert.equal(version.rows[0].extversion, '0.9');
      const plain = await freshDatabase('install_plain');
      try {
        await installSchema(plain);
        assert.equal(await schemaShape(client), await schemaShape(plain));
      } finally {
        await plain.end();
      }
    } finally {
      await client.end();
    }
  });
});

test('snapshot_contains: a copy contains a caller exactly when it sees every transaction the caller saw', async () => {
  const client = await freshDatabase('snapshots');
  try {
    await installSchema(client);
    const cases: [string, string, boolean][] = [
      ['100:100:', '90:95:91', true], // taken later, nothing in progress
      ['100:105:101', '90:102:', false], // 101 committed for the caller, still running for the copy
      ['100:105:101', '90:102:101', true], // 101 running for both
      ['100:100:', '100:110:', false], // the caller saw transactions the copy cannot
      ['100:110:105', '100:104:', true], // 105 is above the caller's xmax: invisible to it anyway
    ];
    for (const [later, earlier, expected] of cases) {
      const { rows } = await client.query(
        'SELECT analytica.snapshot_contains($1::pg_snapshot, $2::pg_snapshot) AS c',
        [later, earlier],
      );
      assert.equal(rows[0].c, expected, `${later} contains ${earlier}`);
    }
  } finally {
    await client.end();
  }
});

describe('registration', () => {
  let admin: pg.Client;
  before(async () => {
    admin = await freshDatabase('registration');
    await installSchema(admin);
    await admin.query(`
      CREATE TABLE events (id bigint PRIMARY KEY, ts timestamptz, kind text);
      CREATE TABLE nokey (a int, b text);
      CREATE VIEW events_view AS SELECT * FROM events;
      CREATE TABLE shapes (id int PRIMARY KEY, "where" point);
      CREATE TABLE matrix (id int PRIMARY KEY, m interval[][]);
      CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
      CREATE TABLE "Odd ""Name""" (id int, "Mood" mood, tags text[]);
      CREATE ROLE alice LOGIN PASSWORD 'alice-secret';
      GRANT CONNECT ON DATABASE registration TO alice;`);
  });
  after(async () => {
    await admin?.end();
  });

  test('registers a table with the primary key as default order and NOTIFYs the daemon', async () => {
    const listener = new pg.Client(cluster.clientConfig('registration'));
    await listener.connect();
    try {
      await listener.query('LISTEN analytica');
      const notified = new Promise<string | undefined>((resolve) =>
        listener.once('notification', (n) => resolve(n.payload)),
      );
      await admin.query(`SELECT analytica.register_table('events')`);
      assert.match((await notified) ?? '', /^register \d+$/);
      const { rows } = await admin.query(
        `SELECT order_by, mode, state FROM analytica.tables WHERE relid = 'events'::regclass`,
      );
      assert.deepEqual(rows, [{ order_by: ['id'], mode: 'stream', state: 'pending' }]);
    } finally {
      await listener.end();
    }
  });

  test('accepts an explicit order, enums, arrays and hostile names', async () => {
    await admin.query(`SELECT analytica.register_table('nokey', order_by => '{b,a}', mode => 'refresh')`);
    await admin.query(`SELECT analytica.register_table('"Odd ""Name"""', '{"Mood"}', 'refresh')`);
    const { rows } = await admin.query(
      `SELECT table_name, order_by FROM analytica.status WHERE table_name <> 'public.events' ORDER BY 1`,
    );
    assert.deepEqual(rows, [
      { table_name: 'public."Odd ""Name"""', order_by: ['Mood'] },
      { table_name: 'public.nokey', order_by: ['b', 'a'] },
    ]);
  });

  test('rejects bad registrations with clear messages and SQLSTATEs', async () => {
    const cases: [string, string, RegExp][] = [
      [`SELECT analytica.register_table('events_view')`, '42809', /public.events_view is not a table/],
      [`SELECT analytica.register_table('events')`, '42710', /table public.events is already registered/],
      [
        `SELECT analytica.register_table('missing_table')`,
        '42P01',
        /relation "missing_table" does not exist/,
      ],
      [
        `SELECT analytica.register_table('shapes')`,
        '0A000',
        /column "where" of table public.shapes has unsupported type point/,
      ],
      [
        `SELECT analytica.register_table('matrix')`,
        '0A000',
        /column m of table public.matrix has unsupported type interval\[\]/,
      ],
      [`SELECT analytica.register_table('pg_class')`, '42809', /system table/],
    ];
    await admin.query('CREATE TABLE ordered (id int PRIMARY KEY, ts timestamptz)');
    cases.push([
      `SELECT analytica.register_table('ordered', '{ts,nope,"x; DROP TABLE events"}')`,
      '42703',
      /unknown column\(s\) nope, "x; DROP TABLE events"/,
    ]);
    for (const [sql, code, message] of cases) {
      await assert.rejects(admin.query(sql), (error: pg.DatabaseError) => {
        assert.equal(error.code, code, `${sql}: ${error.message}`);
        assert.match(error.message, message);
        return true;
      });
    }
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM analytica.tables WHERE relid = 'ordered'::regclass`,
    );
    assert.equal(rows[0].n, 0);
  });

  test('only the owner registers, and status shows only readable tables', async () => {
    const alice = new pg.Client({
      ...cluster.clientConfig('registration'),
      user: 'alice',
      password: 'alice-secret',
    });
    await alice.connect();
    try {
      await assert.rejects(alice.query(`SELECT analytica.register_table('public.events')`), {
        code: '42501',
      });
      await assert.rejects(alice.query(`SELECT analytica.unregister_table('public.events')`), {
        code: '42501',
      });
      await assert.rejects(alice.query(`SELECT * FROM analytica.tables`), { code: '42501' });
      assert.equal((await alice.query('SELECT * FROM analytica.status')).rows.length, 0);
      await admin.query('GRANT SELECT ON events TO alice');
      const visible = await alice.query('SELECT table_name FROM analytica.status');
      assert.deepEqual(visible.rows, [{ table_name: 'public.events' }]);
      await admin.query(
        'CREATE TABLE alice_table (id int PRIMARY KEY); ALTER TABLE alice_table OWNER TO alice',
      );
      await alice.query(`SELECT analytica.register_table('alice_table')`);
      await alice.query(`SELECT analytica.unregister_table('alice_table')`);
    } finally {
      await alice.end();
    }
  });

  test('settings are read as custom settings of the database', async () => {
    await admin.query(`ALTER DATABASE registration SET analytica.naptime = '2s'`);
    const client = new pg.Client(cluster.clientConfig('registration'));
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT setting, default_value FROM analytica.settings WHERE name = 'analytica.naptime'`,
      );
      assert.deepEqual(rows, [{ setting: '2s', default_value: '1s' }]);
    } finally {
      await client.end();
    }
  });

  test('unregister removes the registration; unknown tables are reported', async () => {
    await admin.query(`SELECT analytica.unregister_table('nokey')`);
    await assert.rejects(admin.query(`SELECT analytica.unregister_table('nokey')`), {
      code: '42704',
      message: /not registered/,
    });
    await assert.rejects(admin.query(`SELECT analytica.sync_now('nokey')`), { code: '42704' });
  });
});
