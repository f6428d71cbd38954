/**
 * Column privileges (GRANT SELECT (a, b) ON t): a role reads exactly the columns it may SELECT,
 * as in PostgreSQL. Every statement is run three ways by the same role — on the heap in
 * PostgreSQL, on the daemon directly, and through the columnar.* foreign table — and the answers
 * (rows, or SQLSTATE and message) must be the same.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { createForeignServer, createUserMapping } from '../src/catalog/foreign-server.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { startTestCluster, waitFor } from './helpers/cluster.js';
import { rawClient, startDaemon } from './helpers/daemon.js';

let cluster: LocalCluster;
let daemon: Daemon;
let heap: pg.Client;

/** A login role with its three connections: the heap, the daemon, PostgreSQL for columnar.*. */
interface RoleClients {
  pg: pg.Client;
  daemon: pg.Client;
}
const roles = new Map<string, RoleClients>();

const setupSql = `
  CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric(10,2), created_at timestamptz, secret text);
  INSERT INTO orders SELECT g, 'c' || (g % 4), g * 1.25, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour', 's' || g
    FROM generate_series(1, 40) g;
  CREATE TABLE items (order_id int, sku text, PRIMARY KEY (order_id, sku));
  INSERT INTO items SELECT g, 'sku' || (g % 3) FROM generate_series(1, 40, 3) g;
  CREATE TABLE notes (id int PRIMARY KEY, body text, private text);
  INSERT INTO notes SELECT g, 'b' || g, 'p' || g FROM generate_series(1, 5) g;
  CREATE ROLE alice LOGIN PASSWORD 'alice-pw';
  GRANT SELECT (id, customer, amount, created_at) ON orders TO alice;
  GRANT SELECT ON items TO alice;
  CREATE ROLE analysts NOLOGIN;
  GRANT SELECT (id, amount) ON orders TO analysts;
  CREATE ROLE bob LOGIN PASSWORD 'bob-pw' IN ROLE analysts;
  CREATE ROLE carol LOGIN PASSWORD 'carol-pw';
  GRANT SELECT (id) ON notes TO PUBLIC;
  CREATE ROLE erin LOGIN PASSWORD 'erin-pw';
  GRANT SELECT (id, customer, amount, created_at, secret) ON orders TO erin;
`;

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(setupSql);
  daemon = await startDaemon(cluster);
  heap = await rawClient(cluster.clientConfig());
  await createForeignServer(heap, { host: '127.0.0.1', port: daemon.port });
  for (const table of ['orders', 'items', 'notes']) {
    await heap.query(`SELECT analytica.register_table('${table}')`);
    await heap.query(`SELECT analytica.wait_for_sync('${table}')`);
  }
  for (const role of ['alice', 'bob', 'carol', 'erin']) {
    const password = `${role}-pw`;
    await heap.query(`GRANT USAGE ON FOREIGN SERVER pg_analytica TO ${role}`);
    await createUserMapping(heap, role, password);
    const config = { ...cluster.clientConfig(), user: role, password };
    roles.set(role, {
      pg: await rawClient(config),
      daemon: await rawClient({ ...config, port: daemon.port }),
    });
  }
});

after(async () => {
  for (const clients of roles.values()) {
    await clients.pg.end();
    await clients.daemon.end();
  }
  await heap?.end();
  await daemon?.close();
  await cluster?.close();
});

type Outcome = { rows: (string | null)[][] } | { code: string | undefined; message: string };

async function outcome(client: pg.Client, sql: string): Promise<Outcome> {
  try {
    return { rows: (await client.query({ text: sql, rowMode: 'array' })).rows };
  } catch (error) {
    const e = error as Error & { code?: string };
    return { code: e.code, message: e.message };
  }
}

/** The columnar.* spelling of a statement written against the public tables. */
function foreign(sql: string): string {
  return sql.replaceAll(/\b(FROM|JOIN) (orders|items|notes)\b/g, '$1 columnar.$2');
}

