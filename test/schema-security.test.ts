/**
 * The control schema and the daemon against roles that try to borrow their
 * privileges: register_table runs as the installing superuser, and the daemon
 * connects as one. A table owner must not get objects created or granted in
 * schemas that are not pg_analytica's, and functions or operators a role
 * plants in a schema on a search_path must never run as the superuser.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createForeignServer } from '../src/catalog/foreign-server.js';
import { installSchema } from '../src/catalog/schema-installer.js';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { PgError } from '../src/errors.js';
import type { Daemon } from '../src/main.js';
import { ReplicationConnection } from '../src/source/replication/replication-connection.js';
import { sourceConnectionConfig } from '../src/source/source-config.js';
import { failure } from './helpers/assertions.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { plantTrojans, trojanFirings } from './helpers/trojans.js';

const password = "pw 'x' \\ y";

let cluster: LocalCluster;
let daemon: Daemon;
let admin: pg.Client;

function roleConfig(user: string, overrides: pg.ClientConfig = {}): pg.ClientConfig {
  return { ...cluster.clientConfig(), user, password, ...overrides };
}

async function asRole<T>(user: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await rawClient(roleConfig(user));
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function isSuperuser(role: string): Promise<boolean> {
  const { rows } = await admin.query('SELECT rolsuper FROM pg_roles WHERE rolname = $1', [role]);
  return rows[0]?.rolsuper === 't';
}

before(async () => {
  cluster = await startTestCluster();
  // The superuser's own session keeps the trojans below out of its search_path too.
  admin = await rawClient(sourceConnectionConfig(cluster.clientConfig()));
  const pw = admin.escapeLiteral(password);
  await admin.query(`
    CREATE ROLE alice LOGIN PASSWORD ${pw};
    CREATE ROLE bob LOGIN PASSWORD ${pw};
    CREATE ROLE mallory LOGIN PASSWORD ${pw};
    -- The default before PostgreSQL 15, and common since: everyone may create in public.
    GRANT CREATE ON SCHEMA public TO PUBLIC;
    CREATE SCHEMA alice AUTHORIZATION alice;
    CREATE SCHEMA bob AUTHORIZATION bob;
    CREATE SCHEMA vault;
    CREATE FUNCTION vault.get_key() RETURNS text LANGUAGE sql AS $$ SELECT 'the key' $$;`);
  await asRole('mallory', plantTrojans);
  // Started after the trojans are in place: the daemon's very first statements must miss them too.
  daemon = await startDaemon(cluster);
  await createForeignServer(admin, { host: '127.0.0.1', port: daemon.port });
});

after(async () => {
  await admin?.end();
  await daemon?.close();
  await cluster?.close();
});

describe('foreign tables go only into a schema pg_analytica made', () => {
  test('a table owner cannot point register_table at another schema with SET or ALTER ROLE', async () => {
    await asRole('alice', async (alice) => {
      await alice.query('CREATE TABLE alice.orders (id int PRIMARY KEY, amount numeric)');
      await alice.query(`SET analytica.foreign_schema = 'vault'`);
      await alice.query(`SELECT analytica.register_table('alice.orders')`);
      assert.equal((await failure(alice, 'SELECT vault.get_key()')).code, '42501');
    });
    await admin.query(`ALTER ROLE alice SET analytica.foreign_schema = 'bob'`);
    await asRole('alice', async (alice) => {
      await alice.query('CREATE TABLE alice.items (id int PRIMARY KEY)');
      await alice.query(`SELECT analytica.register_table('alice.items')`);
    });
    await admin.query('ALTER ROLE alice RESET analytica.foreign_schema');
    const { rows } = await admin.query(
      `SELECT foreign_table FROM analytica.tables WHERE relid IN ('alice.orders'::regclass, 'alice.items'::regclass) ORDER BY 1`,
    );
    assert.deepEqual(
      rows.map((r) => r.foreign_table),
      ['columnar.items', 'columnar.orders'],
    );
    for (const schema of ['vault', 'bob']) {
      const acl = await admin.query(
        `SELECT coalesce(nspacl::text, '') AS acl, (SELECT count(*) FROM pg_class WHERE relnamespace = n.oid) AS relations
           FROM pg_namespace n WHERE nspname = $1`,
        [schema],
      );
      assert.doesNotMatch(acl.rows[0].acl, /(^|[{,])=U/, `${schema} was opened to PUBLIC`);
      assert.equal(acl.rows[0].relations, '0', `something was created in ${schema}`);
    }
  });

  test('a database setting naming an existing schema gets a warning; a new name is created and recorded', async () => {
    await admin.query(`ALTER DATABASE postgres SET analytica.foreign_schema = 'bob'`);
    try {
      await asRole('bob', (bob) => bob.query('CREATE VIEW bob.v_pub AS SELECT 1 AS one'));
      const notices: { severity?: string; message?: string; hint?: string }[] = [];
      await asRole('alice', async (alice) => {
        alice.on('notice', (n) => notices.push(n));
        await alice.query('CREATE TABLE alice.v_pub (id int PRIMARY KEY)');
        await alice.query(`SELECT analytica.register_table('alice.v_pub')`);
      });
      const warning = notices.find((n) => n.severity === 'WARNING');
      assert.match(
        warning?.message ?? '',
        /no foreign tables in schema bob: it was not created by pg_analytica/,
      );
      assert.match(warning?.hint ?? '', /ALTER DATABASE/);
      const bobs = await admin.query(
        `SELECT relname FROM pg_class WHERE relnamespace = 'bob'::regnamespace AND relkind <> 'v'`,
      );
      assert.deepEqual(bobs.rows, []);

      await admin.query(`ALTER DATABASE postgres SET analytica.foreign_schema = 'reports'`);
      await asRole('alice', async (alice) => {
        await alice.query('CREATE TABLE alice.sales (id int PRIMARY KEY)');
        await alice.query(`SELECT analytica.register_table('alice.sales')`);
      });
      const made = await admin.query(
        `SELECT pg_get_userbyid(n.nspowner) AS owner, f.schema_name, t.foreign_table,
                t.foreign_table_oid = 'reports.sales'::regclass AS same_oid
           FROM pg_namespace n
           JOIN analytica.foreign_schemas f ON f.schema_oid = n.oid
           JOIN analytica.tables t ON t.relid = 'alice.sales'::regclass
          WHERE n.nspname = 'reports'`,
      );
      assert.deepEqual(made.rows, [
        { owner: cluster.user, schema_name: 'reports', foreign_table: 'reports.sales', same_oid: 't' },
      ]);

      // Dropped and made again by another role, the name no longer means pg_analytica's schema.
      await admin.query('DROP SCHEMA reports CASCADE; CREATE SCHEMA reports AUTHORIZATION bob');
      await asRole('alice', async (alice) => {
        await alice.query('CREATE TABLE alice.refunds (id int PRIMARY KEY)');
        await alice.query(`SELECT analytica.register_table('alice.refunds')`);
      });
      const refunds = await admin.query(
        `SELECT foreign_table, (SELECT count(*) FROM pg_class WHERE relnamespace = 'reports'::regnamespace) AS n
           FROM analytica.tables WHERE relid = 'alice.refunds'::regclass`,
      );
      assert.deepEqual(refunds.rows, [{ foreign_table: null, n: '0' }]);
    } finally {
      await admin.query('ALTER DATABASE postgres RESET analytica.foreign_schema');
    }
  });

  test('unregister_table drops the foreign table it made, found by oid', async () => {
    await asRole('alice', async (alice) => {
      await alice.query('CREATE TABLE alice.gone (id int PRIMARY KEY)');
      await alice.query(`SELECT analytica.register_table('alice.gone')`);
    });
    // The stored name now means bob's object: only the foreign table made at registration may go.
    await asRole('bob', (bob) => bob.query('CREATE TABLE bob.precious (id int)'));
    await admin.query(
      `UPDATE analytica.tables SET foreign_table = 'bob.precious' WHERE relid = 'alice.gone'::regclass`,
    );
    await asRole('alice', (alice) => alice.query(`SELECT analytica.unregister_table('alice.gone')`));
    const left = await admin.query(
      `SELECT to_regclass('bob.precious') IS NOT NULL AS kept, to_regclass('columnar.gone') IS NULL AS dropped`,
    );
    assert.deepEqual(left.rows, [{ kept: 't', dropped: 't' }]);
  });
  test('an upgrade from 0.6 adopts the schema 0.6 made, not one a table owner pointed it at', async () => {
    await cluster.createDatabase('from06');
    // Typed values (not rawClient's text): installSchema reads booleans.
    const db = new pg.Client(sourceConnectionConfig(cluster.clientConfig('from06')));
    await db.connect();
    try {
      await installSchema(db, '0.6');
      // Foreign tables are made without reaching the server: any address does.
      await db.query(`SELECT analytica.create_foreign_server('127.0.0.1', 9)`);
      await db.query(`
        CREATE TABLE public.kept (id int PRIMARY KEY);
        CREATE SCHEMA vault;
        CREATE FUNCTION vault.get_key() RETURNS text LANGUAGE sql AS $$ SELECT 'the key' $$;
        CREATE SCHEMA alice AUTHORIZATION alice;`);
      await db.query(`SELECT analytica.register_table('public.kept')`);
      const alice = await rawClient(roleConfig('alice', { database: 'from06' }));
      try {
        await alice.query('CREATE TABLE alice.orders (id int PRIMARY KEY)');
        await alice.query(`SET analytica.foreign_schema = 'vault'`);
        await alice.query(`SELECT analytica.register_table('alice.orders')`);
      } finally {
        await alice.end();
      }
      assert.equal((await installSchema(db)).to, '0.9');
      const adopted = await db.query('SELECT schema_name FROM analytica.foreign_schemas');
      assert.deepEqual(adopted.rows, [{ schema_name: 'columnar' }]);
      const oids = await db.query(
        `SELECT foreign_table, foreign_table_oid = to_regclass(foreign_table) AS same FROM analytica.tables ORDER BY 1`,
      );
      assert.deepEqual(oids.rows, [
        { foreign_table: 'columnar.kept', same: true },
        { foreign_table: 'vault.orders', same: true },
      ]);
      await db.query('CREATE TABLE public.later (id int PRIMARY KEY)');
      await db.query(`SELECT analytica.register_table('public.later')`);
      await db.query(`SELECT analytica.unregister_table('public.kept')`);
      await db.query(`SELECT analytica.unregister_table('alice.orders')`);
      const left = await db.query(
        `SELECT to_regclass('columnar.later') IS NOT NULL AS later, to_regclass('columnar.kept') IS NULL AS kept_dropped,
                to_regclass('vault.orders') IS NULL AS planted_dropped`,
      );
      assert.deepEqual(left.rows, [{ later: true, kept_dropped: true, planted_dropped: true }]);
    } finally {
      await db.end();
    }
  });
});

describe('the daemon’s connections use search_path = pg_catalog, pg_temp', () => {
  test('on every kind of connection, after the options the user gave', async () => {
    const url = `${cluster.connectionString('postgres')}?options=${encodeURIComponent('-c work_mem=7MB -c search_path=public')}`;
    for (const config of [
      { connectionString: url },
      { ...cluster.clientConfig(), options: '-c work_mem=7MB' },
      cluster.clientConfig(),
    ]) {
      const client = await rawClient(sourceConnectionConfig(config, { PGOPTIONS: '-c work_mem=7MB' }));
      try {
        assert.deepEqual(await textRows(client, 'SHOW search_path'), [['pg_catalog,pg_temp']]);
        assert.deepEqual(await textRows(client, 'SHOW work_mem'), [['7MB']]);
      } finally {
        await client.end();
      }
    }
    await using replication = await ReplicationConnection.open(cluster.clientConfig(), {
      settings: { DateStyle: 'ISO, MDY' },
    });
    assert.equal(await replication.show('search_path'), 'pg_catalog,pg_temp');
    assert.equal(await replication.show('DateStyle'), 'ISO, MDY');
  });

  test('functions a role plants in public never run as the daemon’s superuser', async () => {
    await asRole('mallory', async (mallory) => {
      // One statement a call: a string of several is one transaction, which the daemon sees only at its end.
      for (const statement of [
        'CREATE TABLE public.m_stream (id int PRIMARY KEY, span interval, tags text[], mood public.mood)',
        `INSERT INTO public.m_stream VALUES (1, '1 day', '{a,b}', 'odd one'), (2, NULL, NULL, NULL)`,
        'CREATE TABLE public.m_refresh (id int PRIMARY KEY, v text)',
        `INSERT INTO public.m_refresh VALUES (1, 'x')`,
        `SELECT analytica.register_table('public.m_stream')`,
        `SELECT analytica.register_table('public.m_refresh', mode => 'refresh')`,
        `SELECT analytica.wait_for_sync('public.m_stream')`,
        `SELECT analytica.wait_for_sync('public.m_refresh')`,
        `INSERT INTO public.m_stream VALUES (3, '2 hours', '{c}', 'calm')`,
        `UPDATE public.m_refresh SET v = 'y'`,
        `SELECT analytica.sync_now('public.m_refresh')`,
        `SELECT analytica.wait_for_sync('public.m_stream')`,
        `SELECT analytica.wait_for_sync('public.m_refresh')`,
      ])
        await mallory.query(statement);
    });
    const through = await rawClient(roleConfig('mallory', { port: daemon.port }));
    try {
      const all = 'SELECT id, span, tags, mood FROM public.m_stream ORDER BY id';
      const heap = await asRole('mallory', (mallory) => textRows(mallory, all));
      assert.equal(heap.length, 3);
      assert.deepEqual(await textRows(through, all), heap);
      assert.deepEqual(await textRows(through, 'SELECT v FROM m_refresh'), [['y']]);
      await through.query(`SET search_path = public, pg_catalog`);
      assert.deepEqual(await textRows(through, 'SELECT count(*) FROM m_stream'), [['3']]);
    } finally {
      await through.end();
    }
    assert.equal(await isSuperuser('mallory'), false);
    assert.deepEqual(await trojanFirings(admin, true), []);
  });

  test('SECURITY DEFINER functions ignore the caller’s search_path', async () => {
    await asRole('mallory', async (mallory) => {
      for (const statement of [
        'CREATE TABLE public.m_definer (id int PRIMARY KEY)',
        'SET search_path = public, pg_catalog',
        `SELECT analytica.register_table('public.m_definer')`,
        `SELECT analytica.sync_now('public.m_definer')`,
        `SELECT analytica.compact_now('public.m_definer')`,
        `SELECT analytica.resync('public.m_definer')`,
        `SELECT analytica.wait_for_sync('public.m_definer')`,
        'SELECT count(*) FROM analytica.status',
        `SELECT analytica.unregister_table('public.m_definer')`,
      ])
        await mallory.query(statement);
      // The trojans are really in the way: in mallory's own statements, they run (as mallory).
      await mallory.query(`SET search_path = public, pg_catalog; SELECT quote_ident('x')`);
    });
    assert.equal(await isSuperuser('mallory'), false);
    assert.deepEqual(await trojanFirings(admin, true), []);
    assert.ok((await trojanFirings(admin, false)).includes('quote_ident'));
  });

  test('every function of the control schema pins its search_path; internal ones are not executable by PUBLIC', async () => {
    const { rows } = await admin.query(`
      SELECT p.oid::regprocedure::text AS fn, p.prosecdef, p.proconfig::text AS config,
             has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
        FROM pg_proc p WHERE p.pronamespace = 'analytica'::regnamespace ORDER BY 1`);
    const unpinned = rows.filter((r) => r.config !== '{"search_path=pg_catalog, pg_temp"}');
    assert.deepEqual(unpinned, []);
    const entryPoints = [
      'analytica.compact_now(regclass)',
      'analytica.register_table(regclass,text[],text)',
      'analytica.resync(regclass)',
      'analytica.sync_now(regclass)',
      'analytica.unregister_table(regclass)',
      'analytica.wait_for_sync(regclass,interval)',
    ];
    const definersForPublic = rows
      .filter((r) => r.prosecdef === 't' && r.public_execute === 't')
      .map((r) => r.fn);
    assert.deepEqual(definersForPublic, entryPoints);
  });
});

describe('the control schema acts for the role in effect, not the login', () => {
  test('after SET ROLE, a superuser’s session has only that role’s rights', async () => {
    await asRole('bob', async (bob) => {
      await bob.query('CREATE TABLE bob.ledger (id int PRIMARY KEY)');
      await bob.query('REVOKE ALL ON bob.ledger FROM alice');
    });
    await admin.query('SET ROLE bob');
    await admin.query(`SELECT analytica.register_table('bob.ledger')`);
    await admin.query('SET ROLE alice');
    try {
      for (const call of [
        `SELECT analytica.unregister_table('bob.ledger')`,
        `SELECT analytica.sync_now('bob.ledger')`,
        `SELECT analytica.resync('bob.ledger')`,
        `SELECT analytica.compact_now('bob.ledger')`,
        `SELECT analytica.wait_for_sync('bob.ledger', '1ms')`,
      ]) {
        const error = await failure(admin, call);
        assert.equal(error.code, '42501', `${call}: ${error.message}`);
      }
    } finally {
      await admin.query('RESET ROLE');
    }
    const { rows } = await admin.query(
      `SELECT registered_by FROM analytica.tables WHERE relid = 'bob.ledger'::regclass`,
    );
    assert.deepEqual(rows, [{ registered_by: 'bob' }]);
    await admin.query('SET ROLE bob');
    try {
      await admin.query(`SELECT analytica.unregister_table('bob.ledger')`);
    } finally {
      await admin.query('RESET ROLE');
    }
  });
});

describe('analytica.status shows a table only to roles that may read it', () => {
  test('a cheap function of the caller in WHERE sees no row of a table it may not read', async () => {
    await asRole('bob', async (bob) => {
      await bob.query('CREATE TABLE bob.payroll_secret (id int PRIMARY KEY)');
      await bob.query(`SELECT analytica.register_table('bob.payroll_secret')`);
    });
    try {
      const seen = await asRole('mallory', async (mallory) => {
        // Costed below the view's privilege filter: without a security barrier the planner
        // evaluates it first, on every row of analytica.tables.
        await mallory.query(`
          CREATE FUNCTION public.peek(text, text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
          BEGIN RAISE NOTICE 'peek %: %', $1, $2; RETURN true; END $$`);
        const notices: string[] = [];
        mallory.on('notice', (notice) => notices.push(notice.message ?? ''));
        // Over the view's own columns of analytica.tables, so it can sit below the filter's join.
        const { rows } = await mallory.query(
          'SELECT table_name FROM analytica.status WHERE public.peek(relid::text, last_error)',
        );
        await mallory.query('DROP FUNCTION public.peek(text, text)');
        return { rows, notices };
      });
      assert.deepEqual(
        seen.rows.filter((r) => String(r.table_name).includes('payroll_secret')),
        [],
      );
      const { rows } = await admin.query(`SELECT 'bob.payroll_secret'::regclass::oid::text AS relid`);
      assert.deepEqual(
        seen.notices.filter((n) => n.startsWith(`peek ${rows[0].relid}:`)),
        [],
        'the function saw the table',
      );
    } finally {
      await asRole('bob', (bob) => bob.query(`SELECT analytica.unregister_table('bob.payroll_secret')`));
    }
  });
});

describe('objects pg_analytica relies on are its own', () => {
  test('the control schema is not installed into, or used in, a schema analytica of another role', async () => {
    await cluster.createDatabase('squat_schema');
    const db = new pg.Client(sourceConnectionConfig(cluster.clientConfig('squat_schema')));
    await db.connect();
    try {
      await db.query('GRANT CREATE ON DATABASE squat_schema TO mallory');
      const mallory = await rawClient(roleConfig('mallory', { database: 'squat_schema' }));
      try {
        await mallory.query('CREATE SCHEMA analytica');
      } finally {
        await mallory.end();
      }
      const refused = await installSchema(db).then(
        () => assert.fail('installed into a schema of mallory'),
        (error: PgError) => error,
      );
      assert.equal(refused.code, '42501');
      assert.match(refused.message, /schema analytica belongs to role mallory/);
      assert.match(refused.hint ?? '', /DROP SCHEMA analytica/);
      const { rows } = await db.query(`SELECT to_regclass('analytica.schema_info') AS info`);
      assert.deepEqual(rows, [{ info: null }]);
      // Given away after the install, it is refused at the next start too.
      await db.query('DROP SCHEMA analytica');
      await installSchema(db);
      await db.query('ALTER SCHEMA analytica OWNER TO mallory');
      await assert.rejects(installSchema(db), /schema analytica belongs to role mallory/);
    } finally {
      await db.end();
    }
  });

  test('a foreign server pg_analytica made by another role is not used', async () => {
    await cluster.createDatabase('squat_server');
    const db = new pg.Client(sourceConnectionConfig(cluster.clientConfig('squat_server')));
    await db.connect();
    try {
      await installSchema(db);
      await db.query(
        'CREATE EXTENSION postgres_fdw; GRANT USAGE ON FOREIGN DATA WRAPPER postgres_fdw TO mallory',
      );
      const mallory = await rawClient(roleConfig('mallory', { database: 'squat_server' }));
      try {
        await mallory.query(
          `CREATE SERVER pg_analytica FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '9')`,
        );
      } finally {
        await mallory.end();
      }
      const error = await failure(db, `SELECT analytica.create_foreign_server('127.0.0.1', 6433)`);
      assert.equal(error.code, '42501');
      assert.match(error.message, /foreign server pg_analytica belongs to role mallory/);
      const notices: { severity?: string; message?: string }[] = [];
      db.on('notice', (n) => notices.push(n));
      await db.query('CREATE TABLE public.t (id int PRIMARY KEY)');
      await db.query(`SELECT analytica.register_table('public.t')`);
      assert.ok(
        notices.some(
          (n) =>
            n.severity === 'WARNING' && /server pg_analytica belongs to role mallory/.test(n.message ?? ''),
        ),
        JSON.stringify(notices),
      );
      const { rows } = await db.query(
        `SELECT foreign_table, to_regnamespace('columnar') AS schema FROM analytica.tables`,
      );
      assert.deepEqual(rows, [{ foreign_table: null, schema: null }]);
    } finally {
      await db.end();
    }
  });

  test('a publication pg_analytica made by another role is not used', async () => {
    await cluster.createDatabase('squat');
    const db = new pg.Client(sourceConnectionConfig(cluster.clientConfig('squat')));
    await db.connect();
    try {
      await installSchema(db);
      await db.query(
        'GRANT CREATE ON DATABASE squat TO mallory; CREATE TABLE public.victim (id int PRIMARY KEY)',
      );
      const mallory = await rawClient(roleConfig('mallory', { database: 'squat' }));
      try {
        await mallory.query('CREATE SCHEMA m; CREATE TABLE m.own (id int PRIMARY KEY)');
        await mallory.query('CREATE PUBLICATION pg_analytica FOR TABLE m.own');
      } finally {
        await mallory.end();
      }
      const error = await failure(db, `SELECT analytica.register_table('public.victim')`);
      assert.equal(error.code, '55000');
      assert.match(error.message, /publication pg_analytica belongs to role mallory/);
      assert.match(error.hint ?? '', /DROP PUBLICATION pg_analytica/);
      const { rows } = await db.query(`
        SELECT (SELECT count(*)::int FROM analytica.tables) AS registered,
               (SELECT array_agg(tablename::text) FROM pg_publication_tables WHERE pubname = 'pg_analytica') AS published`);
      assert.deepEqual(rows, [{ registered: 0, published: ['own'] }]);
      // Once it is gone, registration makes pg_analytica's own.
      await db.query('DROP PUBLICATION pg_analytica');
      await db.query(`SELECT analytica.register_table('public.victim')`);
      const own = await db.query(
        `SELECT pg_get_userbyid(pubowner) AS owner FROM pg_publication WHERE pubname = 'pg_analytica'`,
      );
      assert.deepEqual(own.rows, [{ owner: cluster.user }]);
    } finally {
      await db.end();
    }
  });
});

describe('names pg_analytica reserves', () => {
  test('a column named like a hidden column is refused at registration, with nothing registered', async () => {
    await asRole('alice', async (alice) => {
      await alice.query('CREATE TABLE alice.seq (id int PRIMARY KEY, _pga_seq bigint, "_pga_commit" text)');
      const error = await failure(alice, `SELECT analytica.register_table('alice.seq')`);
      assert.equal(error.code, '42701');
      assert.match(error.message, /column _pga_seq, _pga_commit of table alice\.seq conflicts/);
      assert.match(error.hint ?? '', /ALTER TABLE alice\.seq RENAME COLUMN/);
    });
    const { rows } = await admin.query(`
      SELECT (SELECT count(*) FROM analytica.tables WHERE relid = 'alice.seq'::regclass) AS registered,
             (SELECT count(*) FROM pg_publication_tables WHERE tablename = 'seq') AS published,
             to_regclass('columnar.seq') AS foreign_table`);
    assert.deepEqual(rows, [{ registered: '0', published: '0', foreign_table: null }]);
  });

  test('an array of an enum is copied and streamed without the cast its owner made to text[]', async () => {
    // mallory owns public.mood and cast mood[] AS text[] to a function of hers (trojans.ts): the
    // copy reads the elements through array_out, the stream through their output text.
    await asRole('mallory', async (mallory) => {
      for (const statement of [
        'CREATE TABLE public.m_moods (id int PRIMARY KEY, moods public.mood[])',
        `INSERT INTO public.m_moods VALUES (1, '{calm,"odd one",NULL}'), (2, '{}'), (3, NULL)`,
        `SELECT analytica.register_table('public.m_moods')`,
        `SELECT analytica.wait_for_sync('public.m_moods')`,
        `INSERT INTO public.m_moods VALUES (4, '{"odd one",calm}')`,
        `SELECT analytica.wait_for_sync('public.m_moods')`,
      ])
        await mallory.query(statement);
    });
    const through = await rawClient(roleConfig('mallory', { port: daemon.port }));
    try {
      const all = 'SELECT id, moods, moods[1] FROM public.m_moods ORDER BY id';
      const heap = await asRole('mallory', (mallory) => textRows(mallory, all));
      assert.equal(heap.length, 4);
      assert.deepEqual(await textRows(through, all), heap);
    } finally {
      await through.end();
    }
    assert.deepEqual(await trojanFirings(admin, true), []);
  });

  test('a column _pga_seq added to a streamed table is stored under another name and read back', async () => {
    await admin.query('CREATE TABLE public.evolving (id int PRIMARY KEY, v text)');
    await admin.query(`INSERT INTO public.evolving VALUES (1, 'a')`);
    await admin.query(`SELECT analytica.register_table('public.evolving')`);
    await admin.query(`SELECT analytica.wait_for_sync('public.evolving')`);
    await admin.query('ALTER TABLE public.evolving ADD COLUMN _pga_seq bigint');
    await admin.query(`INSERT INTO public.evolving VALUES (2, 'b', 42)`);
    await admin.query(`UPDATE public.evolving SET v = 'c' WHERE id = 1`);
    await admin.query(`SELECT analytica.wait_for_sync('public.evolving')`);
    const through = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
    try {
      assert.deepEqual(await textRows(through, 'SELECT id, v, _pga_seq FROM evolving ORDER BY id'), [
        ['1', 'c', null],
        ['2', 'b', '42'],
      ]);
    } finally {
      await through.end();
    }
  });
});
