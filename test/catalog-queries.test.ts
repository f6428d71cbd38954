/**
 * Catalog queries through the daemon run on the source PostgreSQL, narrowed to
 * the registered tables the client's role may SELECT. Each query runs on the
 * daemon and on PostgreSQL itself as the same role: the daemon's answer is
 * PostgreSQL's, less the tables it does not serve. Real clients only: psql,
 * node-postgres, postgres.js.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import postgres from 'postgres';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { failure, withoutHeapOnlySections } from './helpers/assertions.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { needs } from './helpers/optional-clients.js';

const run = promisify(execFile);
const alicePassword = 'alice pw';

let cluster: LocalCluster;
let daemon: Daemon;
/** As alice: on PostgreSQL, and through the daemon. */
let source: pg.Client;
let columnar: pg.Client;

function aliceOn(port: number, overrides: pg.ClientConfig = {}): pg.ClientConfig {
  return { ...cluster.clientConfig(), port, user: 'alice', password: alicePassword, ...overrides };
}

/** psql as alice; `port` picks PostgreSQL or the daemon. */
async function psql(port: number, command: string, options: { flags?: string[]; pgOptions?: string } = {}) {
  const args = ['-X', ...(options.flags ?? []), '-h', '127.0.0.1', '-p', String(port), '-U', 'alice'];
  args.push('-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', command);
  const env: NodeJS.ProcessEnv = { ...process.env, PGPASSWORD: alicePassword, PGCONNECT_TIMEOUT: '10' };
  if (options.pgOptions) env.PGOPTIONS = options.pgOptions;
  const { stdout, stderr } = await run('/usr/bin/psql', args, { env, timeout: 30_000 });
  // psql 15 warns that the server is newer; the warning is not what is compared.
  return { stdout, stderr: stderr.replace(/^WARNING: psql major version.*\n(.*features.*\n)?/m, '') };
}

const sourcePort = () => Number(cluster.clientConfig().port);