/** The heap's answer for `role`, which the daemon (and columnar.*, unless `direct`) must give too. */
async function assertSame(role: string, sql: string, expect: 'rows' | 'denied', direct = false) {
  const clients = roles.get(role)!;
  const expected = await outcome(clients.pg, sql);
  if (expect === 'denied')
    assert.deepEqual(
      expected,
      { code: '42501', message: `permission denied for table ${deniedTable(sql)}` },
      sql,
    );
  else assert.ok('rows' in expected, `${sql}: ${JSON.stringify(expected)}`);
  assert.deepEqual(await outcome(clients.daemon, sql), expected, `daemon: ${sql}`);
  if (direct) return;
  const actual = await outcome(clients.pg, foreign(sql));
  assert.deepEqual(actual, fdwAnswer(expected, actual), `columnar: ${foreign(sql)}`);
}

/**
 * The heap's answer as columnar.* gives it. A refusal is PostgreSQL's own check on the foreign
 * table (whose grants are the source's), which names it as what it is, a foreign table — or, when
 * postgres_fdw asks the daemon for remote estimates while planning (use_remote_estimate), and
 * the columns it sends are refused there first, the daemon's, which names the source table.
 */
function fdwAnswer(expected: Outcome, actual: Outcome): Outcome {
  if ('rows' in expected || 'rows' in actual || actual.message === expected.message) return expected;
  return { ...expected, message: expected.message.replace(' table ', ' foreign table ') };
}

function deniedTable(sql: string): string {
  return /\bnotes\b/.test(sql) && !/\borders\b/.test(sql) ? 'notes' : 'orders';
}

