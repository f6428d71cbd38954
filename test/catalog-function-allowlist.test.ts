/**
 * Catalog queries run on the source PostgreSQL, but only with the functions
 * of the allow-list (src/query/catalog-functions.ts): what reads catalogs or
 * computes values. Signals, files, sleeps, notifications, WAL, replication
 * slots, large objects and unknown functions are 0A000 before anything reaches
 * the source, for a superuser client too, wherever the call hides in the
 * statement. What psql, pgJDBC, psycopg and postgres_fdw send still answers.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type pg from 'pg';
import type { LocalCluster } from '../src/cluster/local-cluster.js';
import type { Daemon } from '../src/main.js';
import { failure } from './helpers/assertions.js';
import { startTestCluster } from './helpers/cluster.js';
import { rawClient, startDaemon, textRows } from './helpers/daemon.js';
import { needs } from './helpers/optional-clients.js';

const run = promisify(execFile);
const alicePassword = 'alice pw';

let cluster: LocalCluster;
let daemon: Daemon;
/** The superuser through the daemon, and alice through the daemon and on PostgreSQL. */
let superuser: pg.Client;
let alice: pg.Client;
let aliceSource: pg.Client;

function aliceOn(port: number, overrides: pg.ClientConfig = {}): pg.ClientConfig {
  return { ...cluster.clientConfig(), port, user: 'alice', password: alicePassword, ...overrides };
}

const sourcePort = () => Number(cluster.clientConfig().port);

before(async () => {
  cluster = await startTestCluster();
  await cluster.exec(`
    CREATE ROLE alice LOGIN PASSWORD '${alicePassword}';
    CREATE SCHEMA s;
    GRANT USAGE ON SCHEMA s TO alice;
    CREATE TABLE s.t (id int PRIMARY KEY, name text NOT NULL DEFAULT 'x', amount numeric(10,2));
    CREATE INDEX t_name ON s.t (lower(name));
    INSERT INTO s.t SELECT i, 'n' || i, i FROM generate_series(1, 20) i;
    GRANT SELECT ON s.t TO alice;
    CREATE SCHEMA alice_s AUTHORIZATION alice;
  `);
  daemon = await startDaemon(cluster);
  const admin = await rawClient(cluster.clientConfig());
  await admin.query(`SELECT analytica.register_table('s.t')`);
  await admin.query(`SELECT analytica.wait_for_sync('s.t')`);
  await admin.end();
  superuser = await rawClient({ ...cluster.clientConfig(), port: daemon.port });
  alice = await rawClient(aliceOn(daemon.port));
  aliceSource = await rawClient(aliceOn(sourcePort()));
});

after(async () => {
  await aliceSource?.end();
  await alice?.end();
  await superuser?.end();
  await daemon?.close();
  await cluster?.close();
});