async function bothRows(sql: string, values?: unknown[]) {
  const query = { text: sql, values, rowMode: 'array' as const };
  const [expected, actual] = [await source.query(query), await columnar.query(query)];
  return { expected: expected.rows as (string | null)[][], actual: actual.rows as (string | null)[][] };
}

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE ROLE alice LOGIN PASSWORD '${alicePassword}';
    CREATE SCHEMA s;
    GRANT USAGE ON SCHEMA s TO alice;
    CREATE TABLE s.t (id int PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'x', amount numeric(10,2),
                      ts timestamptz, tags text[], CHECK (amount > 0));
    COMMENT ON TABLE s.t IS 'the registered table';
    COMMENT ON COLUMN s.t.amount IS 'in euros';
    INSERT INTO s.t SELECT i, 'n' || i, i, '2024-01-01', '{a}' FROM generate_series(1, 50) i;
    CREATE TABLE s.unreg (id int PRIMARY KEY);
    CREATE TABLE s.secret (id int PRIMARY KEY, code text);
    INSERT INTO s.secret VALUES (1, 'x');
    GRANT SELECT ON s.t, s.unreg TO alice;
    CREATE SCHEMA other;
    CREATE TABLE other.o (id int);
    CREATE SCHEMA alice_s AUTHORIZATION alice;
    ANALYZE s.t;
  `);
  daemon = await startDaemon(cluster);
  const admin = await rawClient(cluster.clientConfig());
  for (const table of ['s.t', 's.secret']) {
    await admin.query(`SELECT analytica.register_table('${table}')`);
    await admin.query(`SELECT analytica.wait_for_sync('${table}')`);
  }
  await admin.end();
  source = await rawClient(aliceOn(sourcePort()));
  columnar = await rawClient(aliceOn(daemon.port));
});

after(async () => {
  await columnar?.end();
  await source?.end();
  await daemon?.close();
  await cluster?.close();
});

describe('psql meta-commands', { skip: needs('psql') }, () => {
  test('\\dt lists the registered table alice may read, not the others', async () => {
    const flags = ['-A', '-t'];
    const expected = await psql(sourcePort(), '\\dt s.*', { flags });
    assert.deepEqual(expected.stdout.trim().split('\n').sort(), [
      's|secret|table|postgres',
      's|t|table|postgres',
      's|unreg|table|postgres',
    ]);
    const actual = await psql(daemon.port, '\\dt s.*', { flags });
    assert.equal(actual.stdout.trim(), 's|t|table|postgres');
    // Unqualified, through pg_table_is_visible and the session's search_path.
    const visible = await psql(daemon.port, '\\dt', { flags, pgOptions: '-c search_path=s' });
    assert.equal(visible.stdout.trim(), 's|t|table|postgres');
    const plus = await psql(daemon.port, '\\dt+ s.*', { flags });
    assert.match(plus.stdout, /^s\|t\|table\|postgres\|permanent\|heap\|.*\|the registered table$/m);
  });

  test('\\d s.t shows the columns with their types, defaults and checks, as PostgreSQL does', async () => {
    const expected = await psql(sourcePort(), '\\d s.t');
    const actual = await psql(daemon.port, '\\d s.t');
    // The heap's indexes are not part of the columnar copy.
    assert.equal(actual.stdout, withoutHeapOnlySections(expected.stdout));
    assert.match(
      actual.stdout,
      /name +\| character varying\(20\) +\| +\| not null \| 'x'::character varying/,
    );
    assert.match(actual.stdout, /amount +\| numeric\(10,2\)/);
    assert.match(actual.stdout, /tags +\| text\[\]/);
    assert.match(actual.stdout, /Check constraints:/);
  });

  test('\\d+ s.t adds storage and comments', async () => {
    const expected = await psql(sourcePort(), '\\d+ s.t');
    const actual = await psql(daemon.port, '\\d+ s.t');
    assert.equal(actual.stdout, withoutHeapOnlySections(expected.stdout));
    assert.match(actual.stdout, /amount .*\| in euros/);
  });

  test('\\d of an unregistered or unreadable table finds nothing', async () => {
    for (const name of ['s.unreg', 's.secret', 'other.o']) {
      await assert.rejects(psql(daemon.port, `\\d ${name}`), /Did not find any relation/);
      await psql(sourcePort(), `\\d ${name}`);
    }
  });

  test('\\dn lists public and the schemas of visible tables; \\l lists the databases', async () => {
    const schemas = await psql(daemon.port, '\\dn', { flags: ['-A', '-t'] });
    assert.deepEqual(
      schemas.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('|')[0]),
      ['public', 's'],
    );
    // psql 15 sends its own \\l query whatever the server; on a newer server both fail alike.
    const outcome = (port: number) =>
      psql(port, '\\l', { flags: ['-A', '-t'] }).then(
        ({ stdout }) => stdout,
        (error: { stderr?: string }) => String(error.stderr),
      );
    const expected = await outcome(sourcePort());
    assert.equal(await outcome(daemon.port), expected);
    assert.match(expected, /postgres|daticulocale/);
  });
});

describe('catalog relations show only the tables served', () => {
  test('pg_class and information_schema.tables', async () => {
    const byClass = await bothRows(
      `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('s', 'other') AND c.relkind = 'r' ORDER BY 1`,
    );
    assert.deepEqual(byClass.expected, [['o'], ['secret'], ['t'], ['unreg']]);
    assert.deepEqual(byClass.actual, [['t']]);
    const byInformationSchema = await bothRows(
      `SELECT table_schema, table_name, table_type FROM information_schema.tables
        WHERE table_schema IN ('s', 'other') ORDER BY 1, 2`,
    );
    // information_schema lists only what alice has some privilege on.
    assert.deepEqual(byInformationSchema.expected, [
      ['s', 't', 'BASE TABLE'],
      ['s', 'unreg', 'BASE TABLE'],
    ]);
    assert.deepEqual(byInformationSchema.actual, [['s', 't', 'BASE TABLE']]);
    // System catalogs stay whole.
    const system = await bothRows(
      `SELECT count(*) FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace`,
    );
    assert.deepEqual(system.actual, system.expected);
  });

  test('information_schema.columns and pg_attribute give the source types', async () => {
    const sql = `SELECT column_name, data_type, character_maximum_length, numeric_precision, is_nullable, column_default
                   FROM information_schema.columns WHERE table_schema = 's' AND table_name = $1 ORDER BY ordinal_position`;
    const t = await bothRows(sql, ['t']);
    assert.equal(t.actual.length, 5);
    assert.deepEqual(t.actual, t.expected);
    assert.deepEqual((await bothRows(sql, ['unreg'])).actual, []);
  });

  test('the two IMPORT FOREIGN SCHEMA queries answer as PostgreSQL for the registered table', async () => {
    const exists = await bothRows(`SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 's'`);
    assert.deepEqual(exists.actual, [['1']]);
    assert.deepEqual(exists.actual, exists.expected);
    const importSql = `SELECT relname,   attname,   format_type(atttypid, atttypmod),   attnotnull,   pg_get_expr(adbin, adrelid),   attgenerated,   collname,   collnsp.nspname FROM pg_class c   JOIN pg_namespace n ON     relnamespace = n.oid   LEFT JOIN pg_attribute a ON     attrelid = c.oid AND attnum > 0       AND NOT attisdropped   LEFT JOIN pg_attrdef ad ON     adrelid = c.oid AND adnum = attnum   LEFT JOIN pg_collation coll ON     coll.oid = attcollation   LEFT JOIN pg_namespace collnsp ON     collnsp.oid = collnamespace WHERE c.relkind IN ('r','v','f','m','p')   AND n.nspname = 's' AND NOT c.relispartition  ORDER BY c.relname, a.attnum`;
    const rows = await bothRows(importSql);
    assert.deepEqual(
      rows.actual,
      rows.expected.filter((row) => row[0] === 't'),
    );
    assert.deepEqual(rows.actual[1], [
      't',
      'name',
      'character varying(20)',
      't',
      "'x'::character varying",
      '',
      'default',
      'pg_catalog',
    ]);
    const limited = await bothRows(
      importSql.replace('AND NOT c.relispartition', "AND c.relname IN ('t', 'secret')"),
    );
    assert.deepEqual(
      limited.actual,
      limited.expected.filter((row) => row[0] === 't'),
    );
    // The same result description as PostgreSQL's (name 19, text 25, bool 16, "char" 18).
    const fields = async (client: pg.Client) =>
      (await client.query(importSql)).fields.map((f) => [
        f.name,
        f.dataTypeID,
        f.dataTypeSize,
        f.dataTypeModifier,
      ]);
    assert.deepEqual(await fields(columnar), await fields(source));
  });

  test('IMPORT FOREIGN SCHEMA through postgres_fdw imports the registered table with its types', async () => {
    const admin = await rawClient(cluster.clientConfig());
    try {
      await admin.query('CREATE EXTENSION IF NOT EXISTS postgres_fdw');
      await admin.query(
        `CREATE SERVER catalog_test FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '${daemon.port}', dbname 'postgres')`,
      );
      await admin.query(
        `CREATE USER MAPPING FOR CURRENT_USER SERVER catalog_test OPTIONS (user 'alice', password '${alicePassword}')`,
      );
      await admin.query('CREATE SCHEMA imported');
      await admin.query('IMPORT FOREIGN SCHEMA s FROM SERVER catalog_test INTO imported');
      const imported = await textRows(
        admin,
        `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
           FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
          WHERE c.relnamespace = 'imported'::regnamespace ORDER BY 1, a.attnum`,
      );
      assert.deepEqual(imported, [
        ['t', 'id', 'integer', 't'],
        ['t', 'name', 'character varying(20)', 't'],
        ['t', 'amount', 'numeric(10,2)', 'f'],
        ['t', 'ts', 'timestamp with time zone', 'f'],
        ['t', 'tags', 'text[]', 'f'],
      ]);
    } finally {
      await admin.query('DROP SCHEMA IF EXISTS imported CASCADE');
      await admin.query('DROP SERVER IF EXISTS catalog_test CASCADE');
      await admin.end();
    }
  });

  test("ANALYZE's first queries (PostgreSQL 15 and 16+) answer as PostgreSQL", async () => {
    for (const sql of [
      `SELECT pg_catalog.pg_relation_size('s.t'::pg_catalog.regclass) / 8192`,
      `SELECT reltuples, relkind FROM pg_catalog.pg_class WHERE oid = 's.t'::pg_catalog.regclass`,
    ]) {
      const rows = await bothRows(sql);
      assert.deepEqual(rows.actual, rows.expected, sql);
    }
    const analyzed = await bothRows(
      `SELECT reltuples, relkind FROM pg_catalog.pg_class WHERE oid = 's.t'::pg_catalog.regclass`,
    );
    assert.deepEqual(analyzed.actual, [['50', 'r']]);
  });

  test('OIDs are the source’s and stay the same across a daemon restart', async () => {
    const sql = `SELECT c.oid, c.oid = 's.t'::regclass FROM pg_catalog.pg_class c WHERE relname = 't'`;
    const before = await bothRows(sql);
    assert.deepEqual(before.actual, before.expected);
    await columnar.end();
    await daemon.close();
    daemon = await startDaemon(cluster, ['--data-dir', daemon.config.dataDir]);
    columnar = await rawClient(aliceOn(daemon.port));
    assert.deepEqual(await textRows(columnar, sql), before.expected);
  });
});

describe('drivers and BI tools', () => {
  test('pgJDBC type lookups and DatabaseMetaData queries', async () => {
    const typeInfo = await bothRows(
      'SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = $1',
      [1009],
    );
    assert.deepEqual(typeInfo.actual, [['t', 'pg_catalog', '_text']]);
    assert.deepEqual(typeInfo.actual, typeInfo.expected);
    const isArray = await bothRows(
      "SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = $1  ORDER BY sp.r, pg_type.oid DESC",
      [3802],
    );
    assert.deepEqual(isArray.actual, [['f', 'b', 'jsonb', '3802']]);
    const getTables = `SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, d.description AS REMARKS FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and d.classoid = 'pg_class'::regclass) WHERE c.relnamespace = n.oid AND n.nspname LIKE 's' AND c.relname LIKE '%' AND c.relkind = 'r' ORDER BY TABLE_SCHEM, TABLE_NAME`;
    const tables = await bothRows(getTables);
    assert.deepEqual(tables.actual, [[null, 's', 't', 'the registered table']]);
    assert.deepEqual(
      tables.actual,
      tables.expected.filter((row) => row[2] === 't'),
    );
    const getColumns = `SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND n.nspname LIKE 's' AND c.relname LIKE '%') c WHERE true  AND attname LIKE '%' ORDER BY nspname,c.relname,attnum`;
    const columns = await bothRows(getColumns);
    assert.equal(columns.actual.length, 5);
    assert.deepEqual(
      columns.actual,
      columns.expected.filter((row) => row[1] === 't'),
    );
  });

  test('session functions answer from PostgreSQL as the client’s role', async () => {
    for (const sql of [
      'SELECT current_user, current_schemas(true), version()',
      "SELECT current_setting('server_version_num'), has_table_privilege('s.t', 'SELECT'), has_table_privilege('s.secret', 'SELECT')",
      "SELECT format_type('numeric'::regtype, 655366), to_regclass('s.t')::oid = 's.t'::regclass::oid",
    ]) {
      const rows = await bothRows(sql);
      assert.deepEqual(rows.actual, rows.expected, sql);
    }
    assert.equal((await textRows(columnar, 'SELECT current_user'))[0]?.[0], 'alice');
    // Plain expressions still run in DuckDB.
    assert.deepEqual(await textRows(columnar, 'SELECT 1 + 1'), [['2']]);
    assert.deepEqual(await textRows(columnar, 'SELECT count(*) FROM s.t'), [['50']]);
  });

  test('the reported server version is the source’s', async () => {
    const { expected } = await bothRows(
      "SELECT current_setting('server_version'), current_setting('server_version_num')",
    );
    const [version, num] = expected[0] as string[];
    const shown = await textRows(columnar, 'SHOW server_version');
    assert.ok(shown[0]?.[0]?.startsWith(`${version} (pg_analytica`), String(shown[0]?.[0]));
    assert.deepEqual(await textRows(columnar, 'SHOW server_version_num'), [[num!]]);
  });

  test('postgres.js connects (it reads the array types at connect) and queries', async () => {
    const sql = postgres({ ...aliceOn(daemon.port), port: daemon.port, username: 'alice', max: 1 } as never);
    try {
      const rows = await sql`SELECT id, tags FROM s.t WHERE id = ${1}`;
      assert.deepEqual(
        rows.map((r) => [r.id, r.tags]),
        [[1, ['a']]],
      );
      const tables = await sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 's'`;
      assert.deepEqual(
        tables.map((r) => r.table_name),
        ['t'],
      );
    } finally {
      await sql.end();
    }
  });
});