describe('a role with SELECT on some columns only', () => {
  const granted = [
    'SELECT id, created_at FROM orders ORDER BY id',
    'SELECT customer, sum(amount) FROM orders WHERE amount > 5 GROUP BY customer HAVING count(*) > 1 ORDER BY customer',
    'SELECT count(*) FROM orders',
    'SELECT 1 FROM orders LIMIT 1',
    'SELECT o.id, i.sku FROM orders o JOIN items i ON i.order_id = o.id ORDER BY 1, 2',
    'SELECT id FROM orders WHERE id IN (SELECT order_id FROM items) ORDER BY id',
    'SELECT id FROM orders o WHERE EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id) ORDER BY id',
    'WITH c AS (SELECT customer, amount FROM orders) SELECT customer, max(amount) FROM c GROUP BY 1 ORDER BY 1',
    'SELECT id, row_number() OVER (PARTITION BY customer ORDER BY amount) FROM orders ORDER BY id',
    'SELECT id, sum(amount) OVER w FROM orders WINDOW w AS (ORDER BY created_at) ORDER BY id',
    // ORDER BY names the output column, not the table's column of that name.
    'SELECT amount AS secret FROM orders ORDER BY secret, id',
    'SELECT count(*) FROM orders a JOIN orders b USING (id)',
    'SELECT s.x FROM (SELECT id AS x FROM orders) s ORDER BY 1',
    'SELECT DISTINCT ON (customer) customer, id FROM orders ORDER BY customer, id',
    'SELECT count(DISTINCT customer) FROM orders',
    'SELECT id FROM orders o1 WHERE amount > (SELECT avg(amount) FROM orders o2 WHERE o2.customer = o1.customer) ORDER BY id',
    'SELECT x.id FROM orders AS x(id, c) WHERE c = $$c1$$ ORDER BY 1',
    'SELECT o.id, l.n FROM orders o, LATERAL (SELECT count(*) AS n FROM items i WHERE i.order_id = o.id) l ORDER BY 1',
    'SELECT id FROM orders UNION SELECT order_id FROM items ORDER BY id',
  ];
  const denied = [
    'SELECT * FROM orders',
    'SELECT o.* FROM orders o',
    'SELECT i.sku, o.* FROM orders o JOIN items i ON i.order_id = o.id',
    'SELECT secret FROM orders',
    'SELECT count(secret) FROM orders',
    "SELECT id FROM orders WHERE secret = 's1'",
    'SELECT customer FROM orders GROUP BY customer, secret',
    'SELECT id FROM orders ORDER BY secret',
    'SELECT count(*) FROM orders a JOIN orders b ON a.secret = b.secret',
    'SELECT count(*) FROM orders a JOIN orders b USING (secret)',
    'SELECT count(*) FROM orders a NATURAL JOIN orders b',
    'SELECT order_id FROM items i WHERE EXISTS (SELECT 1 FROM orders o WHERE o.secret = i.sku)',
    'SELECT id FROM orders WHERE id IN (SELECT order_id FROM items WHERE sku = secret)',
    'WITH c AS (SELECT secret FROM orders) SELECT count(*) FROM c',
    'SELECT id, count(*) OVER (PARTITION BY secret) FROM orders',
    'SELECT s.id FROM (SELECT * FROM orders) s',
    'SELECT o FROM orders o',
    'SELECT 1 FROM items WHERE EXISTS (SELECT * FROM orders)',
    'SELECT (SELECT max(secret) FROM orders)',
    'SELECT x.id FROM orders AS x(id, c, a, t, s) WHERE s = $$s1$$',
    'SELECT o.id, l.n FROM orders o, LATERAL (SELECT count(*) AS n FROM items i WHERE i.sku = o.secret) l',
  ];

  test('names the granted columns anywhere in a query: the heap’s rows, directly and through columnar.*', async () => {
    for (const sql of granted) await assertSame('alice', sql, 'rows');
  });

  test('any other column, *, t.* and a whole-row reference fail with PostgreSQL’s 42501 and message', async () => {
    for (const sql of denied) await assertSame('alice', sql, 'denied');
  });

  test('a role granted every column one by one reads SELECT * as PostgreSQL lets it', async () => {
    await assertSame('erin', 'SELECT * FROM orders ORDER BY id', 'rows');
    await assertSame('erin', 'SELECT o.* FROM orders o WHERE secret = $$s3$$', 'rows');
  });

  test('column grants through a granted role count, as PostgreSQL counts them', async () => {
    await assertSame('bob', 'SELECT id, amount FROM orders ORDER BY id', 'rows');
    await assertSame('bob', 'SELECT count(*) FROM orders', 'rows');
    await assertSame('bob', 'SELECT id, customer FROM orders', 'denied');
    await assertSame('bob', 'SELECT * FROM orders', 'denied');
  });

  test('column grants to PUBLIC count; with no column granted even count(*) is refused', async () => {
    await assertSame('carol', 'SELECT id FROM notes ORDER BY id', 'rows');
    await assertSame('carol', 'SELECT count(*) FROM notes', 'rows');
    await assertSame('carol', 'SELECT body FROM notes', 'denied');
    await assertSame('carol', 'SELECT * FROM notes', 'denied');
    await assertSame('carol', 'SELECT count(*) FROM orders', 'denied');
  });

  test('SET ROLE in PostgreSQL reads columnar.* with that role’s column privileges', async () => {
    const answers = async (sql: string) => {
      await heap.query('SET ROLE alice');
      try {
        return [await outcome(heap, sql), await outcome(heap, foreign(sql))];
      } finally {
        await heap.query('RESET ROLE');
      }
    };
    const [heapRows, foreignRows] = await answers('SELECT id, customer FROM orders ORDER BY id');
    assert.ok(heapRows && 'rows' in heapRows && heapRows.rows.length === 40);
    assert.deepEqual(foreignRows, heapRows);
    const [heapError, foreignError] = await answers('SELECT * FROM orders');
    assert.deepEqual(heapError, { code: '42501', message: 'permission denied for table orders' });
    assert.deepEqual(foreignError, fdwAnswer(heapError!, foreignError!));
  });

  test('a REVOKE or GRANT counts from the next statement, in the same session and transaction', async () => {
    const sql = 'SELECT customer FROM orders ORDER BY id LIMIT 3';
    await assertSame('alice', sql, 'rows');
    await heap.query('REVOKE SELECT (customer) ON orders FROM alice');
    try {
      await assertSame('alice', sql, 'denied');
      const { daemon: client } = roles.get('alice')!;
      await client.query('BEGIN');
      try {
        await client.query('SELECT id FROM orders LIMIT 1');
        await heap.query('GRANT SELECT (customer) ON orders TO alice');
        assert.equal((await client.query(sql)).rows.length, 3);
        await heap.query('REVOKE SELECT (customer) ON orders FROM alice');
        assert.deepEqual(await outcome(client, sql), {
          code: '42501',
          message: 'permission denied for table orders',
        });
      } finally {
        await client.query('ROLLBACK');
      }
    } finally {
      await heap.query('GRANT SELECT (customer) ON orders TO alice');
    }
    await assertSame('alice', sql, 'rows');
  });

  test('prepared statements are checked at every execution', async () => {
    const { daemon: client } = roles.get('alice')!;
    const query = { name: 'by_customer', text: 'SELECT customer FROM orders WHERE id = $1', values: [2] };
    assert.deepEqual((await client.query({ ...query, rowMode: 'array' })).rows, [['c2']]);
    await heap.query('REVOKE SELECT (customer) ON orders FROM alice');
    try {
      await assert.rejects(client.query(query), {
        code: '42501',
        message: 'permission denied for table orders',
      });
    } finally {
      await heap.query('GRANT SELECT (customer) ON orders TO alice');
    }
  });
});