describe('functions off the allow-list are 0A000, naming the function', () => {
  const refused: [sql: string, fn: string][] = [
    ['SELECT pg_terminate_backend(pg_backend_pid())', 'pg_terminate_backend'],
    ['SELECT pg_cancel_backend(1)', 'pg_cancel_backend'],
    ["SELECT pg_read_file('/etc/passwd')", 'pg_read_file'],
    ["SELECT pg_ls_dir('/')", 'pg_ls_dir'],
    ["SELECT pg_stat_file('/etc/passwd')", 'pg_stat_file'],
    ['SELECT pg_sleep(10)', 'pg_sleep'],
    ['SELECT pg_reload_conf()', 'pg_reload_conf'],
    ['SELECT pg_rotate_logfile()', 'pg_rotate_logfile'],
    ["SELECT pg_notify('x', 'y')", 'pg_notify'],
    ["SELECT pg_logical_emit_message(false, 'x', 'y')", 'pg_logical_emit_message'],
    ["SELECT lo_import('/etc/passwd')", 'lo_import'],
    ['SELECT pg_switch_wal()', 'pg_switch_wal'],
    ["SELECT pg_create_restore_point('x')", 'pg_create_restore_point'],
    ["SELECT pg_create_logical_replication_slot('s', 'pgoutput')", 'pg_create_logical_replication_slot'],
    ['SELECT pg_stat_reset()', 'pg_stat_reset'],
    ["SELECT dblink('dbname=postgres', 'SELECT 1')", 'dblink'],
    ['SELECT nextval(1::regclass) FROM pg_catalog.pg_class', 'nextval'],
    ['SELECT pg_advisory_lock(1) FROM pg_catalog.pg_class LIMIT 1', 'pg_advisory_lock'],
    ["SELECT query_to_xml('SELECT 1', true, true, '') FROM pg_class LIMIT 1", 'query_to_xml'],
    ['SELECT no_such_function() FROM pg_catalog.pg_class', 'no_such_function'],
    ['SELECT pg_catalog.pg_terminate_backend(1)', 'pg_catalog.pg_terminate_backend'],
    ['SELECT PG_TERMINATE_BACKEND(1)', 'pg_terminate_backend'],
    ['SELECT "pg_terminate_backend"(1)', 'pg_terminate_backend'],
    ['SELECT pg_catalog.lo_unlink(1)', 'pg_catalog.lo_unlink'],
    ['SELECT information_schema.pg_sleep(1) FROM pg_class', 'information_schema.pg_sleep'],
    // Nested anywhere in the statement.
    ['SELECT relname FROM pg_class WHERE oid IN (SELECT pg_cancel_backend(1)::int)', 'pg_cancel_backend'],
    ['WITH x AS (SELECT pg_sleep(1)) SELECT * FROM x', 'pg_sleep'],
    ['SELECT CASE WHEN relname = $$x$$ THEN pg_reload_conf() END FROM pg_class', 'pg_reload_conf'],
    ['SELECT count(*) FILTER (WHERE pg_reload_conf()) FROM pg_class', 'pg_reload_conf'],
    ['SELECT relname FROM pg_class ORDER BY pg_cancel_backend(1)', 'pg_cancel_backend'],
    ['SELECT row_number() OVER (ORDER BY pg_cancel_backend(1)) FROM pg_class', 'pg_cancel_backend'],
    ["SELECT * FROM pg_class c, LATERAL (SELECT pg_notify('a', c.relname)) x", 'pg_notify'],
    ["SELECT * FROM pg_class c, LATERAL pg_ls_dir('/') f", 'pg_ls_dir'],
    ['SELECT coalesce(NULL, pg_sleep(1)::text) FROM pg_namespace', 'pg_sleep'],
    ['SELECT count(*) FROM pg_class TABLESAMPLE tsm_system_rows(1)', 'tsm_system_rows'],
  ];
  for (const [sql, fn] of refused) {
    test(`${sql} → 0A000 for a superuser and for alice`, async () => {
      for (const client of [superuser, alice]) {
        const error = await failure(client, sql);
        assert.equal(error.code, '0A000', `${sql}: ${error.message}`);
        assert.equal(
          error.message,
          `function ${fn} is not available through pg_analytica; connect to PostgreSQL directly`,
        );
      }
    });
  }

  test('the error points at the call', async () => {
    const error = await failure(superuser, 'SELECT relname, pg_sleep(1) FROM pg_class');
    assert.equal(error.position, '17');
  });

  test('a refused call does nothing on the source: the backend it names lives on', async () => {
    const victim = await rawClient(cluster.clientConfig());
    try {
      const pid = (await textRows(victim, 'SELECT pg_backend_pid()'))[0]?.[0];
      for (const fn of ['pg_terminate_backend', 'pg_cancel_backend']) {
        assert.equal((await failure(superuser, `SELECT ${fn}(${pid})`)).code, '0A000');
      }
      assert.deepEqual(await textRows(victim, 'SELECT 1'), [['1']]);
    } finally {
      await victim.end();
    }
  });

  test('set_config takes only settings that change how values are read or shown', async () => {
    for (const setting of ['zero_damaged_pages', 'work_mem', 'session_replication_role', 'role']) {
      const error = await failure(superuser, `SELECT set_config('${setting}', 'on', true)`);
      assert.equal(error.code, '0A000', setting);
    }
    assert.deepEqual(
      await textRows(
        superuser,
        "SELECT pg_catalog.set_config('search_path', '', false), set_config('myapp.x', '1', true)",
      ),
      [['', '1']],
    );
  });

  test('a user function reached by functional notation (c.f for f(c)) is refused', async () => {
    // As f(c), alice's function would run in the daemon's session and could SET ROLE to the daemon's role.
    await aliceSource.query(
      `CREATE FUNCTION alice_s.whoami(pg_catalog.pg_class) RETURNS text LANGUAGE sql AS 'SELECT current_user::text'`,
    );
    const path = await rawClient(aliceOn(daemon.port, { options: '-c search_path=alice_s,public' }));
    try {
      for (const sql of [
        'SELECT c.whoami FROM pg_catalog.pg_class c LIMIT 1',
        'SELECT (c).whoami FROM pg_catalog.pg_class c LIMIT 1',
      ]) {
        assert.equal((await failure(path, sql)).code, '0A000', sql);
      }
    } finally {
      await path.end();
    }
  });
});