describe('isolation and refusals', () => {
  test('set_config(…, false) does not outlive the statement', async () => {
    for (let i = 0; i < 3; i++) {
      await textRows(
        columnar,
        "SELECT set_config('search_path', 'x', false), set_config('myapp.leak', 'yes', false)",
      );
      const rows = await textRows(
        columnar,
        "SELECT current_setting('myapp.leak', true), current_schemas(false)",
      );
      const [leak, path] = rows[0] ?? [];
      // PostgreSQL keeps a placeholder once named, but its value went with the ROLLBACK.
      assert.ok(leak === null || leak === '', String(leak));
      assert.equal(path, '{public}');
    }
  });

  test('statement_timeout and cancel stop a catalog query on the source', async () => {
    await columnar.query("SET statement_timeout = '300ms'");
    try {
      const started = Date.now();
      // pg_sleep is refused (catalog-functions.ts): a cross join of the catalog keeps the source busy instead.
      const error = await failure(
        columnar,
        'SELECT count(*) FROM pg_catalog.pg_class a, pg_catalog.pg_class b, pg_catalog.pg_class c, pg_catalog.pg_class slow_d',
      );
      assert.equal(error.code, '57014');
      assert.ok(Date.now() - started < 10_000);
    } finally {
      await columnar.query('RESET statement_timeout');
    }
    // The source backend was cancelled, not left sleeping on a catalog connection.
    const admin = await rawClient(cluster.clientConfig());
    try {
      const sleeping = async () =>
        (
          await textRows(
            admin,
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_class slow_d%' AND state = 'active' AND pid <> pg_backend_pid()",
          )
        )[0]?.[0];
      const deadline = Date.now() + 5000;
      while ((await sleeping()) !== '0' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await sleeping(), '0');
    } finally {
      await admin.end();
    }
  });

  test('a catalog relation joined with a registered table is 0A000', async () => {
    const error = await failure(
      columnar,
      'SELECT * FROM pg_catalog.pg_class c JOIN s.t ON t.id = c.oid::int',
    );
    assert.equal(error.code, '0A000');
    assert.match(error.message, /pg_catalog.pg_class .* s\.t/);
  });

  test('a catalog query cannot leave the client’s role', async () => {
    for (const sql of [
      "SELECT set_config('role', 'postgres', true), current_user FROM pg_class LIMIT 1",
      "SELECT set_config(lower('ROLE'), 'postgres', true)",
      "SELECT query_to_xml('SELECT current_user', true, true, '') FROM pg_class LIMIT 1",
    ]) {
      assert.equal((await failure(columnar, sql)).code, '0A000', sql);
    }
    // A function alice defines could SET ROLE: names resolving into her schemas are refused.
    await source.query(
      `CREATE FUNCTION alice_s.whoami() RETURNS text LANGUAGE sql AS 'SELECT current_user::text'`,
    );
    await source.query(
      `CREATE FUNCTION alice_s.lower(name) RETURNS text LANGUAGE sql AS 'SELECT current_user::text'`,
    );
    const path = await rawClient(aliceOn(daemon.port, { options: '-c search_path=alice_s,public' }));
    try {
      for (const sql of [
        'SELECT whoami() FROM pg_class LIMIT 1',
        'SELECT lower(relname) FROM pg_class LIMIT 1',
        'SELECT alice_s.whoami() FROM pg_class LIMIT 1',
      ]) {
        assert.equal((await failure(path, sql)).code, '0A000', sql);
      }
      assert.deepEqual(await textRows(path, "SELECT relname FROM pg_class WHERE relname = 'pg_am'"), [
        ['pg_am'],
      ]);
    } finally {
      await path.end();
    }
    // Functions off the allow-list never reach the source (catalog-function-allowlist.test.ts).
    const denied = await failure(columnar, "SELECT pg_read_file('/etc/passwd')");
    assert.equal(denied.code, '0A000');
    // Errors are PostgreSQL's own, at the client's position.
    const missing = await failure(columnar, 'SELECT nope FROM pg_catalog.pg_class');
    assert.equal(missing.code, '42703');
    assert.equal(missing.position, '8');
  });
});