describe('catalog queries of a role with column privileges', () => {
  const catalogQueries = (table: string) => [
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
    `SELECT table_name, column_name, privilege_type FROM information_schema.column_privileges
      WHERE table_schema = 'public' ORDER BY 1, 2, 3`,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    `SELECT attname FROM pg_catalog.pg_attribute
      WHERE attrelid = 'public.${table}'::regclass AND attnum > 0 ORDER BY attnum`,
  ];

  test('show through the daemon what PostgreSQL shows the role', async () => {
    // carol may read no column of orders: the daemon shows her notes only (it lists the tables
    // a role may read, daemon-security.test.ts), so her pg_attribute query is of notes.
    for (const [role, table] of [
      ['alice', 'orders'],
      ['bob', 'orders'],
      ['carol', 'notes'],
    ] as const) {
      const clients = roles.get(role)!;
      for (const sql of catalogQueries(table)) {
        const expected = await outcome(clients.pg, sql);
        assert.ok('rows' in expected && expected.rows.length > 0, `${role}: ${sql}`);
        assert.deepEqual(await outcome(clients.daemon, sql), expected, `${role}: ${sql}`);
      }
    }
  });
});

/** The SELECT grants of a relation, as grantee:columns (* for the whole table), owner left out. */
async function selectGrants(relation: string): Promise<string[]> {
  const { rows } = await heap.query(
    `SELECT a.grantee::regrole::text || ':*' AS g
       FROM pg_class c, aclexplode(c.relacl) a
      WHERE c.oid = $1::regclass AND a.privilege_type = 'SELECT' AND a.grantee <> c.relowner
     UNION
     SELECT a.grantee::regrole::text || ':' || att.attname
       FROM pg_class c JOIN pg_attribute att ON att.attrelid = c.oid, aclexplode(att.attacl) a
      WHERE c.oid = $1::regclass AND a.privilege_type = 'SELECT' AND a.grantee <> c.relowner
      ORDER BY 1`,
    [relation],
  );
  return rows.map((r) => String(r.g).replace(/^-:/, 'PUBLIC:'));
}