/** psql as alice; `port` picks PostgreSQL or the daemon. */
async function psql(port: number, command: string) {
  const args = ['-X', '-A', '-t', '-h', '127.0.0.1', '-p', String(port), '-U', 'alice', '-d', 'postgres'];
  args.push('-v', 'ON_ERROR_STOP=1', '-c', command);
  const env: NodeJS.ProcessEnv = { ...process.env, PGPASSWORD: alicePassword, PGCONNECT_TIMEOUT: '10' };
  return await run('/usr/bin/psql', args, { env, timeout: 30_000 }).then(
    ({ stdout }) => ({ ok: true, output: stdout }),
    (error: { stderr?: string }) => ({ ok: false, output: String(error.stderr) }),
  );
}

describe('what clients send still answers', () => {
  const metaCommands = [
    '\\d',
    '\\dt',
    '\\dt+',
    '\\d s.t',
    '\\d+ s.t',
    '\\dn',
    '\\dn+',
    '\\l',
    '\\l+',
    '\\df',
    '\\df+ pg_catalog.lower',
    '\\dv',
    '\\di',
    '\\di+',
    '\\du',
    '\\dg',
    '\\dx',
    '\\dT',
    '\\dT+ pg_catalog.int4',
    '\\ds',
    '\\dm',
    '\\db',
    '\\db+',
    '\\dp s.*',
    '\\dD',
    '\\dc',
    '\\dC',
    '\\do',
    '\\dconfig',
    '\\ddp',
    '\\dX',
    '\\dO',
    '\\dL',
    '\\dA',
    '\\dP',
    '\\dF',
    '\\dRp',
    '\\sf pg_catalog.pg_get_keywords',
    // Reads pg_class.tableoid: the narrowed catalog tables carry it.
    '\\dd',
  ];
  test('psql meta-commands that work on PostgreSQL work through the daemon', {
    skip: needs('psql'),
  }, async () => {
    for (const command of metaCommands) {
      const expected = await psql(sourcePort(), command);
      if (!expected.ok) continue;
      const actual = await psql(daemon.port, command);
      assert.ok(actual.ok, `${command}: ${actual.output}`);
    }
  });

  /** `same`: the answer is PostgreSQL's; otherwise the daemon leaves out the heap's indexes or other schemas. */
  const clientQueries: [what: string, sql: string, same: boolean][] = [
    [
      'pgJDBC getPrimaryKeys',
      `SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME, (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME, information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid) JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid) JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid) JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true AND n.nspname = E's' AND ct.relname = E't' AND i.indisprimary`,
      false,
    ],
    [
      'pgJDBC getIndexInfo',
      `SELECT tmp.TABLE_CAT, tmp.TABLE_SCHEM, tmp.TABLE_NAME, tmp.NON_UNIQUE, tmp.INDEX_QUALIFIER, tmp.INDEX_NAME, tmp.TYPE, tmp.ORDINAL_POSITION, trim(both '"' from pg_catalog.pg_get_indexdef(tmp.CI_OID, tmp.ORDINAL_POSITION, false)) AS COLUMN_NAME, CASE tmp.AM_NAME WHEN 'btree' THEN CASE tmp.I_INDOPTION[tmp.ORDINAL_POSITION - 1] & 1::smallint WHEN 1 THEN 'D' ELSE 'A' END ELSE NULL END AS ASC_OR_DESC, tmp.CARDINALITY, tmp.PAGES, tmp.FILTER_CONDITION FROM (SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME, NOT i.indisunique AS NON_UNIQUE, NULL AS INDEX_QUALIFIER, ci.relname AS INDEX_NAME, CASE i.indisclustered WHEN true THEN 1 ELSE CASE am.amname WHEN 'hash' THEN 2 ELSE 3 END END AS TYPE, (information_schema._pg_expandarray(i.indkey)).n AS ORDINAL_POSITION, ci.reltuples AS CARDINALITY, ci.relpages AS PAGES, pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS FILTER_CONDITION, ci.oid AS CI_OID, i.indoption AS I_INDOPTION, am.amname AS AM_NAME FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid) JOIN pg_catalog.pg_index i ON (ct.oid = i.indrelid) JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) JOIN pg_catalog.pg_am am ON (ci.relam = am.oid) WHERE true AND n.nspname = E's' AND ct.relname = E't') AS tmp ORDER BY NON_UNIQUE, TYPE, INDEX_NAME, ORDINAL_POSITION`,
      false,
    ],
    [
      'pgJDBC getTypeInfo',
      `SELECT t.typname,t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON (t.typnamespace = n.oid) WHERE n.nspname != 'pg_toast' AND (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))`,
      false,
    ],
    [
      'pgJDBC getSchemas',
      `SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_' OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_' OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_')) ORDER BY TABLE_SCHEM`,
      false,
    ],
    [
      'pgJDBC getSQLKeywords',
      `select string_agg(word, ',') from pg_catalog.pg_get_keywords() where word <> ALL ('{a,abs,absolute,action}'::text[])`,
      true,
    ],
    [
      'pgJDBC getTables',
      `SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema' WHEN true THEN 'SYSTEM' WHEN false THEN CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'v' THEN 'VIEW' ELSE NULL END ELSE NULL END AS TABLE_TYPE, d.description AS REMARKS, '' as TYPE_CAT, '' AS REF_GENERATION FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and d.classoid = 'pg_class'::regclass) WHERE c.relnamespace = n.oid AND n.nspname LIKE 's' AND c.relname LIKE '%' AND (false OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' )) ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME`,
      true,
    ],
    [
      'psycopg 3 TypeInfo.fetch',
      `SELECT typname AS name, oid, typarray AS array_oid, oid::regtype::text AS regtype, typdelim AS delimiter FROM pg_type t WHERE t.oid = to_regtype('int4') ORDER BY t.oid`,
      true,
    ],
    [
      'psycopg 3 CompositeInfo.fetch',
      `SELECT t.typname AS name, t.oid AS oid, t.typarray AS array_oid, t.oid::regtype::text AS regtype, coalesce(a.fnames, '{}') AS field_names, coalesce(a.ftypes, '{}') AS field_types FROM pg_type t LEFT JOIN (SELECT attrelid, array_agg(attname) AS fnames, array_agg(atttypid) AS ftypes FROM (SELECT a.attrelid, a.attname, a.atttypid FROM pg_attribute a JOIN pg_type t ON t.typrelid = a.attrelid WHERE t.oid = to_regtype('pg_catalog.pg_am') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) x GROUP BY attrelid) a ON a.attrelid = t.typrelid WHERE t.oid = to_regtype('pg_catalog.pg_am')`,
      true,
    ],
    [
      'postgres.js array types',
      'select b.oid, b.typarray from pg_catalog.pg_type a left join pg_catalog.pg_type b on b.oid = a.typelem where a.typcategory = $$A$$ group by b.oid, b.typarray order by b.oid',
      false,
    ],
    [
      "postgres_fdw ANALYZE's size (PostgreSQL 15)",
      `SELECT pg_catalog.pg_relation_size('s.t'::pg_catalog.regclass) / 8192`,
      true,
    ],
    [
      'SQL syntax the parser turns into calls',
      `SELECT extract(year FROM date '2024-05-01'), trim(' x '), substring('abcd' FROM 2 FOR 2), 'ab' SIMILAR TO 'a%', timestamptz '2024-01-01 00:00+00' AT TIME ZONE 'UTC', 'a_b' LIKE 'a!_b' ESCAPE '!', collation for ('x'), regclass('pg_class')::oid, count(*) FROM pg_catalog.pg_am TABLESAMPLE bernoulli (100)`,
      true,
    ],
  ];
  for (const [what, sql, same] of clientQueries) {
    test(`${what} answers${same ? ' as on PostgreSQL' : ''}`, async () => {
      const query = { text: sql, rowMode: 'array' as const };
      const actual = (await alice.query(query)).rows;
      // Answering at all is the point; the heap's indexes and alice's own schema are not served.
      if (same) assert.deepEqual(actual, (await aliceSource.query(query)).rows);
    });
  }
});