describe('the grants of the columnar.* foreign tables', () => {
  test('mirror the source’s table and column grants, and follow GRANT and REVOKE on it', async () => {
    assert.deepEqual(await selectGrants('columnar.orders'), await selectGrants('public.orders'));
    assert.deepEqual(await selectGrants('columnar.notes'), await selectGrants('public.notes'));
    assert.ok((await selectGrants('columnar.orders')).includes('alice:customer'));
    await heap.query(
      'CREATE ROLE dave; GRANT SELECT (secret) ON orders TO dave; GRANT SELECT ON notes TO dave',
    );
    assert.deepEqual(await selectGrants('columnar.orders'), await selectGrants('public.orders'));
    assert.ok((await selectGrants('columnar.orders')).includes('dave:secret'));
    assert.ok((await selectGrants('columnar.notes')).includes('dave:*'));
    await heap.query('REVOKE SELECT ON orders, notes FROM dave; DROP ROLE dave');
    assert.deepEqual(await selectGrants('columnar.orders'), await selectGrants('public.orders'));
    assert.deepEqual(await selectGrants('columnar.notes'), await selectGrants('public.notes'));
  });

  test('without the event trigger (a schema installed by a role that is not a superuser), the launcher mirrors them', async () => {
    await heap.query('DROP EVENT TRIGGER pg_analytica_mirror_grants');
    try {
      await heap.query(
        'CREATE ROLE frank; GRANT SELECT (customer) ON orders TO frank; GRANT SELECT ON notes TO frank',
      );
      // No trigger ran: the launcher's next pass (naptime 200 ms here) brings the foreign tables in line.
      await waitFor(
        async () => (await selectGrants('columnar.orders')).includes('frank:customer') || undefined,
        'frank’s column grant on columnar.orders',
      );
      await waitFor(
        async () => (await selectGrants('columnar.notes')).includes('frank:*') || undefined,
        'frank’s grant on columnar.notes',
      );
      await heap.query('REVOKE SELECT ON orders, notes FROM frank');
      await waitFor(
        async () =>
          (JSON.stringify(await selectGrants('columnar.orders')) ===
            JSON.stringify(await selectGrants('public.orders')) &&
            !(await selectGrants('columnar.notes')).includes('frank:*')) ||
          undefined,
        'the REVOKE mirrored',
      );
    } finally {
      await heap.query(`CREATE EVENT TRIGGER pg_analytica_mirror_grants ON ddl_command_end
                          WHEN TAG IN ('GRANT', 'REVOKE') EXECUTE FUNCTION analytica.on_grant()`);
      await heap.query('DROP ROLE IF EXISTS frank');
    }
    assert.deepEqual(await selectGrants('columnar.orders'), await selectGrants('public.orders'));
  });

  test('the daemon still refuses what the source does not grant when the foreign table grants more', async () => {
    // Widened by hand, with the mirroring trigger off: PostgreSQL's own check on the foreign table
    // passes, so the refusal is the daemon's, relayed by postgres_fdw.
    await heap.query('ALTER EVENT TRIGGER pg_analytica_mirror_grants DISABLE');
    await heap.query('GRANT SELECT ON columnar.orders TO alice');
    const { pg: client } = roles.get('alice')!;
    try {
      const { rows } = await client.query(
        `SELECT has_table_privilege('columnar.orders', 'SELECT') AS foreign, has_table_privilege('public.orders', 'SELECT') AS source`,
      );
      assert.deepEqual(rows, [{ foreign: 't', source: 'f' }]);
      for (const sql of ['SELECT secret FROM columnar.orders', 'SELECT * FROM columnar.orders']) {
        await assert.rejects(client.query(sql), {
          code: '42501',
          message: 'permission denied for table orders',
        });
      }
      assert.equal((await client.query('SELECT id, customer FROM columnar.orders')).rows.length, 40);
    } finally {
      await heap.query('ALTER EVENT TRIGGER pg_analytica_mirror_grants ENABLE');
      await heap.query('REVOKE SELECT ON columnar.orders FROM alice');
      await heap.query('SELECT analytica.sync_foreign_grants()');
    }
    assert.deepEqual(await selectGrants('columnar.orders'), await selectGrants('public.orders'));
  });
});
